"""Tags, the rules that derive them, and which customers carry them (with the reason)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    color: str = Field(sa_type=String(16), default="blue")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class TagRule(SQLModel, table=True):
    """One version of a rule. Editing a rule adds a version; customers record the version that tagged them."""

    __tablename__ = "tag_rule"
    __table_args__ = (UniqueConstraint("rule_key", "version", name="uq_tag_rule_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_key: str = Field(sa_type=String(40), index=True)  # stable across versions
    version: int
    tag_id: int = Field(foreign_key="tag.id", index=True)
    name: str = Field(sa_type=String(100))
    definition: dict = Field(sa_column=Column(JSON, nullable=False))  # the condition tree
    is_current: bool = True  # exactly one current version per rule_key
    active: bool = True
    created_by: str | None = Field(default=None, sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tag"
    __table_args__ = (UniqueConstraint("customer_id", "tag_id", name="uq_customer_tag"),
                      Index("ix_customer_tag_tag", "tag_id", "customer_id"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    tag_id: int = Field(foreign_key="tag.id")
    rule_id: int | None = Field(default=None, foreign_key="tag_rule.id")  # None: set by hand
    rule_version: int | None = None
    evidence: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # values that triggered
    applied_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CustomerTagChange(SQLModel, table=True):
    """History of tags given and taken away, for the 360 timeline."""

    __tablename__ = "customer_tag_change"
    __table_args__ = (Index("ix_tag_change_customer_at", "customer_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    tag_id: int = Field(foreign_key="tag.id")
    action: str = Field(sa_type=String(8))  # added, removed
    rule_id: int | None = Field(default=None, foreign_key="tag_rule.id")
    rule_version: int | None = None
    evidence: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
