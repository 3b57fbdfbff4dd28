"""Keeping the rollup up to date as data arrives: the handlers of other domains' events (subscribed in
services/bootstrap.py), each in the transaction of the change it counts.

Customers are counted by difference: `metric_customer` keeps what a customer contributed when last counted
(acquired where, lost when, its AUM, its first purchase ...); `sync_customers` computes what it contributes now
and writes the difference. So any change (a new segment, a reassignment, a closed customer, a sale cancelled in
its cooling-off period) moves exactly what it changes, and counting a customer twice is harmless.

- AUM: every booked transaction on an account AUM counts (not loans, cards or insurance) is a flow at its booking
  day; whatever else changed the customer's AUM (holdings, accounts written by other systems) is a revaluation
  at today; a customer who moves to another RM or segment takes its AUM along (out of the old cell, into the new,
  today). AUM on a day is the sum of every change up to it.
- Customers of an unfinished import are not counted: their creation is skipped while the import's write hold is
  open, and they are counted when it is published (HoldPublished).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, insert, not_, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from services import clock, holds
from services.analytics.facts import Cell, Deltas, apply, cell_of, each
from services.analytics.models import MetricCustomer, MetricOpportunity, NextBestAction
from services.customers.models import Customer, CustomerStatus
from services.opportunities.models import FUNNEL, Opportunity, Stage
from services.portfolio.conventions import LIABILITY_KINDS
from services.portfolio.models import Account, AccountKind, Holding, Product, Transaction
from services.security.models import User
from services.suitability.models import Sale, SaleStatus

log = logging.getLogger(__name__)

ACQUISITION_WINDOW = timedelta(days=90)  # channel quality: AUM gathered and conversion within 90 days
NOT_AUM = tuple(sorted(LIABILITY_KINDS | {AccountKind.INSURANCE}))
COUNTED_SALES = (SaleStatus.RECORDING_PENDING, SaleStatus.REVIEW_PENDING, SaleStatus.COOLING_OFF,
                 SaleStatus.EFFECTIVE)  # signed, and neither cancelled nor rejected


def local_day(at) -> date:
    return clock.local_date(at)


# ---------------------------------------------------------------- what a customer contributes

@dataclass(frozen=True)
class Counted:
    """A customer as counted (the columns of metric_customer)."""

    cell: Cell
    segment: str
    channel: str
    acquired_on: date
    lost_on: date | None
    aum: Decimal
    aum_90d: Decimal
    first_sale_on: date | None
    sales: int

    def contributions(self) -> Deltas:
        """Everything this customer adds to the figures, AUM aside (AUM is a sum of changes: see above)."""
        d = Deltas()
        c = self.cell
        d.add("new_customers", self.acquired_on, c, self.segment, self.channel, n=1)
        if self.lost_on is not None:
            d.add("lost_customers", self.lost_on, c, self.segment, n=1)
        d.add("aum_90d", self.acquired_on, c, self.channel, amount=self.aum_90d)
        if self.first_sale_on is not None and self.sales > 0:
            d.add("buyers", self.first_sale_on, c, self.segment, n=1)
            if self.sales > 1:
                d.add("repeat_buyers", self.first_sale_on, c, self.segment, n=1)
            if self.first_sale_on - self.acquired_on <= ACQUISITION_WINDOW:
                d.add("converted", self.acquired_on, c, self.channel, n=1)
        return d


def _counted(row: MetricCustomer) -> Counted:
    return Counted(cell=Cell(row.branch_id, row.team_id, row.owner_id), segment=row.segment, channel=row.channel,
                   acquired_on=row.acquired_on, lost_on=row.lost_on, aum=row.aum, aum_90d=row.aum_90d,
                   first_sale_on=row.first_sale_on, sales=row.sales)


def aum_of(session: Session, customer_ids: list[int]) -> dict[int, Decimal]:
    """AUM as the 360 page counts it: balances of the accounts AUM counts, plus holdings at market value."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    for chunk in each(customer_ids):
        for cid, total in session.execute(
                select(Account.customer_id, func.sum(Account.balance))
                .where(Account.customer_id.in_(chunk), not_(Account.kind.in_(NOT_AUM)))
                .group_by(Account.customer_id)):
            out[cid] += Decimal(total or 0) / 100 if isinstance(total, int) else Decimal(total or 0)
        for cid, total in session.execute(
                select(Holding.customer_id, func.sum(Holding.market_value))
                .where(Holding.customer_id.in_(chunk)).group_by(Holding.customer_id)):
            out[cid] += Decimal(total or 0) / 100 if isinstance(total, int) else Decimal(total or 0)
    return out


