"""Tasks and tickets in the real production build, at phone and desktop size (issue 9, points 2, 3 and 6):
a task's lifecycle from the 360 page to "My tasks" (past due time refused, reschedule, complete, a team lead's
reassignment); a complaint's lifecycle with an SLA breach that the scheduler escalates to the team lead, who
resolves and closes it; and the 360 header's warnings with a call to a do-not-contact customer."""
from __future__ import annotations

import re
import subprocess
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text
from live_app import ROOT, _bin
from ui_steps import open_customer, sign_in_ok

pytestmark = pytest.mark.browser

DEVICES = ["phone_page", "desktop_page"]
ZONE = ZoneInfo("Asia/Shanghai")  # the live app's FINCRM_TIMEZONE (the default)


def _place(device: str) -> str:
    return "tab" if device == "phone_page" else "side"


def open_menu_entry(page, entry: str, device: str) -> None:
    """Open a page from the menu: the sidebar on a desktop; on a phone its tab, or "More" first when the entry
    lives in that sheet (components/shell.py PHONE_TABS)."""
    link = page.locator(f"#nav-{entry}-{_place(device)}")
    if device == "phone_page" and not link.is_visible():
        page.click("#nav-more")
    link.click()


def _local(days: int, hour: int, minute: int = 0) -> str:
    day = datetime.now(ZONE).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def _sql(live_app, statement: str, **params):
    engine = create_engine(live_app.db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _sign_out(page: Page) -> None:
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/login"))


def _row_id(page: Page, selector: str, title: str) -> str:
    row = page.locator(selector, has_text=title).first
    expect(row).to_be_visible()
    return row.get_attribute("id").rsplit("-", 1)[-1]


# ---------------------------------------------------------------- tasks

@pytest.mark.parametrize("device", DEVICES)
def test_task_lifecycle_from_the_360_page_to_my_tasks(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    title, handed = f"寄送对账单 {uuid.uuid4().hex[:6]}", f"移交跟进 {uuid.uuid4().hex[:6]}"
    sign_in_ok(page, "rm")
    open_customer(page)
    expect(page.locator("#open-tasks")).to_be_visible()

    # A due time in the past is refused, naming the field; a future one is accepted.
    page.click("#qa-task")
    page.fill("#qa-task-title", title)
    page.fill("#qa-task-due", _local(-1, 10))
    page.click("#qa-task-submit")
    expect(page.locator("#qa-task-error")).to_contain_text("截止时间")
    page.fill("#qa-task-due", _local(2, 10))
    page.click("#qa-task-submit")
    expect(page.locator("#qa-task-dialog")).to_have_count(0)
    expect(page.locator("#c360-task-list")).to_contain_text(title)
    page.click("#qa-task")
    page.fill("#qa-task-title", handed)
    page.fill("#qa-task-due", _local(1, 9))  # first in the team's upcoming list
    page.click("#qa-task-submit")
    expect(page.locator("#c360-task-list")).to_contain_text(handed)

    # My tasks, from the menu; the new task is upcoming, and the seeded ones are due at office hours
    # (09:00 to 18:00 in the firm's zone, not 01:00 to 10:00 as the seed once made them).
    open_menu_entry(page, "tasks", device)
    page.wait_for_url(re.compile(r"/tasks$"))
    expect(page.locator("#tasks-tab-today")).to_have_attribute("aria-selected", "true")
    page.click("#tasks-tab-upcoming")
    task_id = _row_id(page, ".task-row", title)
    hours = {int(h) for h in re.findall(r"(\d\d):\d\d", " ".join(page.locator("#task-list .due").all_inner_texts()))}
    assert hours and hours <= set(range(9, 19)), hours

    # Reschedule to today (later on), and it moves to today's list.
    page.click(f"#task-reschedule-{task_id}")
    expect(page.locator("#task-reschedule-dialog")).to_be_visible()
    page.fill("#task-new-due", _local(-3, 9))
    page.click("#task-reschedule-submit")
    expect(page.locator("#task-reschedule-error")).to_contain_text("不能早于当前时间")
    target_day = 0 if datetime.now(ZONE).hour < 23 else 1
    page.fill("#task-new-due", _local(target_day, 23, 50))
    page.click("#task-reschedule-submit")
    expect(page.locator("#task-reschedule-dialog")).to_have_count(0)
    page.click("#tasks-tab-today" if target_day == 0 else "#tasks-tab-upcoming")
    expect(page.locator(f"#task-{task_id}")).to_contain_text("23:50")

    # Complete it: gone from the open list, listed as done.
    page.click(f"#task-complete-{task_id}")
    expect(page.locator(f"#task-{task_id}")).to_have_count(0)
    page.click("#tasks-tab-done")
    expect(page.locator(f"#task-{task_id}")).to_contain_text("完成于")
    expect(page.locator(f"#task-complete-{task_id}")).to_have_count(0)

    # The team lead sees the team's tasks and takes the other one over.
    lead_id = _sql(live_app, "SELECT id FROM app_user WHERE username = 'lead01'")[0][0]
    _sign_out(page)
    sign_in_ok(page, "lead01")
    page.goto("/tasks")
    page.click("#tasks-view-team")
    page.click("#tasks-tab-upcoming")
    handed_id = _row_id(page, ".task-row", handed)
    page.click(f"#task-reassign-{handed_id}")
    page.select_option("#task-assignee", str(lead_id))
    page.click("#task-reassign-submit")
    expect(page.locator("#task-reassign-dialog")).to_have_count(0)
    page.click("#tasks-view-mine")
    page.click("#tasks-tab-upcoming")
    expect(page.locator(f"#task-{handed_id}")).to_be_visible()
    # In English too.
    page.click("#lang-en")
    expect(page.locator("#tasks-tab-upcoming")).to_contain_text("Upcoming")


# ---------------------------------------------------------------- tickets

@pytest.mark.parametrize("device", DEVICES)
def test_ticket_lifecycle_with_an_sla_breach_escalated_to_the_team_lead(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    subject = f"年费扣收争议 {uuid.uuid4().hex[:6]}"
    sign_in_ok(page, "rm")
    open_customer(page)

    # A complaint opened on the 360 page, with the fields the regulator counts.
    page.click("#qa-ticket")
    page.select_option("#qa-ticket-kind", "complaint")
    page.select_option("#qa-ticket-category", "complaint_card")
    page.fill("#qa-ticket-subject", subject)
    page.select_option("#qa-ticket-channel", "phone")
    page.select_option("#qa-ticket-priority", "high")
    page.click("#qa-ticket-submit")
    expect(page.locator("#qa-ticket-error")).to_contain_text("投诉原因")  # required for complaints
    page.select_option("#qa-ticket-reason", "pricing_fees")
    page.click("#qa-ticket-submit")
    expect(page.locator("#qa-ticket-dialog")).to_have_count(0)
    expect(page.locator("#warn-complaints")).to_be_visible()
    row = page.locator("#c360-ticket-list li", has_text=subject)
    expect(row).to_contain_text("剩余 23小时")
    row.locator("a").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    ticket_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(page.locator("#ticket-status")).to_have_text("已指派")
    page.click("#ticket-start")
    expect(page.locator("#ticket-status")).to_have_text("处理中")
    expect(page.locator("#ticket-reason")).to_have_text("定价收费")

    # A day and a half later (the ticket's times moved back), the scheduler finds it past its SLA.
    _sql(live_app, "UPDATE ticket SET opened_at = :o, sla_due_at = :d WHERE id = :i",
         o=datetime.now(ZONE) - timedelta(hours=36), d=datetime.now(ZONE) - timedelta(hours=12), i=ticket_id)
    subprocess.run([_bin("fincrm"), "scheduler", "--run", "activities.sla_breaches"], cwd=ROOT, env=live_app.env,
                   check=True, capture_output=True, timeout=120)
    lead_name = _sql(live_app, "SELECT display_name FROM app_user WHERE username = 'lead01'")[0][0]
    page.reload()
    expect(page.locator("#ticket-status")).to_have_class(re.compile(r"danger"))
    expect(page.locator("#ticket-sla")).to_contain_text("超时")
    expect(page.locator("#ticket-escalated")).to_contain_text(lead_name)
    expect(page.locator("#ticket-history")).to_contain_text("SLA 超时，已升级")
    [(breached,)] = _sql(live_app, "SELECT count(*) FROM ticket_event WHERE ticket_id = :i AND step = 'breach'",
                         i=ticket_id)
    assert breached == 1

    # The team lead finds the escalation in his tasks, opens the ticket, resolves and closes it.
    _sign_out(page)
    sign_in_ok(page, "lead01")
    open_menu_entry(page, "tasks", device)
    page.wait_for_url(re.compile(r"/tasks$"))
    page.click("#tasks-tab-overdue")
    escalation = page.locator(".task-row", has_text=subject).first
    expect(escalation).to_contain_text("工单超时")
    escalation.get_by_role("link", name="工单超时升级").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}$"))
    page.click("#ticket-resolve")
    page.select_option("#ticket-resolution-select", "upheld")
    page.fill("#ticket-resolve-note", "退还年费并致歉")
    page.click("#ticket-resolve-submit")
    expect(page.locator("#ticket-status")).to_have_text("已解决")
    expect(page.locator("#ticket-resolution")).to_have_text("支持客户诉求")
    page.click("#ticket-close")
    expect(page.locator("#ticket-status")).to_have_text("已关闭")
    expect(page.locator("#ticket-close")).to_have_count(0)  # closed once: no second close
    expect(page.locator("#ticket-reopen")).to_be_visible()  # within the category's 30 days
    expect(page.locator("#ticket-days")).to_contain_text("天")

    # The 360 timeline shows its steps.
    page.click("#ticket-customer")
    page.wait_for_url(re.compile(r"/customers/\d+$"))
    timeline = page.locator("#timeline-list")
    expect(timeline.locator(".tl-item", has_text=subject).first).to_contain_text("已关闭")
    expect(page.locator(f"#ticket-{ticket_id}")).to_contain_text("已关闭")

    # In English, the ticket page says the same.
    page.goto(f"/tickets/{ticket_id}")
    page.click("#lang-en")
    expect(page.locator("#ticket-status")).to_have_text("Closed")
    expect(page.locator("#ticket-history")).to_contain_text("SLA missed, escalated")


# ---------------------------------------------------------------- warnings

@pytest.mark.parametrize("device", DEVICES)
def test_the_360_header_warns_and_a_call_to_a_do_not_contact_customer_needs_its_basis(request, live_app,
                                                                                      device: str) -> None:
    page: Page = request.getfixturevalue(device)
    [(customer_id,)] = _sql(live_app, """
        SELECT c.id FROM customer c JOIN app_user u ON u.id = c.owner_id AND u.username = 'rm'
        JOIN consent_record r ON r.customer_id = c.id AND r.purpose = 'contact' AND r.granted = :no
        ORDER BY c.id LIMIT 1""", no=False)
    sign_in_ok(page, "rm")
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#warn-dnc")).to_contain_text("勿扰")
    expect(page.locator("#warn-marketing")).to_be_visible()
    page.click("#qa-log")
    expect(page.locator("#qa-log-dnc")).to_be_visible()
    subject = f"客户来电咨询 {uuid.uuid4().hex[:6]}"
    page.select_option("#qa-log-kind", "call")
    page.fill("#qa-log-subject", subject)
    page.click("#qa-log-submit")
    expect(page.locator("#qa-log-error")).to_contain_text("联系依据")
    page.select_option("#qa-log-basis", "customer_initiated")
    page.click("#qa-log-submit")
    expect(page.locator("#qa-log-dialog")).to_have_count(0)
    expect(page.locator("#timeline-list .tl-item").first.locator(".tl-title")).to_have_text(subject)
    [(basis,)] = _sql(live_app, "SELECT contact_basis FROM interaction WHERE subject = :s", s=subject)
    assert basis == "customer_initiated"
    page.click("#lang-en")
    expect(page.locator("#warn-dnc")).to_contain_text("Do not contact")


# ---------------------------------------------------------------- the handlers over a raw socket

_BASE = "reflex___state____state.state___session____app_state.state___session____data_state"
TASKS_STATE, TICKET_STATE, WORK_STATE = (f"{_BASE}.state___tasks____tasks_state",
                                         f"{_BASE}.state___tickets____ticket_state",
                                         f"{_BASE}.state___customer_work____customer_work_state")


def test_work_handlers_refuse_other_peoples_tasks_and_tickets_over_a_raw_socket(live_app) -> None:
    """A socket client signed in as the demo rm calls the task and ticket handlers the way no page would: on a
    task and a ticket of another branch, with hostile arguments. Nothing changes and nothing of them is sent."""
    import asyncio
    import concurrent.futures
    import json
    import time

    import httpx
    import socketio

    [(task_id,)] = _sql(live_app, """
        SELECT t.id FROM task t JOIN app_user u ON u.id = t.assignee_id
        WHERE u.branch_id != (SELECT branch_id FROM app_user WHERE username = 'rm') AND t.status = 'open'
        ORDER BY t.id LIMIT 1""")
    [(ticket_id, subject, customer_id, status)] = _sql(live_app, """
        SELECT k.id, k.subject, k.customer_id, k.status FROM ticket k JOIN customer c ON c.id = k.customer_id
        WHERE c.branch_id != (SELECT branch_id FROM app_user WHERE username = 'rm')
          AND k.status IN ('new', 'assigned', 'in_progress')
          AND k.subject NOT IN (SELECT k2.subject FROM ticket k2 JOIN customer c2 ON c2.id = k2.customer_id
                                JOIN app_user u ON u.id = c2.owner_id AND u.username = 'rm')
        ORDER BY k.id LIMIT 1""")
    before = _sql(live_app, "SELECT id, status, assignee_id, due_at FROM task ORDER BY id") + \
        _sql(live_app, "SELECT id, status, assignee_id FROM ticket ORDER BY id")
    r = httpx.post(f"{live_app.url}/auth/login", data={"username": "rm", "password": "demo1234"},
                   headers={"Origin": live_app.url}, follow_redirects=False, timeout=30)
    session = r.cookies.get("fincrm_session")
    assert r.status_code == 303 and session
    ticket_path, tasks_path, customer_path = f"/tickets/{ticket_id}", "/tasks", f"/customers/{customer_id}"
    calls = [
        (TASKS_STATE, tasks_path, "load", {}),
        (TASKS_STATE, tasks_path, "complete", {"task_id": task_id}),
        (TASKS_STATE, tasks_path, "complete", {"task_id": str(task_id)}),
        (TASKS_STATE, tasks_path, "open_reschedule", {"task_id": {"$gt": 0}}),
        (TASKS_STATE, tasks_path, "reschedule", {"form": {"due_at": "2030-01-01T10:00"}}),
        (TASKS_STATE, tasks_path, "open_reassign", {"task_id": str(task_id)}),
        (TASKS_STATE, tasks_path, "reassign", {"form": {"assignee_id": "1"}}),
        (TASKS_STATE, tasks_path, "set_view", {"view": "team"}),
        (TASKS_STATE, tasks_path, "setvar", {"var_name": "rows", "value": [{"id": str(task_id)}]}),
        (TICKET_STATE, ticket_path, "load", {}),
        (TICKET_STATE, ticket_path, "step", {"name": "start"}),
        (TICKET_STATE, ticket_path, "take", {}),
        (TICKET_STATE, ticket_path, "open_dialog", {"name": "resolve"}),
        (TICKET_STATE, ticket_path, "submit_dialog", {"form": {"resolution": "upheld"}}),
        (TICKET_STATE, ticket_path, "_step", {"name": "close", "data": {}}),
        (TICKET_STATE, ticket_path, "setvar", {"var_name": "_ticket_id", "value": ticket_id}),
        (WORK_STATE, customer_path, "load", {}),
        (WORK_STATE, customer_path, "complete_task", {"task_id": str(task_id)}),
    ]
    frames: list = []

    async def scenario() -> None:
        sio = socketio.AsyncClient(reconnection=False)

        async def record(event: str, data=None) -> None:
            frames.append(data)

        sio.on("*", record, namespace="/_event")
        await sio.connect(f"{live_app.url}?token=twork-{time.time_ns()}", socketio_path="/_event",
                          namespaces=["/_event"], transports=["websocket"],
                          headers={"Origin": live_app.url, "Cookie": f"fincrm_session={session}"}, wait_timeout=20)
        try:
            for state, path, name, payload in calls:
                await sio.emit("event", {"name": f"{state}.{name}", "payload": payload,
                                         "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")
                await asyncio.sleep(0.3)
            await asyncio.sleep(1.0)
        finally:
            await sio.disconnect()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()
    sent = json.dumps(frames, ensure_ascii=False)
    assert f"未找到：工单 {ticket_id}。" in sent  # answered as a ticket that does not exist
    assert subject not in sent  # a subject none of the rm's own tickets has
    after = _sql(live_app, "SELECT id, status, assignee_id, due_at FROM task ORDER BY id") + \
        _sql(live_app, "SELECT id, status, assignee_id FROM ticket ORDER BY id")
    changed = set(map(tuple, after)) ^ set(map(tuple, before))
    assert not any(row[0] in (task_id, ticket_id) for row in changed), changed
