"""The 360 view's service calls for customers with 10,000 transactions each, inside the whole book.

Baseline: exactly the SQL the service call runs. One service call per customer is recorded (statement
text and parameters, as SQLAlchemy hands them to the driver); the baseline replays those statements on
the same connection as driver SQL (`exec_driver_sql`) and fetches every row (`replay`). What the ratio
shows is what the service adds around its SQL: building and compiling statements, type conversion, scope
and field policy, decryption and masking, the audit event (opening a 360 is an audited read) and the views.

Both sides run inside one open unit of work (beginning and ending the transaction is the door's
work and the same for any call), interleaved in blocks so both see the same cache state; nothing is
committed. Before each service call the session forgets what the last one loaded, as a new request would.
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
    # Not read-only: the 360 view writes its audit event (rolled back with the rest at the end).
    with UnitOfWork(engine) as uow:
        conn = uow.session.connection()
        # The commonest viewer: the customer's own RM (masked fields, own-book scope).
        owners = dict(conn.exec_driver_sql(
            f"SELECT c.id, u.id || ',' || u.team_id || ',' || u.branch_id FROM customer c "
            f"JOIN app_user u ON u.id = c.owner_id WHERE c.id <= {len(heavy)}").all())

        def own_rm(cid: int) -> Actor:
            uid, team, branch = (int(x) for x in owners[cid].split(","))
            return Actor(kind="user", id=uid, name=f"bench_rm{uid}", roles=frozenset({"rm"}), team_id=team,
                         branch_id=branch)

        actors["own_rm"] = own_rm
        history = conn.exec_driver_sql(f'SELECT count(*) FROM "transaction" WHERE customer_id = {heavy[0]}').scalar()
        calls = {
            "view": lambda actor, cid: c360.customer_360(uow=uow, actor=actor, customer_id=cid),
            "transactions_page": lambda actor, cid: c360.transactions(
                uow=uow, actor=actor, customer_id=cid,
                filters={"page": 2, "kinds": ["deposit"], "min_amount": "1000"}),
        }
        for call_name, service_call in calls.items():
            for actor_name, actor_for in actors.items():
                if call_name == "transactions_page" and actor_name != "compliance":
                    continue
                per_customer = {}
                for cid in heavy:
                    uow.session.expunge_all()  # record what a new request runs (no remembered audit head)
                    per_customer[cid] = (actor_for(cid), recorded_sql(
                        conn, lambda cid=cid: service_call(actor_for(cid), cid)))
                statements = len(per_customer[heavy[0]][1])
                state = {"i": 0}

                def svc() -> None:
                    state["i"] += 1
                    cid = heavy[state["i"] % len(heavy)]
                    uow.session.expunge_all()  # as a new request would: nothing remembered from the last call
                    service_call(per_customer[cid][0], cid)

                def raw() -> None:
                    state["i"] += 1
                    replay(conn, per_customer[heavy[state["i"] % len(heavy)]][1])

                svc_ms, raw_ms, svc_cpu, raw_cpu = [], [], [], []
                for _ in range(max(1, repeat // 20)):  # interleave blocks so both see the same cache state
                    svc_ms += time_calls(svc, 20, 2, svc_cpu)
                    raw_ms += time_calls(raw, 20, 2, raw_cpu)
                s, r = percentiles(svc_ms), percentiles(raw_ms)
                sc, rc = percentiles(svc_cpu), percentiles(raw_cpu)
                emit("customer_360", backend=engine.dialect.name, customers=customers, transactions=transactions,
                     customer_transactions=history, call=call_name, actor=actor_name, statements=statements,
                     service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"],
                     raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"],
                     ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2),
                     service_cpu_p50_ms=sc["p50_ms"], service_cpu_p95_ms=sc["p95_ms"],
                     raw_sql_cpu_p50_ms=rc["p50_ms"], raw_sql_cpu_p95_ms=rc["p95_ms"],
                     ratio_cpu_p95=round(sc["p95_ms"] / rc["p95_ms"], 2), target_p95_ms=50, target_ratio=2,
                     n=s["n"])
    engine.dispose()
    note("customer_360 done")
