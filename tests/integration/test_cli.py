"""The `fincrm` command, run as a user runs it: a subprocess honouring FINCRM_* variables."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fincrm(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"fincrm {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cli_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    env.update(FINCRM_DATABASE_URL=f"sqlite:///{tmp_path}/cli.db", FINCRM_DEMO="1",
               FINCRM_DATA_DIR=str(tmp_path / "data"))
    return env


def test_outside_demo_mode_commands_refuse_to_run_without_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    env["FINCRM_DATABASE_URL"] = f"sqlite:///{tmp_path}/prod.db"
    proc = fincrm("db", "upgrade", env=env, check=False)
    assert proc.returncode == 2
    assert "FINCRM_SECRET_KEY" in proc.stderr and "secrets.token_urlsafe" in proc.stderr


def test_the_default_database_is_no_demo_unless_asked(tmp_path):
    """Demo mode is never guessed from the database URL: the embedded default without FINCRM_DEMO=1 is a
    real installation, which needs its keys (and no demo keys are generated into ./data)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    proc = subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "FINCRM_SECRET_KEY" in proc.stderr
    assert not (tmp_path / "data").exists()
    env["FINCRM_DEMO"] = "1"
    proc = subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "fincrm.db").exists() and (tmp_path / "data" / "encryption_keys").exists()


def test_seed_takes_the_snapshot_day(cli_env):
    fincrm("db", "upgrade", env=cli_env)
    bad = fincrm("seed", "--demo", "--customers", "20", "--anchor", "2026-13-01", env=cli_env, check=False)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    out = fincrm("seed", "--demo", "--customers", "20", "--anchor", "2026-11-01", env=cli_env).stdout
    assert "as of 2026-11-01" in out


def test_demo_mode_generates_keys_once_and_keeps_them(cli_env, tmp_path):
    fincrm("db", "upgrade", env=cli_env)
    keys = (tmp_path / "data" / "encryption_keys").read_text()
    fincrm("db", "upgrade", env=cli_env)
    assert (tmp_path / "data" / "encryption_keys").read_text() == keys
    assert oct((tmp_path / "data" / "encryption_keys").stat().st_mode & 0o777) == "0o600"


def test_user_create_and_audit_verify_detects_tampering(cli_env, tmp_path):
    fincrm("db", "upgrade", env=cli_env)
    out = fincrm("user", "create", "alice", "--role", "compliance", "--password", "s3cret-pass",
                 env=cli_env).stdout
    assert "created user alice" in out
    bad = fincrm("user", "create", "bob", "--role", "wizard", "--password", "short", env=cli_env, check=False)
    assert bad.returncode == 2 and "角色" in bad.stderr and "密码" in bad.stderr  # zh_CN is the default locale
    ok = fincrm("audit", "verify", env=cli_env)
    assert "intact: 1 events" in ok.stdout
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("UPDATE audit_event SET actor_name = 'mallory' WHERE seq = 1")
    broken = fincrm("audit", "verify", env=cli_env, check=False)
    assert broken.returncode == 1 and "BROKEN at event 1" in broken.stdout


def test_seed_is_refused_outside_demo_mode(cli_env):
    cli_env["FINCRM_DEMO"] = "0"
    cli_env["FINCRM_SECRET_KEY"] = "x" * 40
    from services.security.crypto import generate_keys_spec

    cli_env["FINCRM_ENCRYPTION_KEYS"] = generate_keys_spec()
    fincrm("db", "upgrade", env=cli_env)
    proc = fincrm("seed", "--demo", env=cli_env, check=False)
    assert proc.returncode == 2 and "demo mode" in proc.stderr


def test_client_create_registers_a_system_and_prints_its_secret_once(cli_env, tmp_path):
    """Outside demo data, this is how a bank gets OAuth2 credentials for its core system."""
    fincrm("db", "upgrade", env=cli_env)
    out = fincrm("client", "create", "core-banking", "--name", "核心系统", "--scope", "customers:read",
                 "--scope", "transactions:write", env=cli_env).stdout
    assert "created API client core-banking" in out
    secret = out.rsplit(": ", 1)[1].strip()
    assert len(secret) >= 32
    with sqlite3.connect(tmp_path / "cli.db") as db:
        stored, scopes = db.execute(
            "SELECT secret_hash, scopes FROM api_client WHERE client_id = 'core-banking'").fetchone()
        actions = [r[0] for r in db.execute("SELECT action FROM audit_event ORDER BY seq")]
    assert secret not in stored and "customers:read" in scopes and actions == ["api_client.create"]
    again = fincrm("client", "create", "core-banking", "--scope", "nonsense", "--owner", "nobody", env=cli_env,
                   check=False)
    # Refused naming every field at fault, nothing written.
    assert again.returncode == 2 and all(f in again.stderr for f in ("权限范围", "默认客户经理"))
    taken = fincrm("client", "create", "core-banking", "--scope", "customers:read", env=cli_env, check=False)
    assert taken.returncode == 2 and "客户端标识" in taken.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM api_client").fetchone() == (1,)
