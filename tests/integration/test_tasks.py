"""Tasks (issue 9, point 2): "My tasks" split into overdue / today / upcoming in the firm's time zone, a due time
that is not in the past, complete / reschedule by the assignee or their lead, reassign by team leads within their
scope, and every bad input refused with nothing written and the refusal audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services import clock
from services.activities import tasks
from services.activities.errors import TaskNotOpen
from services.activities.models import Task
from services.errors import NotPermitted, OutOfScope, Refusal, ValidationFailed
from services.security.models import AuditEvent

# 10:00 in Shanghai on 2026-11-20 (02:00 UTC): "today" ends at 16:00 UTC.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


def _refusals(connection) -> list[str]:
    return [c for (c,) in connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "access.refused")
                                             .order_by(AuditEvent.seq))]


def _add(uow_factory, actor, customer_id, title, due, **extra):
    with uow_factory() as uow:
        t = tasks.add_task(uow=uow, actor=actor, customer_id=customer_id,
                           data={"title": title, "due_at": due.isoformat(), **extra})
        uow.commit()
    return t.id


@pytest.fixture
def book(uow_factory, actors, new_customer):
    """rm_a1's customer with tasks overdue, today, tomorrow (past midnight local), and rm_a1b's own."""
    mine = new_customer("rm_a1", name="王芳")
    other = new_customer("rm_a1b", name="赵强")
    ids = {}
    with clock.fixed(NOW - timedelta(days=3)):
        ids["overdue"] = _add(uow_factory, actors["rm_a1"], mine.id, "回访", NOW - timedelta(days=1))
    ids["today"] = _add(uow_factory, actors["rm_a1"], mine.id, "寄送对账单", NOW + timedelta(hours=5))
    # 00:30 local on the 21st is 16:30 UTC on the 20th: the UTC date says today, the firm's calendar tomorrow.
    ids["tomorrow"] = _add(uow_factory, actors["rm_a1"], mine.id, "预约面谈", datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc))
    ids["colleague"] = _add(uow_factory, actors["rm_a1b"], other.id, "生日礼品", NOW + timedelta(hours=1))
    return {"mine": mine, "other": other, **ids}


def _page(uow_factory, actor, **query):
    with uow_factory() as uow:
        return tasks.list_tasks(uow=uow, actor=actor, query=query)


def test_my_tasks_are_split_by_the_firms_day(uow_factory, actors, book):
    rm = actors["rm_a1"]
    page = _page(uow_factory, rm, bucket="today")
    assert page.counts == {"overdue": 1, "today": 1, "upcoming": 1}
    assert [t.id for t in page.items] == [book["today"]]
    assert [t.id for t in _page(uow_factory, rm, bucket="overdue").items] == [book["overdue"]]
    assert _page(uow_factory, rm, bucket="overdue").items[0].overdue
    assert [t.id for t in _page(uow_factory, rm, bucket="upcoming").items] == [book["tomorrow"]]
    item = page.items[0]
    assert item.customer_name == "王芳" and item.customer_id == book["mine"].id and item.assignee_name == "RM_A1"


def test_a_due_time_in_the_past_is_refused_and_nothing_is_written(uow_factory, actors, book, connection):
    before = connection.execute(select(func.count()).select_from(Task)).scalar_one()
    for due in (NOW - timedelta(minutes=30), None, "2026-11-21T10:00:00"):
        with pytest.raises(ValidationFailed) as err, uow_factory() as uow:
            tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=book["mine"].id,
                           data={"title": "x", **({} if due is None else
                                                 {"due_at": due if isinstance(due, str) else due.isoformat()})})
        assert err.value.errors[0].field == "due_at"
        assert err.value.message("zh_CN").startswith("截止时间") and err.value.message("en")
    assert connection.execute(select(func.count()).select_from(Task)).scalar_one() == before
    # A due time picked as "now" a minute ago is accepted.
    _add(uow_factory, actors["rm_a1"], book["mine"].id, "now", NOW - timedelta(minutes=1))


def test_complete_and_complete_again(uow_factory, actors, book, connection):
    rm = actors["rm_a1"]
    with uow_factory() as uow:
        done = tasks.complete_task(uow=uow, actor=rm, task_id=book["today"])
        uow.commit()
    assert done.status == "done" and done.completed_at == NOW
    assert _page(uow_factory, rm).counts["today"] == 0
    assert [t.id for t in _page(uow_factory, rm, bucket="done").items] == [book["today"]]
    audited = connection.execute(select(AuditEvent.action).where(AuditEvent.entity_type == "task")).scalars().all()
    assert audited == ["task.complete"]
    with pytest.raises(TaskNotOpen) as err:
        with uow_factory() as uow:
            tasks.complete_task(uow=uow, actor=rm, task_id=book["today"])
    assert "完成" in err.value.message("zh_CN") and "already done" in err.value.message("en")
    assert '"refused":"task.not_open"' in _refusals(connection)[-1]


def test_reschedule_moves_the_task_but_never_into_the_past(uow_factory, actors, book, connection):
    rm = actors["rm_a1"]
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        tasks.reschedule_task(uow=uow, actor=rm, task_id=book["overdue"],
                              data={"due_at": (NOW - timedelta(hours=1)).isoformat()})
    with uow_factory() as uow:
        moved = tasks.reschedule_task(uow=uow, actor=rm, task_id=book["overdue"],
                                      data={"due_at": (NOW + timedelta(days=3)).isoformat()})
        uow.commit()
    assert moved.due_at == NOW + timedelta(days=3) and not moved.overdue
    assert _page(uow_factory, rm).counts == {"overdue": 0, "today": 1, "upcoming": 2}


def test_someone_elses_task_is_not_found_and_the_attempt_audited(uow_factory, actors, book, connection):
    for actor in (actors["rm_a1b"], actors["rm_b1"], actors["rm_a2"]):
        with pytest.raises(OutOfScope) as err, uow_factory() as uow:
            tasks.complete_task(uow=uow, actor=actor, task_id=book["today"])
        assert err.value.message("en") == f"Not found: task {book['today']}."
    assert connection.execute(select(Task.status).where(Task.id == book["today"])).scalar_one() == "open"
    assert len(_refusals(connection)) == 3


def test_a_team_lead_sees_the_teams_tasks_and_an_rm_does_not(uow_factory, actors, book, new_customer):
    other_team = new_customer("rm_a2", name="钱七")
    far = _add(uow_factory, actors["rm_a2"], other_team.id, "别组任务", NOW + timedelta(hours=2))
    page = _page(uow_factory, actors["lead_a1"], view="team", bucket="today")
    assert {t.id for t in page.items} == {book["today"], book["colleague"]}
    assert far not in {t.id for t in _page(uow_factory, actors["lead_a1"], view="team", bucket="today").items}
    branch = _page(uow_factory, actors["bm_a"], view="team", bucket="today")
    assert {book["today"], book["colleague"], far} <= {t.id for t in branch.items}
    with pytest.raises(NotPermitted) as err, uow_factory() as uow:
        tasks.list_tasks(uow=uow, actor=actors["rm_a1"], query={"view": "team"})
    assert "team" in err.value.message("en")
    # The lead completes a team member's task.
    with uow_factory() as uow:
        assert tasks.complete_task(uow=uow, actor=actors["lead_a1"], task_id=book["colleague"]).status == "done"


def test_reassignment_stays_inside_the_leads_scope(uow_factory, actors, book, connection):
    lead, rm = actors["lead_a1"], actors["rm_a1"]
    # rm_a1b (same team) may not see rm_a1's customer; rm_a2 is in another team: both refused, audited.
    for target in ("rm_a1b", "rm_a2", "rm_b1", "admin"):
        with pytest.raises(NotPermitted) as err, uow_factory() as uow:
            tasks.reassign_task(uow=uow, actor=lead, task_id=book["today"],
                                data={"assignee_id": actors[target].id})
        assert "scope" in err.value.message("en") and "管辖范围" in err.value.message("zh_CN")
    assert len(_refusals(connection)) == 4
    assert connection.execute(select(Task.assignee_id).where(Task.id == book["today"])).scalar_one() == rm.id
    # An RM may not reassign at all.
    with pytest.raises(NotPermitted), uow_factory() as uow:
        tasks.reassign_task(uow=uow, actor=rm, task_id=book["today"], data={"assignee_id": lead.id})
    with uow_factory() as uow:
        people = tasks.task_assignees(uow=uow, actor=lead, task_id=book["today"])
        assert {p.id for p in people} == {rm.id, lead.id}
        moved = tasks.reassign_task(uow=uow, actor=lead, task_id=book["today"], data={"assignee_id": lead.id})
        uow.commit()
    assert moved.assignee_id == lead.id
    assert connection.execute(select(AuditEvent.action).where(AuditEvent.action == "task.reassign")).scalar_one()
    # The branch manager may hand it back.
    with uow_factory() as uow:
        assert tasks.reassign_task(uow=uow, actor=actors["bm_a"], task_id=book["today"],
                                   data={"assignee_id": rm.id}).assignee_id == rm.id


@pytest.mark.parametrize("query", [{"bucket": "yesterday"}, {"view": "all"}, {"page": 0}, {"page_size": 1000},
                                   {"bucket": ["today"]}, {"extra": 1}, "today"])
def test_hostile_list_queries_are_refused(uow_factory, actors, book, query):
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        tasks.list_tasks(uow=uow, actor=actors["rm_a1"], query=query)


@pytest.mark.parametrize("task_id", [True, -1, 0, 2**40, "1", None, 1.5])
def test_hostile_task_ids_are_refused(uow_factory, actors, book, task_id):
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        tasks.complete_task(uow=uow, actor=actors["rm_a1"], task_id=task_id)


def test_auditors_read_but_never_work_tasks(uow_factory, actors, book):
    with pytest.raises(Refusal), uow_factory() as uow:
        tasks.complete_task(uow=uow, actor=actors["auditor"], task_id=book["today"])
    with uow_factory() as uow:
        assert tasks.list_tasks(uow=uow, actor=actors["auditor"], query={}).items == []
        assert [t.id for t in tasks.customer_tasks(uow=uow, actor=actors["auditor"], customer_id=book["mine"].id)] == \
            [book["overdue"], book["today"], book["tomorrow"]]
