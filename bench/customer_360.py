"""The 360 view's service calls for customers with 10,000 transactions each, inside the whole book.

A call is what the page does: open a unit of work, call the service, commit. Opening a 360 is an audited read
(`customer.read`), and its audit event is appended when the transaction commits (services/db.py): the figure
includes that append (the chain head read and the insert) and the commit.

Baseline: exactly the SQL the call sent. One call per customer is recorded (statement text and parameters, as
SQLAlchemy hands them to the driver, the audit append at commit included); the baseline replays those
statements as driver SQL (`exec_driver_sql`, every row fetched) in a transaction of its own, begun as the unit
of work begins it (BEGIN IMMEDIATE), and commits. What the ratio shows is what the service adds around its SQL:
building statements, type conversion, scope and field policy, decryption and masking, the audit event's
chaining, and the views. Both sides are interleaved in blocks so both see the same cache state.
"""
from __future__ import annotations

import os

from bench.datagen import HEAVY_CUSTOMERS, build_history
from bench.replay import recorded_sql, replay
from bench.report import emit, note, percentiles, repeat_count, time_calls
from services.customer360 import service as c360
from services.db import UnitOfWork, make_engine
from services.security.actor import Actor


def run(repeat: int | None = None) -> None:
    repeat = repeat_count(repeat, 200)
    customers = int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000"))
    transactions = int(os.environ.get("FINCRM_BENCH_TRANSACTIONS", "20000000"))
    url = build_history(customers, transactions)
    engine = make_engine(url)
    heavy = list(range(1, min(HEAVY_CUSTOMERS, customers) + 1))
    actors = {
        "compliance": lambda cid: Actor(kind="user", id=10_000_000, name="bench-compliance",
                                        roles=frozenset({"compliance"})),
    }
    with engine.connect() as conn:
        # The commonest viewer: the customer's own RM (masked fields, own-book scope).
        owners = dict(conn.exec_driver_sql(
            f"SELECT c.id, u.id || ',' || u.team_id || ',' || u.branch_id FROM customer c "
            f"JOIN app_user u ON u.id = c.owner_id WHERE c.id <= {len(heavy)}").all())
        history = conn.exec_driver_sql(f'SELECT count(*) FROM "transaction" WHERE customer_id = {heavy[0]}').scalar()

    def own_rm(cid: int) -> Actor:
        uid, team, branch = (int(x) for x in owners[cid].split(","))
        return Actor(kind="user", id=uid, name=f"bench_rm{uid}", roles=frozenset({"rm"}), team_id=team,
                     branch_id=branch)

    actors["own_rm"] = own_rm
    calls = {
        "view": lambda uow, actor, cid: c360.customer_360(uow=uow, actor=actor, customer_id=cid),
        "transactions_page": lambda uow, actor, cid: c360.transactions(
            uow=uow, actor=actor, customer_id=cid, filters={"page": 2, "kinds": ["deposit"], "min_amount": "1000"}),
    }
    for call_name, service_call in calls.items():
        for actor_name, actor_for in actors.items():
            if call_name == "transactions_page" and actor_name != "compliance":
                continue

            def door(cid: int, service_call=service_call, actor_for=actor_for) -> None:
                with UnitOfWork(engine) as uow:  # as the page's handler: a unit of work, the call, commit
                    service_call(uow, actor_for(cid), cid)
                    uow.commit()

            per_customer = {}
            for cid in heavy:
                sql = recorded_sql(engine, lambda cid=cid: door(cid))
                per_customer[cid] = [(q, p) for q, p in sql if not q.startswith(("PRAGMA", "BEGIN"))]
            statements = len(per_customer[heavy[0]])
            state = {"i": 0}

            def svc() -> None:
                state["i"] += 1
                door(heavy[state["i"] % len(heavy)])

            def raw() -> None:
                state["i"] += 1
                with engine.connect() as c:
                    c = c.execution_options(fincrm_immediate=True)  # as the unit of work's: BEGIN IMMEDIATE
                    with c.begin():
                        replay(c, per_customer[heavy[state["i"] % len(heavy)]])

            svc_ms, raw_ms, svc_cpu, raw_cpu = [], [], [], []
            for _ in range(max(1, repeat // 20)):  # interleave blocks so both see the same cache state
                svc_ms += time_calls(svc, 20, 2, svc_cpu)
                raw_ms += time_calls(raw, 20, 2, raw_cpu)
            s, r = percentiles(svc_ms), percentiles(raw_ms)
            sc, rc = percentiles(svc_cpu), percentiles(raw_cpu)
            emit("customer_360", backend=engine.dialect.name, customers=customers, transactions=transactions,
                 customer_transactions=history, call=call_name, actor=actor_name, statements=statements,
                 committed=True, service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"],
                 raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"],
                 ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2),
                 service_cpu_p50_ms=sc["p50_ms"], service_cpu_p95_ms=sc["p95_ms"],
                 raw_sql_cpu_p50_ms=rc["p50_ms"], raw_sql_cpu_p95_ms=rc["p95_ms"],
                 ratio_cpu_p50=round(sc["p50_ms"] / rc["p50_ms"], 2),
                 ratio_cpu_p95=round(sc["p95_ms"] / rc["p95_ms"], 2), target_p95_ms=50, target_ratio=2,
                 n=s["n"])
    engine.dispose()
    note("customer_360 done")
