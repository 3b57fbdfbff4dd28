"""What the customer 360 keeps for itself: the history of a customer's relationship managers, for the timeline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime


class OwnerChange(SQLModel, table=True):
    """A customer was given to another relationship manager (written from CustomerReassigned, in the
    transaction of the change, which the change pipeline audits)."""

    __tablename__ = "customer_owner_change"
    __table_args__ = (Index("ix_owner_change_customer_at", "customer_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    old_owner_id: int = Field(foreign_key="app_user.id")
    new_owner_id: int = Field(foreign_key="app_user.id")
    actor_kind: str = Field(sa_type=String(16))  # user, api_client, system
    actor_id: int | None = None  # the user's or API client's id (no foreign key: either table)
    actor_name: str = Field(sa_type=String(100))  # the user name or client name at the time
