"""Ticket categories and their service levels: data (table ticket_category), shipped with defaults by the
migration that made the table and changed by administrators (ticket_category.manage).

A ticket's SLA deadline is fixed when it is opened (receipt + the category's hours for its priority): changing a
category's hours applies to tickets opened afterwards, never to promises already made.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlmodel import Session

from services.activities.models import TaskPriority, TicketCategory, TicketKind
from services.activities.views import CategoryView
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.validation.input import StrictInput, parse

MAX_SLA_HOURS = 24 * 90
MAX_REOPEN_DAYS = 365


def other_category(kind: str) -> str:
    """The category a ticket gets when none is named (shipped with every installation)."""
    return f"{kind}_other"


def category_for(session: Session, code: str, kind: str) -> TicketCategory:
    """The active category `code` of tickets of `kind`, or ValidationFailed naming the field."""
    row = session.execute(select(TicketCategory).where(TicketCategory.code == code)).scalar_one_or_none()
    if row is None:
        raise ValidationFailed([FieldError("category", "value.invalid")])
    if row.kind != kind:
        raise ValidationFailed([FieldError("category", "ticket.category_kind")])
    if not row.active:
        raise ValidationFailed([FieldError("category", "ticket.category_inactive")])
    return row


def sla_hours(category: TicketCategory, priority: str) -> int:
    return {TaskPriority.HIGH: category.sla_hours_high, TaskPriority.NORMAL: category.sla_hours_normal,
            TaskPriority.LOW: category.sla_hours_low}[TaskPriority(priority)]


def sla_due(category: TicketCategory, priority: str, received_at: datetime) -> datetime:
    return received_at + timedelta(hours=sla_hours(category, priority))


def view(row: TicketCategory) -> CategoryView:
    return CategoryView(code=row.code, kind=row.kind, name=row.name, name_en=row.name_en,
                        sla_hours={"high": row.sla_hours_high, "normal": row.sla_hours_normal,
                                   "low": row.sla_hours_low},
                        reopen_days=row.reopen_days, active=row.active)


@requires(Permission.CUSTOMER_READ)
def list_categories(*, uow: UnitOfWork, actor: Actor, include_inactive: bool = False) -> list[CategoryView]:
    """Every category in display order (the ticket form offers the active ones)."""
    stmt = select(TicketCategory).order_by(TicketCategory.kind, TicketCategory.sort_order, TicketCategory.code)
    if include_inactive is not True:
        stmt = stmt.where(TicketCategory.active.is_(True))
    return [view(r) for r in uow.session.execute(stmt).scalars()]


class CategoryIn(StrictInput):
    code: str = Field(min_length=3, max_length=32, pattern=r"^[a-z][a-z0-9_]{2,31}$")
    kind: TicketKind
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    sla_hours_high: int = Field(ge=1, le=MAX_SLA_HOURS)
    sla_hours_normal: int = Field(ge=1, le=MAX_SLA_HOURS)
    sla_hours_low: int = Field(ge=1, le=MAX_SLA_HOURS)
    reopen_days: int = Field(ge=0, le=MAX_REOPEN_DAYS)
    active: bool = True
    sort_order: int = Field(default=0, ge=0, le=1000)

    @model_validator(mode="after")
    def _urgent_first(self) -> "CategoryIn":
        # A higher priority never gets more time than a lower one.
        if self.sla_hours_high > self.sla_hours_normal or self.sla_hours_normal > self.sla_hours_low:
            raise ValidationFailed([FieldError("sla_hours_high" if self.sla_hours_high > self.sla_hours_normal
                                               else "sla_hours_normal", "ticket_category.sla_order")])
        return self


@requires(Permission.TICKET_CATEGORY_MANAGE)
def save_category(*, uow: UnitOfWork, actor: Actor, data: Any) -> CategoryView:
    """Create a category or change one (by code); its kind never changes, since tickets already carry it."""
    req = parse(CategoryIn, data)  # the model validator's ValidationFailed passes through pydantic as raised
    s = uow.session
    row = s.execute(select(TicketCategory).where(TicketCategory.code == req.code).with_for_update()
                    ).scalar_one_or_none()
    before = None if row is None else view(row)
    if row is None:
        row = TicketCategory(code=req.code, kind=req.kind.value, name=req.name, name_en=req.name_en,
                             sla_hours_high=req.sla_hours_high, sla_hours_normal=req.sla_hours_normal,
                             sla_hours_low=req.sla_hours_low, reopen_days=req.reopen_days, active=req.active,
                             sort_order=req.sort_order)
        s.add(row)
    else:
        if row.kind != req.kind.value:
            raise ValidationFailed([FieldError("kind", "value.not_editable")])
        for name in ("name", "name_en", "sla_hours_high", "sla_hours_normal", "sla_hours_low", "reopen_days",
                     "active", "sort_order"):
            setattr(row, name, getattr(req, name))
    s.flush()
    after = view(row)
    audit.record(s, actor, "ticket_category.save", entity_type="ticket_category", entity_id=row.code,
                 changes={"before": None if before is None else _plain(before), "after": _plain(after)})
    return after


def _plain(v: CategoryView) -> dict:
    return {"kind": v.kind, "name": v.name, "name_en": v.name_en, "sla_hours": v.sla_hours,
            "reopen_days": v.reopen_days, "active": v.active}
