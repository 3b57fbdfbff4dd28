"""The customer 360 view: one call for the phone's first screen, and the paged parts behind it.

Everything is scoped (services.customers.service.load_customer) and masked per the
actor before it leaves; charts read rollups (AumSnapshot), never whole histories.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, select, type_coerce
from sqlmodel import Session

from services.activities.models import BehaviourEvent, Interaction, Ticket, TicketStatus
from services.customers import service as customers
from services.customers.models import CreditRating, Customer, Document, Household, Relationship
from services.customers.schemas import _Strict
from services.customers.views import (AmountByKey, CreditRatingView, Customer360, Customer360Header,
                                      DocumentView, HouseholdMemberView, HouseholdView, MonthPoint, TagView,
                                      TicketView, TimelineItem, TransactionPage, TransactionView)
from services.db import UnitOfWork
from services.portfolio.models import Account, AumSnapshot, Holding, Product, Transaction, TransactionKind
from services.security.actor import Actor
from services.security.policy import can_see_customer
from services.tags import service as tags_service
from services.tags.models import CustomerTagChange, Tag
from services.types import Money, utcnow
from services.validation.input import parse

LARGE_TRANSACTION = Decimal("50000")  # the timeline shows bookings of at least this much
HISTORY_MONTHS = 24


# ---------------------------------------------------------------- the first screen

def customer_360(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> Customer360:
    s = uow.session
    detail = customers.get_customer(uow=uow, actor=actor, customer_id=customer_id)
    c = s.get(Customer, detail.profile.id)
    today = date.today()
    header = Customer360Header(
        customer_id=c.id, name=c.name, customer_no=c.customer_no, kind=c.kind, segment=c.segment,
        status=c.status, aum=detail.aum, liabilities=detail.liabilities,
        tags=[TagView.model_validate(t.model_dump())
              for t in tags_service.tags_for_customer(uow=uow, actor=actor, customer_id=c.id)],
        currency=detail.currency, risk_level=c.risk_level, risk_valid_until=c.risk_valid_until,
        risk_expired=c.risk_valid_until is not None and c.risk_valid_until < today,
        kyc_status=c.kyc_status, aml_risk=c.aml_risk, legal_representative=c.legal_representative)
    by_type: dict[str, Decimal] = {}
    for h in detail.holdings:
        by_type[h.product_type] = by_type.get(h.product_type, Decimal("0")) + h.market_value
    for a in detail.accounts:
        if a.kind == "deposit":
            by_type["deposit"] = by_type.get("deposit", Decimal("0")) + a.balance
    ratings = s.execute(select(CreditRating).where(CreditRating.customer_id == c.id)
                        .order_by(CreditRating.rated_on.desc()).limit(12)).scalars().all()
    open_tickets = s.execute(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == c.id, Ticket.status.in_((TicketStatus.OPEN, TicketStatus.IN_PROGRESS)))).scalar_one()
    return Customer360(
        header=header, detail=detail,
        holdings_by_type=[AmountByKey(key=k, amount=v) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])
                          if v > 0],
        aum_history=aum_history(s, c.id),
        household=household(s, actor, c),
        credit_ratings=[CreditRatingView(rating=r.rating, source=r.source, rated_on=r.rated_on,
                                         valid_until=r.valid_until, note=r.note) for r in ratings],
        open_tickets=open_tickets)


def aum_history(s: Session, customer_id: int) -> list[MonthPoint]:
    rows = s.execute(select(AumSnapshot.month, AumSnapshot.aum, AumSnapshot.liabilities)
                     .where(AumSnapshot.customer_id == customer_id)
                     .order_by(AumSnapshot.month.desc()).limit(HISTORY_MONTHS)).all()
    return [MonthPoint(month=m, aum=a, liabilities=l) for m, a, l in reversed(rows)]


def _totals(s: Session, customer_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """AUM and liabilities per customer, two grouped queries for the whole set."""
    out = {cid: [Decimal("0"), Decimal("0")] for cid in customer_ids}
    if not customer_ids:
        return {}
    accounts = s.execute(select(Account.customer_id, Account.kind, type_coerce(func.sum(Account.balance), Money()))
                         .where(Account.customer_id.in_(customer_ids))
                         .group_by(Account.customer_id, Account.kind)).all()
    for cid, kind, amount in accounts:
        if kind in customers.LIABILITY_KINDS:
            out[cid][1] += amount
        elif kind != "insurance":
            out[cid][0] += amount
    holdings = s.execute(select(Holding.customer_id, type_coerce(func.sum(Holding.market_value), Money()))
                         .where(Holding.customer_id.in_(customer_ids)).group_by(Holding.customer_id)).all()
    for cid, amount in holdings:
        out[cid][0] += amount
    return {cid: (v[0], v[1]) for cid, v in out.items()}


def household(s: Session, actor: Actor, c: Customer) -> HouseholdView | None:
    """The household roll-up. Members outside the actor's scope count in the totals but show no detail."""
    if c.household_id is None:
        return None
    hh = s.get(Household, c.household_id)
    members = s.execute(select(Customer).where(Customer.household_id == c.household_id)
                        .order_by(Customer.id)).scalars().all()
    relation = dict(s.execute(select(Relationship.related_customer_id, Relationship.kind)
                              .where(Relationship.customer_id == c.id)).all())
    totals = _totals(s, [m.id for m in members])
    views = []
    for m in members:
        visible = can_see_customer(actor, owner_id=m.owner_id, team_id=m.team_id, branch_id=m.branch_id)
        aum, liab = totals[m.id]
        views.append(HouseholdMemberView(
            customer_id=m.id if visible else None,
            name=m.name if visible else m.name[:1] + "*" * max(1, len(m.name) - 1),
            relation="self" if m.id == c.id else relation.get(m.id),
            aum=aum if visible else None, liabilities=liab if visible else None))
    return HouseholdView(id=hh.id, name=hh.name, members=views,
                         aum=sum((t[0] for t in totals.values()), Decimal("0")),
                         liabilities=sum((t[1] for t in totals.values()), Decimal("0")))


