"""Products, accounts, holdings and transactions: what a customer holds and does."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import Money, ScaledDecimal, UTCDateTime, utcnow


class RiskLevel(StrEnum):
    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class ProductType(StrEnum):
    DEPOSIT = "deposit"
    WEALTH = "wealth"
    FUND = "fund"
    BOND = "bond"
    EQUITY = "equity"
    INSURANCE = "insurance"
    LOAN = "loan"


class AccountKind(StrEnum):
    DEPOSIT = "deposit"
    WEALTH = "wealth"
    FUND = "fund"
    SECURITIES = "securities"
    LOAN = "loan"
    CREDIT_CARD = "credit_card"
    INSURANCE = "insurance"


class AccountStatus(StrEnum):
    OPEN = "open"
    DORMANT = "dormant"
    CLOSED = "closed"


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    PURCHASE = "purchase"
    REDEMPTION = "redemption"
    DIVIDEND = "dividend"
    INTEREST = "interest"
    FEE = "fee"
    LOAN_DRAWDOWN = "loan_drawdown"
    LOAN_REPAYMENT = "loan_repayment"
    CARD_SPEND = "card_spend"
    CARD_REPAYMENT = "card_repayment"
    PREMIUM = "premium"


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    name_en: str = Field(sa_type=String(200))
    product_type: str = Field(sa_type=String(16))
    risk_level: str = Field(sa_type=String(2))
    term_days: int | None = None  # None: open-ended
    currency: str = Field(sa_type=String(3), default="CNY")
    is_active: bool = True
    is_premium: bool = False  # premium wealth products, watched by the HNW-potential tag rule
    issuer: str | None = Field(default=None, sa_type=String(200))  # who issues or manages it (disclosures, API)


class Account(SQLModel, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(sa_type=String(16))
    account_no_enc: str = Field(sa_type=String(255))
    account_no_bidx: str = Field(sa_type=String(32), index=True)
    account_no_last4: str = Field(sa_type=String(4))
    currency: str = Field(sa_type=String(3), default="CNY")
    # Deposit-like balance; for loans and cards the amount owed (a liability).
    balance: Decimal = Field(default=Decimal("0"), sa_column=Column(Money(), nullable=False))
    branch_id: int = Field(foreign_key="branch.id")
    opened_on: date
    status: str = Field(sa_type=String(16), default=AccountStatus.OPEN)


class Holding(SQLModel, table=True):
    __tablename__ = "holding"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: Decimal = Field(sa_column=Column(ScaledDecimal(4), nullable=False))
    cost: Decimal = Field(sa_column=Column(Money(), nullable=False))
    market_value: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(sa_type=String(3), default="CNY")
    as_of: date
    maturity_on: date | None = None  # fixed-term products (deposits, wealth, bonds): the day it matures


class Transaction(SQLModel, table=True):
    __tablename__ = "transaction"
    __table_args__ = (
        Index("ix_transaction_customer_booked", "customer_id", "booked_at"),
        Index("ix_transaction_account_booked", "account_id", "booked_at"),
        UniqueConstraint("source", "external_ref", name="uq_transaction_source_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    customer_id: int = Field(foreign_key="customer.id")
    product_id: int | None = Field(default=None, foreign_key="product.id")
    kind: str = Field(sa_type=String(20))
    # Signed: credits to the customer positive, debits negative.
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(sa_type=String(3), default="CNY")
    booked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    channel: str = Field(sa_type=String(16))
    description: str | None = Field(default=None, sa_type=String(200))
    # The other party of a transfer, as the sending system names it (screened against the watchlists), and
    # its country (ISO 3166 alpha-2, lower case; another country than the firm's makes a transfer cross-border).
    counterparty_name: str | None = Field(default=None, sa_type=String(200))
    counterparty_country: str | None = Field(default=None, sa_type=String(2))
    # The sending system's reference: one booking per (source, external_ref), so re-sent batches change nothing.
    source: str | None = Field(default=None, sa_type=String(40))
    external_ref: str | None = Field(default=None, sa_type=String(64))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AumSnapshot(SQLModel, table=True):
    """Month-end AUM and liabilities per customer: the 24-month chart reads these, not transactions."""

    __tablename__ = "aum_snapshot"
    __table_args__ = (UniqueConstraint("customer_id", "month", name="uq_aum_snapshot_customer_month"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    month: date  # first day of the month the figures close
    aum: Decimal = Field(sa_column=Column(Money(), nullable=False))
    liabilities: Decimal = Field(sa_column=Column(Money(), nullable=False))
