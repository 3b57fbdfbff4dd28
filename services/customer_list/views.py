"""What the customer list's use cases return: plain data, already masked for the actor."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


@dataclass(slots=True)
class ListRow:
    """One row of the customer list."""

    id: int
    customer_no: str
    name: str
    kind: str
    segment: str
    status: str
    phone: str | None  # masked or hidden per the field policy
    owner_name: str | None
    branch_name: str | None
    aum: Decimal
    risk_level: str | None  # C1..C5; None: never assessed
    risk_valid_until: date | None
    risk_expired: bool  # assessed, but the assessment is no longer valid (or never assessed)
    kyc_status: str
    last_contact_at: datetime | None  # None: never contacted
    next_task_due_at: datetime | None  # None: no open task with a due date


class CustomerListPage(BaseModel):
    items: list[ListRow]
    page: int
    page_size: int
    total: int
    total_is_capped: bool  # the count stopped at the cap: "1000+"
    sort: str | None
    direction: str


class SavedViewView(BaseModel):
    id: int
    name: str
    params: dict  # ListParams as stored: {"q", "filters", "sort", "dir"}
    shared: bool  # shared with the owner's team
    mine: bool  # the actor owns it (may rename, share, delete)
    owner_name: str


class RecentView(BaseModel):
    customer_id: int
    customer_no: str
    name: str
    viewed_at: datetime


class BulkResult(BaseModel):
    action: str  # reassign | tag | export
    selected: int  # customers the action was asked for
    changed: int  # customers it changed (the others already were as asked)
