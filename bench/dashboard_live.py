"""Live dashboards (issue 13, point 2): from a transaction written through the REST API to the figure changing in a
real browser.

The built app is started by bench/live_app.py as the browser tests start it (tests/live_app.py): a fresh SQLite database in the bench
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

import os
import time
import uuid
from datetime import date, datetime, timezone

from bench.live_app import CHROMIUM, CHROMIUM_ARGS, cli, served_app, sql
from bench.report import emit, note, percentiles


# What the page shows: the AUM tile's whole amount, and the AUM trend's last point summed over its segments.
FIGURE_JS = """() => {
  const tile = document.querySelector('#dash-kpi-aum .stat-value');
  const plot = document.querySelector('#chart-aum-trend .js-plotly-plot');
  if (!tile || !plot || !plot.data) return null;
  const last = plot.data.reduce((s, t) => s + (t.y && t.y.length ? Number(t.y[t.y.length - 1]) : 0), 0);
  return tile.getAttribute('title') + '|' + last;
}"""


def run() -> None:
    samples = int(os.environ.get("FINCRM_BENCH_LIVE_SAMPLES", "20"))
    with served_app("dashboard_live", "dashboard-live", os.environ.get("FINCRM_BENCH_LIVE_CUSTOMERS", "400")) as app:
        _measure(app.url, app.db_url, app.env, samples)



def _measure(url: str, db_url: str, env: dict, samples: int) -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    from services.validation.identity import make_id_number

    client_id = f"bench-live-{uuid.uuid4().hex[:6]}"
    out = cli(["client", "create", client_id, "--scope", "customers:write", "--scope", "accounts:write",
                "--scope", "transactions:write"], env)
    secret = out.rsplit(":", 1)[-1].strip()
    [(branch,)] = sql(db_url, "SELECT branch_id FROM app_user WHERE username = 'manager'")
    [(owner,)] = sql(db_url, "SELECT id FROM app_user WHERE branch_id = :b AND team_id IS NOT NULL "
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
