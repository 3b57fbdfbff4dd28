"""Demo data for tags: premium products, behaviour events, four tag rules, and the tags they give.

Runs inside the demo seed's transaction (services/demo/seed.py, FEATURE_SEEDERS) after the core data;
deterministic for the seed's `rng` and `anchor`.

How the demo stays meaningful: the demo data set is a snapshot of the bank on its anchor day, the day it
is seeded unless `fincrm seed --anchor` names another, and rule windows are measured back from the clock's
now, as in any installation (the rules know nothing of the demo). Right after seeding "in the last 30 days"
therefore means the 30 days before the anchor; later the demo ages like a book that receives no new data.
Everything written here lies before the anchor, and the rules are applied as of the anchor.

The "High-net-worth potential" scenario: a few customers (two of the demo `rm` user's among them) get a large
deposit in the 30 days before the anchor (their deposit balance grows by the same amount, staying inside
their segment) and 3-5 views of premium wealth products; one of `rm`'s customers gets the deposit but only two
premium views, so it does not qualify. The counts returned include `tag_demo_deposits`, the transactions
added here.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from services.activities.models import BehaviourEvent
from services.customers.models import Customer
from services.portfolio.models import Account, Holding, Product, Transaction
from services.security.models import User
from services.tags import rules as R
from services.tags.models import Tag, TagRule
from services.tags.service import _apply_batch

PREMIUM_CODES = ("PE0001", "WM0730", "FD0403", "FD0501")

RULES = [
    dict(code="hnw_potential", name="高净值潜力客户", name_en="High-net-worth potential", color="gold",
         rule_name="近30天存款≥50万且浏览高端理财≥3次",
         definition={"all": [
             {"field": "tx_sum", "kinds": ["deposit"], "days": 30, "op": ">=", "value": 500000},
             {"field": "event_count", "event_kind": "product_view", "premium": True, "days": 30, "op": ">=",
              "value": 3}]}),
    dict(code="not_contacted_90d", name="长期未联系", name_en="Not contacted in 90 days", color="orange",
         rule_name="富裕及以上客户90天内无联系",
         definition={"all": [
             {"field": "status", "op": "==", "value": "active"},
             {"field": "segment", "op": "in", "value": ["affluent", "hnw", "uhnw"]},
             {"field": "interaction_count", "days": 90, "op": "==", "value": 0}]}),
    dict(code="large_depositor", name="大额存款", name_en="Large depositor", color="blue",
         rule_name="近90天存入及转入≥30万",
         definition={"field": "tx_sum", "kinds": ["deposit", "transfer_in"], "days": 90, "op": ">=",
                     "value": 300000}),
    dict(code="senior_risk_holdings", name="高龄中高风险持仓", name_en="Senior with R3+ holdings", color="red",
         rule_name="65岁及以上且持有R3及以上产品",
         definition={"all": [
             {"field": "age", "op": ">=", "value": 65},
             {"field": "holdings_value", "min_risk": "R3", "op": ">", "value": 0}]}),
]
EVENTS = 3000
SEARCH_TERMS = ["理财", "基金定投", "大额存单", "养老", "黄金", "私募", "国债", "保险"]
PAGES = ["home", "wealth", "funds", "deposits", "insurance", "account", "transfer"]


def _aum(session: Session, ids: list[int]) -> dict[int, Decimal]:
    out = {cid: Decimal("0") for cid in ids}
    for cid, bal in session.execute(select(Account.customer_id, func.sum(Account.balance)).where(
            Account.customer_id.in_(ids), Account.kind.notin_(R.NON_AUM_KINDS)).group_by(Account.customer_id)):
        out[cid] += Decimal(bal) / 100 if isinstance(bal, int) else Decimal(bal or 0)
    for cid, mv in session.execute(select(Holding.customer_id, func.sum(Holding.market_value)).where(
            Holding.customer_id.in_(ids)).group_by(Holding.customer_id)):
        out[cid] += Decimal(mv) / 100 if isinstance(mv, int) else Decimal(mv or 0)
    return out


def _fits(aum: Decimal, extra: Decimal) -> bool:
    """Adding `extra` keeps the customer in the same segment band (500k / 6M / 50M)."""
    bands = (Decimal(500_000), Decimal(6_000_000), Decimal(50_000_000))
    return all((aum >= b) == (aum + extra >= b) for b in bands) and aum >= bands[0]


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    session.execute(update(Product).where(Product.code.in_(PREMIUM_CODES)).values(is_premium=True))
    premium = list(session.execute(select(Product.id).where(Product.is_premium.is_(True)).order_by(Product.id))
                   .scalars())
    others = list(session.execute(select(Product.id).where(Product.is_premium.is_(False),
                                                           Product.product_type != "loan").order_by(Product.id))
                  .scalars())
    individuals = list(session.execute(select(Customer.id).where(Customer.kind == "individual",
                                                                 Customer.status == "active")
                                       .order_by(Customer.id)).scalars())
    if not individuals:
        return {}
    ext = iter(range(1, 10**7))
    events: list[dict] = []

    def event(cid: int, kind: str, at: datetime, product_id: int | None = None) -> None:
        attrs = {"page": rng.choice(PAGES)} if kind == "page_view" else (
            {"query": rng.choice(SEARCH_TERMS)} if kind == "search" else {"channel": "app"})
        events.append({"customer_id": cid, "kind": kind, "occurred_at": at, "product_id": product_id,
                       "attributes": attrs, "source": "demo", "external_id": f"tagdemo-e{next(ext)}"})

    # Background behaviour: app usage over the 60 days before the anchor.
    for _ in range(EVENTS):
        cid = rng.choice(individuals)
        at = anchor - timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
        kind = rng.choices(["page_view", "product_view", "search"], weights=[5, 3, 2])[0]
        pid = None
        if kind == "product_view":
            pid = rng.choice(premium) if rng.random() < 0.15 else rng.choice(others)
        event(cid, kind, at, pid)

    # The high-net-worth-potential scenario.
    rm_id = session.execute(select(User.id).where(User.username == "rm")).scalar()
    candidates = list(session.execute(select(Customer.id, Customer.owner_id).where(
        Customer.kind == "individual", Customer.status == "active",
        Customer.segment.in_(["affluent", "hnw"])).order_by(Customer.id)).all())
    aum = _aum(session, [c[0] for c in candidates])
    mine = [c[0] for c in candidates if c[1] == rm_id]
    theirs = [c[0] for c in candidates if c[1] != rm_id]
    rng.shuffle(mine)
    rng.shuffle(theirs)
    # The README's walkthrough customer first: his 360 page explains the tag ("why this tag").
    zhang = session.execute(select(Customer.id).where(Customer.owner_id == rm_id, Customer.name == "张三")).scalar()
    if zhang in mine:
        mine.remove(zhang)
        mine.insert(0, zhang)
    deposits: list[dict] = []
    chosen: list[tuple[int, int]] = []  # (customer, premium views)
    for pool, n_full, n_near in ((mine, 2, 1), (theirs, 4, 0)):
        picked = 0
        for cid in pool:
            if picked == n_full + n_near:
                break
            amount = Decimal(rng.randrange(520, 900) * 1000)
            if not _fits(aum[cid], amount):
                continue
            acc = session.execute(select(Account.id).where(Account.customer_id == cid, Account.kind == "deposit")
                                  .order_by(Account.id).limit(1)).scalar()
            if acc is None:
                continue
            at = anchor - timedelta(days=rng.randrange(3, 25), minutes=rng.randrange(0, 600))
            deposits.append({"account_id": acc, "customer_id": cid, "product_id": None, "kind": "deposit",
                             "amount": amount, "currency": "CNY", "booked_at": at, "channel": "counter",
                             "description": "大额现金存款", "source": "demo",
                             "external_ref": f"tagdemo-t{next(ext)}", "created_at": at})
            session.execute(update(Account).where(Account.id == acc).values(balance=Account.balance + amount))
            chosen.append((cid, 2 if picked >= n_full else rng.randrange(3, 6)))
            picked += 1
    for cid, views in chosen:
        for _ in range(views):
            event(cid, "product_view", anchor - timedelta(days=rng.randrange(1, 28), minutes=rng.randrange(0, 900)),
                  rng.choice(premium))
    if deposits:
        session.execute(insert(Transaction), deposits)
    session.execute(insert(BehaviourEvent), events)

    # Tags and rules, then apply them so the tags are there at once.
    counts = {"behaviour_events": len(events), "tag_demo_deposits": len(deposits), "tag_rules": len(RULES)}
    ctx = R.Ctx(as_of=anchor, dialect=session.get_bind().dialect.name)
    tagged = 0
    for spec in RULES:
        tag = Tag(code=spec["code"], name=spec["name"], name_en=spec["name_en"], color=spec["color"],
                  created_at=anchor)
        session.add(tag)
        session.flush()
        rule = TagRule(rule_key=spec["code"], version=1, tag_id=tag.id, name=spec["rule_name"],
                       definition=spec["definition"], is_current=True, active=True, created_by="demo",
                       created_at=anchor)
        session.add(rule)
        session.flush()
        matched, _, _ = _apply_batch(session, rule, tag, R.validate(rule.definition), ctx, None, None, announce=False)
        tagged += matched
    counts["customer_tags"] = tagged
    return counts