# ---------------------------------------------------------------- transactions, paged and filtered

class TransactionFilter(_Strict):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)
    date_from: date | None = None
    date_to: date | None = None
    kinds: list[TransactionKind] = Field(default_factory=list, max_length=20)
    min_amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"))  # on the absolute amount
    max_amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"))


def transactions(*, uow: UnitOfWork, actor: Actor, customer_id: Any, filters: Any = None) -> TransactionPage:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    f = parse(TransactionFilter, filters or {})
    t = Transaction
    cond = [t.customer_id == c.id]
    tz = customers_tz()
    if f.date_from:
        cond.append(t.booked_at >= datetime.combine(f.date_from, datetime.min.time(), tz))
    if f.date_to:
        cond.append(t.booked_at < datetime.combine(f.date_to + timedelta(days=1), datetime.min.time(), tz))
    if f.kinds:
        cond.append(t.kind.in_([k.value for k in f.kinds]))
    if f.min_amount is not None:
        cond.append(func.abs(t.amount) >= type_coerce(f.min_amount, Money()))
    if f.max_amount is not None:
        cond.append(func.abs(t.amount) <= type_coerce(f.max_amount, Money()))
    where = and_(*cond)
    total = s.execute(select(func.count()).select_from(t).where(where)).scalar_one()
    rows = s.execute(
        select(t, Product.name).outerjoin(Product, Product.id == t.product_id).where(where)
        .order_by(t.booked_at.desc(), t.id.desc()).offset((f.page - 1) * f.page_size).limit(f.page_size)
    ).all()
    return TransactionPage(
        items=[TransactionView(id=x.id, account_id=x.account_id, kind=x.kind, amount=x.amount, currency=x.currency,
                               booked_at=x.booked_at, channel=x.channel, description=x.description,
                               product_name=pname) for x, pname in rows],
        page=f.page, page_size=f.page_size, total=total)


def customers_tz():
    from zoneinfo import ZoneInfo

    from services.settings import get_settings

    return ZoneInfo(get_settings().timezone)


# ---------------------------------------------------------------- one timeline

class TimelineRequest(_Strict):
    limit: int = Field(default=30, ge=1, le=100)
    before: datetime | None = None  # for "load more": items strictly older than this


