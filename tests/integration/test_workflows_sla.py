"""SLA timers of approval tasks, run by the scheduled job on the one clock: a reminder when three quarters of
a step's SLA have passed, escalation to the step's `escalate_to` role when it is due (that role's inbox lists
it, and may act on it), each once, audited; the job is registered with the scheduler."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

import services.db as db
from services import clock
from services.security.models import AuditEvent
from services.workflows import engine, inbox, jobs
from services.workflows.models import ApprovalTask

from workflow_helpers import decide, open_tasks, start_loan, wf_actors  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


@pytest.fixture
def run_job(connection, monkeypatch):
    """The job as the scheduler runs it (its own units of work), on the test's transaction."""
    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    return jobs.run_sla


def _task(uow_factory, task_id) -> ApprovalTask:
    with uow_factory() as uow:
        t = uow.session.get(ApprovalTask, task_id)
        uow.session.expunge(t)
        return t


def test_reminder_then_escalation_on_the_clock(uow_factory, wf_actors, run_job, connection):
    t0 = clock.now().replace(microsecond=0)
    with clock.fixed(t0):
        inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task_id = open_tasks(uow_factory, inst)["Task_BranchApproval"]  # 24 h SLA, escalates to the branch manager
    assert _task(uow_factory, task_id).due_at == t0 + timedelta(hours=24)
    with clock.fixed(t0 + timedelta(hours=17)):
        assert run_job() == {"reminded": 0, "escalated": 0}
    with clock.fixed(t0 + timedelta(hours=18, minutes=1)):
        assert run_job() == {"reminded": 1, "escalated": 0}
        assert run_job() == {"reminded": 0, "escalated": 0}  # once
    assert _task(uow_factory, task_id).reminded_at == t0 + timedelta(hours=18, minutes=1)
    # Before it is due, the branch manager does not see it.
    with uow_factory() as uow:
        assert inbox.inbox(uow=uow, actor=wf_actors["bm_a"]).total == 0
    with clock.fixed(t0 + timedelta(hours=24, minutes=5)):
        assert run_job() == {"reminded": 0, "escalated": 1}
        assert run_job() == {"reminded": 0, "escalated": 0}
        with uow_factory() as uow:
            page = inbox.inbox(uow=uow, actor=wf_actors["bm_a"])
            assert [(i.task_id, i.escalated) for i in page.items] == [(task_id, True)]
            assert page.overdue == 1
            # The approver still sees it too, overdue.
            assert inbox.inbox(uow=uow, actor=wf_actors["approver_a"]).overdue == 1
        # The branch manager acts on it, in his own role (his authority covers it).
        result = decide(uow_factory, wf_actors["bm_a"], task_id, "approve", "超时升级后审批")
    assert result.outcome == "approved"
    t = _task(uow_factory, task_id)
    assert (t.escalated_to, t.acted_as) == ("branch_manager", "branch_manager")
    actions = [(a, json.loads(c)) for a, c in connection.execute(
        select(AuditEvent.action, AuditEvent.changes).where(AuditEvent.action.in_(
            ("approval.reminded", "approval.escalated"))).order_by(AuditEvent.seq))]
    assert [a for a, _ in actions] == ["approval.reminded", "approval.escalated"]
    assert actions[1][1]["to"] == "branch_manager"
    # The history shows both.
    with uow_factory() as uow:
        view = inbox.task_instance(uow=uow, actor=wf_actors["bm_a"], task_id=task_id)
    assert [h.kind for h in view.history] == ["submitted", "reminded", "escalated", "decided", "ended"]


def test_decided_tasks_are_neither_reminded_nor_escalated(uow_factory, wf_actors, run_job):
    t0 = clock.now().replace(microsecond=0)
    with clock.fixed(t0):
        inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    decide(uow_factory, wf_actors["approver_a"], open_tasks(uow_factory, inst)["Task_BranchApproval"])
    with clock.fixed(t0 + timedelta(days=5)):
        assert run_job() == {"reminded": 0, "escalated": 0}


def test_a_step_without_escalation_role_is_marked_overdue_only(uow_factory, wf_actors, run_job):
    t0 = clock.now().replace(microsecond=0)
    with clock.fixed(t0):
        inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=9_000_000)  # committee: 72 h, no escalation
    task_id = open_tasks(uow_factory, inst)["Task_Committee"]
    with clock.fixed(t0 + timedelta(hours=73)):
        assert run_job() == {"reminded": 1, "escalated": 1}
    t = _task(uow_factory, task_id)
    assert t.escalated_at is not None and t.escalated_to is None


def test_the_job_is_scheduled():
    from services import scheduler

    assert "services.workflows.jobs" in scheduler.JOB_MODULES
    assert [j.id for j in jobs.JOBS] == ["approval_sla"]
