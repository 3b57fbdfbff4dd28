"""Tickets: service requests and complaints, from receipt to closure.

Lifecycle (STEPS says which step leads from where to where):

    new --assign--> assigned --start--> in progress <--wait/resume--> waiting for customer
    assigned / in progress / waiting --resolve--> resolved --close--> closed
    resolved / closed --reopen (within the category's period)--> in progress

A ticket is received into the queue as `new`; an RM who opens one for their own customer works it at once
(`assigned` to them). Anyone who works tickets (ticket.work) may take a new ticket of a customer they see;
handing a ticket to someone else is a supervisor's step (ticket.assign), to an active colleague in their scope
who may see the customer. The other steps are the assignee's or a supervisor's. A step the lifecycle does not
allow from the ticket's status (a ticket closed twice) is refused and audited.

Each ticket's SLA deadline comes from its category and priority (services/activities/categories.py); the
scheduler flags tickets that pass it and escalates them to a team lead (services/activities/jobs.py). The clock
does not stop while waiting for the customer: complaint rules count from receipt. Every step writes a
TicketEvent (the ticket's history and the customer's timeline) and an audit event in one transaction.
Complaints carry what complaint statistics count: channel, category, reason, resolution, days to resolve.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from services import clock
from services.activities import access, categories
from services.activities.errors import TicketStepRefused
from services.activities.models import (OPEN_TICKET_STATUSES, RESOLUTIONS, ComplaintReason, TaskPriority, Ticket,
                                        TicketCategory, TicketEvent, TicketKind, TicketStatus)
from services.activities.views import Person, TicketDetail, TicketItem, TicketPage, TicketStep
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, Refusal, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, customer_scope_filter, permits, requires
from services.validation.input import RowId, StrictInput, parse

S = TicketStatus
TICKET_CHANNELS = ("branch", "phone", "app", "online", "letter", "regulator")
ENDED = (S.RESOLVED, S.CLOSED)


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a reassignment)


STEPS: dict[str, Step] = {
    "assign": Step((S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER), None),
    "start": Step((S.ASSIGNED,), S.IN_PROGRESS),
    "wait": Step((S.IN_PROGRESS,), S.WAITING_CUSTOMER),
    "resume": Step((S.WAITING_CUSTOMER,), S.IN_PROGRESS),
    "resolve": Step((S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER), S.RESOLVED),
    "close": Step((S.RESOLVED,), S.CLOSED),
    "reopen": Step((S.RESOLVED, S.CLOSED), S.IN_PROGRESS),
}


class ReopenPeriodOver(Refusal):
    code = "ticket.reopen_expired"
    http_status = 409

    def message(self, locale: str) -> str:
        from services.i18n import format_date, translate

        return translate(self.code, locale, ended=format_date(self.params.get("ended"), locale),
                         until=format_date(self.params.get("until"), locale))


# ---------------------------------------------------------------- opening

class TicketCreate(StrictInput):
    kind: TicketKind
    category: str | None = Field(default=None, max_length=32)  # default: the kind's "other" category
    subject: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    channel: Literal["branch", "phone", "app", "online", "letter", "regulator"] = "branch"
    priority: TaskPriority = TaskPriority.NORMAL
    complaint_reason: ComplaintReason | None = None  # required for complaints


def _staff(actor: Actor) -> None:
    if actor.kind not in ("user", "api_client"):
        raise NotPermitted(actor=actor)


def _event(s: Session, actor: Actor | None, ticket: Ticket, step: str, before: str | None, *,
           note: str | None = None, at: datetime | None = None, assignee_id: int | None = None) -> None:
    s.add(TicketEvent(ticket_id=ticket.id, customer_id=ticket.customer_id, at=at or clock.now(), step=step,
                      from_status=before, to_status=ticket.status, note=note,
                      actor_id=actor.id if actor is not None and actor.kind == "user" else None,
                      assignee_id=assignee_id if assignee_id is not None else ticket.assignee_id))


@requires(Permission.RECORD_WRITE)
def open_ticket(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Ticket:
    """Receive a complaint or service request. Its SLA deadline is fixed now, from its category and priority."""
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(TicketCreate, data)
    category = categories.category_for(s, req.category or categories.other_category(req.kind.value), req.kind.value)
    reason = None
    if req.kind is TicketKind.COMPLAINT:
        if req.complaint_reason is None:
            raise ValidationFailed([FieldError("complaint_reason", "value.required")])
        reason = req.complaint_reason.value
    now = clock.now()
    works_it = (actor.kind == "user" and actor.id == c.owner_id and permits(actor, Permission.TICKET_WORK))
    row = Ticket(customer_id=c.id, kind=req.kind.value, category=category.code, complaint_reason=reason,
                 subject=req.subject, description=req.description, channel=req.channel, priority=req.priority.value,
                 status=S.ASSIGNED if works_it else S.NEW, opened_at=now,
                 sla_due_at=categories.sla_due(category, req.priority.value, now),
                 assignee_id=actor.id if works_it else None,
                 opened_by_id=actor.id if actor.kind == "user" else None)
    s.add(row)
    s.flush()
    _event(s, actor, row, "open", None, at=now)
    audit.record(s, actor, "ticket.open", entity_type="customer", entity_id=c.id,
                 changes={"ticket_id": row.id, "kind": row.kind, "category": row.category, "priority": row.priority,
                          "channel": row.channel, "status": row.status, "assignee_id": row.assignee_id,
                          "sla_due_at": row.sla_due_at})
    return row


# ---------------------------------------------------------------- steps

class StepInput(StrictInput):
    note: str | None = Field(default=None, max_length=2000)
    assignee_id: RowId | None = None  # assign: default the actor ("take")
    resolution: str | None = Field(default=None, max_length=20)  # resolve: a Resolution of the ticket's kind


def _supervises(actor: Actor) -> bool:
    return permits(actor, Permission.TICKET_ASSIGN)


def _is_assignee(actor: Actor, ticket: Ticket) -> bool:
    return actor.kind == "user" and actor.id is not None and ticket.assignee_id == actor.id


def _ended_on(ticket: Ticket) -> datetime | None:
    return ticket.closed_at or ticket.resolved_at


def _reopen_until(s: Session, ticket: Ticket) -> date | None:
    ended = _ended_on(ticket)
    if ticket.status not in ENDED or ended is None:
        return None
    days = s.execute(select(TicketCategory.reopen_days).where(TicketCategory.code == ticket.category)).scalar()
    return clock.local_date(ended) + timedelta(days=days or 0)


def allowed_steps(s: Session, actor: Actor, ticket: Ticket) -> list[str]:
    """The steps the actor may take on the ticket now (for the page's buttons; each step checks again)."""
    if not permits(actor, Permission.TICKET_WORK) and not _supervises(actor):
        return []
    out = []
    for name, step in STEPS.items():
        if ticket.status not in step.sources:
            continue
        if name == "assign":
            if _supervises(actor) or (ticket.status == S.NEW and permits(actor, Permission.TICKET_WORK)):
                out.append(name)
            continue
        if not (_is_assignee(actor, ticket) or _supervises(actor)):
            continue
        if name == "reopen":
            until = _reopen_until(s, ticket)
            if until is None or clock.today() > until:
                continue
        out.append(name)
    return out


@requires(Permission.TICKET_WORK, Permission.TICKET_ASSIGN)
def ticket_step(*, uow: UnitOfWork, actor: Actor, ticket_id: Any, step: Any, data: Any = None) -> TicketDetail:
    """Take one step of a ticket's lifecycle (STEPS): assign (to the actor, or by a supervisor to someone in
    scope), start, wait, resume, resolve (with a resolution of the ticket's kind), close, reopen (with the
    reason, within the category's period)."""
    if not isinstance(step, str) or step not in STEPS:
        raise ValidationFailed([FieldError("step", "value.invalid_choice", {"choices": ", ".join(STEPS)})])
    s = uow.session
    ticket, customer = access.load_ticket(s, actor, ticket_id)
    req = parse(StepInput, data or {})
    before = ticket.status
    if before not in STEPS[step].sources:
        raise TicketStepRefused(actor=actor, entity_type="ticket", entity_id=ticket.id, status=before, step=step,
                                audit_details={"step": step, "status": before})
    now = clock.now()
    changes: dict[str, Any] = {"customer_id": ticket.customer_id, "from": before}
    if step == "assign":
        _assign(s, actor, ticket, customer, req, changes)
    else:
        if not (_is_assignee(actor, ticket) or _supervises(actor)):
            raise NotPermitted("ticket.not_assignee", actor=actor, entity_type="ticket", entity_id=ticket.id,
                               audit_details={"step": step})
        if step == "resolve":
            allowed = [r.value for r in RESOLUTIONS[ticket.kind]]
            if req.resolution not in allowed:
                raise ValidationFailed([FieldError("resolution", "ticket.resolution_kind",
                                                   {"choices": ", ".join(allowed)})])
            ticket.resolution, ticket.resolution_note, ticket.resolved_at = req.resolution, req.note, now
            ticket.days_to_resolve = (clock.local_date(now) - clock.local_date(ticket.opened_at)).days
            changes.update(resolution=req.resolution, days_to_resolve=ticket.days_to_resolve)
        elif step == "close":
            ticket.closed_at = now
        elif step == "reopen":
            if not req.note:
                raise ValidationFailed([FieldError("note", "value.required")])
            until = _reopen_until(s, ticket)
            if until is None or clock.today() > until:
                raise ReopenPeriodOver(actor=actor, entity_type="ticket", entity_id=ticket.id,
                                       ended=clock.local_date(_ended_on(ticket)), until=until,
                                       audit_details={"step": step, "until": str(until)})
            changes["previous_resolution"] = ticket.resolution
            ticket.resolution = ticket.resolution_note = ticket.resolved_at = ticket.closed_at = None
            ticket.days_to_resolve = None
            ticket.reopened += 1
        ticket.status = STEPS[step].target
    changes["to"] = ticket.status
    s.flush()
    _event(s, actor, ticket, step, before, note=req.note, at=now)
    audit.record(s, actor, f"ticket.{step}", entity_type="ticket", entity_id=ticket.id, changes=changes)
    s.flush()
    return _detail(s, actor, ticket, customer)


def _assign(s: Session, actor: Actor, ticket: Ticket, customer: Customer, req: StepInput, changes: dict) -> None:
    target = req.assignee_id if req.assignee_id is not None else actor.id
    taking = actor.kind == "user" and target == actor.id
    if taking and not _supervises(actor):
        # Anyone who works tickets may take a new one of a customer they see; taking one from a colleague is
        # a supervisor's decision.
        if ticket.status != S.NEW or not permits(actor, Permission.TICKET_WORK) or not access.sees_customer(
                actor, customer):
            raise NotPermitted("ticket.not_assignee", actor=actor, entity_type="ticket", entity_id=ticket.id,
                               audit_details={"step": "assign"})
    elif not _supervises(actor):
        raise NotPermitted(actor=actor, permission=Permission.TICKET_ASSIGN, entity_type="ticket",
                           entity_id=ticket.id, audit_details={"step": "assign"})
    user = access.check_assignee(s, actor, target, needs=Permission.TICKET_WORK, customer=customer,
                                 refusal="ticket.assignee_out_of_scope")
    changes["assignee_id"] = {"before": ticket.assignee_id, "after": user.id}
    ticket.assignee_id = user.id
    if ticket.status == S.NEW:
        ticket.status = S.ASSIGNED


@requires(Permission.TICKET_ASSIGN)
def ticket_assignees(*, uow: UnitOfWork, actor: Actor, ticket_id: Any) -> list[Person]:
    """Whom the actor may assign this ticket to."""
    s = uow.session
    ticket, customer = access.load_ticket(s, actor, ticket_id, lock=False)
    return [Person(id=u.id, name=u.display_name, team_id=u.team_id)
            for u in access.assignable_people(s, actor, needs=Permission.TICKET_WORK, customer=customer)]


# ---------------------------------------------------------------- reading

QUEUES = ("open", "new", "breached", "waiting", "ended")


class TicketQuery(StrictInput):
    view: Literal["mine", "all"] = "mine"
    queue: Literal["open", "new", "breached", "waiting", "ended"] = "open"
    kind: Literal["complaint", "service"] | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=20, ge=1, le=100)


