"""What the underwriting domain returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class CaseView:
    id: int
    ref: str
    customer_id: int
    customer_name: str
    product_type: str
    sum_insured: Decimal
    questionnaire: dict
    age: int
    bmi: Decimal
    triage: str | None
    status: str
    risk_grade: str | None
    version: int
    submitted_at: datetime
    decided_at: datetime | None
    instance_id: int | None
    current_steps: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
