"""The RM's phone (issue 14): what the agenda costs to load, how soon it answers on a slow phone, and how fast the work
written offline goes out when the signal returns.

The built app is started by bench/live_app.py as the browser tests start it (tests/live_app.py): a fresh SQLite database in the bench
directory, migrated and seeded with the demo, served by `reflex run --env prod --single-port` from one of the reusable
`.web-test-<n>` build directories (taken under the browser tests' lock; the first build takes minutes). Headless system
Chromium (/usr/bin/chromium, never `playwright install`) at 390x844 signs in as the demo RM.

Figures (one JSON line each):
- `agenda_first_load_bytes`: JavaScript and CSS bytes transferred (Network.loadingFinished's encodedDataLength, over
  the DevTools protocol) on a first load of /agenda in a fresh browser context (empty cache, no service worker; the
  session cookie copied in). Baselines: the same page's bytes once decoded (`raw_decoded_bytes`: what compression
  saves) and the sign-in page's first load (`baseline_login_bytes`: the app shell every page pays).
- `agenda_tti_mobile`: time to interactive of /agenda on a throttled mobile profile (DevTools protocol: Lighthouse's
  mobile settings, 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU slowed 4x), cold (fresh context) and warm (the
  service worker's precache in place): from the navigation's start until the page shows the server's agenda (the
  websocket connected, state answered, React hydrated: its links and buttons work), median of
  FINCRM_BENCH_TTI_RUNS (3). Baseline: the same loads without throttling (`baseline_unthrottled_ms`).
- `offline_sync_500`: FINCRM_BENCH_SYNC_NOTES (500) visit notes queued in the device's IndexedDB exactly as the offline
  form queues them, then sent by assets/offline-notes.js's own sync (POST /sync/notes, one Idempotency-Key each):
  time until the queue is empty, and the count recorded (must be all of them, each once; a second sync of the same
  keys adds none). Baseline (`raw_direct_ms`): the same number of notes POSTed one by one from the page, no queue.
"""
from __future__ import annotations

import os
import statistics
import time
import uuid
from pathlib import Path

from bench.live_app import CHROMIUM, CHROMIUM_ARGS, served_app, sql
from bench.report import emit, note

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
# Lighthouse 12's mobile throttling (simulated there, applied here through the DevTools protocol).
SLOW_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6 * 1024 * 1024 / 8 * 0.9,
                "uploadThroughput": 750 * 1024 / 8 * 0.9}
CPU_SLOWDOWN = 4
# The agenda shows what the server sent (a reminder's customer link or the empty day's words): hydrated and answered.
AGENDA_READY = "[id^=agenda-reminder-customer-], #agenda-no-reminders"


def run() -> None:
    with served_app("pwa_offline", "pwa-offline", os.environ.get("FINCRM_BENCH_PWA_CUSTOMERS", "400")) as app:
        _measure(app.url, app.db_url, app.home)



def _sign_in(page, username: str = "rm") -> None:
    page.goto("/login")
    page.fill("#login-username", username)
    page.fill("#login-password", "demo1234")
    page.click("#login-submit")
    page.wait_for_url(lambda u: "/login" not in u, timeout=60_000)


def _bytes_of_first_load(browser, url: str, path: str, cookies: list[dict], ready: str) -> dict[str, int]:
    """JS and CSS bytes of one first load in a fresh context (by resource type, transferred and decoded)."""
    context = browser.new_context(base_url=url, service_workers="block", **PHONE)
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    kinds: dict[str, str] = {}
    sizes: dict[str, list[int]] = {}

    def response(ev):
        kinds[ev["requestId"]] = ev.get("type", "")

    def finished(ev):
        rid = ev["requestId"]
        sizes[rid] = [int(ev.get("encodedDataLength", 0))]

    def data(ev):
        sizes.setdefault(ev["requestId"] + ":decoded", [0])[0] += int(ev.get("dataLength", 0))

    cdp.on("Network.responseReceived", response)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.dataReceived", data)
    page.goto(path)
    page.wait_for_selector(ready, state="attached", timeout=120_000)
    page.wait_for_load_state("networkidle")
    out = {"js_bytes": 0, "css_bytes": 0, "js_decoded": 0, "css_decoded": 0, "js_files": 0, "css_files": 0}
    for rid, kind in kinds.items():
        key = {"Script": "js", "Stylesheet": "css"}.get(kind)
        if key is None or rid not in sizes:
            continue
        out[f"{key}_bytes"] += sizes[rid][0]
        out[f"{key}_decoded"] += sizes.get(rid + ":decoded", [0])[0]
        out[f"{key}_files"] += 1
    context.close()
    return out


