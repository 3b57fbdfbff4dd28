"""Interactions with customers and the tasks that follow from them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class InteractionKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    NOTE = "note"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class ContactBasis(StrEnum):
    """Why a customer who asked not to be contacted was contacted anyway (services/activities/contact.py)."""

    CUSTOMER_INITIATED = "customer_initiated"  # the customer called or came in
    SERVICE_OBLIGATION = "service_obligation"  # a notice the firm owes: account, regulatory, complaint handling


class TaskKind(StrEnum):
    FOLLOW_UP = "follow_up"  # a person's to-do
    ESCALATION = "escalation"  # made by the scheduler for a team lead when a ticket breached its SLA


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    __table_args__ = (Index("ix_interaction_customer_time", "customer_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(sa_type=String(16))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    subject: str = Field(sa_type=String(200))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    # Set when the customer had withdrawn consent to be contacted (ContactBasis); None otherwise.
    contact_basis: str | None = Field(default=None, sa_type=String(24))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The notes' version: 1 as written, +1 per revision (services/activities/revisions.py); every earlier text is
    # kept in interaction_revision.
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class RevisionChannel(StrEnum):
    WEB = "web"  # the 360 page, online
    OFFLINE = "offline"  # written on a phone without signal, sent later (POST /sync/notes/{id}/revisions)


class InteractionRevision(SQLModel, table=True):
    """One revision of an interaction's notes: the text it replaced (never lost: a compliance record), who revised it,
    when and from where. Revision `revision` of the interaction replaced the text of revision `revision - 1`."""

    __tablename__ = "interaction_revision"
    __table_args__ = (UniqueConstraint("interaction_id", "revision", name="uq_interaction_revision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id")
    revision: int  # the revision this row made (2, 3, ...)
    previous_notes: str | None = Field(default=None, sa_column=Column(Text))  # the text of revision - 1
    user_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # when it was recorded
    written_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))  # typed offline at (device)
    channel: str = Field(sa_type=String(8))  # RevisionChannel


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_assignee_status_due", "assignee_id", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    assignee_id: int = Field(foreign_key="app_user.id")
    created_by_id: int = Field(foreign_key="app_user.id")
    title: str = Field(sa_type=String(200))
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    status: str = Field(sa_type=String(16), default=TaskStatus.OPEN)
    priority: str = Field(sa_type=String(8), default=TaskPriority.NORMAL)
    kind: str = Field(sa_type=String(16), default=TaskKind.FOLLOW_UP, sa_column_kwargs={"server_default": "follow_up"})
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)  # an escalation's ticket
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    completed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TicketKind(StrEnum):
    COMPLAINT = "complaint"
    SERVICE = "service"


class TicketStatus(StrEnum):
    """A ticket's lifecycle (services/activities/tickets.py STEPS says which step leads where)."""

    NEW = "new"  # received, nobody works it yet
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"  # the SLA keeps running: regulators count from receipt
    RESOLVED = "resolved"
    CLOSED = "closed"


# Still to be worked: counted as open on the 360 page, watched by the SLA job.
OPEN_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS,
                        TicketStatus.WAITING_CUSTOMER)


class ComplaintReason(StrEnum):
    """Why the customer complains, as complaint statistics for the regulator count it."""

    SERVICE_QUALITY = "service_quality"
    PRICING_FEES = "pricing_fees"
    DISCLOSURE = "disclosure"
    SALES_PRACTICE = "sales_practice"
    CONTRACT_TERMS = "contract_terms"
    PROCESS = "process"
    FUNDS_LOSS = "funds_loss"
    INFORMATION_SECURITY = "information_security"
    DEBT_COLLECTION = "debt_collection"
    OTHER = "other"


class Resolution(StrEnum):
    """How a ticket ended. Complaints: whether the complaint was upheld (what the statistics count);
    service requests: whether it was done."""

    UPHELD = "upheld"
    PARTIALLY_UPHELD = "partially_upheld"
    NOT_UPHELD = "not_upheld"
    FULFILLED = "fulfilled"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # either kind: the customer withdrew it


RESOLUTIONS = {
    "complaint": (Resolution.UPHELD, Resolution.PARTIALLY_UPHELD, Resolution.NOT_UPHELD, Resolution.WITHDRAWN),
    "service": (Resolution.FULFILLED, Resolution.DECLINED, Resolution.WITHDRAWN),
}


class TicketCategory(SQLModel, table=True):
    """What a ticket is about, with its service level: data, configured by administrators
    (services/activities/categories.py). Never deleted (tickets keep their code): retired ones are inactive."""

    __tablename__ = "ticket_category"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True)
    kind: str = Field(sa_type=String(16))  # TicketKind
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    # Hours from receipt to resolution, by priority.
    sla_hours_high: int
    sla_hours_normal: int
    sla_hours_low: int
    reopen_days: int  # a resolved or closed ticket may be reopened this many days after it ended
    active: bool = True
    sort_order: int = 0


class Ticket(SQLModel, table=True):
    """A complaint or service request, with the SLA it must be resolved within."""

    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_customer_opened", "customer_id", "opened_at"),
                      Index("ix_ticket_status_due", "status", "sla_due_at"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(sa_type=String(16))
    subject: str = Field(sa_type=String(200))
    description: str | None = Field(default=None, sa_column=Column(Text))
    channel: str = Field(sa_type=String(16))
    priority: str = Field(sa_type=String(8), default=TaskPriority.NORMAL)
    status: str = Field(sa_type=String(16), default=TicketStatus.NEW)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sla_due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    opened_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # A TicketCategory code (no foreign key: categories are never deleted, and the service checks the code).
    category: str = Field(sa_type=String(32))
    complaint_reason: str | None = Field(default=None, sa_type=String(32))  # ComplaintReason, complaints only
    resolution: str | None = Field(default=None, sa_type=String(20))  # Resolution
    resolution_note: str | None = Field(default=None, sa_column=Column(Text))
    days_to_resolve: int | None = None  # calendar days in the firm's zone from receipt to resolution
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    breached_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))  # SLA found missed
    escalated_to_id: int | None = Field(default=None, foreign_key="app_user.id")
    reopened: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TicketEvent(SQLModel, table=True):
    """One step of a ticket (opened, assigned, started, ... reopened, SLA breached): its history, shown on the
    customer's timeline. Written with the step's audit event."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_customer_at", "customer_id", "at"),
                      Index("ix_ticket_event_ticket_at", "ticket_id", "at"))

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    customer_id: int = Field(foreign_key="customer.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    step: str = Field(sa_type=String(20))
    from_status: str | None = Field(default=None, sa_type=String(20))
    to_status: str = Field(sa_type=String(20))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the scheduler
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, sa_column=Column(Text))


class EventKind(StrEnum):
    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    SEARCH = "search"
    APP_LOGIN = "app_login"


class BehaviourEvent(SQLModel, table=True):
    """Something the customer did in a digital channel (app, web), fed by other systems."""

    __tablename__ = "behaviour_event"
    __table_args__ = (Index("ix_event_customer_kind_time", "customer_id", "kind", "occurred_at"),
                      UniqueConstraint("source", "external_id", name="uq_event_source_external"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(sa_type=String(20))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    product_id: int | None = Field(default=None, foreign_key="product.id")
    attributes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = Field(sa_type=String(40))  # api client id, "app", "demo"
    external_id: str | None = Field(default=None, sa_type=String(64))  # the sender's id: replays are ignored
