"""The dashboards' rollup (services/analytics): kept by event handlers as random data arrives through the real use
cases (customers and accounts from an API client, transaction batches, reassignments, segment and status changes,
opportunities, interactions), its totals equal the raw tables' at every level and period, and the rebuild gives the
same totals. An import's customers are not counted before its hold is published."""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services import clock, holds
from services.activities import service as activities
from services.analytics import rebuild
from services.analytics.facts import WEEKLY, week_of
from services.analytics.models import MetricCustomer, MetricFact
from services.analytics.rollups import NOT_AUM, aum_of
from services.customers import changes as customer_changes
from services.customers import service as customers
from services.customers.models import Customer
from services.integration import ingest
from services.integration.clients import SCOPES, actor_for_client
from services.integration.models import ApiClient
from services.opportunities import service as opportunities
from services.opportunities.models import Opportunity
from services.portfolio.models import Account, Transaction
from services.security.actor import SYSTEM
from api_helpers import customer_body
from metrics_helpers import _sale
from suitability_helpers import add_products

SEGMENTS = ["mass", "affluent", "hnw"]
CHANNELS = ["branch", "referral", "online", "campaign"]
KINDS = [("deposit", 1), ("withdrawal", -1), ("transfer_in", 1), ("transfer_out", -1), ("interest", 1),
         ("fee", -1)]


def _totals(connection, level: str, period: str) -> dict[str, tuple[int, Decimal]]:
    rows = connection.execute(select(MetricFact.measure, func.sum(MetricFact.n), func.sum(MetricFact.amount))
                              .where(MetricFact.level == level, MetricFact.period == period)
                              .group_by(MetricFact.measure)).all()
    return {m: (int(n or 0), Decimal(a or 0) / 100 if isinstance(a, int) else Decimal(a or 0)) for m, n, a in rows}


def _firm_rows_are_the_branches_summed(connection) -> None:
    """The firm's rows ('f', what a head-office figure reads) hold, row for row, the sum of the branch rows."""
    key = (MetricFact.measure, MetricFact.period, MetricFact.day, MetricFact.dim1, MetricFact.dim2)
    branches = {tuple(r[:5]): (int(r[5]), r[6]) for r in connection.execute(
        select(*key, func.sum(MetricFact.n), func.sum(MetricFact.amount)).where(MetricFact.level == "b")
        .group_by(*key)) if r[5] or r[6]}
    firm = {tuple(r[:5]): (int(r[5]), r[6]) for r in connection.execute(
        select(*key, MetricFact.n, MetricFact.amount).where(MetricFact.level == "f")) if r[5] or r[6]}
    assert firm == branches and firm
    assert connection.execute(select(func.count()).select_from(MetricFact).where(
        MetricFact.level == "f", (MetricFact.branch_id != 0) | (MetricFact.team_id != 0)
        | (MetricFact.owner_id != 0))).scalar_one() == 0


def _weeks_are_their_days_summed(connection) -> None:
    """Each week row (period 'w', day = the Monday) holds its cell's seven day rows summed, dims kept apart."""
    key = (MetricFact.measure, MetricFact.level, MetricFact.branch_id, MetricFact.team_id, MetricFact.owner_id,
           MetricFact.dim1, MetricFact.dim2)
    days: dict = defaultdict(lambda: [0, Decimal(0)])
    for *k, day, n, amount in connection.execute(select(*key, MetricFact.day, MetricFact.n, MetricFact.amount).where(
            MetricFact.period == "d", MetricFact.measure.in_(sorted(WEEKLY)))):
        row = days[(*k, week_of(day))]
        row[0] += n
        row[1] += amount
    weeks = {(*k, day): [n, amount] for *k, day, n, amount in connection.execute(
        select(*key, MetricFact.day, MetricFact.n, MetricFact.amount).where(MetricFact.period == "w"))}
    assert {k: v for k, v in weeks.items() if v[0] or v[1]} == {k: v for k, v in days.items() if v[0] or v[1]}
    assert weeks and all(day.weekday() == 0 for *_k, day in weeks)


def _fact_sum(connection, measure: str, *where) -> tuple[int, Decimal]:
    n, amount = connection.execute(select(func.sum(MetricFact.n), func.sum(MetricFact.amount)).where(
        MetricFact.measure == measure, *where)).one()
    return int(n or 0), (Decimal(amount) / 100 if isinstance(amount, int) else Decimal(amount or 0))


def _aum_by_owner(connection) -> dict[int, Decimal]:
    rows = connection.execute(select(MetricFact.owner_id, func.sum(MetricFact.amount)).where(
        MetricFact.measure == "aum", MetricFact.level == "o", MetricFact.period == "m")
        .group_by(MetricFact.owner_id)).all()
    return {o: Decimal(a) / 100 if isinstance(a, int) else Decimal(a) for o, a in rows if a}