def _tti(browser, url: str, cookies: list[dict], *, throttled: bool, warm_profile: str | None) -> float:
    """Milliseconds from the navigation's start until the agenda shows the server's data."""
    if warm_profile:
        context = browser.browser_type.launch_persistent_context(
            warm_profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, base_url=url, **PHONE)
    else:
        context = browser.new_context(base_url=url, service_workers="block", **PHONE)
    try:
        context.add_cookies(cookies)
        page = context.pages[0] if warm_profile and context.pages else context.new_page()
        if warm_profile:  # the service worker installed and its precache filled by an earlier visit
            page.goto("/agenda")
            page.wait_for_selector(AGENDA_READY, state="attached", timeout=120_000)
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.goto("about:blank")
        cdp = context.new_cdp_session(page)
        if throttled:
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto("/agenda", wait_until="commit", timeout=180_000)
        page.wait_for_selector(AGENDA_READY, state="visible", timeout=180_000)
        ms = page.evaluate("performance.now()")  # since this navigation's time origin
        if throttled:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        return float(ms)
    finally:
        context.close()


def _measure(url: str, db_url: str, home: Path) -> None:
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    runs = int(os.environ.get("FINCRM_BENCH_TTI_RUNS", "3"))
    notes = int(os.environ.get("FINCRM_BENCH_SYNC_NOTES", "500"))
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(base_url=url, **PHONE)
        page = context.new_page()
        page.set_default_timeout(60_000)
        _sign_in(page)
        page.goto("/agenda")
        page.wait_for_selector(AGENDA_READY, state="attached", timeout=120_000)
        cookies = context.cookies()

        # ---- bytes on first load
        agenda = _bytes_of_first_load(browser, url, "/agenda", cookies, AGENDA_READY)
        login = _bytes_of_first_load(browser, url, "/login", [], "#login-submit")
        total = agenda["js_bytes"] + agenda["css_bytes"]
        decoded = agenda["js_decoded"] + agenda["css_decoded"]
        login_total = login["js_bytes"] + login["css_bytes"]
        emit("agenda_first_load_bytes", js_bytes=agenda["js_bytes"], css_bytes=agenda["css_bytes"],
             total_bytes=total, js_files=agenda["js_files"], css_files=agenda["css_files"],
             raw_decoded_bytes=decoded, baseline_login_bytes=login_total,
             ratio_transferred_to_decoded=round(total / decoded, 3) if decoded else 0,
             ratio_to_login=round(total / login_total, 3) if login_total else 0)

        # ---- time to interactive, throttled mobile, cold and warm
        def median(throttled: bool, warm: bool) -> float:
            samples = []
            for _ in range(runs):
                profile = tempfile.mkdtemp(prefix="fincrm-bench-pwa-") if warm else None
                try:
                    samples.append(_tti(browser, url, cookies, throttled=throttled, warm_profile=profile))
                finally:
                    if profile:
                        shutil.rmtree(profile, ignore_errors=True)
            return statistics.median(samples)

        cold, cold_fast = median(True, False), median(False, False)
        warm, warm_fast = median(True, True), median(False, True)
        emit("agenda_tti_mobile", runs=runs, cold_ms=round(cold, 1), warm_ms=round(warm, 1),
             baseline_unthrottled_ms=round(cold_fast, 1), baseline_unthrottled_warm_ms=round(warm_fast, 1),
             ratio_cold_to_unthrottled=round(cold / cold_fast, 2), ratio_warm_to_unthrottled=round(warm / warm_fast, 2),
             throttling="150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU x4")

        # ---- 500 notes queued offline, sent by the device's own sync
        page.goto("/agenda")
        link = page.locator("[id^=agenda-reminder-customer-]").first
        customer_id = int(link.get_attribute("href").rstrip("/").rsplit("/", 1)[1])
        page.wait_for_function("() => window.fincrmOfflineNotes && window.idb", timeout=60_000)
        marker = f"bench-sync-{uuid.uuid4().hex[:8]}"
        page.evaluate("""async ([cid, marker, n]) => {
            const d = await idb.openDB('fincrm-device');
            const me = (await d.get('meta', 'user')) || '';
            const tx = d.transaction('notes', 'readwrite');
            const base = Date.now() - 3600 * 1000;
            for (let i = 0; i < n; i++) {
              const at = new Date(base + i * 1000).toISOString();
              tx.store.put({key: crypto.randomUUID(), type: 'note', customer_id: cid, customer_name: '', status: 'waiting',
                            author: me, written_at: at,
                            payload: {customer_id: cid, kind: 'visit', notes: marker + ' ' + i, written_at: at}});
            }
            await tx.done;
        }""", [customer_id, marker, notes])
        sample = page.evaluate("idb.openDB('fincrm-device').then(d => d.getAll('notes'))"
                               ".then(a => a.slice(0, 5).map(n => ({key: n.key, payload: n.payload})))")
        started = time.perf_counter()
        page.evaluate("window.fincrmOfflineNotes.sync()")
        deadline = time.monotonic() + 600
        while page.evaluate("idb.openDB('fincrm-device').then(d => d.count('notes'))"):
            if time.monotonic() > deadline:
                raise SystemExit("the queued notes were not all sent within 10 minutes")
            page.evaluate("window.fincrmOfflineNotes.sync()")
        sync_ms = (time.perf_counter() - started) * 1000
        like = f"{marker} %"
        [(delivered, distinct)] = sql(db_url, "SELECT count(*), count(DISTINCT notes) FROM interaction "
                                               "WHERE notes LIKE :m", m=like)
        # The same keys sent again (an answer lost on the way): nothing more is recorded.
        answers = page.evaluate("""async (sample) => {
            const out = [];
            for (const n of sample) {
              const r = await fetch('/sync/notes', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'Idempotency-Key': n.key},
                body: JSON.stringify(n.payload)});
              out.push(r.status);
            }
            return out;
        }""", sample)
        replayed = bool(answers) and all(status == 200 for status in answers)  # 200: recorded already
        [(after,)] = sql(db_url, "SELECT count(*) FROM interaction WHERE notes LIKE :m", m=like)

        direct_marker = f"bench-direct-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        page.evaluate("""async ([cid, marker, n]) => {
            const base = Date.now() - 3600 * 1000;
            for (let i = 0; i < n; i++) {
              const at = new Date(base + i * 1000).toISOString();
              const r = await fetch('/sync/notes', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID()},
                body: JSON.stringify({customer_id: cid, kind: 'visit', notes: marker + ' ' + i, written_at: at})});
              if (r.status !== 201) throw new Error('direct post answered ' + r.status);
            }
        }""", [customer_id, direct_marker, notes])
        direct_ms = (time.perf_counter() - started) * 1000
        [(direct_count,)] = sql(db_url, "SELECT count(*) FROM interaction WHERE notes LIKE :m", m=f"{direct_marker} %")
        emit("offline_sync_500", queued=notes, delivered=delivered, delivered_distinct=distinct,
             recorded_after_resend=after, all_once=delivered == distinct == notes == after and replayed,
             sync_ms=round(sync_ms, 1), per_note_ms=round(sync_ms / max(notes, 1), 2),
             raw_direct_ms=round(direct_ms, 1), raw_direct_count=direct_count,
             ratio_sync_to_direct=round(sync_ms / direct_ms, 3) if direct_ms else 0)
        if not (delivered == distinct == notes == after and replayed):
            raise SystemExit(f"offline sync delivered {delivered} ({distinct} distinct, {after} after a resend) "
                             f"of {notes} queued notes; resent keys answered {answers}")
    finally:
        browser.close()
        pw.stop()
