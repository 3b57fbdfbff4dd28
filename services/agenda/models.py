"""The reminders engine's tables: rules as data (what to remind of, how many days ahead) and the reminders the
scheduled pass made from them (one per rule, customer and due day: made once, however many processes run it)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class ReminderRule(SQLModel, table=True):
    """One rule: a source of due days (services/agenda/sources.py SOURCES) and how many days before the due day the
    RM is reminded. Admins change rows, not code; an inactive rule makes nothing new."""

    __tablename__ = "reminder_rule"

    code: str = Field(sa_type=String(40), primary_key=True)
    source: str = Field(sa_type=String(32))  # birthday | assessment_expiry | follow_up
    lead_days: int = 0  # remind this many days before the due day (0: on the day)
    # Source parameters, e.g. follow_up: {"cadence_days": {"hnw": 30, "uhnw": 30, "affluent": 90}}
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("rule_code", "customer_id", "due_on", name="uq_reminder_rule_customer_due"),
        Index("ix_reminder_open_customer", "resolved_at", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(sa_type=String(40), foreign_key="reminder_rule.code")
    kind: str = Field(sa_type=String(32))  # the rule's source when the reminder was made
    customer_id: int = Field(foreign_key="customer.id")
    owner_id: int = Field(foreign_key="app_user.id", index=True)  # the customer's RM when it was made
    due_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The reason went away (assessment renewed, customer contacted, the day passed) or the RM dismissed it.
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    dismissed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OfflineSubmission(SQLModel, table=True):
    """A note written on a phone without signal and sent later (services/agenda/sync.py): the device's key for it,
    so a note sent twice (a retry after a lost answer) is recorded once."""

    __tablename__ = "offline_submission"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_offline_submission_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(sa_type=String(64))
    request_hash: str = Field(sa_type=String(64))
    interaction_id: int = Field(foreign_key="interaction.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
