"""Work without signal on the installed app (issue 14, offline work), at 390x844 in a persistent profile (the service
worker serves the offline page): a task and a visit with its location check-in typed offline are delivered once when
the signal returns; a full device says so and keeps the text; a task rescheduled on two devices shows both versions and
the RM chooses; an ended session keeps the queue and asks to sign in; a customer opened earlier is readable offline
with its masked ID number, in both languages; signing out forgets it.

Screenshots go to /tmp/fincrm-offline-*.png."""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from a11y import serious_a11y_violations
from axe_playwright_python.sync_playwright import Axe
from live_app import _CSP_LISTENER, _CSP_MARK, CHROMIUM, CHROMIUM_ARGS, LiveApp
from ui_steps import offline_notes, sign_in

SHANGHAI = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 15}
DEVICE_DB = "idb.openDB('fincrm-device')"
LOG: list[str] = []


@pytest.fixture
def device(browser: Browser, live_app: LiveApp) -> Iterator[tuple[BrowserContext, Page, list[str]]]:
    profile = tempfile.mkdtemp(prefix="fincrm-offline-profile-")
    violations: list[str] = []
    log_start = live_app.log_size()
    try:
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, base_url=live_app.url,
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2,
            timezone_id="Asia/Shanghai")
        context.set_default_timeout(20_000)
        context.add_init_script(_CSP_LISTENER)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: _CSP_MARK in m.text and violations.append(m.text))
        LOG.clear()
        page.on("console", lambda m: LOG.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: LOG.append(f"pageerror: {e}"))
        try:
            yield context, page, violations
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        written = live_app.log_text(log_start)
        if "Traceback" in written:  # kept for reading: the server's errors during this test
            with open("/tmp/fincrm-offline-server-errors.log", "a", encoding="utf-8") as fh:
                fh.write(written)
    if violations:
        pytest.fail("the offline pages broke the Content-Security-Policy:\n" + "\n".join(violations), pytrace=False)


