"""Opportunities' use cases: an RM opens one on a customer (the 360 page), moves it through the pipeline and
wins or loses it with a reason. Each step is audited and announced (OpportunityChanged), under optimistic
concurrency (the version the caller read)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import select, update
from sqlmodel import Session

from services import clock
from services.customers.access import load_customer
from services.db import UnitOfWork
from services.errors import ConcurrentModification, FieldError, NotFound, ValidationFailed
from services.opportunities.events import OpportunityChanged
from services.opportunities.models import (CLOSED_STAGES, FUNNEL, LOST_REASONS, OPEN_STAGES, WON_REASONS,
                                           Opportunity, Stage)
from services.opportunities.views import OpportunityView
from services.portfolio.models import Product, ProductType
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission as P, requires
from services.validation.input import ID_LIMIT, StrictInput, parse

MAX_AMOUNT = Decimal("1000000000000")
MAX_PER_CUSTOMER = 200  # shown on the 360 page, newest first


class OpportunityCreate(StrictInput):
    subject: str = Field(min_length=1, max_length=200)
    product_type: ProductType | None = None
    product_code: str | None = Field(default=None, min_length=1, max_length=32)
    amount: Decimal = Field(gt=0, lt=MAX_AMOUNT, max_digits=15, decimal_places=2)
    expected_close: date | None = None
    stage: Literal["lead", "qualified", "proposal"] = "lead"

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        # 0.1 + 0.2 as a float is not an amount of money: take numbers as their text
        return str(v) if isinstance(v, float) else v


class OpportunityClose(StrictInput):
    outcome: Literal["won", "lost"]
    close_reason: str = Field(min_length=1, max_length=16)
    close_note: str | None = Field(default=None, max_length=500)


class OpportunityEdit(StrictInput):
    """The editable fields of an open opportunity, all of them as the edit form shows them (an empty expected close
    or product type clears it; no product code: no particular product)."""

    subject: str = Field(min_length=1, max_length=200)
    product_type: ProductType | None = None
    product_code: str | None = Field(default=None, min_length=1, max_length=32)
    amount: Decimal = Field(gt=0, lt=MAX_AMOUNT, max_digits=15, decimal_places=2)
    expected_close: date | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, v: Any) -> Any:
        return str(v) if isinstance(v, float) else v

    @field_validator("product_type", "product_code", "expected_close", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v


def _check_id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < ID_LIMIT:
        raise ValidationFailed([FieldError(field, "value.invalid")])
    return value


def _check_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < ID_LIMIT:
        raise ValidationFailed([FieldError("version", "value.wrong_type")])
    return value


def _who(actor: Actor) -> int:
    if actor.kind != "user" or actor.id is None:
        raise ValidationFailed([FieldError("actor", "value.invalid")])  # only people work opportunities
    return actor.id


def next_stages(stage: str) -> list[str]:
    if stage in CLOSED_STAGES:
        return []
    return [s.value for s in OPEN_STAGES if s != stage]


def _view(s: Session, row: Opportunity) -> OpportunityView:
    owner = s.get(User, row.owner_id)
    product = s.get(Product, row.product_id) if row.product_id else None
    return OpportunityView(
        id=row.id, customer_id=row.customer_id, owner_id=row.owner_id,
        owner_name=owner.display_name if owner else str(row.owner_id), title=row.title,
        product_type=row.product_type, product_code=product.code if product else None,
        product_name=product.name if product else None, product_name_en=product.name_en if product else None,
        amount=row.amount, currency=row.currency, stage=row.stage, expected_close=row.expected_close,
        close_reason=row.close_reason, close_note=row.close_note, created_at=row.created_at,
        updated_at=row.updated_at, closed_at=row.closed_at, version=row.version, next_stages=next_stages(row.stage))


def _load(s: Session, actor: Actor, opportunity_id: Any) -> Opportunity:
    oid = _check_id(opportunity_id, "opportunity_id")
    row = s.get(Opportunity, oid)
    if row is None:
        raise NotFound(what="opportunity", id=oid)
    load_customer(s, actor, row.customer_id)  # out of scope answers as not found, audited as a refusal
    return row


def _announce(uow: UnitOfWork, row: Opportunity, old: str | None) -> None:
    uow.publish(OpportunityChanged(opportunity_id=row.id, customer_id=row.customer_id, old_stage=old,
                                   new_stage=row.stage))


@requires(P.OPPORTUNITY_WRITE)
def create_opportunity(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> OpportunityView:
    """Open an opportunity on a customer in the actor's scope (at lead, or further along if it came in
    qualified). The customer's RM works it."""
    s = uow.session
    who = _who(actor)
    req = parse(OpportunityCreate, data)
    customer = load_customer(s, actor, customer_id)
    product_id, product_type = _product(s, req.product_code, req.product_type)
    today = clock.today()
    if req.expected_close is not None and req.expected_close < today:
        raise ValidationFailed([FieldError("expected_close", "opportunity.close_before_open")])
    now = clock.now()
    stage = Stage(req.stage)
    row = Opportunity(customer_id=customer.id, owner_id=customer.owner_id, title=req.subject,
                      product_type=product_type, product_id=product_id, amount=req.amount, stage=stage,
                      reached=FUNNEL.index(stage), expected_close=req.expected_close, created_by=who,
                      created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    audit.record(s, actor, "opportunity.create", entity_type="opportunity", entity_id=row.id,
                 changes={"customer_id": customer.id, "subject": row.title, "product_type": product_type,
                          "amount": str(row.amount), "stage": stage.value})
    _announce(uow, row, None)
    return _view(s, row)


def _product(s: Session, code: str | None, product_type: str | None) -> tuple[int | None, str | None]:
    """(product id, product type) for an opportunity's product code and type: an active product of that type."""
    if not code:
        return None, product_type
    product = s.execute(select(Product).where(Product.code == code)).scalars().first()
    if product is None or not product.is_active:
        raise ValidationFailed([FieldError("product_code", "value.invalid")])
    if product_type is not None and product.product_type != product_type:
        raise ValidationFailed([FieldError("product_code", "opportunity.product_type_mismatch",
                                           {"product_type": product.product_type})])
    return product.id, product.product_type


def _write(uow: UnitOfWork, actor: Actor, row: Opportunity, version: int, action: str, values: dict) -> Opportunity:
    s = uow.session
    old = row.stage
    now = clock.now()
    done = s.execute(update(Opportunity).where(Opportunity.id == row.id, Opportunity.version == version)
                     .values(**values, updated_at=now, version=Opportunity.version + 1)).rowcount
    if done != 1:
        raise ConcurrentModification()
    s.expire(row)
    row = s.get(Opportunity, row.id)
    audit.record(s, actor, action, entity_type="opportunity", entity_id=row.id,
                 changes={"customer_id": row.customer_id, "from": old, "to": row.stage,
                          **{k: (str(v) if isinstance(v, (Decimal, date)) else v) for k, v in values.items()
                             if k in ("close_reason", "close_note")}})
    _announce(uow, row, old)
    return row


@requires(P.OPPORTUNITY_WRITE)
def move_opportunity(*, uow: UnitOfWork, actor: Actor, opportunity_id: Any, version: Any,
                     stage: Any) -> OpportunityView:
    """Move an open opportunity to another open stage (forward or back; won and lost go through `close`)."""
    s = uow.session
    _who(actor)
    version = _check_version(version)
    if stage not in [x.value for x in OPEN_STAGES]:
        raise ValidationFailed([FieldError("stage", "value.invalid_choice",
                                           {"choices": ", ".join(x.value for x in OPEN_STAGES)})])
    row = _load(s, actor, opportunity_id)
    if row.stage in CLOSED_STAGES:
        raise ValidationFailed([FieldError("stage", "opportunity.closed", {"stage": row.stage})])
    if row.stage == stage:
        raise ValidationFailed([FieldError("stage", "opportunity.same_stage")])
    reached = max(row.reached, FUNNEL.index(Stage(stage)))
    return _view(s, _write(uow, actor, row, version, "opportunity.move", {"stage": stage, "reached": reached}))


@requires(P.OPPORTUNITY_WRITE)
def close_opportunity(*, uow: UnitOfWork, actor: Actor, opportunity_id: Any, version: Any,
                      data: Any) -> OpportunityView:
    """Win or lose an open opportunity, with the reason (and a note)."""
    s = uow.session
    _who(actor)
    version = _check_version(version)
    req = parse(OpportunityClose, data)
    allowed = WON_REASONS if req.outcome == "won" else LOST_REASONS
    if req.close_reason not in [r.value for r in allowed]:
        raise ValidationFailed([FieldError("close_reason", "opportunity.reason_for_outcome",
                                           {"outcome": req.outcome, "choices": ", ".join(r.value for r in allowed)})])
    row = _load(s, actor, opportunity_id)
    if row.stage in CLOSED_STAGES:
        raise ValidationFailed([FieldError("outcome", "opportunity.closed", {"stage": row.stage})])
    values: dict[str, Any] = {"stage": req.outcome, "close_reason": req.close_reason,
                              "close_note": req.close_note or None, "closed_at": clock.now()}
    if req.outcome == "won":
        values["reached"] = FUNNEL.index(Stage.WON)
    return _view(s, _write(uow, actor, row, version, f"opportunity.{req.outcome}", values))


_EDITABLE = ("title", "product_type", "product_id", "amount", "expected_close")


@requires(P.OPPORTUNITY_WRITE)
def edit_opportunity(*, uow: UnitOfWork, actor: Actor, opportunity_id: Any, version: Any,
                     data: Any) -> OpportunityView:
    """Change an open opportunity's subject, amount, expected close date or product, against the version the
    caller read: a change made meanwhile by someone else is a ConcurrentModification, never overwritten. Only
    what changed is written and audited (old and new values); nothing changed: nothing written."""
    s = uow.session
    _who(actor)
    version = _check_version(version)
    req = parse(OpportunityEdit, data)
    row = _load(s, actor, opportunity_id)
    if row.version != version:
        raise ConcurrentModification()
    if row.stage in CLOSED_STAGES:
        raise ValidationFailed([FieldError("opportunity_id", "opportunity.closed_edit", {"stage": row.stage})])
    product_id, product_type = _product(s, req.product_code, req.product_type)
    new = {"title": req.subject, "product_type": product_type, "product_id": product_id, "amount": req.amount,
           "expected_close": req.expected_close}
    changed = {k: v for k, v in new.items() if getattr(row, k) != v}
    if "expected_close" in changed and req.expected_close is not None and req.expected_close < clock.today():
        raise ValidationFailed([FieldError("expected_close", "opportunity.close_in_past")])
    if not changed:
        return _view(s, row)
    before = {k: getattr(row, k) for k in changed}
    done = s.execute(update(Opportunity).where(Opportunity.id == row.id, Opportunity.version == version)
                     .values(**changed, updated_at=clock.now(), version=Opportunity.version + 1)).rowcount
    if done != 1:
        raise ConcurrentModification()
    s.expire(row)
    row = s.get(Opportunity, row.id)
    plain = lambda v: str(v) if isinstance(v, (Decimal, date)) else v  # noqa: E731
    audit.record(s, actor, "opportunity.edit", entity_type="opportunity", entity_id=row.id,
                 changes={"customer_id": row.customer_id,
                          **{("subject" if k == "title" else k): {"from": plain(before[k]), "to": plain(v)}
                             for k, v in changed.items()}})
    _announce(uow, row, row.stage)  # the rollup counts the opportunity again (its amount, its product type)
    return _view(s, row)


@requires(P.CUSTOMER_READ)
def customer_opportunities(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list[OpportunityView]:
    """The customer's opportunities, open ones first, newest first."""
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    rows = s.execute(select(Opportunity).where(Opportunity.customer_id == customer.id)
                     .order_by(Opportunity.closed_at.is_not(None), Opportunity.created_at.desc(),
                               Opportunity.id.desc()).limit(MAX_PER_CUSTOMER)).scalars().all()
    return [_view(s, r) for r in rows]

