"""Customer search at 1,000,000 customers: the service call against the same query as raw SQL, for
every data scope (the whole bank, the largest branch, the largest team, the largest RM book), for
search-box queries and for list filters (core fields and custom fields, with and without a query).

The baseline is exactly the SQL the service call sent (bench.replay: the page of rows with owner and
branch names, the capped count, and for filters the custom field definitions it checks them against),
with the same bound values, replayed as driver SQL on the same connection (`exec_driver_sql`): no
validation, no statement building or compilation, no scope, no masking, no views, rows as they come.
The ratio is the price of doing it properly. `dbapi_p95_ms` adds, for reference, the same statements on
the bare DB-API cursor, below SQLAlchemy.

All run inside an open transaction: the raw statements on a connection that has
begun one, the service call in an open unit of work (beginning and ending the
transaction is the door's work, not the service's, and is the same for any query).
"""
from __future__ import annotations

import os
import random
import time

from bench.datagen import build
from bench.replay import recorded_sql, replay
from bench.report import emit, note, percentiles, repeat_count, time_calls
from services.customers import service
from services.db import UnitOfWork, make_engine
from services.security.actor import Actor

MIN_SAMPLES = 60
QUERIES = {"name_prefix": "张", "pinyin_initials": "zs", "pinyin_prefix": "zhangw", "phone_last4": "5678"}
# List filters (services/customers/filters.py) as the customer list sends them, with and without a query.
FILTERED = {
    "filter_segment_kyc": ("", [{"field": "segment", "op": "in", "value": ["hnw", "uhnw"]},
                                {"field": "kyc_status", "op": "eq", "value": "expired"}]),
    "filter_aml_high": ("", [{"field": "aml_risk", "op": "eq", "value": "high"}]),
    "filter_custom_choice": ("", [{"field": "custom.preferred_contact", "op": "eq", "value": "wechat"}]),
    "filter_custom_multi_choice": ("", [{"field": "custom.investment_interests", "op": "contains",
                                         "value": "gold"}]),
    "name_prefix_and_segment": ("张", [{"field": "segment", "op": "eq", "value": "affluent"}]),
    "pinyin_initials_and_custom_money": ("zs", [{"field": "custom.annual_income", "op": "gte",
                                                 "value": "500000"}]),
}


def scope_actors(conn) -> dict[str, tuple[Actor, int]]:
    """Actors of every data scope, each on the largest book of its kind (the hardest case), with its size."""
    def largest(column: str) -> tuple[int, int]:
        return tuple(conn.exec_driver_sql(
            f"SELECT {column}, count(*) FROM customer GROUP BY {column} ORDER BY 2 DESC, 1 LIMIT 1").one())

    total = conn.exec_driver_sql("SELECT count(*) FROM customer").scalar()
    rm, rm_book = largest("owner_id")
    team, team_book = largest("team_id")
    branch, branch_book = largest("branch_id")
    rm_team, rm_branch = conn.exec_driver_sql(f"SELECT team_id, branch_id FROM app_user WHERE id = {rm}").one()
    return {
        "all": (Actor(kind="user", id=10_000_000, name="bench-compliance", roles=frozenset({"compliance"})), total),
        "branch": (Actor(kind="user", id=10_000_001, name="bench-manager", roles=frozenset({"branch_manager"}),
                         branch_id=branch), branch_book),
        "team": (Actor(kind="user", id=10_000_002, name="bench-lead", roles=frozenset({"team_lead"}),
                       branch_id=branch, team_id=team), team_book),
        "rm": (Actor(kind="user", id=rm, name=f"bench_rm{rm}", roles=frozenset({"rm"}), branch_id=rm_branch,
                     team_id=rm_team), rm_book),
    }


def run(customers: int | None = None, repeat: int | None = None) -> None:
    repeat = repeat_count(repeat, 1000)
    budget_s = float(os.environ.get("FINCRM_BENCH_CASE_SECONDS", "20"))
    customers = customers or int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000"))
    url = build(customers)
    engine = make_engine(url)
    with engine.connect() as conn:
        actors = scope_actors(conn)
    cases = {name: (q, None) for name, q in QUERIES.items()} | FILTERED
    rng = random.Random(1)
    for scope_name, (actor, book) in actors.items():
        for qname, (q, filters) in cases.items():
            with UnitOfWork(engine, readonly=True) as uow:
                conn = uow.session.connection()

                def service_call() -> None:
                    service.search_customers(uow=uow, actor=actor, query=q, page=1, page_size=20, filters=filters)

                # The baseline is exactly what the service sent (the page of rows with owner and branch names,
                # the capped count, and for filters the custom field definitions it checks them against), with
                # the same bound values, replayed as driver SQL.
                recorded = recorded_sql(conn, service_call)

                def raw_sql() -> None:
                    replay(conn, recorded)

                # For reference only: the same SQL on the bare DB-API cursor, below SQLAlchemy.
                cursor = conn.connection.driver_connection.cursor()

                def dbapi_sql() -> None:
                    for sql, params in recorded:
                        cursor.execute(sql, params).fetchall()

                # Interleave in random order so all see the same cache state.
                calls = [raw_sql, service_call, dbapi_sql]
                ms: dict = {f: [] for f in calls}
                cpu: dict = {f: [] for f in calls}
                for _ in range(5):
                    for f in calls:
                        f()
                # A filter, or a broad query in a large scope, can make both sides scan much of the book: fewer
                # samples for filters, and a time budget per case (at least MIN_SAMPLES), keep the run in minutes.
                started = time.perf_counter()
                for i in range(max(repeat // 10, min(repeat, 20)) if filters else repeat):
                    if i >= min(repeat, MIN_SAMPLES) and time.perf_counter() - started > budget_s:
                        break
                    rng.shuffle(calls)
                    for f in calls:
                        ms[f] += time_calls(f, 1, 0, cpu[f])
                page = service.search_customers(uow=uow, actor=actor, query=q, filters=filters)
            svc, raw, dbapi = percentiles(ms[service_call]), percentiles(ms[raw_sql]), percentiles(ms[dbapi_sql])
            svc_cpu, raw_cpu = percentiles(cpu[service_call]), percentiles(cpu[raw_sql])
            emit("customer_search", backend=engine.dialect.name, customers=customers, scope=scope_name,
                 scope_customers=book, query=qname, filtered=bool(filters),
                 matches=f"{page.total}{'+' if page.total_is_capped else ''}",
                 service_p50_ms=svc["p50_ms"], service_p95_ms=svc["p95_ms"],
                 raw_sql_p50_ms=raw["p50_ms"], raw_sql_p95_ms=raw["p95_ms"],
                 ratio_p95=round(svc["p95_ms"] / raw["p95_ms"], 2),
                 service_cpu_p95_ms=svc_cpu["p95_ms"], raw_sql_cpu_p95_ms=raw_cpu["p95_ms"],
                 ratio_cpu_p95=round(svc_cpu["p95_ms"] / raw_cpu["p95_ms"], 2), target_p95_ms=30, target_ratio=1.5,
                 statements=len(recorded), dbapi_p95_ms=dbapi["p95_ms"], n=svc["n"])
    engine.dispose()
    note("customer_search done")
