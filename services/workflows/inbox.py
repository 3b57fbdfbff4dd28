"""The approval inbox: the open tasks an approver may act on (his roles in their data scope, and those of
whoever delegated to him for now), soonest due first, one page at a time; and an instance's current steps
and full history. Items the actor made or last changed are not listed: he may never decide them."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, OutOfScope, ValidationFailed
from services.security.actor import Actor
from services.security.policy import Permission, can_see_customer, permits, requires
from services.security.models import User
from services.validation.input import whole_number
from services.workflows.instances import grant_condition, grant_for, grants, makers
from services.workflows.models import (ApprovalTask, InstanceStatus, TaskStatus, WorkflowDefinition,
                                       WorkflowInstance, WorkflowVersion)
from services.workflows.views import HistoryEntry, InboxItem, InboxPage, InstanceView, StepView

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _not_mine(actor: Actor):
    """Items the actor did not make or last change (maker-checker), and not made by whoever he acts for is
    decided per task (the delegation), so only his own are left out here."""
    me = actor.id
    return and_(or_(WorkflowInstance.started_by.is_(None), WorkflowInstance.started_by != me),
                or_(WorkflowInstance.last_edited_by.is_(None), WorkflowInstance.last_edited_by != me))


@requires(Permission.APPROVAL_DECIDE)
def inbox(*, uow: UnitOfWork, actor: Actor, page: Any = 1, page_size: Any = PAGE_SIZE,
          subject_type: Any = None) -> InboxPage:
    """Open approval tasks the actor may act on now, the ones due soonest first (then the oldest)."""
    s = uow.session
    p = whole_number(page, low=1, high=100_000) or 1
    size = whole_number(page_size, low=1, high=MAX_PAGE_SIZE + 1) or PAGE_SIZE
    if subject_type not in (None, "", "loan_application", "underwriting_case"):
        raise ValidationFailed([FieldError("subject_type", "value.invalid")])
    gs = grants(s, actor)
    condition = grant_condition(gs)
    if condition is None:
        return InboxPage(items=[], total=0, overdue=0, page=1, page_size=size)
    where = [ApprovalTask.status == TaskStatus.OPEN, ApprovalTask.role.is_not(None),
             WorkflowInstance.status == InstanceStatus.RUNNING, condition, _not_mine(actor)]
    if subject_type:
        where.append(WorkflowInstance.subject_type == subject_type)
    base = select(ApprovalTask.id).join(WorkflowInstance, WorkflowInstance.id == ApprovalTask.instance_id).where(*where)
    now = clock.now()
    total, overdue = s.execute(select(func.count(), func.count().filter(ApprovalTask.due_at < now))
                               .select_from(ApprovalTask)
                               .join(WorkflowInstance, WorkflowInstance.id == ApprovalTask.instance_id)
                               .where(*where)).one()
    pages = max(1, -(-total // size))
    p = min(p, pages)
    rows = s.execute(
        select(ApprovalTask.id, ApprovalTask.instance_id, ApprovalTask.step_id, ApprovalTask.step_name,
               ApprovalTask.role,
               ApprovalTask.escalated_to, ApprovalTask.opened_at, ApprovalTask.due_at, ApprovalTask.reminded_at,
               ApprovalTask.round, WorkflowInstance.subject_type, WorkflowInstance.subject_id,
               WorkflowInstance.subject_ref, WorkflowInstance.customer_id, WorkflowInstance.product_type,
               WorkflowInstance.amount, WorkflowInstance.risk_grade, WorkflowInstance.branch_id, Customer.name)
        .join(WorkflowInstance, WorkflowInstance.id == ApprovalTask.instance_id)
        .outerjoin(Customer, Customer.id == WorkflowInstance.customer_id)
        .where(*where)
        .order_by(ApprovalTask.due_at.is_(None), ApprovalTask.due_at, ApprovalTask.id)
        .limit(size).offset((p - 1) * size)).all()
    items = []
    for r in rows:
        own = [g for g in gs if g.on_behalf_of is None]
        as_task = ApprovalTask(role=r.role, escalated_to=r.escalated_to)
        as_inst = WorkflowInstance(branch_id=r.branch_id)
        behalf = "" if grant_for(own, as_task, as_inst) else (grant_for(gs, as_task, as_inst).on_behalf_of_name or "")
        items.append(InboxItem(task_id=r.id, instance_id=r.instance_id, subject_type=r.subject_type,
                               subject_id=r.subject_id, subject_ref=r.subject_ref, customer_id=r.customer_id,
                               customer_name=r.name or "", product_type=r.product_type, amount=r.amount,
                               risk_grade=r.risk_grade, step_name=r.step_name, role=r.role, opened_at=r.opened_at,
                               due_at=r.due_at, escalated=r.escalated_to is not None,
                               reminded=r.reminded_at is not None, round=r.round, on_behalf_of=behalf,
                               step_id=r.step_id))
    return InboxPage(items=items, total=total, overdue=overdue, page=p, page_size=size)


# ---------------------------------------------------------------- one instance

def _may_see(s: Session, actor: Actor, inst: WorkflowInstance) -> bool:
    """Whoever may see the item's customer and read its kind, and whoever may act on one of its tasks."""
    readable = {"loan_application": Permission.LOAN_READ, "underwriting_case": Permission.UNDERWRITING_READ}
    needed = readable.get(inst.subject_type)
    if needed is not None and permits(actor, needed) and inst.customer_id is not None:
        c = s.get(Customer, inst.customer_id)
        from services.security.policy import client_has_customer

        if c is not None and can_see_customer(actor, owner_id=c.owner_id, team_id=c.team_id, branch_id=c.branch_id,
                                              linked_to_client=client_has_customer(s, actor, c.id)):
            return True
    gs = grants(s, actor)
    if gs:
        for t in s.execute(select(ApprovalTask).where(ApprovalTask.instance_id == inst.id)).scalars():
            if grant_for(gs, t, inst):
                return True
    return False