def sales_of(session: Session, customer_ids: list[int]) -> dict[int, tuple[date | None, int]]:
    """(day of the first counted sale, how many) per customer."""
    out: dict[int, tuple[date | None, int]] = {}
    for chunk in each(customer_ids):
        for cid, first, count in session.execute(
                select(Sale.customer_id, func.min(Sale.signed_at), func.count())
                .where(Sale.customer_id.in_(chunk), Sale.signed_at.is_not(None), Sale.status.in_(COUNTED_SALES))
                .group_by(Sale.customer_id)):
            out[cid] = (local_day(_aware(first)) if first else None, int(count))
    return out


def _aware(at):
    from datetime import timezone

    if isinstance(at, str):  # a raw aggregate on SQLite comes back as text
        from datetime import datetime

        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- counting customers

_mc = MetricCustomer.__table__
_UPDATE_COUNTED = (update(_mc).where(_mc.c.customer_id == bindparam("b_customer_id"))
                   .values(**{c: bindparam(f"b_{c}", type_=_mc.c[c].type) for c in _mc.c.keys() if c != "customer_id"}))

Flows = dict[int, list[tuple[date, Decimal]]]


def sync_customers(session: Session, customer_ids, *, aum: bool = True, sales: bool = False,
                   flows: Flows | None = None) -> int:
    """Count these customers as they are now (published ones only), writing the difference from how they were
    last counted. `flows`: AUM flows just booked for them (customer -> [(day, amount)]), counted at their days;
    with `aum`, the customer's AUM is read again and the rest of its change counted as a revaluation today.
    `sales`: their purchases are read again. Returns how many customers were counted."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return 0
    flows = flows or {}
    today = clock.today()
    deltas = Deltas()
    written = 0
    mc = MetricCustomer.__table__
    for chunk in each(ids):
        rows = session.execute(
            select(Customer.id, Customer.branch_id, Customer.team_id, Customer.owner_id, Customer.segment,
                   Customer.source_channel, Customer.status, Customer.created_at, Customer.updated_at)
            .where(Customer.id.in_(chunk), holds.visible(Customer.id))).all()
        if not rows:
            continue
        present = [r[0] for r in rows]
        old = {r.customer_id: r for r in session.execute(select(MetricCustomer)
                                                          .where(MetricCustomer.customer_id.in_(present))).scalars()}
        # A customer counted for the first time has its AUM and purchases read whatever the change was.
        new_aum = aum_of(session, present if aum else [c for c in present if c not in old])
        bought = sales_of(session, present if sales else [c for c in present if c not in old])
        inserts, updates = [], []
        for cid, branch, team, owner, segment, channel, status, created, updated in rows:
            before = _counted(old[cid]) if cid in old else None
            acquired = local_day(created)
            if status == CustomerStatus.CLOSED:
                lost_on = (before.lost_on if before and before.lost_on else
                           (today if before is not None else local_day(updated)))
            else:
                lost_on = None
            first, count = bought.get(cid, (None, 0)) if sales or before is None else (
                before.first_sale_on, before.sales)
            now = Counted(cell=cell_of(branch, team, owner), segment=segment, channel=channel, acquired_on=acquired,
                          lost_on=lost_on, aum=before.aum if before else Decimal(0),
                          aum_90d=before.aum_90d if before else Decimal(0), first_sale_on=first, sales=count)
            # AUM: carried along to a new cell or segment (today), then this batch's flows, then the rest.
            if before is not None and (before.cell != now.cell or before.segment != now.segment) and before.aum:
                deltas.add("aum", today, before.cell, before.segment, amount=-before.aum)
                deltas.add("aum", today, now.cell, now.segment, amount=before.aum)
            booked = Decimal(0)
            in_window = Decimal(0)
            for day, amount in flows.get(cid, ()):
                deltas.add("aum", day, now.cell, now.segment, amount=amount)
                booked += amount
                if acquired <= day <= acquired + ACQUISITION_WINDOW:
                    in_window += amount
            current = now.aum + booked
            if aum or before is None:
                actual = new_aum.get(cid, Decimal(0))
                if actual != current:
                    deltas.add("aum", today if before is not None else acquired, now.cell, now.segment,
                               amount=actual - current)
                current = actual
            now = replace(now, aum=current, aum_90d=now.aum_90d + in_window)
            if before is not None:
                deltas.extend(before.contributions(), -1)
            deltas.extend(now.contributions())
            values = {"customer_id": cid, "branch_id": now.cell.branch_id, "team_id": now.cell.team_id,
                      "owner_id": now.cell.owner_id, "segment": now.segment, "channel": now.channel,
                      "acquired_on": now.acquired_on, "lost_on": now.lost_on, "aum": now.aum,
                      "aum_90d": now.aum_90d, "first_sale_on": now.first_sale_on, "sales": now.sales}
            if before is None:
                inserts.append(values)
            elif now != before:
                updates.append(values)
            written += 1
        if inserts:
            session.execute(insert(mc), inserts)
        if updates:
            session.connection().execute(_UPDATE_COUNTED, [{f"b_{k}": v for k, v in u.items()} for u in updates])
    apply(session, deltas)
    return written


# ---------------------------------------------------------------- event handlers

def on_customers_created(session: Session, event) -> None:
    if holds.current(session) is not None:
        return  # an import's customers are counted when it publishes them (on_hold_published)
    sync_customers(session, event.customer_ids, aum=False)


def on_hold_published(session: Session, event) -> None:
    ids = session.execute(select(Customer.id).where(Customer.hold_id == event.hold_id)).scalars().all()
    sync_customers(session, ids, aum=False)


COUNTED_FIELDS = frozenset({"segment", "status", "source_channel", "owner_id", "team_id", "branch_id"})


def on_customer_changed(session: Session, event) -> None:
    if COUNTED_FIELDS.intersection(event.fields):
        sync_customers(session, [event.customer_id], aum=False)


def on_customer_reassigned(session: Session, event) -> None:
    sync_customers(session, [event.customer_id], aum=False)
    ids = session.execute(select(Opportunity.id).where(Opportunity.customer_id == event.customer_id)).scalars()
    sync_opportunities(session, list(ids))


def on_transactions_ingested(session: Session, event) -> None:
    """Flows of the batch's transactions at their days (AUM, and the first 90 days' AUM of new customers), then
    each touched customer's AUM read again."""
    flows: Flows = defaultdict(list)
    ids = list(event.transaction_ids)
    for chunk in each(ids, 900):
        for cid, kind, amount, booked in session.execute(
                select(Transaction.customer_id, Account.kind, Transaction.amount, Transaction.booked_at)
                .join(Account, Account.id == Transaction.account_id).where(Transaction.id.in_(chunk))):
            if kind not in NOT_AUM:
                flows[cid].append((local_day(booked), amount))
    if not ids and event.customer_ids:
        log.warning("TransactionsIngested without transaction ids: %s customers' AUM read again, their flows "
                    "counted today", len(event.customer_ids))
    sync_customers(session, event.customer_ids, aum=True, flows=flows)