def _wait(what: str, probe, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def _rows(live_app: LiveApp, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(live_app.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()


def _store(page: Page, name: str) -> list[dict] | None:
    """One store of the device's IndexedDB (None until the page has loaded idb)."""
    return page.evaluate(f"window.idb ? {DEVICE_DB}.then(d => d.getAll('{name}')) : null")


def _open_a_customer(page: Page, locale: str = "zh_CN") -> tuple[str, str]:
    """Sign in as rm (in `locale`), open a customer from the agenda; wait until the device keeps its summary."""
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/agenda")
    if locale == "en":
        page.click("#lang-en")
        expect(page.locator("h1")).to_have_text("Today")
    link = page.locator("[id^=agenda-reminder-customer-]").first
    expect(link).to_be_visible()
    href = link.get_attribute("href").rstrip("/")
    page.goto(href)
    name = page.locator("#customer-name")
    expect(name).not_to_be_empty()
    customer = name.text_content().strip()
    cid = int(href.rsplit("/", 1)[1])
    try:
        _wait("the customer's summary was not kept on the device",
              lambda: any(c["id"] == cid and c.get("summary") for c in _store(page, "customers") or []))
    except AssertionError:
        answer = page.evaluate(f"fetch('/sync/customers/{cid}').then(r => r.status + ' ' + r.statusText)")
        raise AssertionError(f"kept: {_store(page, 'customers')}; /sync/customers/{cid} answers {answer}; "
                             f"page log: {LOG[-20:]}") from None
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    return href, customer


def _offline_goto(context: BrowserContext, page: Page, path: str) -> None:
    """Lose the signal and open `path`: the service worker answers with the offline page.

    Playwright applies set_offline to a service worker through the DevTools session it attached when the worker
    started (microsoft/playwright#2311); a worker Chromium stopped and started again in between may fetch from the
    network anyway, and the navigation then gets the live page. The worker is woken first (a fetch it answers from its
    precache), offline set after that, and the navigation tried again in that one case (up to four times: on a busy
    machine Chromium may stop the idle worker again between the wake-up and the navigation)."""
    for _attempt in range(4):
        page.evaluate("fetch('/offline.html').then(r => r.status)")
        context.set_offline(True)
        page.goto(path)
        if page.locator("#fincrm-offline").count():
            break
        context.set_offline(False)
    expect(page.locator("#fincrm-offline")).to_be_attached()


def _office_hours(days: int) -> datetime:
    """10:00 in the firm's zone, `days` from today: the shared demo app's tasks stay within office hours, which
    test_ui_work.py checks of the RM's list (a due time taken from the clock fell at 20:45 on one run)."""
    ten = datetime.now(timezone(timedelta(hours=8))).replace(hour=10, minute=0, second=0, microsecond=0)
    return (ten + timedelta(days=days)).astimezone(timezone.utc)


def _local(dt: datetime) -> str:
    """A datetime-local value in the device's zone (Asia/Shanghai)."""
    return dt.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")


def test_a_task_and_a_visit_typed_offline_are_delivered_once(device, live_app: LiveApp) -> None:
    context, page, _ = device
    context.grant_permissions(["geolocation"], origin=live_app.url)
    context.set_geolocation(SHANGHAI)
    href, customer = _open_a_customer(page)
    cid = int(href.rsplit("/", 1)[1])

    _offline_goto(context, page, "/agenda")
    expect(page.locator("#offline-note")).to_be_visible()
    stamp = time.time_ns()
    visit, title = f"离线拜访 {stamp}", f"离线任务 {stamp}"
    page.select_option("#offline-customer", str(cid))
    page.select_option("#offline-kind", "visit")
    page.fill("#offline-notes", visit)
    page.check("#offline-checkin")
    page.click("#offline-save")
    expect(page.locator("#offline-checkin-status")).to_contain_text("已记录位置")
    expect(page.locator("#offline-notes")).to_have_value("")
    page.select_option("#offline-task-customer", str(cid))
    page.fill("#offline-task-title", title)
    page.fill("#offline-task-due", _local(_office_hours(2)))
    page.click("#offline-task-save")
    expect(page.locator("#offline-task-status")).to_contain_text("任务已保存")
    expect(page.locator("#offline-waiting")).to_contain_text("2")
    page.screenshot(path="/tmp/fincrm-offline-forms-zh.png", full_page=True)
    assert serious_a11y_violations(page) == []

    # A full device: nothing saved, said so, the typed text still in the form.
    page.evaluate("navigator.storage.estimate = () => Promise.resolve({usage: 1000, quota: 1000})")
    page.fill("#offline-notes", "存储已满时的记录")
    page.click("#offline-save")
    expect(page.locator("#offline-error")).to_contain_text("存储空间已满")
    expect(page.locator("#offline-notes")).to_have_value("存储已满时的记录")
    assert len(_store(page, "notes")) == 2

    context.set_offline(False)
    page.goto("/agenda")
    got = _wait("the visit written offline was not sent", lambda: _rows(
        live_app, "SELECT i.id, i.customer_id, i.kind, c.status, c.latitude FROM interaction i "
                  "LEFT JOIN visit_check_in c ON c.interaction_id = i.id WHERE i.notes = ?", visit))
    assert len(got) == 1 and got[0][1:4] == (cid, "visit", "fix") and abs(got[0][4] - 31.2304) < 0.01
    tasks = _wait("the task typed offline was not sent",
                  lambda: _rows(live_app, "SELECT customer_id, status FROM task WHERE title = ?", title))
    assert tasks == [(cid, "open")]
    expect(page.locator("#fincrm-sync")).to_contain_text("已上传：2")
    assert _store(page, "notes") == []
    # Sent again (a reload, the minute's timer): still once each.
    offline_notes(page, "sync()")
    page.reload()
    expect(page.locator("#current-user")).not_to_be_empty()
    assert len(_rows(live_app, "SELECT id FROM interaction WHERE notes = ?", visit)) == 1
    assert len(_rows(live_app, "SELECT id FROM task WHERE title = ?", title)) == 1


def test_a_task_rescheduled_on_two_devices_shows_both_versions(device, browser: Browser, live_app: LiveApp) -> None:
    context, page, _ = device
    href, _customer = _open_a_customer(page)
    cid = int(href.rsplit("/", 1)[1])
    title = f"两台设备改期 {time.time_ns()}"
    due = _office_hours(1)
    made = page.evaluate("""([cid, title, due]) => fetch('/sync/tasks', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID()},
        body: JSON.stringify({customer_id: cid, title: title, due_at: due})}).then(r => r.json())""",
                         [cid, title, due.isoformat()])
    task_id = made["task_id"]
    offline_notes(page, "keepTasks(true)")
    _wait("the task was not kept on the device", lambda: any(t["id"] == task_id for t in _store(page, "tasks") or []))

    # This phone, offline: due in 3 days.
    _offline_goto(context, page, "/agenda")
    page.click("#offline-tasks-section summary")  # the list of open tasks, folded under the forms
    row = page.locator(f"#offline-task-{task_id}")
    expect(row).to_contain_text(title)
    page.fill(f"#offline-resched-{task_id}", _local(due + timedelta(days=3)))
    page.click(f"#offline-resched-save-{task_id}")
    expect(page.locator("#offline-task-status")).to_contain_text("改期已保存")

    # Meanwhile the other phone (online) moves it to 5 days.
    other = browser.new_context(base_url=live_app.url, viewport={"width": 390, "height": 844})
    try:
        second = other.new_page()
        sign_in(second, "rm")
        second.wait_for_url(lambda url: "/login" not in url)
        status = second.evaluate("""([id, seen, due]) => fetch('/sync/reschedules', {method: 'POST',
            credentials: 'same-origin', headers: {'Content-Type': 'application/json',
            'Idempotency-Key': crypto.randomUUID()}, body: JSON.stringify({task_id: id,
            seen: {due_at: seen, status: 'open'}, due_at: due})}).then(r => r.status)""",
                                 [task_id, due.isoformat(), (due + timedelta(days=5)).isoformat()])
        assert status == 201
    finally:
        other.close()

    context.set_offline(False)
    page.goto("/agenda")
    conflict = page.locator(".fincrm-sync-conflict")
    expect(conflict).to_be_visible(timeout=30_000)
    expect(conflict).to_contain_text("此任务已在其他设备上修改")
    expect(conflict.locator(".fincrm-sync-mine")).to_contain_text(_day(due + timedelta(days=3)))
    expect(conflict.locator(".fincrm-sync-theirs")).to_contain_text(_day(due + timedelta(days=5)))
    page.screenshot(path="/tmp/fincrm-offline-conflict-zh.png")
    found = Axe().run(page, context="#fincrm-sync").response["violations"]
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []
    stored = _rows(live_app, "SELECT due_at FROM task WHERE id = ?", task_id)[0][0]
    assert _day(_utc(stored)) == _day(due + timedelta(days=5))  # nothing dropped, nothing overwritten yet
    # The RM keeps this phone's version.
    conflict.locator("button[id^=fincrm-keep-mine-]").click()
    _wait("keeping this device's version was not sent", lambda: _day(_utc(_rows(
        live_app, "SELECT due_at FROM task WHERE id = ?", task_id)[0][0])) == _day(due + timedelta(days=3)))
    expect(page.locator(".fincrm-sync-conflict")).to_have_count(0)
    _wait("the queue was not emptied", lambda: _store(page, "notes") == [])


def test_an_ended_session_keeps_the_queue_and_asks_to_sign_in(device, live_app: LiveApp) -> None:
    context, page, _ = device
    href, _customer = _open_a_customer(page)
    _offline_goto(context, page, "/agenda")
    text = f"会话过期后的记录 {time.time_ns()}"
    page.fill("#offline-notes", text)
    page.click("#offline-save")
    expect(page.locator("#offline-waiting")).to_contain_text("1")
    context.set_offline(False)
    context.clear_cookies()  # the session ended while the phone was offline
    page.goto("/login")
    offline_notes(page, "sync()")
    expect(page.locator("#fincrm-sync-signin")).to_contain_text("请重新登录")
    assert len(_store(page, "notes")) == 1 and not _rows(live_app, "SELECT id FROM interaction WHERE notes = ?", text)
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    _wait("the note was not sent after signing in again",
          lambda: len(_rows(live_app, "SELECT id FROM interaction WHERE notes = ?", text)) == 1)


def _day(value: datetime) -> str:
    return value.astimezone(timezone(timedelta(hours=8))).strftime("%Y/%m/%d")


def _utc(stored) -> datetime:
    value = datetime.fromisoformat(str(stored))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_customer_opened_earlier_is_readable_offline_and_forgotten_at_sign_out(device, live_app: LiveApp,
                                                                                 locale: str) -> None:
    context, page, _ = device
    href, customer = _open_a_customer(page, locale)
    kept = next(c for c in _store(page, "customers") if c["id"] == int(href.rsplit("/", 1)[1]))
    assert "*" in kept["summary"]["id_number"]  # kept as the page showed it: masked
    page.goto("/agenda")  # the RM moves on; later, without signal, looks the customer up again

    _offline_goto(context, page, "/agenda")
    cid = int(href.rsplit("/", 1)[1])
    page.click(f"#offline-open-{cid}")
    expect(page.locator("#offline-customer-name")).to_have_text(customer)
    id_number = page.locator("#offline-customer-id-number")
    expect(id_number).to_contain_text("*")
    expect(id_number).to_have_text(kept["summary"]["id_number"])
    expect(page.locator("#offline-customer-view")).to_contain_text(
        "Read offline" if locale == "en" else "离线查看")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"/tmp/fincrm-offline-customer-{locale}.png", full_page=True)
    assert serious_a11y_violations(page) == []

    context.set_offline(False)
    page.goto("/agenda")
    expect(page.locator("#current-user")).not_to_be_empty()
    page.locator("#logout-button").click()
    page.wait_for_url(lambda url: "/login" in url)
    _wait("the device still holds customers after sign-out",
          lambda: _store(page, "customers") == [] and _store(page, "tasks") == [])


@pytest.mark.parametrize("allowed", [True, False])
def test_a_visit_logged_on_the_agenda_checks_in_where_the_rm_is(device, live_app: LiveApp, allowed: bool) -> None:
    """Online, the agenda's visit dialog: "check in my location" asks the browser (with the RM's permission); the
    visit is saved with the fix, or, refused, saved without one and said so."""
    context, page, _ = device
    if allowed:
        context.grant_permissions(["geolocation"], origin=live_app.url)
        context.set_geolocation(SHANGHAI)
    else:
        context.clear_permissions()
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/agenda")
    page.click("[id^=agenda-reminder-visit-]")
    dialog = page.locator("#agenda-visit-dialog")
    expect(dialog).to_be_visible()
    page.click("#agenda-visit-checkin")
    status = page.locator("#agenda-visit-checkin-status")
    expect(status).to_contain_text("已记录位置（误差约 15 米）" if allowed else "未允许定位", timeout=15_000)
    text = f"上门签到 {time.time_ns()}"
    page.fill("#agenda-visit-notes", text)
    page.screenshot(path=f"/tmp/fincrm-visit-checkin-{'fix' if allowed else 'refused'}-zh.png")
    page.click("#agenda-visit-submit")
    expect(dialog).to_have_count(0)
    got = _wait("the visit was not saved", lambda: _rows(
        live_app, "SELECT c.status, c.latitude, c.accuracy_m FROM interaction i "
                  "LEFT JOIN visit_check_in c ON c.interaction_id = i.id WHERE i.notes = ?", text))
    if allowed:
        assert got[0][0] == "fix" and abs(got[0][1] - 31.2304) < 0.01 and got[0][2] == 15
    else:
        assert got == [("refused", None, None)]