def view(s: Session, actor: Actor, inst: WorkflowInstance) -> InstanceView:
    """The instance as `actor` sees it (the caller checked he may): current steps, history, his own task."""
    tasks = list(s.execute(select(ApprovalTask).where(ApprovalTask.instance_id == inst.id)
                           .order_by(ApprovalTask.opened_at, ApprovalTask.id)).scalars())
    users = {u.id: u.display_name for u in s.execute(select(User).where(User.id.in_(
        {t.assignee_id for t in tasks if t.assignee_id} or {-1}))).scalars()}
    current = [StepView(task_id=t.id, step_id=t.step_id, step_name=t.step_name, role=t.role,
                        assignee=users.get(t.assignee_id) if t.assignee_id else None, opened_at=t.opened_at,
                        due_at=t.due_at, escalated_to=t.escalated_to, reminded=t.reminded_at is not None)
               for t in tasks if t.status == TaskStatus.OPEN]
    history = [HistoryEntry(kind="submitted", at=inst.started_at, who=inst.started_by_name)]
    for t in tasks:
        if t.reminded_at:
            history.append(HistoryEntry(kind="reminded", at=t.reminded_at, step_name=t.step_name, role=t.role,
                                        step_id=t.step_id))
        if t.escalated_at:
            history.append(HistoryEntry(kind="escalated", at=t.escalated_at, step_name=t.step_name, role=t.role,
                                        step_id=t.step_id,
                                        acted_as=t.escalated_to))
        if t.decided_at and t.status in (TaskStatus.DONE, TaskStatus.WITHDRAWN):
            history.append(HistoryEntry(kind="decided" if t.status == TaskStatus.DONE else "withdrawn",
                                        at=t.decided_at, who=t.decided_by_name or "",
                                        on_behalf_of=t.on_behalf_of_name or "", step_name=t.step_name, role=t.role,
                                        step_id=t.step_id,
                                        decision=t.decision, comment=t.comment or "", acted_as=t.acted_as))
    if inst.ended_at:
        history.append(HistoryEntry(kind="cancelled" if inst.status == InstanceStatus.CANCELLED else "ended",
                                    at=inst.ended_at, decision=inst.outcome))
    history.sort(key=lambda h: h.at)
    mine = None
    if actor.kind == "user" and actor.id not in makers(inst) and inst.status == InstanceStatus.RUNNING:
        gs = grants(s, actor)
        for t in tasks:
            if t.status == TaskStatus.OPEN and t.role is not None and grant_for(gs, t, inst):
                mine = t.id
                break
    d = s.get(WorkflowDefinition, inst.definition_id)
    v = s.get(WorkflowVersion, inst.version_id)
    return InstanceView(id=inst.id, definition_key=d.key, version=v.version, subject_type=inst.subject_type,
                        subject_id=inst.subject_id, subject_ref=inst.subject_ref, customer_id=inst.customer_id,
                        product_type=inst.product_type, risk_grade=inst.risk_grade, amount=inst.amount,
                        status=inst.status, outcome=inst.outcome, route=inst.route, round=inst.round,
                        started_by=inst.started_by_name, started_at=inst.started_at, ended_at=inst.ended_at,
                        current=current, history=history, my_task_id=mine)


@requires(Permission.APPROVAL_DECIDE, Permission.LOAN_READ, Permission.UNDERWRITING_READ)
def task_instance(*, uow: UnitOfWork, actor: Actor, task_id: Any) -> InstanceView:
    """The instance an approval task belongs to, for whoever may see it."""
    s = uow.session
    tid = whole_number(task_id, low=1, high=2**31)
    if tid is None:
        raise ValidationFailed([FieldError("task_id", "value.invalid")])
    task = s.get(ApprovalTask, tid)
    inst = s.get(WorkflowInstance, task.instance_id) if task is not None else None
    if inst is None:
        raise NotFound(what="approval_task", id=tid)
    if not _may_see(s, actor, inst):
        raise OutOfScope(actor=actor, entity_type="approval_task", entity_id=tid, what="approval_task", id=tid)
    return view(s, actor, inst)


def instance_for_subject(s: Session, subject_type: str, subject_id: int) -> WorkflowInstance | None:
    """The newest instance of a subject (the subject domains show it with their item)."""
    return s.execute(select(WorkflowInstance).where(WorkflowInstance.subject_type == subject_type,
                                                    WorkflowInstance.subject_id == subject_id)
                     .order_by(WorkflowInstance.id.desc()).limit(1)).scalar_one_or_none()
