"""Import batches (uploaded files and the core-banking inbox) and the rows waiting for review."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_sha", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_type=String(16))  # upload, inbox
    filename: str = Field(sa_type=String(255))
    sha256: str = Field(sa_type=String(64))
    encoding: str | None = Field(default=None, sa_type=String(20))
    mapping: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # column -> field
    status: str = Field(sa_type=String(16), default="pending")  # pending, running, done, failed
    total_rows: int = 0
    processed_rows: int = 0  # progress
    created_count: int = 0
    updated_count: int = 0
    unchanged_count: int = 0
    review_count: int = 0
    error_count: int = 0
    error_report_sha256: str | None = Field(default=None, sa_type=String(64))  # document store
    message: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str | None = Field(default=None, sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The hold its new customers are written under until the run publishes them (services/holds.py).
    write_hold_id: int | None = None


class ImportReviewItem(SQLModel, table=True):
    """A row matched only by name and birth date: a person decides whether it is the same customer."""

    __tablename__ = "import_review_item"
    __table_args__ = (UniqueConstraint("batch_id", "row_no", name="uq_review_batch_row"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    row_no: int
    data: dict = Field(sa_column=Column(JSON, nullable=False))  # the validated row, sensitive values masked
    candidate_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(sa_type=String(16), default="open")  # open, merged, created, dismissed
    decided_by: str | None = Field(default=None, sa_type=String(100))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
