"""The customer 360 view: one call for the phone's first screen, and the paged parts behind it.

Everything is scoped (services.customers.access.load_customer) and masked per the
actor before it leaves; charts read rollups (AumSnapshot), never whole histories.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import Field
from sqlalchemy import Integer, and_, bindparam, func, not_, or_, select, type_coerce

from services.aml import service as aml
from services.activities.models import OPEN_TICKET_STATUSES, BehaviourEvent, Interaction, Ticket
from services.activities.timeline import ticket_items
from services.customers import search as customer_search
from services.customers import service as customers
from services.portfolio.conventions import LIABILITY_KINDS
from services.customers.models import CreditRating, Customer, Document, Household, Relationship
from services.customers.schemas import _Strict
from services.customers.views import (AccountView, AmountByKey, CreditRatingView, Customer360, Customer360Header,
                                      CustomerDetail, CustomerProfile, DocumentView, HoldingView,
                                      HouseholdMemberView, HouseholdView, InteractionView, MonthPoint,
                                      RelationshipView, TagView, TicketView, TimelineItem, TransactionPage,
                                      TransactionView)
from services import clock, holds
from services.db import UnitOfWork
from services.prepared import Prepared
from services.errors import FieldError, NotFound, OutOfScope, ValidationFailed
from services.org.models import Branch, Team
from services.portfolio.models import (Account, AccountKind, AumSnapshot, Holding, Product, Transaction,
                                       TransactionKind)
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import (Access, Permission, can_see_customer, client_has_customer, editable_fields,
                                      field_access, permits, requires)
from services.tags.models import CustomerTag, CustomerTagChange, Tag
from services.types import Money
from services.validation.dates import BusinessDate
from services.validation.input import parse

RECENT_TRANSACTIONS = 20
RECENT_INTERACTIONS = 20
LARGE_TRANSACTION = Decimal("50000")  # the timeline shows bookings of at least this much
HISTORY_MONTHS = 24


# ---------------------------------------------------------------- the first screen
#
# The first screen is the phone's most used page, so it is read with few, prebuilt statements: the
# profile with owner, branch and team names and the open-ticket count in one row; accounts; holdings
# with their products; the 20 latest transactions; relationships; the 20 latest interactions; tags;
# AUM snapshots; credit ratings; and, for a household member only, the members with their totals in
# one statement. Statements are built once (bound by customer id, no expanding IN lists) and sent as driver
# SQL on the unit of work's connection (services/prepared.py): no ORM identity map or attribute
# instrumentation for rows that only become views, and none of Core's per-execution set-up.
# Scope, field policy and masking are those of services.customers.service (load_customer, present*).

_CID = bindparam("cid", type_=Integer)


_ASSET_EXCLUDED = tuple(LIABILITY_KINDS | {AccountKind.INSURANCE})


def _money_sum(column, *where) -> Any:
    return type_coerce(select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery(), Money())


def _one_of(column, values) -> Any:
    """`column IN (values)` for a fixed list, written as ORs of plain binds: an IN list is an "expanding"
    parameter that SQLAlchemy re-renders into the SQL text on every execution."""
    return or_(*(column == v for v in values))


_OPEN_TICKETS = (select(func.count()).select_from(Ticket)
                 .where(Ticket.customer_id == Customer.id,
                        _one_of(Ticket.status, OPEN_TICKET_STATUSES)).scalar_subquery())
_PROFILE = (select(Customer.id, Customer.customer_no, Customer.kind, Customer.name, Customer.name_pinyin,
                   Customer.gender, Customer.birth_date, Customer.id_type, Customer.id_number_masked,
                   Customer.id_number_enc, Customer.phone_masked, Customer.phone_enc, Customer.email,
                   Customer.address, Customer.occupation, Customer.segment, Customer.source_channel, Customer.status,
                   Customer.owner_id, Customer.team_id, Customer.branch_id, Customer.version, Customer.created_at,
                   Customer.household_id, Customer.risk_level, Customer.risk_valid_until, Customer.kyc_status,
                   Customer.aml_risk, Customer.legal_representative, User.display_name, Branch.name, Team.name,
                   _OPEN_TICKETS, Customer.hold_id)
            .outerjoin(User, User.id == Customer.owner_id).outerjoin(Branch, Branch.id == Customer.branch_id)
            .outerjoin(Team, Team.id == Customer.team_id).where(Customer.id == _CID))
_ACCOUNTS = (select(Account.id, Account.kind, Account.account_no_enc, Account.currency, Account.balance,
                    Account.status, Account.opened_on)
             .where(Account.customer_id == _CID).order_by(Account.kind, Account.id))
_HOLDINGS = (select(Holding.id, Holding.account_id, Product.code, Product.name, Product.name_en, Product.product_type,
                    Product.risk_level, Holding.quantity, Holding.cost, Holding.market_value, Holding.currency,
                    Holding.as_of)
             .join(Product, Product.id == Holding.product_id)
             .where(Holding.customer_id == _CID).order_by(Holding.market_value.desc()))
_RECENT_TRANSACTIONS = (
    select(Transaction.id, Transaction.account_id, Transaction.kind, Transaction.amount, Transaction.currency,
           Transaction.booked_at, Transaction.channel, Transaction.description, Product.name)
    .outerjoin(Product, Product.id == Transaction.product_id).where(Transaction.customer_id == _CID)
    .order_by(Transaction.booked_at.desc(), Transaction.id.desc()).limit(RECENT_TRANSACTIONS))
_RELATIONSHIPS = (select(Relationship.kind, Customer.id, Customer.name, Customer.owner_id, Customer.team_id,
                         Customer.branch_id)
                  .join(Customer, Customer.id == Relationship.related_customer_id)
                  .where(Relationship.customer_id == _CID).order_by(Relationship.id))
_INTERACTIONS = (select(Interaction.id, Interaction.kind, Interaction.occurred_at, Interaction.subject,
                        Interaction.notes, User.display_name, Interaction.revision)
                 .join(User, User.id == Interaction.user_id).where(Interaction.customer_id == _CID)
                 .order_by(Interaction.occurred_at.desc()).limit(RECENT_INTERACTIONS))
_TAGS = (select(Tag.code, Tag.name, Tag.name_en, Tag.color, CustomerTag.rule_version, CustomerTag.evidence,
                CustomerTag.applied_at)
         .join(Tag, Tag.id == CustomerTag.tag_id).where(CustomerTag.customer_id == _CID)
         .order_by(CustomerTag.applied_at.desc(), Tag.code))
_AUM_HISTORY = (select(AumSnapshot.month, AumSnapshot.aum, AumSnapshot.liabilities)
                .where(AumSnapshot.customer_id == _CID).order_by(AumSnapshot.month.desc()).limit(HISTORY_MONTHS))
_RATINGS = (select(CreditRating.rating, CreditRating.source, CreditRating.rated_on, CreditRating.valid_until,
                   CreditRating.note)
            .where(CreditRating.customer_id == _CID).order_by(CreditRating.rated_on.desc()).limit(12))
_HOUSEHOLD = (select(Household.id, Household.name, Customer.id, Customer.name, Customer.owner_id, Customer.team_id,
                     Customer.branch_id,
                     type_coerce(_money_sum(Account.balance, Account.customer_id == Customer.id,
                                            not_(_one_of(Account.kind, _ASSET_EXCLUDED)))
                                 + _money_sum(Holding.market_value, Holding.customer_id == Customer.id), Money()),
                     _money_sum(Account.balance, Account.customer_id == Customer.id,
                                _one_of(Account.kind, tuple(LIABILITY_KINDS))))
              .join(Customer, Customer.household_id == Household.id)
              .where(Household.id == bindparam("household_id", type_=Integer)).order_by(Customer.id))
_READ_PROFILE, _READ_ACCOUNTS, _READ_HOLDINGS, _READ_RECENT_TRANSACTIONS, _READ_RELATIONSHIPS, _READ_INTERACTIONS, \
    _READ_TAGS, _READ_AUM_HISTORY, _READ_RATINGS, _READ_HOUSEHOLD = (
        Prepared(s) for s in (_PROFILE, _ACCOUNTS, _HOLDINGS, _RECENT_TRANSACTIONS, _RELATIONSHIPS, _INTERACTIONS, _TAGS,
                           _AUM_HISTORY, _RATINGS, _HOUSEHOLD))


@requires(Permission.CUSTOMER_READ)
def customer_360(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> Customer360:
    """Everything the 360 page shows of one customer, as the actor may see it. Opening a customer is a read
    of personal data and audited as such (`customer.read`, as the API's read is): the caller commits."""
    conn = uow.session.connection()
    c = _scoped_profile_row(conn, actor, customer_id)
    audit.record(uow.session, actor, "customer.read", entity_type="customer", entity_id=c.id,
                 changes={"view": "360"})
    cid = {"cid": c.id}
    account_field = field_access(actor, "account_no")
    accounts = [AccountView(
        id=a_id, kind=kind, account_no=customers.present_with(account_field, "account_no", token,
                                                               customer_search.ACCOUNT_NO_CONTEXT),
        currency=currency, balance=balance, is_liability=kind in LIABILITY_KINDS, status=status,
        opened_on=opened_on) for a_id, kind, token, currency, balance, status, opened_on in _READ_ACCOUNTS.rows(conn, cid)]
    holdings = [HoldingView(
        id=h_id, account_id=account_id, product_code=code, product_name=pname, product_name_en=pname_en,
        product_type=ptype, risk_level=risk, quantity=quantity, cost=cost, market_value=value, currency=currency,
        as_of=as_of) for h_id, account_id, code, pname, pname_en, ptype, risk, quantity, cost, value, currency, as_of
        in _READ_HOLDINGS.rows(conn, cid)]
    recent = [TransactionView(id=t_id, account_id=account_id, kind=kind, amount=amount, currency=currency,
                              booked_at=booked_at, channel=channel, description=description, product_name=pname)
              for t_id, account_id, kind, amount, currency, booked_at, channel, description, pname
              in _READ_RECENT_TRANSACTIONS.rows(conn, cid)]
    related = _READ_RELATIONSHIPS.rows(conn, cid)
    relationships = []
    for kind, other_id, other_name, owner_id, team_id, branch_id in related:
        visible = can_see_customer(actor, owner_id=owner_id, team_id=team_id, branch_id=branch_id,
                                   linked_to_client=client_has_customer(conn, actor, other_id))
        relationships.append(RelationshipView(
            kind=kind, related_customer_id=other_id if visible else None,
            related_name=other_name if visible else _masked_name(other_name)))
    interactions = [InteractionView(id=i_id, kind=kind, occurred_at=at, subject=subject, notes=notes,
                                    user_name=uname, revision=revision)
                    for i_id, kind, at, subject, notes, uname, revision in _READ_INTERACTIONS.rows(conn, cid)]
    # AUM: what the customer has with us; liabilities: what they owe (loans, cards). CNY only in v1.
    zero = Decimal("0")
    aum = sum((a.balance for a in accounts if a.kind not in _ASSET_EXCLUDED), zero)
    aum += sum((h.market_value for h in holdings), zero)
    liabilities = sum((a.balance for a in accounts if a.is_liability), zero)
    detail = CustomerDetail(profile=_profile_view(actor, c), aum=aum, liabilities=liabilities, currency="CNY",
                            accounts=accounts, holdings=holdings, recent_transactions=recent,
                            relationships=relationships, interactions=interactions)
    header = Customer360Header(
        customer_id=c.id, name=c.name, customer_no=c.customer_no, kind=c.kind, segment=c.segment,
        status=c.status, aum=aum, liabilities=liabilities,
        tags=[TagView(code=code, name=name, name_en=name_en, color=color, rule_version=version,
                      evidence=evidence or {}, applied_at=applied_at)
              for code, name, name_en, color, version, evidence, applied_at in _READ_TAGS.rows(conn, cid)],
        currency="CNY", risk_level=c.risk_level, risk_valid_until=c.risk_valid_until,
        risk_expired=c.risk_valid_until is not None and c.risk_valid_until < clock.today(),
        kyc_status=c.kyc_status, aml_risk=c.aml_risk, legal_representative=c.legal_representative)
    if permits(actor, Permission.AML_VIEW) or permits(actor, Permission.AML_REVIEW):
        facts = aml.header_facts(conn, c.id)
        header.aml_open_hits, header.aml_open_cases, header.aml_factors = facts
    by_type: dict[str, Decimal] = {}
    for h in holdings:
        by_type[h.product_type] = by_type.get(h.product_type, zero) + h.market_value
    for a in accounts:
        if a.kind == "deposit":
            by_type["deposit"] = by_type.get("deposit", zero) + a.balance
    return Customer360(
        header=header, detail=detail,
        holdings_by_type=[AmountByKey(key=k, amount=v) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])
                          if v > 0],
        aum_history=[MonthPoint(month=m, aum=a, liabilities=li)
                     for m, a, li in reversed(_READ_AUM_HISTORY.rows(conn, cid))],
        household=None if c.household_id is None else _household(conn, actor, c.id, c.household_id, related),
        credit_ratings=[CreditRatingView(rating=r, source=src, rated_on=on, valid_until=until, note=note)
                        for r, src, on, until, note in _READ_RATINGS.rows(conn, cid)],
        open_tickets=c.open_tickets)


