"""Customer search at 1,000,000 customers: the service call against the same query as raw SQL.

The baseline does what the service's SQL does (the page of ids in index order,
the capped count, and the page's rows with owner and branch names) without the
service around it: no validation, no scope, no masking, no views. The ratio is the
price of doing it properly.

Both run inside an open transaction: the raw statements on a connection that has
begun one, the service call in an open unit of work (beginning and ending the
transaction is the door's work, not the service's, and is the same for any query).
"""
from __future__ import annotations

import os
import random


from bench.datagen import build
from bench.report import emit, note, percentiles, time_calls
from services.customers import search as customer_search
from services.customers import service
from services.db import UnitOfWork, make_engine
from services.security.actor import Actor
from services.security.policy import scope_key

QUERIES = {"name_prefix": "张", "pinyin_initials": "zs", "pinyin_prefix": "zhangw", "phone_last4": "5678"}


def run(customers: int | None = None, repeat: int = 1000) -> None:
    customers = customers or int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000"))
    url = build(customers)
    engine = make_engine(url)
    actors = {
        "all": Actor(kind="user", id=10_000_000, name="bench-compliance", roles=frozenset({"compliance"})),
        "rm": Actor(kind="user", id=7, name="bench_rm7", roles=frozenset({"rm"}), branch_id=2, team_id=7),
    }
    rng = random.Random(1)
    for scope_name, actor in actors.items():
        for qname, q in QUERIES.items():
            # The baseline is the same two statements the service runs (the page of rows with owner
            # and branch names, and the capped count), compiled once with their values inlined.
            kind, params = customer_search.prepare(q)
            scope_kind, scope_value = scope_key(actor)
            page_stmt, count_stmt = customer_search.statements(kind, scope_kind)
            params.update(scope_value=scope_value, offset=0, limit=20)
            page_sql = str(page_stmt.params(**params).compile(engine, compile_kwargs={"literal_binds": True}))
            count_sql = str(count_stmt.params(**params).compile(engine, compile_kwargs={"literal_binds": True}))
            with UnitOfWork(engine, readonly=True) as uow:
                conn = uow.session.connection()

                def raw_sql() -> None:
                    conn.exec_driver_sql(page_sql).all()
                    conn.exec_driver_sql(count_sql).scalar()

                def service_call() -> None:
                    service.search_customers(uow=uow, actor=actor, query=q, page=1, page_size=20)

                # Interleave so both see the same cache state.
                raw_ms, svc_ms = [], []
                for _ in range(5):
                    raw_sql(); service_call()
                for _ in range(repeat):
                    if rng.random() < 0.5:
                        raw_ms += time_calls(raw_sql, 1, 0); svc_ms += time_calls(service_call, 1, 0)
                    else:
                        svc_ms += time_calls(service_call, 1, 0); raw_ms += time_calls(raw_sql, 1, 0)
                page = service.search_customers(uow=uow, actor=actor, query=q)
            svc, raw = percentiles(svc_ms), percentiles(raw_ms)
            emit("customer_search", backend=engine.dialect.name, customers=customers, scope=scope_name,
                 query=qname, matches=f"{page.total}{'+' if page.total_is_capped else ''}",
                 service_p50_ms=svc["p50_ms"], service_p95_ms=svc["p95_ms"],
                 raw_sql_p50_ms=raw["p50_ms"], raw_sql_p95_ms=raw["p95_ms"],
                 ratio_p95=round(svc["p95_ms"] / raw["p95_ms"], 2), target_p95_ms=30, target_ratio=1.5,
                 n=svc["n"])
    engine.dispose()
    note("customer_search done")
