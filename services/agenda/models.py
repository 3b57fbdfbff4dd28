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
    # birthday | assessment_expiry | follow_up | product_maturity | kyc_review | approval_sla
    source: str = Field(sa_type=String(32))
    lead_days: int = 0  # remind this many days before the due day (0: on the day)
    # How a new reminder reaches its RM besides the agenda ("app", always): "email" (the outbox), "push" (Web Push,
    # when VAPID keys are configured and the RM's device subscribed).
    channels: list[str] = Field(default_factory=lambda: ["app"], sa_column=Column(JSON, nullable=False))
    # Source parameters, e.g. follow_up: {"cadence_days": {"hnw": 30, "uhnw": 30, "affluent": 90}}
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = True
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("rule_code", "subject_key", "due_on", name="uq_reminder_rule_subject_due"),
        Index("ix_reminder_open_customer", "resolved_at", "customer_id"),
        Index("ix_reminder_unnotified", "notified_at", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(sa_type=String(40), foreign_key="reminder_rule.code")
    kind: str = Field(sa_type=String(32))  # the rule's source when the reminder was made
    # What it is about, the unique key with the rule and the due day: "customer:<id>", "holding:<id>" (a maturity),
    # "approval_task:<id>:user:<id>" (an approval SLA, one per approver who may act on it).
    subject_key: str = Field(sa_type=String(64))
    customer_id: int | None = Field(default=None, foreign_key="customer.id")  # None: an approval task's reminder
    holding_id: int | None = Field(default=None, foreign_key="holding.id")
    approval_task_id: int | None = Field(default=None, foreign_key="approval_task.id")
    owner_id: int = Field(foreign_key="app_user.id", index=True)  # who is reminded (the customer's RM, the approver)
    due_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The reason went away (assessment renewed, customer contacted, the day passed) or the RM dismissed it.
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    dismissed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Claimed by the notification pass (services/agenda/delivery.py): e-mail and push queued once, whatever runs it.
    notified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (its pushManager's endpoint and keys), one per user and device."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    endpoint: str = Field(sa_type=String(1000), unique=True)
    p256dh: str = Field(sa_type=String(200))
    auth: str = Field(sa_type=String(100))
    user_agent: str | None = Field(default=None, sa_type=String(255))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PushMessage(SQLModel, table=True):
    """The push outbox: written with the reminders it announces, sent by the scheduler (services/agenda/push.py);
    a push service that is down delays a message, never loses it."""

    __tablename__ = "push_message"
    __table_args__ = (Index("ix_push_message_status", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="push_subscription.id", index=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(sa_type=String(12), default="pending")  # pending, sent, failed, gone
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=String(300))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OfflineSubmission(SQLModel, table=True):
    """A note written, or a note's text revised, on a phone without signal and sent later (services/agenda/sync.py):
    the device's key for it, so a note sent twice (a retry after a lost answer) is recorded once."""

    __tablename__ = "offline_submission"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_offline_submission_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(sa_type=String(64))
    request_hash: str = Field(sa_type=String(64))
    interaction_id: int = Field(foreign_key="interaction.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    action: str = Field(default="note", sa_type=String(16), sa_column_kwargs={"server_default": "note"})  # | revise
    revision: int | None = None  # a revision: the revision it made

