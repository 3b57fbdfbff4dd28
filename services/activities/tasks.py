"""Tasks: what people have to do, when, and for which customer.

"My tasks" splits the open ones by their due time in the firm's time zone: overdue (due before now), today (due
from now to the end of the day) and upcoming; done ones are listed last-completed first. A task is added with a
due time that is not in the past; it is completed or rescheduled by its assignee or by whoever directs them, and
handed to someone else (reassigned) only by a team lead or branch manager, within their scope. Each change is
audited; a change of a task that is no longer open is refused (audited too).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from services import clock
from services.activities import access
from services.activities.errors import TaskNotOpen
from services.activities.models import Task, TaskKind, TaskPriority, TaskStatus, Ticket
from services.activities.views import Person, TaskItem, TaskPage
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, can_see_customer, permits, requires
from services.validation.dates import CLOCK_SKEW, BusinessTime
from services.validation.input import RowId, StrictInput, parse

BUCKETS = ("overdue", "today", "upcoming", "done")
VIEWS = ("mine", "team")
# A due time picked as "now" in a form is in the past by the time it arrives: allow the same few minutes
# that a sender's clock may be off.
DUE_GRACE = CLOCK_SKEW


class TaskCreate(StrictInput):
    title: str = Field(min_length=1, max_length=200)
    due_at: BusinessTime
    priority: TaskPriority = TaskPriority.NORMAL


class TaskQuery(StrictInput):
    view: Literal["mine", "team"] = "mine"
    bucket: Literal["overdue", "today", "upcoming", "done"] = "today"
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=20, ge=1, le=100)


class Reschedule(StrictInput):
    due_at: BusinessTime


class Reassign(StrictInput):
    assignee_id: RowId


def _staff(actor: Actor) -> None:
    # A task names the people who made and own it; the firm's own processes make none through these doors.
    if actor.kind not in ("user", "api_client"):
        raise NotPermitted(actor=actor)


def _not_past(due_at: datetime) -> None:
    if due_at < clock.now() - DUE_GRACE:
        raise ValidationFailed([FieldError("due_at", "task.due_in_past")])


# ---------------------------------------------------------------- adding

@requires(Permission.RECORD_WRITE)
def add_task(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Task:
    """A task for a customer, with the customer's RM (a team lead adding one for an RM's customer gives it to
    the RM). Its due time may not lie in the past."""
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(TaskCreate, data)
    _not_past(req.due_at)
    creator = actor.id if actor.kind == "user" else c.owner_id
    row = Task(customer_id=c.id, assignee_id=c.owner_id, created_by_id=creator, title=req.title, due_at=req.due_at,
               priority=req.priority, kind=TaskKind.FOLLOW_UP, created_at=clock.now())
    s.add(row)
    s.flush()
    audit.record(s, actor, "task.create", entity_type="customer", entity_id=c.id,
                 changes={"task_id": row.id, "title": req.title, "due_at": req.due_at, "assignee_id": c.owner_id})
    return row


# ---------------------------------------------------------------- lists

def _bounds() -> tuple[datetime, datetime]:
    """(now, the start of tomorrow) in the firm's zone, as UTC instants."""
    return clock.now(), clock.start_of_day(clock.today() + timedelta(days=1))


def _bucket_condition(bucket: str, now: datetime, tomorrow: datetime):
    is_open = Task.status == TaskStatus.OPEN
    if bucket == "overdue":
        return and_(is_open, Task.due_at < now)
    if bucket == "today":
        return and_(is_open, Task.due_at >= now, Task.due_at < tomorrow)
    if bucket == "upcoming":
        return and_(is_open, or_(Task.due_at >= tomorrow, Task.due_at.is_(None)))
    return Task.status == TaskStatus.DONE


_ORDER = {
    "overdue": (Task.due_at.asc(), Task.id.asc()),
    "today": (Task.due_at.asc(), Task.id.asc()),
    "upcoming": (Task.due_at.is_(None).asc(), Task.due_at.asc(), Task.id.asc()),
    # Tasks done before completion times were kept have none: they come last on both databases.
    "done": (Task.completed_at.is_(None).asc(), Task.completed_at.desc(), Task.id.desc()),
}


def _whose(actor: Actor, view: str):
    if view == "team":
        if not permits(actor, Permission.TASK_REASSIGN):
            raise NotPermitted("task.team_view_refused", actor=actor, permission=Permission.TASK_REASSIGN)
        return access.team_tasks(actor)
    if actor.kind != "user" or actor.id is None:
        return Task.id.is_(None)  # nobody assigns tasks to systems
    return Task.assignee_id == actor.id


def _items(s: Session, actor: Actor, where, order, offset: int, limit: int) -> list[TaskItem]:
    now = clock.now()
    rows = s.execute(
        select(Task, Customer.name, Customer.owner_id, Customer.team_id, Customer.branch_id, User.display_name,
               Ticket.subject)
        .outerjoin(Customer, Customer.id == Task.customer_id).join(User, User.id == Task.assignee_id)
        .outerjoin(Ticket, Ticket.id == Task.ticket_id)
        .where(where).order_by(*order).offset(offset).limit(limit)).all()
    out = []
    for t, cname, owner_id, team_id, branch_id, assignee, subject in rows:
        visible = cname is not None and can_see_customer(actor, owner_id=owner_id, team_id=team_id,
                                                                branch_id=branch_id)
        out.append(TaskItem(
            id=t.id, title=t.title, kind=t.kind, status=t.status, priority=t.priority, due_at=t.due_at,
            overdue=t.status == TaskStatus.OPEN and t.due_at is not None and t.due_at < now,
            customer_id=t.customer_id if visible else None,
            customer_name=None if cname is None else (cname if visible else access.masked_name(cname)),
            assignee_id=t.assignee_id, assignee_name=assignee, ticket_id=t.ticket_id,
            ticket_subject=subject if visible else None, completed_at=t.completed_at))
    return out