def timeline(*, uow: UnitOfWork, actor: Actor, customer_id: Any, request: Any = None) -> list[TimelineItem]:
    """Interactions, large transactions, tickets, behaviour events and tag changes, newest first.

    Each source is read with its own (customer, time) index and LIMIT, then merged, so the
    cost does not grow with the customer's history.
    """
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    r = parse(TimelineRequest, request or {})
    before = r.before or (utcnow() + timedelta(days=3650))
    if before.tzinfo is None:
        before = before.replace(tzinfo=customers_tz())
    n = r.limit
    items: list[TimelineItem] = []
    for i, uname in s.execute(
            select(Interaction, _user_name()).where(Interaction.customer_id == c.id, Interaction.occurred_at < before)
            .order_by(Interaction.occurred_at.desc()).limit(n)).all():
        items.append(TimelineItem(at=i.occurred_at, kind="interaction", subtype=i.kind, title=i.subject,
                                  detail=(f"{uname}: " if uname else "") + (i.notes or ""), ref_id=i.id))
    for tx in s.execute(select(Transaction).where(
            Transaction.customer_id == c.id, Transaction.booked_at < before,
            func.abs(Transaction.amount) >= type_coerce(LARGE_TRANSACTION, Money())).order_by(Transaction.booked_at.desc()).limit(n)).scalars():
        items.append(TimelineItem(at=tx.booked_at, kind="large_transaction", subtype=tx.kind,
                                  title=tx.description or tx.kind, detail=tx.channel, amount=tx.amount, ref_id=tx.id))
    for tk in s.execute(select(Ticket).where(Ticket.customer_id == c.id, Ticket.opened_at < before)
                        .order_by(Ticket.opened_at.desc()).limit(n)).scalars():
        items.append(TimelineItem(at=tk.opened_at, kind="ticket", subtype=tk.kind, title=tk.subject,
                                  detail=tk.status, ref_id=tk.id))
    for ev, pname in s.execute(
            select(BehaviourEvent, Product.name).outerjoin(Product, Product.id == BehaviourEvent.product_id)
            .where(BehaviourEvent.customer_id == c.id, BehaviourEvent.occurred_at < before)
            .order_by(BehaviourEvent.occurred_at.desc()).limit(n)).all():
        items.append(TimelineItem(at=ev.occurred_at, kind="event", subtype=ev.kind,
                                  title=pname or str(ev.attributes.get("page") or ev.attributes.get("query") or ""),
                                  detail=ev.source, ref_id=ev.id))
    for ch, tag in s.execute(
            select(CustomerTagChange, Tag).join(Tag, Tag.id == CustomerTagChange.tag_id)
            .where(CustomerTagChange.customer_id == c.id, CustomerTagChange.at < before)
            .order_by(CustomerTagChange.at.desc()).limit(n)).all():
        items.append(TimelineItem(at=ch.at, kind=f"tag_{ch.action}", subtype=tag.code, title=tag.name,
                                  detail=tag.name_en, ref_id=ch.id))
    items.sort(key=lambda it: it.at, reverse=True)
    return items[:n]


def _user_name():
    from services.security.models import User

    return select(User.display_name).where(User.id == Interaction.user_id).scalar_subquery()


# ---------------------------------------------------------------- tickets and documents

def tickets(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 20) -> list[TicketView]:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    now = utcnow()
    rows = s.execute(select(Ticket).where(Ticket.customer_id == c.id)
                     .order_by(Ticket.opened_at.desc()).limit(max(1, min(int(limit), 100)))).scalars()
    return [TicketView(id=t.id, kind=t.kind, subject=t.subject, status=t.status, priority=t.priority,
                       channel=t.channel, opened_at=t.opened_at, sla_due_at=t.sla_due_at, resolved_at=t.resolved_at,
                       overdue=t.status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS) and t.sla_due_at < now)
            for t in rows]


def documents(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 50) -> list[DocumentView]:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    rows = s.execute(select(Document).where(Document.customer_id == c.id)
                     .order_by(Document.uploaded_at.desc()).limit(max(1, min(int(limit), 200)))).scalars()
    return [DocumentView(id=d.id, kind=d.kind, filename=d.filename, content_type=d.content_type, size=d.size,
                         uploaded_at=d.uploaded_at, uploaded_by=d.uploaded_by) for d in rows]


# ---------------------------------------------------------------- custom fields on the 360 page

def custom_values(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list:
    """The customer's custom-field values the actor may see (services.customers.custom_fields), set ones only."""
    from services.customers.custom_fields import present_custom_values

    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    return present_custom_values(s, actor, c.kind, c.custom or {}, include_empty=False)
