"""Live dashboards (issue 13, point 2): from a transaction written through the REST API to the figure changing in a
real browser.

The built app is started as the browser tests start it (tests/live_app.py): a fresh SQLite database in the bench
directory, migrated and seeded with the demo (`fincrm seed --demo`), served by `reflex run --env prod
--single-port` from one of the reusable `.web-test-<n>` build directories (taken under the same lock the browser
tests take, so neither rebuilds a directory the other serves from; the first build takes minutes). Headless system
Chromium (/usr/bin/chromium, never `playwright install`) signs in as the demo branch manager and opens the
dashboard. An API client (client credentials, `fincrm client create`) sends a customer of that branch with a
deposit account, then, one at a time, FINCRM_BENCH_LIVE_SAMPLES (20) deposits through POST /api/v1/transactions.
Each sample is the time from sending the request until the page shows the new figure: the AUM key figure's whole
amount (the tile's title) and the AUM trend chart's last point both changed. Nothing is reloaded.

Baseline (`raw_api_write_*`): the same POST's own round trip (the write committed and answered), measured on the
same requests: the ratio is how long the page takes to hear of a write, compared with the write itself.
"""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from bench.datagen import bench_dir
from bench.report import emit, note, percentiles

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WEB_DIR_SLOTS = 4  # as tests/live_app.py: the build directories the browser tests reuse
APP_TIMEOUT = float(os.environ.get("FINCRM_TEST_APP_TIMEOUT", "600"))

# What the page shows: the AUM tile's whole amount, and the AUM trend's last point summed over its segments.
FIGURE_JS = """() => {
  const tile = document.querySelector('#dash-kpi-aum .stat-value');
  const plot = document.querySelector('#chart-aum-trend .js-plotly-plot');
  if (!tile || !plot || !plot.data) return null;
  const last = plot.data.reduce((s, t) => s + (t.y && t.y.length ? Number(t.y[t.y.length - 1]) : 0), 0);
  return tile.getAttribute('title') + '|' + last;
}"""


def _bin(name: str) -> str:
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"`{name}` not found; run `make venv`")


def _free_port() -> int:
    import socket

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