def on_sale_status_changed(session: Session, event) -> None:
    """A sale counts from its signature until it is cancelled or rejected, at the day it was signed."""
    sync_customers(session, [event.customer_id], aum=False, sales=True)
    was = event.old_status in COUNTED_SALES
    now = event.new_status in COUNTED_SALES
    if was != now:
        row = session.execute(select(Sale.signed_at, Sale.amount, Product.product_type, Product.risk_level)
                              .join(Product, Product.id == Sale.product_id).where(Sale.id == event.sale_id)).first()
        counted = session.get(MetricCustomer, event.customer_id)
        if row is not None and row.signed_at is not None and counted is not None:
            sign = 1 if now else -1
            d = Deltas()
            d.add("sales", local_day(row.signed_at), _counted(counted).cell, row.product_type, row.risk_level,
                  n=sign, amount=sign * row.amount)
            apply(session, d)
        if now:
            _offers_converted(session, event.customer_id, event.product_id)


def _offers_converted(session: Session, customer_id: int, product_id: int) -> None:
    """An offer of this product to this customer (open or done) led to a sale: count it as converted."""
    rows = session.execute(select(NextBestAction).where(
        NextBestAction.customer_id == customer_id, NextBestAction.product_id == product_id,
        NextBestAction.kind == "offer", NextBestAction.converted.is_(False),
        NextBestAction.status.in_(("open", "done")))).scalars().all()
    counted = session.get(MetricCustomer, customer_id)
    if not rows or counted is None:
        return
    d = Deltas()
    for nba in rows:
        nba.converted = True
        d.add("nba", local_day(nba.created_at), _counted(counted).cell, nba.kind, "converted", n=1)
    session.flush()
    apply(session, d)


# ---------------------------------------------------------------- opportunities

