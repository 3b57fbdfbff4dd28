"""A world of customers, accounts, transactions, sales, opportunities and interactions built through the real use
cases, and the dashboards' figures computed from the raw tables: shared by the figures, drill-down, dashboard page
and API tests of decision support (services/analytics)."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.activities import service as activities
from services.analytics.rollups import COUNTED_SALES, NOT_AUM, aum_of
from services.customers import changes as customer_changes
from services.customers.models import Customer
from services.integration import ingest
from services.integration.clients import SCOPES, actor_for_client
from services.integration.models import ApiClient
from services.opportunities import service as opportunities
from services.opportunities.models import Opportunity
from services.portfolio.models import Account, Product, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from services.suitability.events import SaleStatusChanged
from services.suitability.models import Sale
from api_helpers import customer_body
from suitability_helpers import add_products

SEGMENTS = ["mass", "affluent", "hnw", "uhnw"]
CHANNELS = ["branch", "referral", "online", "campaign"]
KINDS = [("deposit", 1), ("withdrawal", -1), ("transfer_in", 1), ("interest", 1), ("fee", -1)]
RMS = ("rm_a1", "rm_a1b", "rm_a2", "rm_b1")


def _sale(uow_factory, customer_id: int, product_id: int, amount: Decimal, signed: datetime, status: str) -> None:
    """A signed sale as the suitability flow leaves it, announced as the flow announces it (the flow itself, with
    its signed PDF, is tested in test_suitability_sales.py)."""
    with uow_factory() as uow:
        sale = Sale(customer_id=customer_id, product_id=product_id, amount=amount, regime_code="test",
                    verdict="allowed", status="effective", created_by="test", created_at=signed, signed_at=signed)
        uow.session.add(sale)
        uow.session.flush()
        uow.publish(SaleStatusChanged(sale_id=sale.id, customer_id=customer_id, product_id=product_id,
                                      old_status="awaiting_signature", new_status="effective"))
        audit.record(uow.session, SYSTEM, "sale.sign", entity_type="sale", entity_id=sale.id, changes={})
        uow.commit()
    if status != "effective":
        with uow_factory() as uow:
            row = uow.session.get(Sale, sale.id)
            row.status = status
            uow.session.flush()
            uow.publish(SaleStatusChanged(sale_id=row.id, customer_id=customer_id, product_id=product_id,
                                          old_status="effective", new_status=status))
            audit.record(uow.session, SYSTEM, "sale.cancel", entity_type="sale", entity_id=row.id, changes={})
            uow.commit()


def make_world(uow_factory, actors, org, connection, make_client):
    """Sixteen customers of four RMs in two branches acquired over the last 330 days, with accounts, four batches
    of transactions, a reassignment, a closed customer, sales (one cancelled), opportunities through the pipeline
    and interactions, all through the handlers that keep the rollup."""
    rng = random.Random(13)
    products = add_products(connection)
    info = make_client("core-banking", sorted(SCOPES))
    with uow_factory() as uow:
        client = actor_for_client(uow.session.get(ApiClient, info.pk))
    now = clock.now()
    made: list[datetime] = []
    for i in range(16):
        created = now - timedelta(days=rng.randrange(20, 330), hours=rng.randrange(24))
        with clock.fixed(created), uow_factory() as uow:
            ingest.upsert_customer(uow=uow, actor=client, external_id=f"c{i}", data=customer_body(
                300 + i, segment=SEGMENTS[i % 4], source_channel=rng.choice(CHANNELS),
                owner_id=org.users[RMS[i % 4]]))
            for j, kind in enumerate(("deposit", "wealth", "loan")):
                ingest.upsert_account(uow=uow, actor=client, customer_external_id=f"c{i}",
                                      account_external_id=f"a{i}-{j}", data={
                                          "kind": kind, "account_no": f"62221{i:03d}{j:04d}",
                                          "opened_on": str(clock.local_date(created)),
                                          "balance": str(rng.randrange(1000, 900000))})
            uow.commit()
        made.append(created)
    for batch in range(4):
        rows = []
        for k in range(30):
            i = rng.randrange(16)
            j = rng.choice((0, 1, 2))
            kind, sign = rng.choice(KINDS)
            if j == 2:
                kind, sign = rng.choice([("loan_repayment", 1), ("loan_drawdown", -1)])
            booked = max(made[i] + timedelta(hours=1), now - timedelta(days=rng.randrange(1, 200)))
            rows.append({"external_ref": f"b{batch}-{k}", "customer_external_id": f"c{i}",
                         "account_external_id": f"a{i}-{j}", "kind": kind,
                         "amount": str(sign * Decimal(rng.randrange(100, 2_000_000)) / 100),
                         "booked_at": booked.isoformat()})
        with uow_factory() as uow:
            ingest.ingest_transactions(uow=uow, actor=client, data={"rows": rows})
            uow.commit()
    ids = list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())
    # One of rm_a1's customers goes to rm_a2 (same branch, another team); one of rm_b1's is closed.
    moved, closed = ids[0], ids[3]
    for cid, values in ((moved, {"owner_id": org.users["rm_a2"]}), (closed, {"status": "closed"})):
        version = connection.execute(select(Customer.version).where(Customer.id == cid)).scalar_one()
        with uow_factory() as uow:
            customer_changes.update_customer(uow=uow, actor=client, customer_id=cid, version=version, changes=values)
            uow.commit()
    # Sales: some customers buy once, some twice, one sale cancelled in its cooling-off period.
    codes = sorted(c for c in products if c != "LN-1")
    for n, cid in enumerate(ids[:12]):
        acquired = made[n]
        for k in range(1 + n % 3):
            signed = acquired + timedelta(days=rng.randrange(1, max(2, (now - acquired).days)))
            _sale(uow_factory, cid, products[rng.choice(codes)], Decimal(rng.randrange(10_000, 500_000)), signed,
                  "cancelled" if (n, k) == (4, 1) else "effective")
    # Opportunities opened over the year, moved on, won or lost; interactions.
    owner_of = dict(connection.execute(select(Customer.id, Customer.owner_id)).all())
    by_id = {a.id: a for a in actors.values()}
    for n, cid in enumerate(ids[:14]):
        actor = by_id[owner_of[cid]]
        opened = max(made[n] + timedelta(days=1), now - timedelta(days=rng.randrange(5, 300)))
        with clock.fixed(opened), uow_factory() as uow:
            opp = opportunities.create_opportunity(uow=uow, actor=actor, customer_id=cid, data={
                "subject": "资产配置", "product_type": rng.choice(["fund", "wealth", None]),
                "amount": str(rng.randrange(10_000, 2_000_000))})
            uow.commit()
        for step in range(n % 4):
            with uow_factory() as uow:
                if step == 2 or (step == 1 and n % 5 == 0):
                    won = n % 2 == 0
                    opp = opportunities.close_opportunity(
                        uow=uow, actor=actor, opportunity_id=opp.id, version=opp.version,
                        data={"outcome": "won" if won else "lost", "close_reason": "need_met" if won else "price"})
                    uow.commit()
                    break
                opp = opportunities.move_opportunity(uow=uow, actor=actor, opportunity_id=opp.id,
                                                     version=opp.version, stage=["qualified", "proposal"][step])
                uow.commit()
        with uow_factory() as uow:
            activities.log_interaction(uow=uow, actor=actor, customer_id=cid, data={
                "kind": rng.choice(["call", "visit", "note"]), "subject": "回访",
                "occurred_at": (now - timedelta(days=rng.randrange(0, 200))).isoformat()})
            uow.commit()
    return {"ids": ids, "moved": moved, "closed": closed, "client": info}


# ---------------------------------------------------------------- the raw tables, counted in Python


class Raw:
    """The figures computed from the raw tables, for the customers a predicate keeps (their current cell)."""

    def __init__(self, connection):
        with Session(connection) as s:
            self.customers = {r.id: r for r in s.execute(select(
                Customer.id, Customer.branch_id, Customer.team_id, Customer.owner_id, Customer.segment,
                Customer.source_channel, Customer.status, Customer.created_at)).all()}
            self.aum = aum_of(s, list(self.customers))
            self.flows = [(cid, clock.local_date(booked), amount) for cid, amount, booked in s.execute(
                select(Transaction.customer_id, Transaction.amount, Transaction.booked_at)
                .join(Account, Account.id == Transaction.account_id).where(Account.kind.not_in(NOT_AUM)))]
            self.sales = [(cid, clock.local_date(signed), amount, t, r, status) for cid, signed, amount, t, r, status
                          in s.execute(select(Sale.customer_id, Sale.signed_at, Sale.amount, Product.product_type,
                                              Product.risk_level, Sale.status)
                                       .join(Product, Product.id == Sale.product_id))]
            self.opps = s.execute(select(Opportunity.customer_id, Opportunity.created_at, Opportunity.stage,
                                         Opportunity.reached, Opportunity.product_type)).all()
            from services.activities.models import Interaction
            from services.security.models import User

            self.users = {u.id: u for u in s.execute(select(User.id, User.branch_id, User.team_id)).all()}
            self.interactions = [(uid, clock.local_date(at)) for uid, at in
                                 s.execute(select(Interaction.user_id, Interaction.occurred_at))]

    def keep(self, *, branch=None, team=None, owner=None):
        def ok(cid: int) -> bool:
            c = self.customers[cid]
            return ((branch is None or c.branch_id == branch) and (team is None or c.team_id == team)
                    and (owner is None or c.owner_id == owner))
        return ok

    def acquired(self, cid: int) -> date:
        return clock.local_date(self.customers[cid].created_at)

    def aum_on(self, ok, day: date, by=lambda c: c.segment) -> dict:
        """AUM at the end of `day`: today's, less the flows booked after it."""
        out: dict = defaultdict(Decimal)
        for cid, c in self.customers.items():
            if ok(cid):
                out[by(c)] += self.aum.get(cid, Decimal(0))
        for cid, booked, amount in self.flows:
            if ok(cid) and booked > day:
                out[by(self.customers[cid])] -= amount
        return {k: v for k, v in out.items() if v}

    def counted_sales(self, ok, start: date, end: date, product_type=None):
        return [x for x in self.sales if ok(x[0]) and start <= x[1] <= end and x[5] in COUNTED_SALES
                and (product_type is None or x[3] == product_type)]

    def first_sales(self, ok):
        out: dict[int, list[date]] = defaultdict(list)
        for cid, day, _a, _t, _r, status in self.sales:
            if ok(cid) and status in COUNTED_SALES:
                out[cid].append(day)
        return {cid: sorted(days) for cid, days in out.items()}
