"""Personal-information consent (PIPL): grants and withdrawals per purpose.

Each grant or withdrawal is a new row, never an update; the current consent for a purpose is
the latest row (by recorded time, then id). Anyone who may see the customer may record and read
consent, except read-only roles (auditor); every record is audited in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlmodel import Session

from services.customers.models import ConsentRecord
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services import clock
from services.validation.dates import CLOCK_SKEW, BusinessTime
from services.validation.input import StrictInput, parse
from services.security.policy import Permission, requires

# "contact" is the customer's consent to be contacted at all (calls, visits, meetings): unlike the other
# purposes, which need a grant, a customer may be contacted until they withdraw it ("do not contact",
# enforced by services/activities/contact.py).
PURPOSES = ("marketing", "data_sharing", "credit_inquiry", "profiling", "contact")
CHANNELS = ("branch", "app", "online", "phone", "api")
MAX_HISTORY = 200
MAX_BACKDATE = timedelta(days=3650)  # paper consent captured later, but not older than ten years


class ConsentIn(StrictInput):
    purpose: Literal["marketing", "data_sharing", "credit_inquiry", "profiling", "contact"]
    granted: bool
    channel: Literal["branch", "app", "online", "phone", "api"]
    recorded_at: BusinessTime | None = None  # when the customer gave or withdrew it; default now
    evidence: str | None = Field(default=None, max_length=200)  # form number, call recording id ...

    @field_validator("granted", mode="before")
    @classmethod
    def _strict_bool(cls, v: Any) -> Any:
        if not isinstance(v, bool):
            raise ValueError("bool")
        return v

    @field_validator("evidence", mode="before")
    @classmethod
    def _one_line(cls, v: Any) -> Any:
        if isinstance(v, str) and any(ch in v for ch in "\t\n\r"):  # a reference, not a note
            raise ValueError("control")
        return v


class ConsentView(BaseModel):
    id: int
    customer_id: int
    purpose: str
    granted: bool
    channel: str
    recorded_at: datetime
    recorded_by: str | None
    evidence: str | None


class ConsentStatus(BaseModel):
    purpose: str
    granted: bool | None  # None: never asked
    channel: str | None
    recorded_at: datetime | None


def _view(r: ConsentRecord) -> ConsentView:
    return ConsentView(id=r.id, customer_id=r.customer_id, purpose=r.purpose, granted=r.granted, channel=r.channel,
                       recorded_at=r.recorded_at, recorded_by=r.recorded_by, evidence=r.evidence)


def _load(s: Session, actor: Actor, customer_id: Any):
    from services.customers.service import load_customer

    return load_customer(s, actor, customer_id)


@requires(Permission.RECORD_WRITE)
def record_consent(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> ConsentView:
    """Record one grant or withdrawal as a new row."""
    s = uow.session
    customer = _load(s, actor, customer_id)
    req = parse(ConsentIn, data)
    now = clock.now()
    when = req.recorded_at or now
    if when > now + CLOCK_SKEW:
        raise ValidationFailed([FieldError("recorded_at", "value.future_date")])
    if when < now - MAX_BACKDATE:
        raise ValidationFailed([FieldError("recorded_at", "value.invalid")])
    row = ConsentRecord(customer_id=customer.id, purpose=req.purpose, granted=req.granted, channel=req.channel,
                        recorded_at=when, recorded_by=actor.name[:100], evidence=req.evidence or None)
    s.add(row)
    s.flush()
    audit.record(s, actor, "consent.grant" if req.granted else "consent.withdraw", entity_type="customer",
                 entity_id=customer.id, changes={"consent_id": row.id, "purpose": req.purpose,
                                                 "granted": req.granted, "channel": req.channel,
                                                 "recorded_at": when.isoformat(), "evidence": req.evidence})
    return _view(row)


def _latest(s: Session, customer_id: int) -> dict[str, ConsentRecord]:
    rows = s.execute(
        select(ConsentRecord).where(ConsentRecord.customer_id == customer_id)
        .order_by(ConsentRecord.purpose, ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
    ).scalars()
    latest: dict[str, ConsentRecord] = {}
    for r in rows:
        latest.setdefault(r.purpose, r)
    return latest


@requires(Permission.CUSTOMER_READ)
def current_consents(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list[ConsentStatus]:
    """The consent in force for every purpose (granted None when never recorded)."""
    customer = _load(uow.session, actor, customer_id)
    latest = _latest(uow.session, customer.id)
    out = []
    for p in PURPOSES:
        r = latest.get(p)
        out.append(ConsentStatus(purpose=p, granted=None if r is None else r.granted,
                                 channel=None if r is None else r.channel,
                                 recorded_at=None if r is None else r.recorded_at))
    return out


@requires(Permission.CUSTOMER_READ)
def consent_history(*, uow: UnitOfWork, actor: Actor, customer_id: Any, purpose: Any = None,
                    limit: Any = 50) -> list[ConsentView]:
    """Every grant and withdrawal, newest first (optionally for one purpose)."""
    if purpose is not None and purpose not in PURPOSES:
        raise ValidationFailed([FieldError("purpose", "value.invalid_choice", {"choices": ", ".join(PURPOSES)})])
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_HISTORY:
        raise ValidationFailed([FieldError("limit", "value.invalid")])
    customer = _load(uow.session, actor, customer_id)
    stmt = select(ConsentRecord).where(ConsentRecord.customer_id == customer.id)
    if purpose is not None:
        stmt = stmt.where(ConsentRecord.purpose == purpose)
    stmt = stmt.order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(limit)
    return [_view(r) for r in uow.session.execute(stmt).scalars()]


def has_consent(session: Session, customer_id: int, purpose: str) -> bool:
    """For other services (marketing, data sharing): is consent for `purpose` in force? No actor: the
    caller has already decided it may act on this customer."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    r = session.execute(
        select(ConsentRecord.granted).where(ConsentRecord.customer_id == customer_id,
                                            ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(1)
    ).first()
    return bool(r and r[0])


def withdrawn_purposes(session: Session, customer_id: int) -> set[str]:
    """The purposes whose latest record withdraws consent (never recorded is not withdrawn). No actor: the caller
    has already decided it may act on this customer."""
    return {p for p, r in _latest(session, customer_id).items() if not r.granted}
