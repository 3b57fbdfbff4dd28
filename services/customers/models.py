"""Customers (individuals and institutions) and the relationships between them."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


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
    phone_enc: str | None = Field(default=None, sa_type=String(255))
    phone_bidx: str | None = Field(default=None, sa_type=String(32), index=True)
    phone_last4: str | None = Field(default=None, sa_type=String(4))
    email: str | None = Field(default=None, sa_type=String(254))
    address: str | None = Field(default=None, sa_type=String(300))
    occupation: str | None = Field(default=None, sa_type=String(100))
    segment: str = Field(sa_type=String(16), default=Segment.MASS)
    owner_id: int = Field(foreign_key="app_user.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    branch_id: int = Field(foreign_key="branch.id")
    source_channel: str = Field(sa_type=String(16), default=SourceChannel.BRANCH)
    status: str = Field(sa_type=String(16), default=CustomerStatus.ACTIVE)
    version: int = Field(default=1)  # optimistic locking: updates must name the version they read
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RelationshipKind(StrEnum):
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    RELATED_PARTY = "related_party"


class Relationship(SQLModel, table=True):
    """A directed link: `customer` has `related_customer` as its <kind> (e.g. spouse)."""

    __tablename__ = "relationship"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    related_customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(sa_type=String(20))
    note: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
