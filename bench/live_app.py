"""The built app served for the browser figures (`dashboard_live`, `pwa_offline`), as the browser tests serve it
(tests/live_app.py): a fresh SQLite database in the bench directory, migrated and seeded with the demo, served by
`reflex run --env prod --single-port` from one of the reusable `.web-test-<n>` build directories (taken under the
browser tests' lock; the first build takes minutes). Headless system Chromium drives it (never
`playwright install`)."""
from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bench.datagen import bench_dir
from bench.report import note

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WEB_DIR_SLOTS = 4  # as tests/live_app.py: the build directories the browser tests reuse
APP_TIMEOUT = float(os.environ.get("FINCRM_TEST_APP_TIMEOUT", "600"))
# A server started here must not pick up the developer's or CI's own services.
_FOREIGN_ENV = ("FINCRM_REDIS_URL", "REFLEX_REDIS_URL", "REDIS_URL", "REFLEX_API_URL", "REFLEX_DEPLOY_URL",
                "REFLEX_FRONTEND_PORT", "REFLEX_BACKEND_PORT")


@dataclass(frozen=True)
class ServedApp:
    url: str
    db_url: str
    env: dict
    home: Path


def _bin(name: str) -> str:
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"`{name}` not found; run `make venv`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lock_web_dir():
    for slot in range(WEB_DIR_SLOTS):
        fh = open(ROOT / f".web-test-{slot}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        return ROOT / f".web-test-{slot}", fh
    raise SystemExit(f"all {WEB_DIR_SLOTS} .web-test-* build directories are in use by test sessions")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def cli(args: list[str], env: dict) -> str:
    """A `fincrm` command against the served app's database; its output."""
    proc = subprocess.run([_bin("fincrm"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"fincrm {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def sql(db_url: str, statement: str, **params):
    """Rows of one statement on the served app's database (what the figure checks was recorded)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(statement), params).all()
    finally:
        engine.dispose()


@contextmanager
def served_app(figure: str, home_name: str, seed_customers: str) -> Iterator[ServedApp]:
    """The app, seeded with `seed_customers` demo customers, served until the block ends."""
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (make system-deps)")
    home = bench_dir().resolve() / home_name
    home.mkdir(parents=True, exist_ok=True)
    for p in home.glob("fincrm.db*"):
        p.unlink()
    (home / "data").mkdir(exist_ok=True)
    port = _free_port()
    url = f"http://localhost:{port}"
    db_url = f"sqlite:///{home / 'fincrm.db'}"
    web_dir, lock = _lock_web_dir()
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    env.update(FINCRM_DATABASE_URL=db_url, FINCRM_DEMO="1", FINCRM_LOCALE="zh_CN", FINCRM_DATA_DIR=str(home / "data"),
               FINCRM_PUBLIC_URL=url, FINCRM_PORT=str(port), FINCRM_HOST="127.0.0.1",
               PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
               REFLEX_USE_SYSTEM_BUN="1", NPM_CONFIG_REGISTRY=env.get("NPM_CONFIG_REGISTRY",
                                                                      "https://registry.npmjs.org/"),
               REFLEX_WEB_WORKDIR=str(web_dir), REFLEX_STATES_WORKDIR=str(home / "states"), PYTHONUNBUFFERED="1")
    try:
        t0 = time.perf_counter()
        cli(["db", "upgrade"], env)
        cli(["seed", "--demo", "--customers", seed_customers], env)
        note(f"{figure}: demo seeded ({seed_customers} customers) in {time.perf_counter() - t0:.0f} s; "
             f"starting the app on {url} from {web_dir.name}")
        log = open(home / "server.log", "wb")
        server = subprocess.Popen([_bin("reflex"), "run", "--env", "prod", "--single-port", "--frontend-port",
                                   str(port), "--backend-host", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            started = time.monotonic()
            while not (_get(f"{url}/ping") == 200 and _get(f"{url}/") == 200):
                if server.poll() is not None or time.monotonic() - started > APP_TIMEOUT:
                    raise SystemExit(f"the app did not start (log: {home / 'server.log'})")
                time.sleep(0.5)
            note(f"{figure}: app ready in {time.monotonic() - started:.0f} s")
            yield ServedApp(url=url, db_url=db_url, env=env, home=home)
        finally:
            _stop(server)
            log.close()
    finally:
        lock.close()
