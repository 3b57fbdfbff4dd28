"""An opportunity and the stages of the pipeline."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime


class Stage(StrEnum):
    LEAD = "lead"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    WON = "won"
    LOST = "lost"


# The pipeline in order; won and lost end it. `reached` counts how far along it an opportunity ever got.
OPEN_STAGES = (Stage.LEAD, Stage.QUALIFIED, Stage.PROPOSAL)
FUNNEL = (Stage.LEAD, Stage.QUALIFIED, Stage.PROPOSAL, Stage.WON)
CLOSED_STAGES = (Stage.WON, Stage.LOST)


class CloseReason(StrEnum):
    """Why an opportunity was won or lost (the dashboards count them)."""

    # won
    NEED_MET = "need_met"
    RELATIONSHIP = "relationship"
    PRICE_WON = "price_won"
    # lost
    PRICE = "price"
    PRODUCT_FIT = "product_fit"
    COMPETITOR = "competitor"
    TIMING = "timing"
    NOT_ELIGIBLE = "not_eligible"
    NO_RESPONSE = "no_response"
    OTHER = "other"


WON_REASONS = (CloseReason.NEED_MET, CloseReason.RELATIONSHIP, CloseReason.PRICE_WON, CloseReason.OTHER)
LOST_REASONS = (CloseReason.PRICE, CloseReason.PRODUCT_FIT, CloseReason.COMPETITOR, CloseReason.TIMING,
                CloseReason.NOT_ELIGIBLE, CloseReason.NO_RESPONSE, CloseReason.OTHER)


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (Index("ix_opportunity_customer", "customer_id", "created_at"),
                      Index("ix_opportunity_owner_stage", "owner_id", "stage"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    owner_id: int = Field(foreign_key="app_user.id")  # the RM working it (the customer's when it was opened)
    title: str = Field(sa_type=String(200))
    product_type: str | None = Field(default=None, sa_type=String(16))  # ProductType; None: not decided yet
    product_id: int | None = Field(default=None, foreign_key="product.id")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))  # expected amount
    currency: str = Field(sa_type=String(3), default="CNY")
    stage: str = Field(sa_type=String(12), default=Stage.LEAD)
    reached: int = 0  # index in FUNNEL of the furthest stage it got to (won: 3)
    expected_close: date | None = None
    close_reason: str | None = Field(default=None, sa_type=String(16))
    close_note: str | None = Field(default=None, sa_type=String(500))
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int = 1
