"""Insurance underwriting cases: a proposal with its health questionnaire, triaged by the underwriting
definition's decision table (accept, decline, or refer to an underwriter)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime, utcnow


class CaseStatus(StrEnum):
    REFERRED = "referred"  # an underwriter decides
    RETURNED = "returned"  # sent back for a complete questionnaire
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Cover(StrEnum):
    HEALTH = "health"
    CRITICAL_ILLNESS = "critical_illness"
    LIFE = "life"


class UnderwritingCase(SQLModel, table=True):
    __tablename__ = "underwriting_case"
    __table_args__ = (Index("ix_underwriting_case_status", "status", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    branch_id: int = Field(foreign_key="branch.id")
    owner_id: int = Field(foreign_key="app_user.id")
    submitted_by: int | None = Field(default=None, foreign_key="app_user.id")
    product_type: str = Field(sa_type=String(24))
    sum_insured: Decimal = Field(sa_column=Column(Money(), nullable=False))
    # The health questionnaire as answered: height_cm, weight_kg, smoker, conditions (codes), hospitalised.
    questionnaire: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    age: int
    bmi: Decimal = Field(sa_column=Column(Money(), nullable=False))
    triage: str | None = Field(default=None, sa_type=String(16))  # accept | decline | refer (the DMN's outcome)
    status: str = Field(sa_type=String(16), default=CaseStatus.REFERRED)
    risk_grade: str | None = Field(default=None, sa_type=String(16))
    instance_id: int | None = Field(default=None, foreign_key="workflow_instance.id")
    version: int = 1
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def ref(self) -> str:
        return f"UW-{self.id:06d}"
