"""Loan applications: what the customer asks for (purpose, amount, term, collateral, income, debts), the
automatic checks run on submit, and where its approval stands (services/workflows runs the approval)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime, utcnow


class LoanStatus(StrEnum):
    IN_REVIEW = "in_review"  # submitted, checked, waiting for approvers
    RETURNED = "returned"  # sent back to its RM for changes
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ProductType(StrEnum):
    PERSONAL = "personal"  # personal consumption loan
    MORTGAGE = "mortgage"
    BUSINESS = "business"  # a small business owner's operating loan


class Collateral(StrEnum):
    NONE = "none"
    PROPERTY = "property"
    VEHICLE = "vehicle"
    DEPOSIT = "deposit"  # a pledged deposit or wealth product
    GUARANTEE = "guarantee"  # a third party's guarantee


class LoanApplication(SQLModel, table=True):
    __tablename__ = "loan_application"
    __table_args__ = (Index("ix_loan_application_phone", "phone_bidx", "submitted_at"),
                      Index("ix_loan_application_id_number", "id_number_bidx", "submitted_at"),
                      Index("ix_loan_application_status", "status", "branch_id"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    branch_id: int = Field(foreign_key="branch.id")  # the customer's, when submitted
    owner_id: int = Field(foreign_key="app_user.id")  # the RM who answers for it (revises it when returned)
    submitted_by: int | None = Field(default=None, foreign_key="app_user.id")  # None: an API client submitted it
    channel: str = Field(sa_type=String(16), default="branch")  # branch | api
    api_client: str | None = Field(default=None, sa_type=String(100))
    product_type: str = Field(sa_type=String(16))
    purpose: str = Field(sa_type=String(500))
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    term_months: int
    collateral_type: str = Field(sa_type=String(16), default=Collateral.NONE)
    collateral_value: Decimal | None = Field(default=None, sa_column=Column(Money()))
    collateral_description: str | None = Field(default=None, sa_type=String(300))
    monthly_income: Decimal | None = Field(default=None, sa_column=Column(Money()))  # None: not given (API)
    monthly_debt_payments: Decimal = Field(default=Decimal(0), sa_column=Column(Money(), nullable=False))  # existing
    credit_rating: str = Field(sa_type=String(8), default="none")  # the credit bureau's grade, "none" if no file
    # The anti-fraud rules count applications by the applicant's phone and ID (keyed blind indexes, never values).
    phone_bidx: str | None = Field(default=None, sa_type=String(32))
    id_number_bidx: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(16), default=LoanStatus.IN_REVIEW)
    risk_grade: str | None = Field(default=None, sa_type=String(4))
    score: int | None = None
    checks: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the automatic checks
    instance_id: int | None = Field(default=None, foreign_key="workflow_instance.id")
    decision_comment: str | None = Field(default=None, sa_column=Column(Text))
    version: int = 1  # optimistic concurrency of the RM's revisions
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def ref(self) -> str:
        return f"LA-{self.id:06d}"