def _scoped_profile_row(conn, actor: Actor, customer_id: Any):
    """The profile row if the customer exists and lies in the actor's scope; refused exactly as
    services.customers.service.load_customer refuses (bad id, not found, out of scope answered as not found)."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not 0 < customer_id < 2**62:
        raise ValidationFailed([FieldError("customer_id", "value.invalid")])
    found = _READ_PROFILE.first(conn, {"cid": customer_id})
    row = None if found is None else _ProfileRow(*found)
    # A customer of an import that has not finished does not exist yet for anyone (services/holds.py).
    if row is None or (row.hold_id is not None and holds.is_open(conn, row.hold_id)):
        raise NotFound(what="customer", id=customer_id)
    if not can_see_customer(actor, owner_id=row.owner_id, team_id=row.team_id, branch_id=row.branch_id,
                            linked_to_client=client_has_customer(conn, actor, row.id)):
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=customer_id, what="customer", id=customer_id)
    return row


class _ProfileRow(NamedTuple):
    id: int
    customer_no: str
    kind: str
    name: str
    name_pinyin: str
    gender: str | None
    birth_date: date | None
    id_type: str
    id_number_masked: str | None
    id_number_enc: str
    phone_masked: str | None
    phone_enc: str | None
    email: str | None
    address: str | None
    occupation: str | None
    segment: str
    source_channel: str
    status: str
    owner_id: int
    team_id: int | None
    branch_id: int
    version: int
    created_at: datetime
    household_id: int | None
    risk_level: str | None
    risk_valid_until: date | None
    kyc_status: str
    aml_risk: str
    legal_representative: str | None
    owner_name: str | None
    branch_name: str | None
    team_name: str | None
    open_tickets: int
    hold_id: int | None  # written by an import that may not have finished (services/holds.py)


def _profile_view(actor: Actor, c: _ProfileRow) -> CustomerProfile:
    """As services.customers.service.profile_view shows it, from the row already read."""
    return CustomerProfile(
        id=c.id, customer_no=c.customer_no, kind=c.kind, name=c.name, name_pinyin=c.name_pinyin,
        gender=c.gender, birth_date=c.birth_date, id_type=c.id_type,
        id_number=customers.present_stored_mask(actor, "id_number", c.id_number_masked, c.id_number_enc,
                                                customers.ID_CONTEXT),
        phone=customers.present_stored_mask(actor, "phone", c.phone_masked, c.phone_enc, customers.PHONE_CONTEXT),
        email=customers.present(actor, "email", c.email), address=customers.present(actor, "address", c.address),
        occupation=c.occupation, segment=c.segment, source_channel=c.source_channel, status=c.status,
        owner_id=c.owner_id, owner_name=c.owner_name, branch_id=c.branch_id, branch_name=c.branch_name,
        team_name=c.team_name if c.team_id else None, version=c.version, created_at=c.created_at,
        revealable=[f for f in ("id_number", "phone") if field_access(actor, f) is Access.REVEALABLE],
        editable=sorted(editable_fields(actor)))


def _masked_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


def _household(conn, actor: Actor, customer_id: int, household_id: int, related) -> HouseholdView | None:
    """The household roll-up. Members outside the actor's scope show no detail, and then no totals either."""
    rows = _READ_HOUSEHOLD.rows(conn, {"household_id": household_id})
    if not rows:
        return None
    relation = {other_id: kind for kind, other_id, *_ in related}
    members = []
    for _hid, _hname, m_id, m_name, owner_id, team_id, branch_id, aum, liab in rows:
        visible = can_see_customer(actor, owner_id=owner_id, team_id=team_id, branch_id=branch_id,
                                   linked_to_client=client_has_customer(conn, actor, m_id))
        members.append(HouseholdMemberView(
            customer_id=m_id if visible else None, name=m_name if visible else _masked_name(m_name),
            relation="self" if m_id == customer_id else relation.get(m_id),
            aum=aum if visible else None, liabilities=liab if visible else None))
    # Totals only to an actor who sees every member: a total beside the visible members' figures would
    # give away the hidden ones' by subtraction.
    hidden = sum(1 for m in members if m.customer_id is None)
    return HouseholdView(id=rows[0][0], name=rows[0][1], members=members, hidden_members=hidden,
                         aum=None if hidden else sum((r[7] for r in rows), Decimal("0")),
                         liabilities=None if hidden else sum((r[8] for r in rows), Decimal("0")))


