"""Tables of the customer list: sort keys per customer, saved views, recently viewed customers."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import JSON, Column, Date, Index, SmallInteger, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime, utcnow

# Sort keys are never NULL, so that an index serves both directions on SQLite and PostgreSQL alike (the two order
# NULLs differently). "None" is a value that sorts where people look for it:
NEVER = datetime(1900, 1, 1, tzinfo=timezone.utc)  # never contacted: longest without contact
NO_TASK = datetime(2200, 1, 1, tzinfo=timezone.utc)  # no open task: after every dated one
NOT_ASSESSED = date(1900, 1, 1)  # no risk assessment: with (before) the expired ones


class CustomerFigures(SQLModel, table=True):
    """What the customer list sorts by, one row per customer, kept up to date by event handlers
    (services/customer_list/figures.py) from the domains that own the values: AUM from accounts and holdings,
    last contact from interactions, next task from open tasks, and ranks of the customer's own segment, risk
    level and KYC status (their codes do not sort in a meaningful order). The customer's own columns stay the
    truth the list displays; these are sort keys."""

    __tablename__ = "customer_figures"
    __table_args__ = (
        # Every index ends in customer_id: ORDER BY key, customer_id LIMIT n walks it.
        Index("ix_customer_figures_aum", "aum", "customer_id"),
        Index("ix_customer_figures_segment", "segment_rank", "customer_id"),
        Index("ix_customer_figures_risk", "risk_rank", "customer_id"),
        Index("ix_customer_figures_risk_valid", "risk_valid_until", "customer_id"),
        Index("ix_customer_figures_kyc", "kyc_rank", "customer_id"),
        Index("ix_customer_figures_last_contact", "last_contact_at", "customer_id"),
        Index("ix_customer_figures_next_task", "next_task_due_at", "customer_id"),
    )

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    aum: Decimal = Field(default=Decimal("0"), sa_column=Column(Money(), nullable=False))
    segment_rank: int = Field(default=0, sa_column=Column(SmallInteger(), nullable=False))
    risk_rank: int = Field(default=0, sa_column=Column(SmallInteger(), nullable=False))
    risk_valid_until: date = Field(default=NOT_ASSESSED, sa_column=Column(Date(), nullable=False))
    kyc_rank: int = Field(default=0, sa_column=Column(SmallInteger(), nullable=False))
    last_contact_at: datetime = Field(default=NEVER, sa_column=Column(UTCDateTime(), nullable=False))
    next_task_due_at: datetime = Field(default=NO_TASK, sa_column=Column(UTCDateTime(), nullable=False))


class SavedView(SQLModel, table=True):
    """A named search of the customer list (query, filters, sort), kept for its owner and, when shared, for the
    owner's team."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_view_owner_name"),
                      Index("ix_saved_view_team", "team_id"))

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="app_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")  # shared with this team; None: private
    name: str = Field(sa_type=String(60))
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # ListParams
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RecentCustomer(SQLModel, table=True):
    """A customer a user opened, and when last: the "recently viewed" list (the latest few per user)."""

    __tablename__ = "recent_customer"
    __table_args__ = (Index("ix_recent_customer_user_viewed", "user_id", "viewed_at"),)

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    viewed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
