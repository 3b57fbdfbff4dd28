"""What the device sends after working offline (issue 14, services/agenda/sync.py): the keys of tasks made or
rescheduled without signal, and where the phone was when the RM logged a visit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import UTCDateTime, utcnow


class OfflineTaskSubmission(SQLModel, table=True):
    """A task made or rescheduled on a phone without signal and sent later (services/agenda/sync.py): the device's
    key for it, so a retry after a lost answer changes nothing twice."""

    __tablename__ = "offline_task_submission"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_offline_task_submission_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(sa_type=String(64))
    action: str = Field(sa_type=String(16))  # create | reschedule
    request_hash: str = Field(sa_type=String(64))
    task_id: int = Field(foreign_key="task.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class VisitCheckIn(SQLModel, table=True):
    """Where the phone was when the RM logged a visit (navigator.geolocation, with the RM's permission). A refusal
    or no fix is kept too, as what it was (status), without coordinates."""

    __tablename__ = "visit_check_in"

    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True)
    status: str = Field(sa_type=String(16))  # fix | refused | unavailable
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    taken_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