# ---------------------------------------------------------------- transactions, paged and filtered

class TransactionFilter(_Strict):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)
    date_from: BusinessDate | None = None  # 1900-2200: beyond, the UTC conversion overflows
    date_to: BusinessDate | None = None
    kinds: list[TransactionKind] = Field(default_factory=list, max_length=20)
    min_amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"))  # on the absolute amount
    max_amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"))


def _check_ranges(f: TransactionFilter) -> None:
    """What no single field can say: the range runs backwards."""
    errors = []
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append(FieldError("date_to", "filter.date_order"))
    if f.min_amount is not None and f.max_amount is not None and f.min_amount > f.max_amount:
        errors.append(FieldError("max_amount", "filter.amount_order"))
    if errors:
        raise ValidationFailed(errors)


@requires(Permission.CUSTOMER_READ)
def transactions(*, uow: UnitOfWork, actor: Actor, customer_id: Any, filters: Any = None) -> TransactionPage:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    f = parse(TransactionFilter, filters or {})
    _check_ranges(f)
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


@requires(Permission.CUSTOMER_READ)
def timeline(*, uow: UnitOfWork, actor: Actor, customer_id: Any, request: Any = None) -> list[TimelineItem]:
    """Interactions, large transactions, tickets, behaviour events and tag changes, newest first.

    Each source is read with its own (customer, time) index and LIMIT, then merged, so the
    cost does not grow with the customer's history.
    """
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    r = parse(TimelineRequest, request or {})
    before = r.before or (clock.now() + timedelta(days=3650))
    if before.tzinfo is None:
        before = before.replace(tzinfo=customers_tz())
    n = r.limit
    items: list[TimelineItem] = []
    for i, uname in s.execute(
            select(Interaction, _user_name()).where(Interaction.customer_id == c.id, Interaction.occurred_at < before)
            .order_by(Interaction.occurred_at.desc()).limit(n)).all():
        items.append(TimelineItem(at=i.occurred_at, kind="interaction", subtype=i.kind, title=i.subject,
                                  detail=(f"{uname}: " if uname else "") + (i.notes or ""), ref_id=i.id,
                                  revision=i.revision))
    for tx in s.execute(select(Transaction).where(
            Transaction.customer_id == c.id, Transaction.booked_at < before,
            func.abs(Transaction.amount) >= type_coerce(LARGE_TRANSACTION, Money())).order_by(Transaction.booked_at.desc()).limit(n)).scalars():
        items.append(TimelineItem(at=tx.booked_at, kind="large_transaction", subtype=tx.kind,
                                  title=tx.description or "", detail=tx.channel, amount=tx.amount, ref_id=tx.id))
    items.extend(ticket_items(s, c.id, before, n))  # every step of every ticket
    for ev, pname, pname_en in s.execute(
            select(BehaviourEvent, Product.name, Product.name_en)
            .outerjoin(Product, Product.id == BehaviourEvent.product_id)
            .where(BehaviourEvent.customer_id == c.id, BehaviourEvent.occurred_at < before)
            .order_by(BehaviourEvent.occurred_at.desc()).limit(n)).all():
        page = ev.attributes.get("page") if isinstance(ev.attributes, dict) else None
        query = ev.attributes.get("query") if isinstance(ev.attributes, dict) else None
        items.append(TimelineItem(at=ev.occurred_at, kind="event", subtype=ev.kind,
                                  title=pname or (str(query)[:200] if query else ""), title_en=pname_en,
                                  page=str(page)[:60] if page and not pname else None,
                                  detail=ev.source, ref_id=ev.id))
    for ch, tag in s.execute(
            select(CustomerTagChange, Tag).join(Tag, Tag.id == CustomerTagChange.tag_id)
            .where(CustomerTagChange.customer_id == c.id, CustomerTagChange.at < before)
            .order_by(CustomerTagChange.at.desc()).limit(n)).all():
        items.append(TimelineItem(at=ch.at, kind=f"tag_{ch.action}", subtype=tag.code, title=tag.name,
                                  detail=tag.name_en, ref_id=ch.id))
    items += _reassignments(s, c.id, before, n)
    items.sort(key=lambda it: it.at, reverse=True)
    return items[:n]


