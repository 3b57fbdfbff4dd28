"""Demo data for decision support (issue 13): a year of opportunities and of product sales, so every dashboard chart
has history on a fresh demo, then the dashboards' rollup computed from everything the demo wrote.

- Opportunities: each RM opens a few a week over the last 365 days on his own customers (a product type, an
  amount fitting the customer's segment); older ones moved on through the pipeline, won or lost with a reason,
  recent ones still open. The demo rm's (张三's RM) book gets a few more.
- Lost customers: about a third of the dormant customers (none of the walkthrough rm's) closed during the year.
- Sales: the year's sales of investment products before the suitability flow's own demo sales (which go through the
  real use cases with signed disclosures: services/demo/suitability.py): booked as the core system reports them,
  effective, a few cancelled in their cooling-off period; more in the months before the year end and after the
  Chinese New Year, so the forecast has a season to follow. Customers buy within their level (R1..R5 from their
  segment) and some buy again.
- Next-best-actions computed for today (services/analytics/nba.py), a quarter already done, some dismissed.
- Then `rebuild_in` (services/analytics/rebuild.py) counts every customer, transaction, sale, opportunity and
  interaction the demo wrote in bulk (bulk inserts pass no event handler).

Runs after the other seeders that write what the rollup counts, in the demo seed's transaction (FEATURE_SEEDERS),
deterministic for the seed's `rng` and `anchor`.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.opportunities.models import LOST_REASONS, WON_REASONS, Opportunity
from services.portfolio.models import Product
from services.security.models import User
from services.suitability.models import Sale

DAYS = 365
# segment -> (highest product risk a customer of it buys, typical amount in yuan)
_SEGMENT = {"mass": (2, 30_000), "affluent": (3, 150_000), "hnw": (4, 600_000), "uhnw": (5, 2_000_000),
            "corporate": (3, 1_500_000)}
_TITLES = {"deposit": ("大额存单续作", "定期存款配置"), "wealth": ("理财到期再投资", "稳健理财配置"),
           "fund": ("基金定投", "权益基金配置"), "bond": ("债券配置", "国债认购"),
           "equity": ("股票账户开通", "权益投资"), "insurance": ("家庭保障规划", "年金险配置"), None: ("资产配置咨询",)}
_REGIME = {"fund": "securities_funds", "bond": "securities_funds", "equity": "securities_funds"}


def _season(day) -> float:
    """More sales in the last two months of the year and in March; fewer around the New Year holiday."""
    return {1: 0.8, 2: 0.6, 3: 1.3, 11: 1.25, 12: 1.4}.get(day.month, 1.0)


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    from services.analytics import rebuild

    today = clock.local_date(anchor)
    start = today - timedelta(days=DAYS - 1)
    customers = session.execute(
        select(Customer.id, Customer.owner_id, Customer.segment, Customer.created_at, Customer.status)
        .where(Customer.hold_id.is_(None), Customer.status != "closed")).all()
    if not customers:
        return {}
    products = session.execute(select(Product.id, Product.product_type, Product.risk_level)
                               .where(Product.is_active.is_(True), Product.product_type != "loan")).all()
    demo_rm = session.execute(select(User.id).where(User.username == "rm")).scalar()
    counts = {"demo_opportunities": 0, "demo_sales_history": 0, "demo_customers_closed": 0}

    def created_day(c):
        return clock.local_date(c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=clock.zone()))

    def at(day) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=clock.zone()) + timedelta(
            hours=rng.randint(9, 17), minutes=rng.randrange(60))

    # ---- lost customers: about a third of the dormant ones (none of the walkthrough rm's) closed during the year
    closed = set()
    for c in customers:
        if c.status == "dormant" and c.owner_id != demo_rm and rng.random() < 0.35:
            day = start + timedelta(days=rng.randrange(DAYS - 1))
            session.execute(update(Customer.__table__).where(Customer.__table__.c.id == c.id).values(
                status="closed", updated_at=at(day)))
            closed.add(c.id)
    customers = [c for c in customers if c.id not in closed]
    counts["demo_customers_closed"] = len(closed)
    by_owner: dict[int, list] = {}
    for c in customers:
        by_owner.setdefault(c.owner_id, []).append(c)

    # ---- opportunities
    opps = []
    for owner, book in sorted(by_owner.items()):
        per_week = 3 if owner == demo_rm else (1 if len(book) < 30 else 2)
        for week in range(DAYS // 7):
            for _ in range(rng.randint(0, per_week)):
                day = start + timedelta(days=week * 7 + rng.randrange(7))
                if day > today:
                    continue
                c = rng.choice(book)
                if created_day(c) > day:
                    continue
                ptype = rng.choice(["wealth", "fund", "fund", "deposit", "insurance", "bond", None])
                age = (today - day).days
                # How far it got: older opportunities are mostly closed, recent ones mostly open.
                reached = min(3, int(rng.expovariate(0.9)))
                closed = age > 45 and rng.random() < 0.85 or reached == 3
                won = closed and (reached == 3 or (reached >= 2 and rng.random() < 0.5))
                stage = "won" if won else ("lost" if closed else ("lead", "qualified", "proposal")[min(reached, 2)])
                if won:
                    reached = 3
                amount = Decimal(int(_SEGMENT.get(c.segment, (3, 100_000))[1] * rng.uniform(0.3, 2.0)) // 1000 * 1000
                                 + 1000)
                opened = at(day)
                closed_at = opened + timedelta(days=rng.randint(5, 40)) if closed else None
                if closed_at is not None and closed_at.date() > today:
                    closed_at = at(today)
                reason = (rng.choice(WON_REASONS) if won else rng.choice(LOST_REASONS)) if closed else None
                opps.append({
                    "customer_id": c.id, "owner_id": owner, "title": rng.choice(_TITLES[ptype]),
                    "product_type": ptype, "amount": amount, "currency": "CNY", "stage": stage, "reached": reached,
                    "expected_close": None if closed else day + timedelta(days=rng.randint(20, 60)),
                    "close_reason": str(reason) if reason else None, "close_note": None, "created_by": owner,
                    "created_at": opened, "updated_at": closed_at or opened, "closed_at": closed_at, "version": 1})
    for i in range(0, len(opps), 2000):
        session.execute(insert(Opportunity.__table__), opps[i:i + 2000])
    counts["demo_opportunities"] = len(opps)

    # ---- a year of sales
    by_risk: dict[int, list] = {}
    for p in products:
        by_risk.setdefault(int(p.risk_level[1]), []).append(p)
    sales = []
    for c in customers:
        top, typical = _SEGMENT.get(c.segment, (3, 100_000))
        first = max(start, created_day(c))
        if first > today:
            continue
        # How many purchases this year: most customers none or one, the wealthier more.
        n = min(8, int(rng.expovariate(0.8 if c.segment in ("mass", "affluent") else 0.45)))
        for _ in range(n):
            for _try in range(4):
                day = first + timedelta(days=rng.randrange((today - first).days + 1))
                if rng.random() < _season(day) / 1.4:
                    break
            if day >= today - timedelta(days=2):
                day = today - timedelta(days=3)  # the flow's own demo sales are the last days'
            if day < first:
                continue
            choices = [p for r in range(1, top + 1) for p in by_risk.get(r, [])]
            if not choices:
                continue
            p = rng.choice(choices)
            signed = at(day)
            status = "cancelled" if rng.random() < 0.03 else "effective"
            sales.append({
                "customer_id": c.id, "product_id": p.id,
                "amount": Decimal(int(typical * rng.uniform(0.2, 1.5)) // 100 * 100 + 1000), "currency": "CNY",
                "regime_code": _REGIME.get(p.product_type, "bank_wealth"), "verdict": "allowed", "requirements": [],
                "statements": [], "status": status, "locale": "zh_CN", "created_by": "core-banking",
                "created_at": signed - timedelta(minutes=20), "signed_at": signed, "warning_signed": False,
                "cooling_off_until": signed + timedelta(hours=24),
                "effective_at": signed + timedelta(hours=24) if status == "effective" else None,
                "cancelled_at": signed + timedelta(hours=6) if status == "cancelled" else None,
                "cancel_reason": "客户在冷静期内撤销" if status == "cancelled" else None, "version": 1})
    for i in range(0, len(sales), 2000):
        session.execute(insert(Sale.__table__), sales[i:i + 2000])
    counts["demo_sales_history"] = len(sales)
    session.flush()
    # ---- next-best-actions of today, some already worked on by their RMs
    from services.analytics import nba
    from services.analytics.models import NextBestAction

    made = nba.refresh(session, [c.id for c in customers])
    counts["demo_suggestions"] = made["suggested"]
    for row in session.execute(select(NextBestAction).where(NextBestAction.status == "open")
                               .order_by(NextBestAction.id)).scalars():
        roll = rng.random()
        if roll < 0.25 or roll > 0.85:
            row.status = "done" if roll < 0.25 else "dismissed"
            row.decided_at, row.decided_by = anchor, row.owner_id
    session.flush()
    # ---- the rollup, from everything the demo wrote
    counted = rebuild.rebuild_in(session)
    counts["metric_facts"] = counted["facts"]
    return counts
