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
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TicketKind(StrEnum):
    COMPLAINT = "complaint"
    SERVICE = "service"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


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
    status: str = Field(sa_type=String(16), default=TicketStatus.OPEN)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sla_due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    opened_by_id: int | None = Field(default=None, foreign_key="app_user.id")


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