def _reassignments(s, customer_id: int, before: datetime, n: int) -> list[TimelineItem]:
    """The customer's changes of relationship manager (kept from CustomerReassigned: services/customer360/events.py):
    "old RM → new RM", and who made the change."""
    from sqlalchemy.orm import aliased

    from services.customer360.models import OwnerChange
    from services.security.models import User

    old, new, by = aliased(User), aliased(User), aliased(User)
    rows = s.execute(
        select(OwnerChange, old.display_name, new.display_name, by.display_name)
        .join(old, old.id == OwnerChange.old_owner_id).join(new, new.id == OwnerChange.new_owner_id)
        .outerjoin(by, and_(OwnerChange.actor_kind == "user", by.id == OwnerChange.actor_id))
        .where(OwnerChange.customer_id == customer_id, OwnerChange.at < before)
        .order_by(OwnerChange.at.desc()).limit(n)).all()
    return [TimelineItem(at=ch.at, kind="reassigned", subtype="owner", title=f"{old_name} → {new_name}",
                         detail=by_name or ch.actor_name, ref_id=ch.id)
            for ch, old_name, new_name, by_name in rows]


def _user_name():
    from services.security.models import User

    return select(User.display_name).where(User.id == Interaction.user_id).scalar_subquery()


# ---------------------------------------------------------------- tickets and documents

