"""What leaves the activities domain: plain data for the UI and the API, already limited to what the actor may
see (a customer outside the actor's scope is named masked and not linked)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True)
class TaskItem:
    id: int
    title: str
    kind: str  # TaskKind
    status: str  # TaskStatus
    priority: str
    due_at: datetime | None
    overdue: bool
    customer_id: int | None  # None also when the customer lies outside the actor's scope
    customer_name: str | None
    assignee_id: int
    assignee_name: str
    ticket_id: int | None
    ticket_subject: str | None
    completed_at: datetime | None


@dataclass(slots=True)
class TaskPage:
    items: list[TaskItem]
    page: int
    page_size: int
    total: int
    counts: dict[str, int]  # open tasks per bucket: overdue, today, upcoming


@dataclass(slots=True)
class Person:
    """Someone work can be handed to."""

    id: int
    name: str
    team_id: int | None


@dataclass(slots=True)
class CategoryView:
    code: str
    kind: str
    name: str
    name_en: str
    sla_hours: dict[str, int]  # by priority
    reopen_days: int
    active: bool


@dataclass(slots=True)
class TicketItem:
    id: int
    customer_id: int | None  # None when the customer lies outside the actor's scope
    customer_name: str
    kind: str
    category: str
    category_name: str
    category_name_en: str
    subject: str
    channel: str
    priority: str
    status: str
    opened_at: datetime
    sla_due_at: datetime
    sla_seconds_left: int | None  # None once resolved or closed; negative: past the SLA
    breached: bool  # past its SLA now, or was when it ended
    escalated_to: str | None
    assignee_id: int | None
    assignee_name: str | None
    resolved_at: datetime | None
    days_to_resolve: int | None


@dataclass(slots=True)
class TicketPage:
    items: list[TicketItem]
    page: int
    page_size: int
    total: int
    counts: dict[str, int]  # per queue the actor may open: open, breached, waiting, ended


@dataclass(slots=True)
class TicketStep:
    at: datetime
    step: str
    from_status: str | None
    to_status: str
    actor_name: str | None  # None: the scheduler
    assignee_name: str | None
    note: str | None


@dataclass(slots=True)
class TicketDetail:
    item: TicketItem
    description: str | None
    complaint_reason: str | None
    resolution: str | None
    resolution_note: str | None
    closed_at: datetime | None
    reopen_until: date | None  # the last day it may be reopened, once it ended
    reopened: int
    opened_by: str | None
    steps: list[TicketStep]
    allowed: list[str] = field(default_factory=list)  # steps the actor may take now (STEPS keys)


@dataclass(slots=True)
class ComplaintStatistics:
    """Complaints received in a period, as a regulator's complaint statistics count them."""

    date_from: date
    date_to: date
    received: int
    resolved: int
    open: int
    breached: int
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_reason: dict[str, int]
    by_resolution: dict[str, int]
    average_days_to_resolve: float | None
    resolved_within_15_days: int  # the regulator's limit for a decision on a complaint
