"""Customers (individuals and institutions) and the relationships between them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, text
from sqlmodel import Field, SQLModel

from services.types import ScaledDecimal, UTCDateTime, utcnow


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    INSTITUTION = "institution"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证, checked by GB 11643
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    USCC = "uscc"  # 统一社会信用代码 for institutions, checked by GB 32100


class Segment(StrEnum):
    MASS = "mass"
    AFFLUENT = "affluent"
    HNW = "hnw"
    UHNW = "uhnw"
    CORPORATE = "corporate"


class SourceChannel(StrEnum):
    BRANCH = "branch"
    REFERRAL = "referral"
    ONLINE = "online"
    EVENT = "event"
    CAMPAIGN = "campaign"
    PARTNER = "partner"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    CLOSED = "closed"


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        # Search paths: every index ends in id so ORDER BY key, id LIMIT n walks the index.
        Index("ix_customer_name", "name", "id"),
        Index("ix_customer_name_pinyin", "name_pinyin", "id"),
        Index("ix_customer_name_initials", "name_initials", "id"),
        Index("ix_customer_phone_last4", "phone_last4", "id"),
        Index("ix_customer_id_last4", "id_last4", "id"),
        # An RM's own book (the commonest search) has its own composite per search key.
        Index("ix_customer_owner_name", "owner_id", "name", "id"),
        Index("ix_customer_owner_pinyin", "owner_id", "name_pinyin", "id"),
        Index("ix_customer_owner_initials", "owner_id", "name_initials", "id"),
        Index("ix_customer_team", "team_id", "id"),
        Index("ix_customer_branch", "branch_id", "id"),
        # A team lead's and a branch manager's searches: the same per search key (a branch holds 50,000
        # customers at a million; without these a name search there walks the whole branch, 70-180 ms).
        Index("ix_customer_team_name", "team_id", "name", "id"),
        Index("ix_customer_team_pinyin", "team_id", "name_pinyin", "id"),
        Index("ix_customer_team_initials", "team_id", "name_initials", "id"),
        Index("ix_customer_branch_name", "branch_id", "name", "id"),
        Index("ix_customer_branch_pinyin", "branch_id", "name_pinyin", "id"),
        Index("ix_customer_branch_initials", "branch_id", "name_initials", "id"),
        # Rows of a bulk write not yet published (services/holds.py): only they are indexed.
        Index("ix_customer_hold", "hold_id", sqlite_where=text("hold_id IS NOT NULL"),
              postgresql_where=text("hold_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(sa_type=String(20), unique=True)
    kind: str = Field(sa_type=String(16), default=CustomerKind.INDIVIDUAL)
    name: str = Field(sa_type=String(200))
    name_pinyin: str = Field(sa_type=String(400))
    name_initials: str = Field(sa_type=String(100))
    gender: str | None = Field(default=None, sa_type=String(8))
    birth_date: date | None = None
    id_type: str = Field(sa_type=String(20))
    id_number_enc: str = Field(sa_type=String(255))
    id_number_bidx: str = Field(sa_type=String(32), unique=True, index=True)
    id_last4: str = Field(sa_type=String(4))
    # Display masks, stored so lists never decrypt (see services/customers/pii.py).
    id_number_masked: str | None = Field(default=None, sa_type=String(40))
    phone_enc: str | None = Field(default=None, sa_type=String(255))
    phone_bidx: str | None = Field(default=None, sa_type=String(32), index=True)
    phone_last4: str | None = Field(default=None, sa_type=String(4))
    phone_masked: str | None = Field(default=None, sa_type=String(30))
    email: str | None = Field(default=None, sa_type=String(254))
    address: str | None = Field(default=None, sa_type=String(300))
    occupation: str | None = Field(default=None, sa_type=String(100))
    segment: str = Field(sa_type=String(16), default=Segment.MASS)
    owner_id: int = Field(foreign_key="app_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    branch_id: int = Field(foreign_key="branch.id")
    source_channel: str = Field(sa_type=String(16), default=SourceChannel.BRANCH)
    status: str = Field(sa_type=String(16), default=CustomerStatus.ACTIVE)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    legal_representative: str | None = Field(default=None, sa_type=String(100))  # institutions
    risk_level: str | None = Field(default=None, sa_type=String(2))  # C1..C5 from the latest assessment
    risk_valid_until: date | None = None
    kyc_status: str = Field(sa_type=String(16), default="pending")  # KycStatus
    kyc_review_due: date | None = None  # the next periodic KYC review (by AML risk), reminded by the agenda
    aml_risk: str = Field(sa_type=String(8), default="pending")  # AmlRisk, written by the AML domain
    # Values of admin-defined custom fields, by field key; validated against CustomFieldDefinition.
    custom: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    version: int = Field(default=1)  # optimistic locking: updates must name the version they read
    # Written by an import that has not finished: invisible to everyone while that hold is open
    # (services/holds.py). No foreign key: adding one would rebuild this table on SQLite.
    hold_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class KycStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    EXPIRED = "expired"
    REJECTED = "rejected"


class AmlRisk(StrEnum):
    UNSCREENED = "pending"  # screening pending: no list was in force when the customer arrived
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class RelationshipKind(StrEnum):
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    RELATED_PARTY = "related_party"
    GUARANTOR = "guarantor"
    EMPLOYER = "employer"
    CONTROLLER = "controller"
    BENEFICIAL_OWNER = "beneficial_owner"  # ultimate beneficial owner of an institution
    LEGAL_REPRESENTATIVE = "legal_representative"


class Household(SQLModel, table=True):
    """A family that the firm serves as one: AUM and liabilities roll up over its members."""

    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Relationship(SQLModel, table=True):
    """A directed link: `customer` has `related_customer` as its <kind> (e.g. spouse)."""

    __tablename__ = "relationship"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    related_customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(sa_type=String(20))
    note: str | None = Field(default=None, sa_type=String(200))
    share_pct: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(4)))  # ownership, for UBOs
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CreditRating(SQLModel, table=True):
    __tablename__ = "credit_rating"
    __table_args__ = (Index("ix_credit_rating_customer_rated", "customer_id", "rated_on"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    rating: str = Field(sa_type=String(8))  # internal scale AAA .. D
    source: str = Field(sa_type=String(50))  # internal scorecard, PBoC credit report, agency
    rated_on: date
    valid_until: date | None = None
    note: str | None = Field(default=None, sa_type=String(200))


class ConsentRecord(SQLModel, table=True):
    """Personal-information consent (PIPL): each grant or withdrawal is a new row, never an update."""

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_customer_purpose", "customer_id", "purpose", "recorded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    purpose: str = Field(sa_type=String(32))  # marketing, data_sharing, credit_inquiry, profiling
    granted: bool
    channel: str = Field(sa_type=String(16))  # branch, app, online, phone, api
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: str | None = Field(default=None, sa_type=String(100))
    evidence: str | None = Field(default=None, sa_type=String(200))


class CustomFieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"


class CustomFieldDefinition(SQLModel, table=True):
    """An admin-defined field on individuals and/or institutions; values live in Customer.custom."""

    __tablename__ = "custom_field_definition"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(40), unique=True)  # [a-z][a-z0-9_]*
    label: str = Field(sa_type=String(100))
    label_en: str = Field(sa_type=String(100))
    field_type: str = Field(sa_type=String(16))
    applies_to: str = Field(sa_type=String(16), default="both")  # individual, institution, both
    choices: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required: bool = False
    min_value: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(4)))
    max_value: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(4)))
    max_length: int | None = None
    # Field-level permission: roles that see it (empty: everyone with access to the customer),
    # and roles that may edit it.
    visible_to: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    editable_by: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Document(SQLModel, table=True):
    """A file in the document store (addressed by SHA-256), attached to a customer."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_customer_uploaded", "customer_id", "uploaded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    kind: str = Field(sa_type=String(32))  # id_copy, contract, disclosure, import_report, other
    filename: str = Field(sa_type=String(255))
    content_type: str = Field(sa_type=String(100))
    sha256: str = Field(sa_type=String(64), index=True)
    size: int
    uploaded_by: str | None = Field(default=None, sa_type=String(100))
    uploaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
