"""Interactions with customers and the tasks that follow from them."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
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