def _raw_aum_by_owner(connection) -> dict[int, Decimal]:
    from sqlmodel import Session

    with Session(connection) as s:
        owners = dict(s.execute(select(Customer.id, Customer.owner_id)).all())
        aum = aum_of(s, list(owners))
    out: dict[int, Decimal] = defaultdict(Decimal)
    for cid, value in aum.items():
        if value:
            out[owners[cid]] += value
    return {o: v for o, v in out.items() if v}


def _make_world(uow_factory, actors, org, connection, make_client, seed: int):
    rng = random.Random(seed)
    info = make_client("core-banking", sorted(SCOPES))
    with uow_factory() as uow:
        client = actor_for_client(uow.session.get(ApiClient, info.pk))
    rms = [org.users[n] for n in ("rm_a1", "rm_a1b", "rm_a2", "rm_b1")]
    today = clock.today()
    made = []
    for i in range(14):
        created = clock.now() - timedelta(days=rng.randrange(0, 300), hours=rng.randrange(24))
        with clock.fixed(created), uow_factory() as uow:
            ingest.upsert_customer(uow=uow, actor=client, external_id=f"c{i}", data=customer_body(
                100 + i, segment=rng.choice(SEGMENTS), source_channel=rng.choice(CHANNELS),
                owner_id=rng.choice(rms)))
            for j, kind in enumerate(("deposit", "wealth", "loan")):
                ingest.upsert_account(uow=uow, actor=client, customer_external_id=f"c{i}",
                                      account_external_id=f"a{i}-{j}", data={
                                          "kind": kind, "account_no": f"62220{i:03d}{j:04d}",
                                          "opened_on": str(clock.local_date(created)),
                                          "balance": str(rng.randrange(1000, 900000))})
            uow.commit()
        made.append(created)
    for batch in range(4):
        rows = []
        for k in range(rng.randrange(20, 60)):
            i = rng.randrange(14)
            j = rng.choice((0, 1, 1, 2))
            kind, sign = rng.choice(KINDS)
            if j == 2:
                kind, sign = rng.choice([("loan_repayment", 1), ("loan_drawdown", -1)])
            booked = max(made[i], clock.now() - timedelta(days=rng.randrange(0, 120)))
            rows.append({"external_ref": f"b{batch}-{k}", "customer_external_id": f"c{i}",
                         "account_external_id": f"a{i}-{j}", "kind": kind,
                         "amount": str(sign * Decimal(rng.randrange(100, 5_000_000)) / 100),
                         "booked_at": booked.isoformat()})
        with uow_factory() as uow:
            ingest.ingest_transactions(uow=uow, actor=client, data={"rows": rows})
            uow.commit()
    ids = list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())
    # Sales over the last months (some weeks twice, one cancelled), before the reassignment moves one customer.
    products = add_products(connection)
    codes = sorted(c for c in products if c != "LN-1")
    for n, cid in enumerate(ids[:8]):
        for k in range(1 + n % 2):
            signed = clock.now() - timedelta(days=rng.randrange(1, 200), hours=rng.randrange(24))
            _sale(uow_factory, cid, products[rng.choice(codes)], Decimal(rng.randrange(10_000, 500_000)), signed,
                  "cancelled" if (n, k) == (3, 1) else "effective")
    # A reassignment (to another branch), a segment change, a customer closed.
    moved, resegmented, closed = ids[0], ids[1], ids[2]
    for cid, values in ((moved, {"owner_id": org.users["rm_b1"]}), (resegmented, {"segment": "uhnw"}),
                        (closed, {"status": "closed"})):
        row = connection.execute(select(Customer.version).where(Customer.id == cid)).scalar_one()
        with uow_factory() as uow:
            customer_changes.update_customer(uow=uow, actor=client, customer_id=cid, version=row, changes=values)
            uow.commit()
    # Opportunities through the pipeline; interactions.
    for cid in ids[3:9]:
        owner = connection.execute(select(Customer.owner_id).where(Customer.id == cid)).scalar_one()
        actor = next(a for a in actors.values() if a.id == owner)
        with uow_factory() as uow:
            opp = opportunities.create_opportunity(uow=uow, actor=actor, customer_id=cid, data={
                "subject": "基金定投", "product_type": rng.choice(["fund", "wealth", None]),
                "amount": str(rng.randrange(10_000, 2_000_000))})
            uow.commit()
        for step in range(rng.randrange(0, 4)):
            with uow_factory() as uow:
                if step == 2 or (step == 1 and rng.random() < 0.3):
                    won = rng.random() < 0.5
                    opp = opportunities.close_opportunity(
                        uow=uow, actor=actor, opportunity_id=opp.id, version=opp.version,
                        data={"outcome": "won" if won else "lost", "close_reason": "need_met" if won else "price"})
                    uow.commit()
                    break
                opp = opportunities.move_opportunity(uow=uow, actor=actor, opportunity_id=opp.id, version=opp.version,
                                                     stage=["qualified", "proposal"][step])
                uow.commit()
        with uow_factory() as uow:
            activities.log_interaction(uow=uow, actor=actor, customer_id=cid, data={
                "kind": rng.choice(["call", "visit", "note"]), "subject": "回访"})
            uow.commit()
    return ids, {"moved": moved, "closed": closed}


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_totals_equal_the_raw_totals_and_the_rebuild_agrees(uow_factory, actors, org, connection, make_client,
                                                                   seed):
    ids, special = _make_world(uow_factory, actors, org, connection, make_client, seed)
    # Every level and period holds the same totals.
    base = _totals(connection, "o", "d")
    for level in ("o", "t", "b", "f"):
        for period in ("d", "m"):
            assert _totals(connection, level, period) == base, (level, period)
        # Weeks: only the weekly measures (sales), with the same totals.
        assert _totals(connection, level, "w") == {m: base[m] for m in WEEKLY if m in base}, level
    assert base["sales"][0] > 0
    _weeks_are_their_days_summed(connection)
    _firm_rows_are_the_branches_summed(connection)
    # ... and they are the raw tables' totals.
    assert base["new_customers"][0] == len(ids)
    assert base["lost_customers"][0] == 1
    raw_aum = sum(_raw_aum_by_owner(connection).values(), Decimal(0))
    assert base["aum"][1] == raw_aum and raw_aum > 0
    assert _aum_by_owner(connection) == _raw_aum_by_owner(connection)  # the moved customer took its AUM along
    stages = Counter()
    for stage, reached in connection.execute(select(Opportunity.stage, Opportunity.reached)):
        for s in ("lead", "qualified", "proposal", "won")[:reached + 1]:
            stages[s] += 1
        if stage == "lost":
            stages["lost"] += 1
    fact_stages = dict(connection.execute(select(MetricFact.dim1, func.sum(MetricFact.n)).where(
        MetricFact.measure == "pipeline", MetricFact.level == "b", MetricFact.period == "m")
        .group_by(MetricFact.dim1)).all())
    assert {k: v for k, v in fact_stages.items() if v} == dict(stages)
    assert base["activities"][0] == connection.execute(select(func.count()).select_from(
        __import__("services.activities.models", fromlist=["Interaction"]).Interaction)).scalar_one()
    # The flows of the last 120 days are the raw transactions' on accounts AUM counts, day by day.
    zone_days: dict = defaultdict(Decimal)
    for amount, booked in connection.execute(select(Transaction.amount, Transaction.booked_at)
                                             .join(Account, Account.id == Transaction.account_id)
                                             .where(Account.kind.not_in(NOT_AUM))):
        zone_days[clock.local_date(booked)] += amount
    today = clock.today()
    first_created = min(clock.local_date(c) for c in connection.execute(select(Customer.created_at)).scalars())
    for day, amount in zone_days.items():
        if day > first_created and day < today:  # openings (acquisition days) and today's revaluations aside
            openings = connection.execute(select(func.count()).select_from(MetricCustomer).where(
                MetricCustomer.acquired_on == day)).scalar_one()
            if not openings:
                assert _fact_sum(connection, "aum", MetricFact.level == "b", MetricFact.period == "d",
                                 MetricFact.day == day)[1] == amount, day
    # The rebuild: the same totals, the same AUM per RM.
    with uow_factory() as uow:
        rebuild.rebuild(uow=uow, actor=SYSTEM)
        uow.commit()
    rebuilt = _totals(connection, "o", "d")
    assert rebuilt == base
    for level in ("t", "b", "f"):
        for period in ("d", "m"):
            assert _totals(connection, level, period) == base
        assert _totals(connection, level, "w") == {m: base[m] for m in WEEKLY if m in base}, level
    _weeks_are_their_days_summed(connection)
    _firm_rows_are_the_branches_summed(connection)
    assert _aum_by_owner(connection) == _raw_aum_by_owner(connection)


