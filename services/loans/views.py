"""What the loan domain returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class CurrentStep:
    task_id: int
    step_id: str
    step_name: str
    role: str | None  # the role that may act (None: the RM who submitted, revising it)
    roles: list[str]  # every role that may act on it now (the step's, and the one it was escalated to)
    opened_at: datetime
    due_at: datetime | None


@dataclass
class DecisionEntry:
    step_id: str
    step_name: str
    decision: str
    by: str
    on_behalf_of: str
    acted_as: str | None
    comment: str
    at: datetime


@dataclass
class LoanView:
    id: int
    ref: str
    customer_id: int
    customer_name: str
    branch_id: int
    product_type: str
    purpose: str
    amount: Decimal
    term_months: int
    collateral_type: str
    collateral_value: Decimal | None
    collateral_description: str
    monthly_income: Decimal
    monthly_debt_payments: Decimal
    credit_rating: str
    channel: str
    status: str
    risk_grade: str | None
    score: int | None
    checks: dict
    version: int
    submitted_at: datetime
    decided_at: datetime | None
    instance_id: int | None
    route: str | None
    current_steps: list[CurrentStep] = field(default_factory=list)
    decisions: list[DecisionEntry] = field(default_factory=list)
    letter_available: bool = False


@dataclass
class LoanRow:
    id: int
    ref: str
    customer_id: int
    customer_name: str
    product_type: str
    amount: Decimal
    term_months: int
    status: str
    risk_grade: str | None
    submitted_at: datetime
