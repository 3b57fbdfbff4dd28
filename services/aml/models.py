"""What the AML domain keeps: watchlists and their entries, screening hits and their review, re-screening
runs, monitoring rules (as data), alerts, cases with notes, and each customer's risk assessment.

Hits name the list entry by (list code, entry ID) and keep the matched name and the explanation as they
were when found, not a foreign key into the entries: a list update replaces the entries, never the record
of what a reviewer decided about a hit.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Float, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class HitStatus(StrEnum):
    OPEN = "open"
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    WITHDRAWN = "withdrawn"  # no longer matches (the list or the customer's name changed)


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REPORTED = "reported"  # reported as suspicious: an export file was produced


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Watchlist(SQLModel, table=True):
    __tablename__ = "aml_watchlist"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)  # ofac_sdn, un_sc, internal, ...
    name: str = Field(sa_type=String(200))
    format: str = Field(sa_type=String(16))  # services.aml.lists.FORMATS
    version: int = 1  # counts the loads of this list
    source_sha256: str = Field(sa_type=String(64))
    published: str | None = Field(default=None, sa_type=String(20))
    entry_count: int = 0
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    loaded_by: str | None = Field(default=None, sa_type=String(100))


class WatchlistEntry(SQLModel, table=True):
    __tablename__ = "aml_watchlist_entry"
    __table_args__ = (UniqueConstraint("watchlist_id", "entry_id", name="uq_aml_entry_list_id"),)

    id: int | None = Field(default=None, primary_key=True)
    watchlist_id: int = Field(foreign_key="aml_watchlist.id", index=True)
    entry_id: str = Field(sa_type=String(64))
    kind: str = Field(sa_type=String(16))
    primary_name: str = Field(sa_type=String(500))
    names: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [[name, quality], ...]
    birth_dates: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    nationalities: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    programs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    remarks: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ScreeningHit(SQLModel, table=True):
    """A possible match of a customer (or of a counterparty in a customer's transaction) with a list entry,
    waiting for or carrying a reviewer's disposition."""

    __tablename__ = "aml_screening_hit"
    __table_args__ = (
        UniqueConstraint("customer_id", "subject_type", "subject_name", "list_code", "entry_id",
                         name="uq_aml_hit_subject_entry"),
        Index("ix_aml_hit_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    subject_type: str = Field(sa_type=String(16))  # customer | counterparty
    subject_name: str = Field(sa_type=String(200))
    transaction_id: int | None = Field(default=None, foreign_key="transaction.id")
    list_code: str = Field(sa_type=String(40))
    list_version: int
    entry_id: str = Field(sa_type=String(64))
    matched_name: str = Field(sa_type=String(500))
    score: float = Field(sa_column=Column(Float, nullable=False))
    verdict: str = Field(sa_type=String(10))  # hit | possible
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(sa_type=String(16), default=HitStatus.OPEN)
    reason: str | None = Field(default=None, sa_type=String(500))
    assigned_to: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_by: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    found_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RescreenRun(SQLModel, table=True):
    """Re-screening every customer after a list update: a job that reports its progress."""

    __tablename__ = "aml_rescreen_run"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(sa_type=String(120))
    status: str = Field(sa_type=String(16), default=RunStatus.QUEUED)
    total: int = 0
    done: int = 0
    hits: int = 0
    after_customer_id: int = 0  # the run resumes after this customer
    requested_by: str | None = Field(default=None, sa_type=String(100))
    requested_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    error: str | None = Field(default=None, sa_type=String(500))


class MonitoringRule(SQLModel, table=True):
    """A transaction-monitoring rule as data: its kind picks the evaluator, its parameters are the
    thresholds (services/aml/monitoring.py)."""

    __tablename__ = "aml_monitoring_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(60), unique=True)
    kind: str = Field(sa_type=String(30))  # large_value | structuring | rapid_movement | dormant_reactivation
    name: str = Field(sa_type=String(200))
    name_en: str = Field(sa_type=String(200))
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    severity: str = Field(sa_type=String(10), default="medium")  # low | medium | high
    sla_days: int = 5
    active: bool = True
    version: int = 1


class Alert(SQLModel, table=True):
    __tablename__ = "aml_alert"
    __table_args__ = (Index("ix_aml_alert_customer", "customer_id", "raised_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_code: str = Field(sa_type=String(60))
    rule_version: int
    customer_id: int = Field(foreign_key="customer.id")
    case_id: int | None = Field(default=None, foreign_key="aml_case.id", index=True)
    dedup_key: str = Field(sa_type=String(200), unique=True)
    severity: str = Field(sa_type=String(10))
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    transaction_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    raised_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Case(SQLModel, table=True):
    """An investigation of one customer's alerts: notes, an assignee, an SLA, and a disposition."""

    __tablename__ = "aml_case"
    __table_args__ = (Index("ix_aml_case_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(sa_type=String(16), default=CaseStatus.OPEN)
    severity: str = Field(sa_type=String(10), default="medium")
    assigned_to: int | None = Field(default=None, foreign_key="app_user.id")
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_by: int | None = Field(default=None, foreign_key="app_user.id")
    disposition_reason: str | None = Field(default=None, sa_type=String(1000))
    report_sha256: str | None = Field(default=None, sa_type=String(64))
    report_filename: str | None = Field(default=None, sa_type=String(200))


class CaseNote(SQLModel, table=True):
    __tablename__ = "aml_case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="aml_case.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    author_name: str = Field(sa_type=String(100))
    text: str = Field(sa_type=String(2000))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RiskAssessment(SQLModel, table=True):
    """A customer's AML risk rating and the factors it came from (the rating itself is written to the
    customer through the sanctioned writer)."""

    __tablename__ = "aml_risk_assessment"

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    rating: str = Field(sa_type=String(16))
    score: int
    factors: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    assessed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    pending: bool = False  # screened in bulk: the rating waits for the rating job


class MonitorMark(SQLModel, table=True):
    """How far each customer's transactions have been monitored (the last transaction id looked at)."""

    __tablename__ = "aml_monitor_mark"

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    last_transaction_id: int = 0
