"""Users, their sessions and sign-in attempts, and the audit trail."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class Role(StrEnum):
    RM = "rm"
    TEAM_LEAD = "team_lead"
    BRANCH_MANAGER = "branch_manager"
    COMPLIANCE = "compliance"
    APPROVER = "approver"
    OPS = "ops"
    ADMIN = "admin"
    AUDITOR = "auditor"
    # Approval workflows (services/workflows): head-office credit and insurance underwriting.
    CREDIT_OFFICER = "credit_officer"
    CREDIT_COMMITTEE = "credit_committee"
    UNDERWRITER = "underwriter"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(64), unique=True, index=True)
    display_name: str = Field(sa_type=String(100))
    password_hash: str = Field(sa_type=String(255))
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    is_active: bool = True
    is_demo: bool = False
    locale: str | None = Field(default=None, sa_type=String(10))
    email: str | None = Field(default=None, sa_type=String(254))  # where reminders are mailed (services/agenda)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class UserSession(SQLModel, table=True):
    """A server-side sign-in. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_session"

    id: str = Field(sa_type=String(64), primary_key=True)  # sha256(token) hex
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ip: str | None = Field(default=None, sa_type=String(64))
    user_agent: str | None = Field(default=None, sa_type=String(255))


class LoginAttempt(SQLModel, table=True):
    """One credential check: a staff sign-in (`username` as typed) or an API client's secret
    (`client:<client id>`). services/security/throttle.py counts them per address, browser and name."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_ip_at", "ip", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(64), index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    success: bool
    ip: str | None = Field(default=None, sa_type=String(64))
    device: str | None = Field(default=None, sa_type=String(64))  # SHA-256 of the browser's device cookie


class CredentialThrottle(SQLModel, table=True):
    """A limit reached: attempts matching `key` (a name from one address, a name from one browser,
    one address, or one name from everywhere) are refused unchecked until `until`."""

    __tablename__ = "credential_throttle"

    key: str = Field(sa_type=String(200), primary_key=True)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class AuditEvent(SQLModel, table=True):
    """Append-only; each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int  # 1, 2, 3 ... without gaps; the unique constraint forbids forks
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_kind: str = Field(sa_type=String(16))
    actor_id: str | None = Field(default=None, sa_type=String(64), index=True)
    actor_name: str | None = Field(default=None, sa_type=String(100))
    action: str = Field(sa_type=String(64), index=True)
    entity_type: str | None = Field(default=None, sa_type=String(32))
    entity_id: str | None = Field(default=None, sa_type=String(64))
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # canonical JSON
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64))