@requires(Permission.CUSTOMER_READ)
def tickets(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 20) -> list[TicketView]:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    now = clock.now()
    rows = s.execute(select(Ticket).where(Ticket.customer_id == c.id)
                     .order_by(Ticket.opened_at.desc()).limit(max(1, min(int(limit), 100)))).scalars()
    return [TicketView(id=t.id, kind=t.kind, subject=t.subject, status=t.status, priority=t.priority,
                       channel=t.channel, opened_at=t.opened_at, sla_due_at=t.sla_due_at, resolved_at=t.resolved_at,
                       overdue=t.status in OPEN_TICKET_STATUSES and t.sla_due_at < now)
            for t in rows]


@requires(Permission.CUSTOMER_READ)
def documents(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 50) -> list[DocumentView]:
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    rows = s.execute(select(Document).where(Document.customer_id == c.id)
                     .order_by(Document.uploaded_at.desc()).limit(max(1, min(int(limit), 200)))).scalars().all()
    names = uploader_names(s, [d.uploaded_by for d in rows])
    return [DocumentView(id=d.id, kind=d.kind, filename=d.filename, content_type=d.content_type, size=d.size,
                         uploaded_at=d.uploaded_at, uploaded_by=names.get(d.uploaded_by, d.uploaded_by))
            for d in rows]