def _cli(args: list[str], env: dict) -> str:
    proc = subprocess.run([_bin("fincrm"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"fincrm {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _sql(db_url: str, statement: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(statement), params).all()
    finally:
        engine.dispose()


def run() -> None:
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (make system-deps)")
    from playwright.sync_api import sync_playwright

    samples = int(os.environ.get("FINCRM_BENCH_LIVE_SAMPLES", "20"))
    seed_customers = os.environ.get("FINCRM_BENCH_LIVE_CUSTOMERS", "400")
    home = bench_dir().resolve() / "dashboard-live"
    home.mkdir(parents=True, exist_ok=True)
    for p in home.glob("fincrm.db*"):
        p.unlink()
    (home / "data").mkdir(exist_ok=True)
    port = _free_port()
    url = f"http://localhost:{port}"
    db_url = f"sqlite:///{home / 'fincrm.db'}"
    web_dir, lock = _lock_web_dir()
    env = {k: v for k, v in os.environ.items() if k not in (
        "FINCRM_REDIS_URL", "REFLEX_REDIS_URL", "REDIS_URL", "REFLEX_API_URL", "REFLEX_DEPLOY_URL",
        "REFLEX_FRONTEND_PORT", "REFLEX_BACKEND_PORT")}
    env.update(FINCRM_DATABASE_URL=db_url, FINCRM_DEMO="1", FINCRM_LOCALE="zh_CN", FINCRM_DATA_DIR=str(home / "data"),
               FINCRM_PUBLIC_URL=url, FINCRM_PORT=str(port), FINCRM_HOST="127.0.0.1",
               PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
               REFLEX_USE_SYSTEM_BUN="1", NPM_CONFIG_REGISTRY=env.get("NPM_CONFIG_REGISTRY",
                                                                      "https://registry.npmjs.org/"),
               REFLEX_WEB_WORKDIR=str(web_dir), REFLEX_STATES_WORKDIR=str(home / "states"), PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    _cli(["db", "upgrade"], env)
    _cli(["seed", "--demo", "--customers", seed_customers], env)
    note(f"dashboard_live: demo seeded ({seed_customers} customers) in {time.perf_counter() - t0:.0f} s; "
         f"starting the app on {url} from {web_dir.name}")
    log = open(home / "server.log", "wb")
    server = subprocess.Popen([_bin("reflex"), "run", "--env", "prod", "--single-port", "--frontend-port", str(port),
                               "--backend-host", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        started = time.monotonic()
        while not (_get(f"{url}/ping") == 200 and _get(f"{url}/") == 200):
            if server.poll() is not None or time.monotonic() - started > APP_TIMEOUT:
                raise SystemExit(f"the app did not start (log: {home / 'server.log'})")
            time.sleep(0.5)
        note(f"dashboard_live: app ready in {time.monotonic() - started:.0f} s")
        _measure(url, db_url, env, samples)
    finally:
        _stop(server)
        log.close()
        lock.close()


def _measure(url: str, db_url: str, env: dict, samples: int) -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    from services.validation.identity import make_id_number

    client_id = f"bench-live-{uuid.uuid4().hex[:6]}"
    out = _cli(["client", "create", client_id, "--scope", "customers:write", "--scope", "accounts:write",
                "--scope", "transactions:write"], env)
    secret = out.rsplit(":", 1)[-1].strip()
    [(branch,)] = _sql(db_url, "SELECT branch_id FROM app_user WHERE username = 'manager'")
    [(owner,)] = _sql(db_url, "SELECT id FROM app_user WHERE branch_id = :b AND team_id IS NOT NULL "
                              "AND roles LIKE '%\"rm\"%' ORDER BY id LIMIT 1", b=branch)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        page = browser.new_context(base_url=url, viewport={"width": 1366, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.fill("#login-username", "manager")
        page.fill("#login-password", "demo1234")
        page.click("#login-submit")
        page.wait_for_url("**/dashboard")
        page.wait_for_function(FIGURE_JS, timeout=60_000)
        with httpx.Client(base_url=url, timeout=60) as http:
            token = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(client_id, secret)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            seq = int(uuid.uuid4().int % 900) + 50
            r = http.put(f"/api/v1/customers/BL-{seq}", headers=headers, json={
                "name": "实时基准", "id_type": "resident_id",
                "id_number": make_id_number("110105", date(1981, 3, 4), seq), "phone": f"1391234{seq:04d}",
                "segment": "hnw", "owner_id": owner})
            assert r.status_code == 201, r.text
            r = http.put(f"/api/v1/customers/BL-{seq}/accounts/D-{seq}", headers=headers, json={
                "kind": "deposit", "account_no": f"62220099{seq:06d}", "opened_on": date.today().isoformat()})
            assert r.status_code == 201, r.text
            page.wait_for_timeout(3000)  # the page has heard of the new customer before the first sample
            seen_ms, write_ms = [], []
            for i in range(samples):
                before = page.evaluate(FIGURE_JS)
                ref = f"BL-{seq}-{i}-{uuid.uuid4().hex[:6]}"
                body = {"rows": [{"external_ref": ref,
                                  "customer_external_id": f"BL-{seq}", "account_external_id": f"D-{seq}",
                                  "kind": "deposit", "amount": f"{(i + 1) * 1_000_000}.00",
                                  "booked_at": datetime.now(timezone.utc).isoformat(), "channel": "counter",
                                  "description": "实时看板基准"}]}
                t = time.perf_counter()
                r = http.post("/api/v1/transactions", headers={**headers, "Idempotency-Key": ref}, json=body)
                write_ms.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200 and r.json()["accepted"] == 1, r.text[:300]
                page.wait_for_function(f"(before) => {{ const now = ({FIGURE_JS})(); "
                                       f"if (!now) return false; const [a, b] = now.split('|'), "
                                       f"[c, d] = before.split('|'); return a !== c && b !== d; }}",
                                       arg=before, timeout=30_000, polling="raf")
                seen_ms.append((time.perf_counter() - t) * 1000)
                page.wait_for_timeout(500)  # one write at a time: the next starts from a settled page
    finally:
        browser.close()
        pw.stop()
    seen, write = percentiles(seen_ms), percentiles(write_ms)
    emit("dashboard_live", samples=len(seen_ms), viewer="branch manager (demo 'manager')", write="POST "
         "/api/v1/transactions, one deposit", shown="AUM tile and AUM trend's last point",
         p50_ms=seen["p50_ms"], p95_ms=seen["p95_ms"], max_ms=round(max(seen_ms), 1),
         raw_api_write_p50_ms=write["p50_ms"], raw_api_write_p95_ms=write["p95_ms"],
         ratio_p95_to_api_write=round(seen["p95_ms"] / write["p95_ms"], 2), target_p95_ms=2000)
    note("dashboard_live done")
