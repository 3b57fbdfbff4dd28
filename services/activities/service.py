"""Quick actions from the 360 page: log a call or visit, add a task, open a ticket."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from services import clock
from services.activities.models import (Interaction, InteractionKind, Task, TaskPriority, Ticket, TicketKind,
                                        TicketStatus)
from services.customers.schemas import _Strict
from services.customers.service import load_customer
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.validation.dates import CLOCK_SKEW, BusinessTime
from services.validation.input import parse
from services.security.policy import Permission, requires

# Service levels: how long a ticket may stay unresolved, by kind and priority.
SLA = {
    (TicketKind.COMPLAINT, TaskPriority.HIGH): timedelta(hours=24),
    (TicketKind.COMPLAINT, TaskPriority.NORMAL): timedelta(days=3),
    (TicketKind.COMPLAINT, TaskPriority.LOW): timedelta(days=5),
    (TicketKind.SERVICE, TaskPriority.HIGH): timedelta(hours=8),
    (TicketKind.SERVICE, TaskPriority.NORMAL): timedelta(days=2),
    (TicketKind.SERVICE, TaskPriority.LOW): timedelta(days=5),
}
TICKET_CHANNELS = ("branch", "phone", "app", "online", "letter", "regulator")


class InteractionCreate(_Strict):
    kind: InteractionKind
    subject: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    occurred_at: BusinessTime | None = None  # default now; at most CLOCK_SKEW ahead


class TaskCreate(_Strict):
    title: str = Field(min_length=1, max_length=200)
    due_at: BusinessTime | None = None
    priority: TaskPriority = TaskPriority.NORMAL


class TicketCreate(_Strict):
    kind: TicketKind
    subject: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    channel: str = Field(default="branch", max_length=16)
    priority: TaskPriority = TaskPriority.NORMAL

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if v not in TICKET_CHANNELS:
            raise ValueError("channel")
        return v


def _staff(actor: Actor) -> None:
    # A record names the person (or the system of record) who made it; the firm's own processes make none.
    if actor.kind not in ("user", "api_client"):
        raise NotPermitted(actor=actor)


@requires(Permission.RECORD_WRITE)
def log_interaction(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Interaction:
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(InteractionCreate, data)
    now = clock.now()
    when = req.occurred_at or now
    if when > now + CLOCK_SKEW:
        raise ValidationFailed([FieldError("occurred_at", "value.future_date")])
    user_id = actor.id if actor.kind == "user" else c.owner_id
    row = Interaction(customer_id=c.id, user_id=user_id, kind=req.kind, occurred_at=when, subject=req.subject,
                      notes=req.notes, created_at=now)
    s.add(row)
    s.flush()
    audit.record(s, actor, "interaction.create", entity_type="customer", entity_id=c.id,
                 changes={"interaction_id": row.id, "kind": req.kind.value, "subject": req.subject})
    return row


@requires(Permission.RECORD_WRITE)
def add_task(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Task:
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(TaskCreate, data)
    # A task lands with the customer's RM; an RM adding one for their own customer assigns themselves.
    assignee = c.owner_id
    creator = actor.id if actor.kind == "user" else c.owner_id
    row = Task(customer_id=c.id, assignee_id=assignee, created_by_id=creator, title=req.title, due_at=req.due_at,
               priority=req.priority, created_at=clock.now())
    s.add(row)
    s.flush()
    audit.record(s, actor, "task.create", entity_type="customer", entity_id=c.id,
                 changes={"task_id": row.id, "title": req.title, "due_at": req.due_at, "assignee_id": assignee})
    return row


@requires(Permission.RECORD_WRITE)
def open_ticket(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Ticket:
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(TicketCreate, data)
    now = clock.now()
    row = Ticket(customer_id=c.id, kind=req.kind, subject=req.subject, description=req.description,
                 channel=req.channel, priority=req.priority, status=TicketStatus.OPEN, opened_at=now,
                 sla_due_at=now + SLA[(req.kind, req.priority)], assignee_id=c.owner_id,
                 opened_by_id=actor.id if actor.kind == "user" else None)
    s.add(row)
    s.flush()
    audit.record(s, actor, "ticket.open", entity_type="customer", entity_id=c.id,
                 changes={"ticket_id": row.id, "kind": req.kind.value, "priority": req.priority.value,
                          "sla_due_at": row.sla_due_at})
    return row
