"""SLA timers of approval tasks, kept by a scheduled job (services/workflows/jobs.py) on the one clock.

A step's SLA (its `sla_hours` property) sets the task's due time when it opens. When three quarters of it have
passed the task is marked reminded (the inbox shows it, and the history); when it is due and its step names an
`escalate_to` role, that role may act on it too (its inbox lists it, marked escalated), and an
`ApprovalTaskEscalated` event goes out. Each task is changed under its instance's lock and checked again there,
so two runs never remind or escalate twice.

Why not BPMN timer boundary events: SpiffWorkflow fires timers only when a process refreshes each waiting
instance, against the server's wall clock (datetime.now in its TimerEventDefinition), not FinCRM's clock; a job
reading one indexed column is also cheaper than loading 10,000 instances to ask each whether a timer is due.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, select, update
from sqlmodel import Session

from services import clock
from services.events import bus
from services.security import audit
from services.security.actor import Actor
from services.security.models import Role
from services.workflows import definitions
from services.workflows.events import ApprovalTaskEscalated
from services.workflows.instances import REMINDER_SHARE
from services.workflows.models import ApprovalTask, InstanceStatus, TaskStatus, WorkflowInstance, WorkflowVersion

log = logging.getLogger(__name__)
BATCH = 500
# Who the SLA job is audited as.
SLA_ACTOR = Actor(kind="system", id=None, name="approval-sla", roles=frozenset({Role.ADMIN.value}))


def due_for_reminder(session: Session, limit: int = BATCH) -> list[int]:
    """Open tasks with an SLA, not reminded, opened at least 3/4 of their SLA ago (approximated in SQL by
    the due time: reminded when now >= due - SLA/4, i.e. opened + 3/4 SLA)."""
    now = clock.now()
    rows = session.execute(select(ApprovalTask.id, ApprovalTask.opened_at, ApprovalTask.due_at).where(
        ApprovalTask.status == TaskStatus.OPEN, ApprovalTask.due_at.is_not(None), ApprovalTask.reminded_at.is_(None),
        ApprovalTask.opened_at < now).order_by(ApprovalTask.due_at, ApprovalTask.id).limit(limit * 4)).all()
    out = []
    for tid, opened, due in rows:
        if opened + (due - opened) * REMINDER_SHARE <= now:
            out.append(tid)
        if len(out) >= limit:
            break
    return out


def due_for_escalation(session: Session, limit: int = BATCH) -> list[int]:
    return list(session.execute(select(ApprovalTask.id).where(
        ApprovalTask.status == TaskStatus.OPEN, ApprovalTask.due_at < clock.now(),
        ApprovalTask.escalated_at.is_(None), ApprovalTask.role.is_not(None))
        .order_by(ApprovalTask.due_at, ApprovalTask.id).limit(limit)).scalars())


def _locked(session: Session, task_id: int) -> tuple[ApprovalTask | None, WorkflowInstance | None]:
    task = session.get(ApprovalTask, task_id)
    if task is None:
        return None, None
    inst = session.execute(select(WorkflowInstance).where(WorkflowInstance.id == task.instance_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    session.refresh(task)
    return task, inst


def remind(session: Session, task_id: int) -> bool:
    task, inst = _locked(session, task_id)
    now = clock.now()
    if task is None or task.status != TaskStatus.OPEN or task.reminded_at is not None or task.due_at is None:
        return False
    if task.opened_at + (task.due_at - task.opened_at) * REMINDER_SHARE > now:
        return False
    task.reminded_at = now
    audit.record(session, SLA_ACTOR, "approval.reminded", entity_type="approval_task", entity_id=task.id,
                 changes={"instance": task.instance_id, "step": task.step_id, "due_at": task.due_at.isoformat()})
    return True


def escalate(session: Session, task_id: int) -> bool:
    task, inst = _locked(session, task_id)
    now = clock.now()
    if (task is None or inst is None or task.status != TaskStatus.OPEN or task.escalated_at is not None
            or task.due_at is None or task.due_at >= now or inst.status != InstanceStatus.RUNNING):
        return False
    version = session.get(WorkflowVersion, inst.version_id)
    step = definitions.compiled_version(version).steps.get(task.step_id)
    target = step.escalate_to if step is not None else None
    task.escalated_at = now  # past due either way: marked once, whether or not someone else is named
    task.escalated_to = target
    audit.record(session, SLA_ACTOR, "approval.escalated", entity_type="approval_task", entity_id=task.id,
                 changes={"instance": inst.id, "step": task.step_id, "to": target, "due_at": task.due_at.isoformat()})
    if target:
        bus.publish(session, ApprovalTaskEscalated(task_id=task.id, instance_id=inst.id, escalated_to=target))
    return True
