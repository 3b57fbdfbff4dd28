"""The pages' states for tasks and tickets (/tasks, /tickets, /tickets/[id], the 360 page's work parts): what they
show in both languages, and that their handlers take only what the page offers (any socket client may call them
with anything)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services import clock
from services.activities import tasks, tickets
from services.activities.models import Task, Ticket
from services.customers import consent
from state import work_display
from state.customer_work import CustomerWorkState
from state.tasks import TasksState
from state.tickets import TicketsState, TicketState

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


def _call(state, cls, name: str, *args):
    out = getattr(cls, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


@pytest.fixture
def work(uow_factory, actors, new_customer):
    c = new_customer("rm_a1", name="吴刚")
    with uow_factory() as uow:
        t1 = tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                            data={"title": "回访", "due_at": (NOW + timedelta(hours=4)).isoformat()})
        t2 = tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                            data={"title": "寄送资料", "due_at": (NOW + timedelta(days=3)).isoformat()})
        k = tickets.open_ticket(uow=uow, actor=actors["rm_a1"], customer_id=c.id, data={
            "kind": "complaint", "category": "complaint_card", "subject": "年费争议", "priority": "high",
            "complaint_reason": "pricing_fees"})
        uow.commit()
    return {"customer": c, "today": t1.id, "later": t2.id, "ticket": k.id}


def test_durations_and_due_times_read_naturally():
    assert work_display.span(3 * 86400 + 5 * 3600, "zh_CN") == "3天5小时"
    assert work_display.span(-(2 * 3600 + 15 * 60), "en") == "2 h 15 min"
    assert work_display.sla_text(-90, "en") == "1 min over" and work_display.sla_text(600, "zh_CN") == "剩余 10分钟"
    assert work_display.due_text(NOW + timedelta(hours=4, minutes=30), "zh_CN") == "今天 14:30"
    # 00:30 local tomorrow is still "today" by the UTC date: the firm's calendar says tomorrow.
    assert work_display.due_text(datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc), "en") == "Tomorrow 00:30"


def test_the_tasks_page_lists_completes_and_reschedules(page_state, actors, work, connection):
    st = page_state(TasksState, actors["rm_a1"])
    _call(st, TasksState, "load")
    assert [r["id"] for r in st.rows] == [str(work["today"])] and st.counts["today"] == "1"
    assert st.rows[0]["when"] == "今天 14:00" or st.rows[0]["when"] == "Today 14:00"
    _call(st, TasksState, "set_bucket", "upcoming")
    assert [r["id"] for r in st.rows] == [str(work["later"])]
    _call(st, TasksState, "open_reschedule", str(work["later"]))
    assert st.dialog == "reschedule" and st.dialog_due == "2026-11-23T10:00"
    _call(st, TasksState, "reschedule", {"due_at": "2026-11-19T09:00"})  # in the past
    assert st.dialog == "reschedule" and st.dialog_error
    _call(st, TasksState, "reschedule", {"due_at": "2026-11-20T16:00"})
    assert st.dialog == "" and st.counts["today"] == "2"
    _call(st, TasksState, "set_bucket", "today")
    _call(st, TasksState, "complete", str(work["today"]))
    assert connection.execute(select(Task.status).where(Task.id == work["today"])).scalar_one() == "done"


@pytest.mark.parametrize("name, args", [
    ("complete", ("999999",)), ("complete", ({"$ne": 1},)), ("open_reschedule", ("../1",)),
    ("open_reassign", ("1",)), ("reassign", ({"assignee_id": "1"},)), ("reschedule", ("2030-01-01T10:00",)),
    ("set_bucket", ("all",)), ("set_view", ("team",)),
])
def test_the_tasks_page_refuses_what_it_never_offered(page_state, actors, work, connection, name, args):
    st = page_state(TasksState, actors["rm_a1"])
    _call(st, TasksState, "load")
    _call(st, TasksState, name, *args)
    statuses = connection.execute(select(Task.status, Task.due_at, Task.assignee_id)).all()
    assert all(s == "open" and a == actors["rm_a1"].id for s, _, a in statuses)
    assert st.view == "mine" or st.error  # an RM's team view is refused by the service, in words


def test_a_team_lead_reassigns_from_the_team_view(page_state, actors, work, connection):
    st = page_state(TasksState, actors["lead_a1"])
    _call(st, TasksState, "set_view", "team")
    assert [r["id"] for r in st.rows] == [str(work["today"])] and st.rows[0]["assignee"] == "RM_A1"
    _call(st, TasksState, "open_reassign", str(work["today"]))
    assert {p["id"] for p in st.people} == {str(actors["rm_a1"].id), str(actors["lead_a1"].id)}
    _call(st, TasksState, "reassign", {"assignee_id": str(actors["rm_a2"].id)})  # not offered
    assert st.dialog_error and connection.execute(
        select(Task.assignee_id).where(Task.id == work["today"])).scalar_one() == actors["rm_a1"].id
    _call(st, TasksState, "reassign", {"assignee_id": str(actors["lead_a1"].id)})
    assert connection.execute(select(Task.assignee_id).where(Task.id == work["today"])).scalar_one() == \
        actors["lead_a1"].id


def test_the_ticket_page_takes_the_ticket_through_its_steps(page_state, actors, work, connection, monkeypatch):
    monkeypatch.setattr(TicketState, "_current_path", lambda self: f"/tickets/{work['ticket']}")
    st = page_state(TicketState, actors["rm_a1"])
    _call(st, TicketState, "load")
    assert st.found and st.facts["subject"] == "年费争议" and st.facts["category"]
    assert st.allowed == ["start", "resolve"] and not st.can_assign
    _call(st, TicketState, "step", "start")
    assert st.facts["status_code"] == "in_progress"
    _call(st, TicketState, "step", "close")  # not allowed now: refused in words, nothing changes
    assert st.page_error and connection.execute(
        select(Ticket.status).where(Ticket.id == work["ticket"])).scalar_one() == "in_progress"
    _call(st, TicketState, "open_dialog", "resolve")
    _call(st, TicketState, "submit_dialog", {"resolution": "fulfilled"})  # a service request's resolution
    assert st.dialog == "resolve" and st.dialog_error
    _call(st, TicketState, "submit_dialog", {"resolution": "upheld", "note": "退还年费"})
    assert st.dialog == "" and st.facts["status_code"] == "resolved" and st.facts["resolution_note"] == "退还年费"
    _call(st, TicketState, "step", "close")
    assert st.facts["status_code"] == "closed" and [s["step"] for s in st.steps][0] in ("已关闭", "Closed")
    _call(st, TicketState, "step", "close")  # closed twice: refused
    assert st.page_error


def test_another_branch_cannot_open_the_ticket_page(page_state, actors, work, monkeypatch):
    monkeypatch.setattr(TicketState, "_current_path", lambda self: f"/tickets/{work['ticket']}")
    st = page_state(TicketState, actors["rm_b1"])
    _call(st, TicketState, "load")
    assert not st.found and str(work["ticket"]) in st.page_error and st.facts == {}
    _call(st, TicketState, "step", "start")
    assert not st.found


def test_the_tickets_page_shows_queues_and_the_months_complaint_figures(page_state, actors, work):
    st = page_state(TicketsState, actors["rm_a1"])
    _call(st, TicketsState, "load")
    assert [r["id"] for r in st.rows] == [str(work["ticket"])] and st.stats_line == ""
    assert st.rows[0]["sla"] in ("剩余 1天0小时", "1 d 0 h left")
    _call(st, TicketsState, "set_queue", "everything")
    assert st.queue == "open"
    manager = page_state(TicketsState, actors["bm_a"])
    _call(manager, TicketsState, "set_view", "all")
    assert manager.rows and manager.stats_line


def test_the_360_page_warns_and_lists_the_customers_work(page_state, actors, work, uow_factory, monkeypatch):
    c = work["customer"]
    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                               data={"purpose": "contact", "granted": False, "channel": "phone"})
        uow.commit()
    monkeypatch.setattr(CustomerWorkState, "_current_path", lambda self: f"/customers/{c.id}")
    st = page_state(CustomerWorkState, actors["rm_a1"])
    _call(st, CustomerWorkState, "load")
    keys = [w["key"] for w in st.warnings]
    assert keys[0] == "dnc" and "complaints" in keys and st.do_not_contact
    assert [t["id"] for t in st.open_tasks] == [str(work["today"]), str(work["later"])]
    assert [t["id"] for t in st.tickets] == [str(work["ticket"])]
    assert {c["value"] for c in st.complaint_categories} >= {"complaint_card", "complaint_other"}
    _call(st, CustomerWorkState, "complete_task", str(work["today"]))
    assert [t["id"] for t in st.open_tasks] == [str(work["later"])]
    other = page_state(CustomerWorkState, actors["rm_b1"])
    _call(other, CustomerWorkState, "load")
    assert other.warnings == [] and other.open_tasks == [] and other.tickets == []