def test_an_imports_customers_are_counted_only_when_its_hold_is_published(uow_factory, actors, connection, org):
    from services.validation.identity import make_id_number
    from datetime import date

    with uow_factory() as uow:
        hold = holds.open_hold(uow.session, "import_batch:test")
        with holds.writing_under(uow.session, hold):
            ids = customers.create_customer_records(uow=uow, actor=actors["ops_a"], items=[
                {"name": f"导入{i}", "id_type": "resident_id", "id_number": make_id_number("110105", date(1990, 1, 1), 900 + i),
                 "owner_id": org.users["rm_a1"]} for i in range(3)])
            holds.note_rows(uow.session, hold, ids)
        uow.commit()
    assert connection.execute(select(func.count()).select_from(MetricCustomer)).scalar_one() == 0
    assert _fact_sum(connection, "new_customers")[0] == 0
    with uow_factory() as uow:
        holds.publish(uow.session, hold)
        from services.security import audit

        audit.record(uow.session, SYSTEM, "import.run", entity_type="test", entity_id=hold, changes={})
        uow.commit()
    assert connection.execute(select(func.count()).select_from(MetricCustomer)).scalar_one() == 3
    assert _fact_sum(connection, "new_customers", MetricFact.level == "b", MetricFact.period == "d")[0] == 3