@requires(Permission.CUSTOMER_READ)
def list_tasks(*, uow: UnitOfWork, actor: Actor, query: Any = None) -> TaskPage:
    """One page of the actor's tasks ("mine") or of the people they direct ("team": task.reassign), in one
    bucket, with the number of open tasks in each bucket."""
    q = parse(TaskQuery, query or {})
    s = uow.session
    whose = _whose(actor, q.view)
    now, tomorrow = _bounds()
    counts_row = s.execute(select(*[
        func.coalesce(func.sum(case((_bucket_condition(b, now, tomorrow), 1), else_=0)), 0)
        for b in ("overdue", "today", "upcoming")]).select_from(Task).where(whose, Task.status == TaskStatus.OPEN)
    ).one()
    counts = dict(zip(("overdue", "today", "upcoming"), (int(x) for x in counts_row)))
    where = and_(whose, _bucket_condition(q.bucket, now, tomorrow))
    total = counts[q.bucket] if q.bucket in counts else s.execute(
        select(func.count()).select_from(Task).where(where)).scalar_one()
    items = _items(s, actor, where, _ORDER[q.bucket], (q.page - 1) * q.page_size, q.page_size)
    return TaskPage(items=items, page=q.page, page_size=q.page_size, total=total, counts=counts)


@requires(Permission.CUSTOMER_READ)
def customer_tasks(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 20) -> list[TaskItem]:
    """The customer's open tasks, soonest due first (the 360 page), whoever they are assigned to."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    n = limit if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 100 else 20
    return _items(s, actor, and_(Task.customer_id == c.id, Task.status == TaskStatus.OPEN),
                  (Task.due_at.is_(None).asc(), Task.due_at.asc(), Task.id.asc()), 0, n)


def _item(s: Session, actor: Actor, task: Task) -> TaskItem:
    return _items(s, actor, Task.id == task.id, (Task.id.asc(),), 0, 1)[0]


# ---------------------------------------------------------------- working a task

def _open(actor: Actor, task: Task) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskNotOpen(actor=actor, entity_type="task", entity_id=task.id, status=task.status,
                          audit_details={"status": task.status})


@requires(Permission.RECORD_WRITE)
def complete_task(*, uow: UnitOfWork, actor: Actor, task_id: Any) -> TaskItem:
    s = uow.session
    task = access.load_task(s, actor, task_id)
    _open(actor, task)
    now = clock.now()
    task.status, task.completed_at = TaskStatus.DONE, now
    task.completed_by_id = actor.id if actor.kind == "user" else None
    s.flush()
    audit.record(s, actor, "task.complete", entity_type="task", entity_id=task.id,
                 changes={"customer_id": task.customer_id, "assignee_id": task.assignee_id, "due_at": task.due_at})
    return _item(s, actor, task)


@requires(Permission.RECORD_WRITE)
def reschedule_task(*, uow: UnitOfWork, actor: Actor, task_id: Any, data: Any) -> TaskItem:
    s = uow.session
    task = access.load_task(s, actor, task_id)
    req = parse(Reschedule, data)
    _open(actor, task)
    _not_past(req.due_at)
    before = task.due_at
    task.due_at = req.due_at
    s.flush()
    audit.record(s, actor, "task.reschedule", entity_type="task", entity_id=task.id,
                 changes={"customer_id": task.customer_id, "due_at": {"before": before, "after": req.due_at}})
    return _item(s, actor, task)


@requires(Permission.TASK_REASSIGN)
def reassign_task(*, uow: UnitOfWork, actor: Actor, task_id: Any, data: Any) -> TaskItem:
    """Hand an open task to an active colleague in the actor's scope who may see its customer."""
    s = uow.session
    task = access.load_task(s, actor, task_id)
    req = parse(Reassign, data)
    _open(actor, task)
    customer = None if task.customer_id is None else s.get(Customer, task.customer_id)
    user = access.check_assignee(s, actor, req.assignee_id, needs=Permission.RECORD_WRITE, customer=customer,
                                 refusal="task.assignee_out_of_scope")
    if user.id != task.assignee_id:
        before = task.assignee_id
        task.assignee_id = user.id
        s.flush()
        audit.record(s, actor, "task.reassign", entity_type="task", entity_id=task.id,
                     changes={"customer_id": task.customer_id, "assignee_id": {"before": before, "after": user.id}})
    return _item(s, actor, task)


@requires(Permission.TASK_REASSIGN)
def task_assignees(*, uow: UnitOfWork, actor: Actor, task_id: Any) -> list[Person]:
    """Whom the actor may hand this task to."""
    s = uow.session
    task = access.load_task(s, actor, task_id, lock=False)
    customer = None if task.customer_id is None else s.get(Customer, task.customer_id)
    return [Person(id=u.id, name=u.display_name, team_id=u.team_id)
            for u in access.assignable_people(s, actor, needs=Permission.RECORD_WRITE, customer=customer)]
