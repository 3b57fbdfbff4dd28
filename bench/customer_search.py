"""Customer search at 1,000,000 customers: the service call against the same query as raw SQL.

The baseline does what the service's SQL does (the page of ids in index order,
the capped count, and the page's rows with owner and branch names) without the
service around it: no validation, no ORM objects, no decryption or masking, no
views. The ratio is the price of doing it properly.
"""
from __future__ import annotations

import os
import random

from sqlalchemy import select

from bench.datagen import build
from bench.report import emit, note, percentiles, time_calls
from services.customers import search as customer_search
from services.customers import service
from services.customers.models import Customer
from services.db import UnitOfWork, make_engine
from services.org.models import Branch
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import customer_scope_filter

QUERIES = {"name_prefix": "张", "pinyin_initials": "zs", "pinyin_prefix": "zhangw", "phone_last4": "5678"}


def run(customers: int | None = None, repeat: int = 200) -> None:
    customers = customers or int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000"))
    url = build(customers)
    engine = make_engine(url)
    actors = {
        "all": Actor(kind="user", id=10_000_000, name="bench-compliance", roles=frozenset({"compliance"})),
        "rm": Actor(kind="user", id=7, name="bench_rm7", roles=frozenset({"rm"}), branch_id=2, team_id=7),
    }
    rng = random.Random(1)
    for scope_name, actor in actors.items():
        scope = customer_scope_filter(actor, Customer)
        for qname, q in QUERIES.items():
            # The baseline's SQL text is compiled once, outside the timing: it is the hand-written query.
            ids_stmt, count_stmt = customer_search.search_statement(q, scope, 0, 20)
            ids_sql = str(ids_stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            count_sql = str(count_stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            rows_sql = str(
                select(Customer.id, Customer.customer_no, Customer.name, Customer.kind, Customer.segment,
                       Customer.status, Customer.phone_enc, Customer.id_number_enc, User.display_name, Branch.name)
                .join(User, User.id == Customer.owner_id).join(Branch, Branch.id == Customer.branch_id)
                .where(Customer.id.in_([-1])).compile(engine, compile_kwargs={"literal_binds": True})
            ).replace("IN (-1)", "IN ({})")
            with engine.connect() as conn:
                def raw_sql() -> None:
                    ids = [r[0] for r in conn.exec_driver_sql(ids_sql)]
                    conn.exec_driver_sql(count_sql).scalar()
                    if ids:
                        conn.exec_driver_sql(rows_sql.format(",".join(str(i) for i in ids))).all()

                def service_call() -> None:
                    with UnitOfWork(conn) as uow:
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
                with UnitOfWork(conn) as uow:
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