def uploader_names(s, uploaded_by: list[str | None]) -> dict[str, str]:
    """Who uploaded, as people know them: a user's display name for the user id a document keeps (its audit id);
    an API client or a system job by its name ("api_client:core-banking" -> "core-banking")."""
    from services.security.models import User

    ids = {int(u) for u in uploaded_by if isinstance(u, str) and u.isdigit() and len(u) < 10}
    names = {str(uid): name for uid, name in s.execute(select(User.id, User.display_name).where(User.id.in_(ids)))} \
        if ids else {}
    for u in uploaded_by:
        if isinstance(u, str) and ":" in u:
            names[u] = u.split(":", 1)[1]
    return names


# ---------------------------------------------------------------- custom fields on the 360 page

@requires(Permission.CUSTOMER_READ)
def custom_values(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list:
    """The customer's custom-field values the actor may see (services.customers.custom_fields), set ones only."""
    from services.customers.custom_fields import present_custom_values

    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    return present_custom_values(s, actor, c.kind, c.custom or {}, include_empty=False)


# ---------------------------------------------------------------- the detail other systems read

@requires(Permission.CUSTOMER_READ)
def get_customer(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CustomerDetail:
    """The customer's profile, accounts, holdings, recent transactions, relationships and interactions."""
    s = uow.session
    c = customers.load_customer(s, actor, customer_id)
    accounts = s.execute(select(Account).where(Account.customer_id == c.id).order_by(Account.kind, Account.id)
                         ).scalars().all()
    account_views = [AccountView(
        id=a.id, kind=a.kind, account_no=customers.present_encrypted(actor, "account_no", a.account_no_enc,
                                     customer_search.ACCOUNT_NO_CONTEXT),
        currency=a.currency, balance=a.balance, is_liability=a.kind in LIABILITY_KINDS, status=a.status,
        opened_on=a.opened_on) for a in accounts]
    holdings = s.execute(
        select(Holding, Product).join(Product, Product.id == Holding.product_id)
        .where(Holding.customer_id == c.id).order_by(Holding.market_value.desc())
    ).all()
    holding_views = [HoldingView(
        id=h.id, account_id=h.account_id, product_code=p.code, product_name=p.name, product_name_en=p.name_en,
        product_type=p.product_type, risk_level=p.risk_level, quantity=h.quantity, cost=h.cost,
        market_value=h.market_value, currency=h.currency, as_of=h.as_of) for h, p in holdings]
    txs = s.execute(
        select(Transaction, Product.name).outerjoin(Product, Product.id == Transaction.product_id)
        .where(Transaction.customer_id == c.id)
        .order_by(Transaction.booked_at.desc(), Transaction.id.desc()).limit(RECENT_TRANSACTIONS)
    ).all()
    tx_views = [TransactionView(
        id=t.id, account_id=t.account_id, kind=t.kind, amount=t.amount, currency=t.currency,
        booked_at=t.booked_at, channel=t.channel, description=t.description, product_name=pname)
        for t, pname in txs]
    rels = s.execute(
        select(Relationship, Customer).join(Customer, Customer.id == Relationship.related_customer_id)
        .where(Relationship.customer_id == c.id).order_by(Relationship.id)
    ).all()
    rel_views = []
    for r, other in rels:
        visible = can_see_customer(actor, owner_id=other.owner_id, team_id=other.team_id,
                                   branch_id=other.branch_id)
        rel_views.append(RelationshipView(
            kind=r.kind, related_customer_id=other.id if visible else None,
            related_name=other.name if visible else other.name[:1] + "*" * max(1, len(other.name) - 1)))
    inters = s.execute(
        select(Interaction, User.display_name).join(User, User.id == Interaction.user_id)
        .where(Interaction.customer_id == c.id)
        .order_by(Interaction.occurred_at.desc()).limit(RECENT_INTERACTIONS)
    ).all()
    inter_views = [InteractionView(id=i.id, kind=i.kind, occurred_at=i.occurred_at, subject=i.subject,
                                   notes=i.notes, user_name=uname, revision=i.revision) for i, uname in inters]
    # AUM: what the customer has with us; liabilities: what they owe (loans, cards). CNY only in v1.
    assets = sum((a.balance for a in accounts if a.kind not in LIABILITY_KINDS and a.kind != AccountKind.INSURANCE),
                 Decimal("0"))
    assets += sum((h.market_value for h, _ in holdings), Decimal("0"))
    liabilities = sum((a.balance for a in accounts if a.kind in LIABILITY_KINDS), Decimal("0"))
    return CustomerDetail(profile=customers.profile_view(s, actor, c), aum=assets, liabilities=liabilities, currency="CNY",
                          accounts=account_views, holdings=holding_views, recent_transactions=tx_views,
                          relationships=rel_views, interactions=inter_views)