def _opportunity_contributions(row: MetricOpportunity) -> Deltas:
    d = Deltas()
    cell = Cell(row.branch_id, row.team_id, row.owner_id)
    for stage in FUNNEL[:row.reached + 1]:
        d.add("pipeline", row.day, cell, stage.value, row.product_type, n=1, amount=row.amount)
    if row.lost_reason:
        d.add("pipeline", row.day, cell, Stage.LOST.value, row.product_type, n=1, amount=row.amount)
        d.add("pipeline_reason", row.day, cell, f"lost:{row.lost_reason}", row.product_type, n=1, amount=row.amount)
    if row.won_reason:
        d.add("pipeline_reason", row.day, cell, f"won:{row.won_reason}", row.product_type, n=1, amount=row.amount)
    return d


def sync_opportunities(session: Session, opportunity_ids: list[int]) -> None:
    if not opportunity_ids:
        return
    deltas = Deltas()
    mo = MetricOpportunity.__table__
    for chunk in each(sorted(set(opportunity_ids))):
        rows = session.execute(
            select(Opportunity, MetricCustomer.branch_id, MetricCustomer.team_id, MetricCustomer.owner_id)
            .join(MetricCustomer, MetricCustomer.customer_id == Opportunity.customer_id)
            .where(Opportunity.id.in_(chunk))).all()
        old = {r.opportunity_id: r for r in session.execute(
            select(MetricOpportunity).where(MetricOpportunity.opportunity_id.in_(chunk))).scalars()}
        for opp, branch, team, owner in rows:
            now = MetricOpportunity(
                opportunity_id=opp.id, day=local_day(opp.created_at), branch_id=branch, team_id=team,
                owner_id=owner, product_type=opp.product_type or "", reached=opp.reached,
                lost_reason=opp.close_reason or "" if opp.stage == Stage.LOST else "",
                won_reason=opp.close_reason or "" if opp.stage == Stage.WON else "", amount=opp.amount)
            before = old.get(opp.id)
            if before is not None:
                deltas.extend(_opportunity_contributions(before), -1)
                session.execute(delete(mo).where(mo.c.opportunity_id == opp.id))
            deltas.extend(_opportunity_contributions(now))
            session.execute(insert(mo).values(**{c: getattr(now, c) for c in mo.c.keys()}))
    apply(session, deltas)


def on_opportunity_changed(session: Session, event) -> None:
    if session.get(MetricCustomer, event.customer_id) is None:
        sync_customers(session, [event.customer_id], aum=True, sales=True)  # never counted yet
    sync_opportunities(session, [event.opportunity_id])


# ---------------------------------------------------------------- interactions, accounts, holdings (no event)

_PENDING = "fincrm.analytics.interactions"
_PENDING_AUM = "fincrm.analytics.balances"


def _interaction_added(_mapper, _connection, target) -> None:
    from sqlalchemy.orm import object_session

    session = object_session(target)
    if session is not None and target.user_id and target.occurred_at:
        session.info.setdefault(_PENDING, []).append((target.user_id, target.kind, local_day(target.occurred_at)))


def _balance_written(_mapper, _connection, target) -> None:
    from sqlalchemy.orm import object_session

    session = object_session(target)
    customer_id = getattr(target, "customer_id", None)
    if session is not None and customer_id:
        session.info.setdefault(_PENDING_AUM, set()).add(customer_id)


def _count_interactions(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return
    if session.info.get(_PENDING_AUM):
        # Accounts and holdings written through the ORM (an API client's account, a holding revalued): their
        # customers' AUM read again, the change counted today (services/analytics/rollups.py, AUM).
        session.flush()
        sync_customers(session, session.info.pop(_PENDING_AUM, set()), aum=True)
    if not session.info.get(_PENDING):
        return
    session.flush()
    pending = session.info.pop(_PENDING, [])
    users = {uid: cell_of(b, t, uid) for uid, b, t in session.execute(
        select(User.id, User.branch_id, User.team_id).where(User.id.in_({p[0] for p in pending})))}
    d = Deltas()
    for uid, kind, day in pending:
        d.add("activities", day, users.get(uid) or cell_of(0, 0, uid), kind, n=1)
    apply(session, d)


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PENDING_AUM, None)


_installed = False


def install() -> None:
    """Count interactions, and the AUM of accounts and holdings, as they are written through the ORM (their
    domains announce no event for them yet), before their transaction commits (once per process; services/bootstrap.py)."""
    global _installed
    if _installed:
        return
    from sqlalchemy import event as sa_event

    from services.activities.models import Interaction

    sa_event.listen(Interaction, "after_insert", _interaction_added)
    for model in (Account, Holding):
        for name in ("after_insert", "after_update", "after_delete"):
            sa_event.listen(model, name, _balance_written)
    sa_event.listen(OrmSession, "before_commit", _count_interactions)
    sa_event.listen(OrmSession, "after_rollback", _forget)
    _installed = True
