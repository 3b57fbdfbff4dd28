"""What leaves the customers service: plain, already-masked data for the UI and the API."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


@dataclass(slots=True)
class CustomerSummary:
    """One row of a customer list. A slotted dataclass, not a pydantic model: a page builds
    twenty of these per search, and they come from our own database, so there is nothing to
    validate (pydantic still serialises them inside CustomerPage)."""
    id: int
    customer_no: str
    name: str
    kind: str
    segment: str
    status: str
    phone: str | None  # masked or hidden per policy
    id_number: str | None
    owner_name: str | None
    branch_name: str | None


class CustomerPage(BaseModel):
    items: list[CustomerSummary]
    page: int
    page_size: int
    total: int
    total_is_capped: bool  # total stopped counting at the cap: "1000+"


class CustomerProfile(BaseModel):
    id: int
    customer_no: str
    kind: str
    name: str
    name_pinyin: str
    gender: str | None
    birth_date: date | None
    id_type: str
    id_number: str | None
    phone: str | None
    email: str | None
    address: str | None
    occupation: str | None
    segment: str
    source_channel: str
    status: str
    owner_id: int
    owner_name: str | None
    branch_id: int
    branch_name: str | None
    team_name: str | None
    version: int
    created_at: datetime
    revealable: list[str]  # fields this actor may reveal in full (audited)
    editable: list[str]


class AccountView(BaseModel):
    id: int
    kind: str
    account_no: str | None
    currency: str
    balance: Decimal
    is_liability: bool
    status: str
    opened_on: date


class HoldingView(BaseModel):
    id: int
    account_id: int
    product_code: str
    product_name: str
    product_name_en: str
    product_type: str
    risk_level: str
    quantity: Decimal
    cost: Decimal
    market_value: Decimal
    currency: str
    as_of: date


class TransactionView(BaseModel):
    id: int
    account_id: int
    kind: str
    amount: Decimal
    currency: str
    booked_at: datetime
    channel: str
    description: str | None
    product_name: str | None


class RelationshipView(BaseModel):
    kind: str
    related_customer_id: int | None  # None when the related customer is outside the actor's scope
    related_name: str


class InteractionView(BaseModel):
    id: int
    kind: str
    occurred_at: datetime
    subject: str
    notes: str | None
    user_name: str | None
    revision: int = 1  # the notes' version: above 1 once revised (services/activities/revisions.py)


class CustomerDetail(BaseModel):
    profile: CustomerProfile
    aum: Decimal
    liabilities: Decimal
    currency: str
    accounts: list[AccountView]
    holdings: list[HoldingView]
    recent_transactions: list[TransactionView]
    relationships: list[RelationshipView]
    interactions: list[InteractionView]


class TagView(BaseModel):
    code: str
    name: str
    name_en: str
    color: str
    rule_version: int | None
    evidence: dict
    applied_at: datetime


class HouseholdMemberView(BaseModel):
    customer_id: int | None  # None when outside the actor's scope
    name: str
    relation: str | None  # how this member relates to the customer viewed, when known
    aum: Decimal | None  # None when outside the actor's scope
    liabilities: Decimal | None


class HouseholdView(BaseModel):
    id: int
    name: str
    members: list[HouseholdMemberView]
    # Roll-up over all members, shown only when the actor sees every member (else None: the total minus the
    # visible members would reveal the others).
    aum: Decimal | None
    liabilities: Decimal | None
    hidden_members: int = 0


class CreditRatingView(BaseModel):
    rating: str
    source: str
    rated_on: date
    valid_until: date | None
    note: str | None


class AmountByKey(BaseModel):
    key: str
    amount: Decimal


class MonthPoint(BaseModel):
    month: date
    aum: Decimal
    liabilities: Decimal


class Customer360Header(BaseModel):
    customer_id: int
    name: str
    customer_no: str
    kind: str
    segment: str
    status: str
    tags: list[TagView]
    aum: Decimal
    liabilities: Decimal
    currency: str
    risk_level: str | None
    risk_valid_until: date | None
    risk_expired: bool
    kyc_status: str
    aml_risk: str
    legal_representative: str | None
    # Open AML work on the customer (screening hits, cases): only for those who work AML, None for others
    # (an RM is not told of an investigation).
    aml_open_hits: int | None = None
    aml_open_cases: int | None = None
    # Why the AML rating is what it is ({code, points, detail} each), for the same people only.
    aml_factors: list[dict] | None = None


class Customer360(BaseModel):
    header: Customer360Header
    detail: CustomerDetail
    holdings_by_type: list[AmountByKey]
    aum_history: list[MonthPoint]
    household: HouseholdView | None
    credit_ratings: list[CreditRatingView]
    open_tickets: int


class TransactionPage(BaseModel):
    items: list[TransactionView]
    page: int
    page_size: int
    total: int


class TimelineItem(BaseModel):
    at: datetime
    kind: str  # interaction, large_transaction, ticket, event, tag_added, tag_removed
    subtype: str  # call/visit/..., deposit/..., complaint/..., product_view/..., tag code
    title: str
    detail: str | None
    amount: Decimal | None = None
    ref_id: int | None = None
    title_en: str | None = None  # a product's English name (a product view)
    page: str | None = None  # a page view: the source system's page key ("wealth"), named by the UI when it knows it
    revision: int | None = None  # an interaction: its notes' version (above 1: revised, earlier versions kept)


class TicketView(BaseModel):
    id: int
    kind: str
    subject: str
    status: str
    priority: str
    channel: str
    opened_at: datetime
    sla_due_at: datetime
    resolved_at: datetime | None
    overdue: bool


class DocumentView(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploaded_by: str | None
