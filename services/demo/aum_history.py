"""Demo data: 24 months of AUM and liabilities per customer, the history the 360 chart draws.

Runs last in the demo seed (FEATURE_SEEDERS), after every seeder that books transactions or moves balances
(tags, AML), so the newest month is exactly what the 360 header shows today: the customer's balances and
holdings. Earlier months are walked back from today through the booked transactions:

- AUM moves with what goes in and out of the deposit accounts (deposits, withdrawals, transfers, interest,
  fees). A purchase, redemption, dividend or premium moves money between the customer's cash and a product
  held with us: it leaves AUM as it was (holdings count at today's value; the demo keeps no price history).
- Liabilities move with drawdowns, card spending and repayments, signed from the account's side
  (services/portfolio/conventions.py): what is owed before a transaction is what is owed after it plus its
  amount.

The core seeder keeps balances in step with its transactions (seed.py `_settle`), so no month is negative.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.portfolio.conventions import LIABILITY_KINDS
from services.portfolio.models import Account, AccountKind, AumSnapshot, Holding, Transaction

MONTHS = 24
# Accounts that are not assets under management: what is owed, and insurance (its policies count as holdings).
NOT_AUM = tuple(LIABILITY_KINDS) + (AccountKind.INSURANCE,)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _prev_month(d: date) -> date:
    return (d - timedelta(days=1)).replace(day=1)


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    today = clock.local_date(anchor)
    aum: dict[int, Decimal] = defaultdict(Decimal)
    owed: dict[int, Decimal] = defaultdict(Decimal)
    kind_of = {}
    for aid, cid, kind, balance in session.execute(select(Account.id, Account.customer_id, Account.kind,
                                                         Account.balance)):
        kind_of[aid] = kind
        if kind in LIABILITY_KINDS:
            owed[cid] += balance
        elif kind not in NOT_AUM:
            aum[cid] += balance
    for cid, value in session.execute(select(Holding.customer_id, Holding.market_value)):
        aum[cid] += value
    # Per customer and month: (what came into AUM, what was added to what is owed).
    flows: dict[tuple[int, date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for cid, aid, amount, booked in session.execute(select(Transaction.customer_id, Transaction.account_id,
                                                           Transaction.amount, Transaction.booked_at)):
        key = (cid, _month_start(clock.local_date(booked)))
        kind = kind_of.get(aid)
        if kind in LIABILITY_KINDS:
            flows[key][1] -= amount  # money out of a loan or card (a spend, a drawdown) is more owed
        elif kind == AccountKind.DEPOSIT:
            flows[key][0] += amount
    rows = []
    current = _month_start(today)
    for cid, created in session.execute(select(Customer.id, Customer.created_at).order_by(Customer.id)):
        a, owes = aum[cid], owed[cid]
        first = _month_start(clock.local_date(created))
        month = current
        for _ in range(MONTHS):
            if month < first:
                break
            rows.append({"customer_id": cid, "month": month, "aum": a, "liabilities": owes})
            a_in, owed_more = flows.get((cid, month), (Decimal(0), Decimal(0)))
            a, owes = a - a_in, owes - owed_more  # the month before: as it was before this month's flows
            month = _prev_month(month)
    for i in range(0, len(rows), 20_000):
        session.execute(insert(AumSnapshot), rows[i:i + 20_000])
    return {"aum_snapshots": len(rows)}