def _queue_condition(queue: str, now: datetime):
    is_open = Ticket.status.in_([str(x) for x in OPEN_TICKET_STATUSES])
    if queue == "new":
        return Ticket.status == S.NEW
    if queue == "breached":
        return and_(is_open, Ticket.sla_due_at < now)
    if queue == "waiting":
        return Ticket.status == S.WAITING_CUSTOMER
    if queue == "ended":
        return Ticket.status.in_([str(x) for x in ENDED])
    return is_open


_QUEUE_ORDER = {
    "open": (Ticket.sla_due_at.asc(), Ticket.id.asc()),
    "new": (Ticket.opened_at.asc(), Ticket.id.asc()),
    "breached": (Ticket.sla_due_at.asc(), Ticket.id.asc()),
    "waiting": (Ticket.sla_due_at.asc(), Ticket.id.asc()),
    "ended": (Ticket.resolved_at.desc(), Ticket.id.desc()),
}

_ASSIGNEE = select(User.display_name).where(User.id == Ticket.assignee_id).correlate(Ticket).scalar_subquery()
_ESCALATED = select(User.display_name).where(User.id == Ticket.escalated_to_id).correlate(Ticket).scalar_subquery()


def _rows(s: Session, where, order, offset: int, limit: int):
    return s.execute(
        select(Ticket, Customer, TicketCategory.name, TicketCategory.name_en, _ASSIGNEE, _ESCALATED)
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(TicketCategory, TicketCategory.code == Ticket.category)
        .where(where).order_by(*order).offset(offset).limit(limit)).all()


