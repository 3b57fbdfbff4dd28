"""What the opportunities domain returns."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


class OpportunityView(BaseModel):
    id: int
    customer_id: int
    owner_id: int
    owner_name: str
    title: str
    product_type: str | None
    product_code: str | None
    product_name: str | None
    product_name_en: str | None
    amount: Decimal
    currency: str
    stage: str
    expected_close: date | None
    close_reason: str | None
    close_note: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int
    next_stages: list[str]  # where it may move from here (won/lost through `close`)
