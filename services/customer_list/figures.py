"""The customer list's sort keys (CustomerFigures), kept per customer from the domains that own the values.

Sorting a million customers by AUM, last contact or next task cannot compute those per customer at query time;
they are kept in one row per customer, with an index per key, and recomputed for a customer whenever one of its
sources changes:
- a new customer (CustomersCreated) gets its row; a change of segment, risk level or KYC status (CustomerChanged)
  recomputes its ranks; booked transactions (TransactionsIngested) its AUM;
- interactions, tasks, accounts and holdings written through the ORM in a transaction are noticed when they are
  flushed and their customers recomputed when it commits (`install`): the activities and portfolio domains do not
  announce those changes as events yet;
- `rebuild` recomputes every row: after the demo seed and the benchmark generator (which write with bulk
  inserts), and nightly, to catch what a bulk statement changed unnoticed.

A row is recomputed from the source tables (never incremented), so recomputing twice is harmless.
"""
from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import and_, case, delete, event, func, insert, literal, not_, select, type_coerce
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from sqlmodel import Session

from services.activities.models import Interaction, Task
from services.customer_list.models import NEVER, NO_TASK, NOT_ASSESSED, CustomerFigures
from services.customers.events import CustomerChanged, CustomersCreated
from services.customers.models import Customer
from services.portfolio.conventions import LIABILITY_KINDS
from services.portfolio.events import TransactionsIngested
from services.portfolio.models import Account, AccountKind, Holding
from services.types import Money, UTCDateTime

log = logging.getLogger(__name__)

# Orders people read these in (the codes themselves sort alphabetically, which means nothing).
SEGMENT_RANK = {"mass": 1, "affluent": 2, "hnw": 3, "uhnw": 4, "corporate": 5}
RISK_RANK = {"C1": 1, "C2": 2, "C3": 3, "C4": 4, "C5": 5}  # not assessed: 0
KYC_RANK = {"expired": 1, "rejected": 2, "pending": 3, "verified": 4}  # what needs attention first
RANKED_FIELDS = frozenset({"segment", "risk_level", "risk_valid_until", "kyc_status"})
CHUNK = 500
_PENDING = "fincrm.customer_list.figures_pending"
# AUM as the 360 page counts it: what the customer has with us, without loans, cards and insurance policies.
_NOT_ASSETS = tuple(sorted(LIABILITY_KINDS | {AccountKind.INSURANCE}))


def _figures_select(customer_filter) -> select:
    """(customer_id, every figure) for the customers matching `customer_filter`, computed from the sources."""
    c = Customer
    deposits = (select(func.coalesce(func.sum(Account.balance), 0))
                .where(Account.customer_id == c.id, not_(Account.kind.in_(_NOT_ASSETS))).scalar_subquery())
    holdings = select(func.coalesce(func.sum(Holding.market_value), 0)).where(
        Holding.customer_id == c.id).scalar_subquery()
    last_contact = select(func.max(Interaction.occurred_at)).where(Interaction.customer_id == c.id).scalar_subquery()
    next_task = (select(func.min(Task.due_at))
                 .where(Task.customer_id == c.id, Task.status == "open", Task.due_at.is_not(None)).scalar_subquery())
    return select(
        c.id,
        type_coerce(deposits + holdings, Money()),
        case(SEGMENT_RANK, value=c.segment, else_=0),
        case(RISK_RANK, value=c.risk_level, else_=0),
        func.coalesce(c.risk_valid_until, literal(NOT_ASSESSED)),
        case(KYC_RANK, value=c.kyc_status, else_=0),
        func.coalesce(last_contact, type_coerce(literal(NEVER, UTCDateTime()), UTCDateTime())),
        func.coalesce(next_task, type_coerce(literal(NO_TASK, UTCDateTime()), UTCDateTime())),
    ).where(customer_filter)


_COLUMNS = ("customer_id", "aum", "segment_rank", "risk_rank", "risk_valid_until", "kyc_rank", "last_contact_at",
            "next_task_due_at")


def refresh(session: Session, customer_ids: Iterable[int]) -> int:
    """Recompute the rows of these customers (creating missing ones). Returns how many customers."""
    ids = sorted({int(i) for i in customer_ids})
    table = CustomerFigures.__table__
    conn = session.connection()  # Core statements on the session's transaction: no ORM objects involved
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        conn.execute(delete(table).where(table.c.customer_id.in_(chunk)))
        conn.execute(insert(table).from_select(_COLUMNS, _figures_select(Customer.id.in_(chunk))))
    return len(ids)


def rebuild(session: Session, *, batch: int = 50_000) -> int:
    """Recompute every customer's row, `batch` customer ids per statement (the caller commits). Returns how many."""
    table = CustomerFigures.__table__
    conn = session.connection()
    top = conn.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()
    for lo in range(0, top, batch):
        window = and_(Customer.id > lo, Customer.id <= lo + batch)
        conn.execute(delete(table).where(table.c.customer_id > lo, table.c.customer_id <= lo + batch))
        conn.execute(insert(table).from_select(_COLUMNS, _figures_select(window)))
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


# ---------------------------------------------------------------- event handlers (services/bootstrap.py)

def on_customers_created(session: Session, event: CustomersCreated) -> None:
    refresh(session, event.customer_ids)


def on_customer_changed(session: Session, event: CustomerChanged) -> None:
    if RANKED_FIELDS.intersection(event.fields):
        refresh(session, [event.customer_id])


def on_transactions_ingested(session: Session, event: TransactionsIngested) -> None:
    refresh(session, event.customer_ids)


# ---------------------------------------------------------------- sources written without an event

def _noticed(_mapper, _connection, target) -> None:
    session = object_session(target)
    customer_id = getattr(target, "customer_id", None)
    if session is not None and customer_id:
        session.info.setdefault(_PENDING, set()).add(customer_id)


def _refresh_noticed(session: OrmSession) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return
    session.flush()  # writes still pending are noticed by their flush
    pending = session.info.pop(_PENDING, set())
    if pending:
        refresh(session, pending)


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(_PENDING, None)


_installed = False


def install() -> None:
    """Notice interactions, tasks, accounts and holdings written through the ORM, and recompute their customers'
    rows before the transaction commits (once per process; services/bootstrap.py)."""
    global _installed
    if _installed:
        return
    for model in (Interaction, Task, Account, Holding):
        for name in ("after_insert", "after_update", "after_delete"):
            event.listen(model, name, _noticed)
    event.listen(OrmSession, "before_commit", _refresh_noticed)
    event.listen(OrmSession, "after_rollback", _forget)
    _installed = True