def _item(actor: Actor, t: Ticket, c: Customer, cat_name: str | None, cat_name_en: str | None,
          assignee: str | None, escalated: str | None, now: datetime) -> TicketItem:
    visible = access.sees_customer(actor, c) or _is_assignee(actor, t)
    is_open = t.status in OPEN_TICKET_STATUSES
    return TicketItem(
        id=t.id, customer_id=c.id if visible else None, customer_name=c.name if visible else access.masked_name(c.name),
        kind=t.kind, category=t.category, category_name=cat_name or t.category, category_name_en=cat_name_en or t.category,
        subject=t.subject, channel=t.channel, priority=t.priority, status=t.status, opened_at=t.opened_at,
        sla_due_at=t.sla_due_at, sla_seconds_left=int((t.sla_due_at - now).total_seconds()) if is_open else None,
        breached=(t.sla_due_at < now) if is_open else (t.resolved_at is not None and t.resolved_at > t.sla_due_at),
        escalated_to=escalated, assignee_id=t.assignee_id, assignee_name=assignee, resolved_at=t.resolved_at,
        days_to_resolve=t.days_to_resolve)


def _whose(actor: Actor, view: str):
    if view == "mine":
        return Ticket.assignee_id == actor.id if actor.kind == "user" and actor.id is not None else Ticket.id.is_(None)
    return access.visible_tickets(actor, customer_scope_filter(actor, Customer))


