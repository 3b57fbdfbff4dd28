"""`fincrm aml load-list` and `fincrm aml screen`, run as operations staff run them (a subprocess honouring
FINCRM_* variables): a list in its own format is loaded and re-screens every customer; a bad file changes
nothing; a CSV of names becomes one JSON line per row with its best hits and a verdict."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aml_helpers import INTERNAL, UN, real_list

ROOT = Path(__file__).resolve().parents[2]


def fincrm(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def cli_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    env.update(FINCRM_DATABASE_URL=f"sqlite:///{tmp_path}/cli.db", FINCRM_DEMO="1",
               FINCRM_DATA_DIR=str(tmp_path / "data"), FINCRM_LOCALE="en")
    assert fincrm("db", "upgrade", env=env).returncode == 0
    return env


def test_load_list_then_screen_a_file(cli_env, tmp_path):
    un = tmp_path / "un.xml"
    un.write_bytes(real_list(UN))
    internal = tmp_path / "internal.csv"
    internal.write_bytes(INTERNAL)
    out = fincrm("aml", "load-list", str(un), env=cli_env)
    assert out.returncode == 0 and "un_sc: version 1, 1093 entries" in out.stdout, out.stderr
    assert fincrm("aml", "load-list", str(internal), env=cli_env).returncode == 0
    names = tmp_path / "names.csv"
    names.write_text("name,birth_date,nationality\nSok Chol Kim,1955-05-08,KP\nIvan Sidorov,,\nJane Doe,,\n,,\n",
                     encoding="utf-8-sig")
    out = fincrm("aml", "screen", str(names), env=cli_env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["hit", "hit", "clear", "error"]
    best = rows[0]["hits"][0]
    assert (best["list"], best["entry_id"], best["matched_name"]) == ("un_sc", "6908568", "KIM SOK CHOL")
    assert best["score"] >= 0.9 and rows[1]["hits"][0]["entry_id"] == "I-1" and rows[2]["hits"] == []


def test_a_bad_file_is_refused_and_changes_nothing(cli_env, tmp_path):
    internal = tmp_path / "internal.csv"
    internal.write_bytes(INTERNAL)
    assert fincrm("aml", "load-list", str(internal), env=cli_env).returncode == 0
    truncated = tmp_path / "cut.xml"
    truncated.write_bytes(real_list(UN)[:50_000])
    out = fincrm("aml", "load-list", str(truncated), "--code", "internal", env=cli_env)
    assert out.returncode == 2 and "the list in force is unchanged" in out.stderr
    other = tmp_path / "other.csv"
    other.write_text("entry_id,name\nZ-1,Somebody Else\n", encoding="utf-8")
    out = fincrm("aml", "load-list", str(other), "--code", "internal", env=cli_env)
    assert out.returncode == 2 and "remove every one of the 3 entries" in out.stderr
    db = cli_env["FINCRM_DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT version, entry_count FROM aml_watchlist WHERE code = 'internal'").fetchone() == (1, 3)
    gb = tmp_path / "gb.csv"
    gb.write_bytes("name\n张三\n".encode("gb18030"))
    out = fincrm("aml", "screen", str(gb), env=cli_env)
    assert out.returncode == 2 and "not UTF-8" in out.stderr