@requires(Permission.CUSTOMER_READ)
def list_tickets(*, uow: UnitOfWork, actor: Actor, query: Any = None) -> TicketPage:
    """One page of tickets assigned to the actor ("mine") or of every customer they see ("all"), in one queue,
    with the number of tickets in each queue."""
    q = parse(TicketQuery, query or {})
    s = uow.session
    now = clock.now()
    base = [_whose(actor, q.view)]
    if q.kind is not None:
        base.append(Ticket.kind == q.kind)
    row = s.execute(select(*[func.coalesce(func.sum(case((_queue_condition(name, now), 1), else_=0)), 0)
                             for name in QUEUES])
                    .select_from(Ticket).join(Customer, Customer.id == Ticket.customer_id).where(*base)).one()
    counts = dict(zip(QUEUES, (int(x) for x in row)))
    rows = _rows(s, and_(*base, _queue_condition(q.queue, now)), _QUEUE_ORDER[q.queue],
                 (q.page - 1) * q.page_size, q.page_size)
    return TicketPage(items=[_item(actor, *r, now) for r in rows], page=q.page, page_size=q.page_size,
                      total=counts[q.queue], counts=counts)


@requires(Permission.CUSTOMER_READ)
def customer_tickets(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 20) -> list[TicketItem]:
    """The customer's tickets for the 360 page: open ones first (soonest SLA first), then the latest ended."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    n = limit if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 100 else 20
    ended_first = case((Ticket.status.in_([str(x) for x in ENDED]), 1), else_=0)
    now = clock.now()
    rows = _rows(s, Ticket.customer_id == c.id, (ended_first.asc(), case(
        (ended_first == 0, Ticket.sla_due_at), else_=None).asc(), Ticket.opened_at.desc(), Ticket.id.desc()), 0, n)
    return [_item(actor, *r, now) for r in rows]


@requires(Permission.CUSTOMER_READ)
def ticket_detail(*, uow: UnitOfWork, actor: Actor, ticket_id: Any) -> TicketDetail:
    s = uow.session
    ticket, customer = access.load_ticket(s, actor, ticket_id, lock=False)
    return _detail(s, actor, ticket, customer)


def _detail(s: Session, actor: Actor, ticket: Ticket, customer: Customer) -> TicketDetail:
    now = clock.now()
    row = _rows(s, Ticket.id == ticket.id, (Ticket.id.asc(),), 0, 1)[0]
    events = s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                       .order_by(TicketEvent.at.asc(), TicketEvent.id.asc()).limit(500)).scalars().all()
    who = access.names(s, [e.actor_id for e in events] + [e.assignee_id for e in events] + [ticket.opened_by_id])
    steps = [TicketStep(at=e.at, step=e.step, from_status=e.from_status, to_status=e.to_status,
                        actor_name=who.get(e.actor_id), assignee_name=who.get(e.assignee_id), note=e.note)
             for e in events]
    return TicketDetail(item=_item(actor, *row, now), description=ticket.description,
                        complaint_reason=ticket.complaint_reason, resolution=ticket.resolution,
                        resolution_note=ticket.resolution_note, closed_at=ticket.closed_at,
                        reopen_until=_reopen_until(s, ticket), reopened=ticket.reopened,
                        opened_by=who.get(ticket.opened_by_id), steps=steps,
                        allowed=allowed_steps(s, actor, ticket))


def open_complaints(session: Session, customer_id: int) -> int:
    """How many complaints of the customer are still open (the 360 page's warning). No actor: the caller has
    already decided it may read this customer."""
    return session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == customer_id, Ticket.kind == TicketKind.COMPLAINT,
        Ticket.status.in_([str(x) for x in OPEN_TICKET_STATUSES]))).scalar_one()
