"""The suitability check, per call, through the service and through the API, in a bank's book.

The book is the benchmark generator's (bench.datagen.build: customers with risk levels spread as in a retail
bank, some never assessed, some expired), copied for this figure (the check writes: every answer is stored
and audited), with an assessment row behind every assessed customer and 1 % professional investors.

A call is what a door does: open a unit of work, ask, store the answer and its audit event, commit. Through
the service: `check_suitability`; through the API: POST /api/v1/suitability/check to the whole ASGI
application in-process (bearer token checked per call, JSON), the answer committed the same way.
Baseline: exactly the SQL the service call sent
(recorded per sampled customer, bench.replay), replayed as driver SQL in its own transaction with a commit.
Target: p95 <= 5 ms.
"""
from __future__ import annotations

import os
import random
import shutil

from bench.datagen import bench_dir, build
from bench.replay import recorded_sql, replay
from bench.report import emit, note, percentiles, repeat_count, time_calls

SAMPLE = 100  # customers asked about (cycled)
PRODUCTS = ("FD0403", "FD0201", "WM0180", "EQ600036", "DP1Y001", "FD0501")


def _customers() -> int:
    given = os.environ.get("FINCRM_BENCH_SUITABILITY_CUSTOMERS")
    return int(given) if given else min(int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000")), 100_000)


def _prepare(customers: int) -> str:
    src = build(customers).split("///", 1)[1]
    path = bench_dir() / "suitability.db"
    for p in path.parent.glob("suitability.db*"):
        p.unlink()
    shutil.copyfile(src, path)
    url = f"sqlite:///{path}"
    from services.db import make_engine

    engine = make_engine(url)
    with engine.begin() as c:
        q = dict(c.exec_driver_sql("SELECT audience, id FROM questionnaire WHERE status = 'active'").all())
        crit = dict(c.exec_driver_sql("SELECT audience, id FROM investor_criteria WHERE status = 'active'").all())
        rows = c.exec_driver_sql("SELECT id, kind, risk_level, risk_valid_until FROM customer "
                                 "WHERE risk_level IS NOT NULL").all()
        c.connection.driver_connection.executemany(
            "INSERT INTO risk_assessment (customer_id, questionnaire_id, answers, score, level, score_level, caps, "
            "assessed_at, valid_until, channel) VALUES (?, ?, '{}', 50, ?, ?, '[]', '2026-01-01 02:00:00.000000', ?, "
            "'branch')", [(cid, q[kind], level, level, until) for cid, kind, level, until in rows])
        rng = random.Random(3)
        pro = rng.sample([r[0] for r in rows], max(1, len(rows) // 100))
        c.connection.driver_connection.executemany(
            "INSERT INTO investor_classification (customer_id, criteria_id, met, evidence, status, decided_by, "
            "decided_at, valid_until) VALUES (?, ?, '[]', '{}', 'approved', 'bench', '2026-01-01 02:00:00.000000', "
            "'2028-01-01')", [(cid, crit["individual"]) for cid in pro])
    engine.dispose()
    return url


def run(repeat: int | None = None) -> None:
    repeat = repeat_count(repeat, 400)
    customers = _customers()
    note(f"suitability_check: {customers:,} customers")
    url = _prepare(customers)

    from sqlalchemy import select

    from services.customers.models import Customer
    from services.db import UnitOfWork, make_engine
    from services.integration import clients
    from services.security.actor import SYSTEM, Actor
    from services.suitability import service

    engine = make_engine(url)
    actor = Actor(kind="user", id=10_000_001, name="bench-compliance", roles=frozenset({"compliance"}))
    with engine.connect() as c:
        ids = [r[0] for r in c.execute(select(Customer.id).limit(50_000))]
    rng = random.Random(9)
    sample = [(rng.choice(ids), PRODUCTS[i % len(PRODUCTS)]) for i in range(SAMPLE)]

    def ask(cid: int, code: str) -> None:
        with UnitOfWork(engine) as uow:
            service.check_suitability(uow=uow, actor=actor, customer_id=cid, product_code=code)
            uow.commit()

    recorded = []
    for cid, code in sample:
        sql = recorded_sql(engine, lambda cid=cid, code=code: ask(cid, code))
        recorded.append([(s, p) for s, p in sql if not s.startswith(("PRAGMA", "BEGIN"))])
    statements = len(recorded[0])
    state = {"i": 0}

    def svc() -> None:
        state["i"] += 1
        ask(*sample[state["i"] % SAMPLE])

    def raw() -> None:
        state["i"] += 1
        with engine.connect() as c:
            c = c.execution_options(fincrm_immediate=True)  # as the unit of work's: BEGIN IMMEDIATE
            with c.begin():
                replay(c, recorded[state["i"] % SAMPLE])

    svc_ms, raw_ms, svc_cpu, raw_cpu = [], [], [], []
    for _ in range(max(1, repeat // 20)):  # interleaved blocks: both see the same cache state
        svc_ms += time_calls(svc, 20, 2, svc_cpu)
        raw_ms += time_calls(raw, 20, 2, raw_cpu)
    s, r, sc, rc = percentiles(svc_ms), percentiles(raw_ms), percentiles(svc_cpu), percentiles(raw_cpu)
    emit("suitability_check", door="service", backend="sqlite", customers=customers, statements=statements,
         service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"], raw_sql_p50_ms=r["p50_ms"],
         raw_sql_p95_ms=r["p95_ms"], ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2),
         service_cpu_p95_ms=sc["p95_ms"], raw_sql_cpu_p95_ms=rc["p95_ms"],
         ratio_cpu_p95=round(sc["p95_ms"] / rc["p95_ms"], 2), target_p95_ms=5, n=s["n"])

    # Through the API: token once, then POST per call. The whole ASGI application (middleware, routing, the
    # bearer token checked per call, JSON in and out, the threadpool) is driven in-process by an async HTTP
    # client on one event loop, as a server's event loop would drive it; no network. (Starlette's TestClient
    # runs the application on a second thread and hops to it several times per request, which costs more
    # than the check itself and exists in no deployment.)
    import asyncio

    import httpx2 as httpx

    import services.db as db
    from fincrm_app.app import api

    with UnitOfWork(engine) as uow:
        made = clients.create_client(uow=uow, actor=SYSTEM, data={
            "client_id": "bench-suitability", "name": "bench", "scopes": ["suitability:read"]})
        uow.commit()
    # An API client sees only the customers it holds: link the sampled ones to its own ids.
    with engine.begin() as c:
        pk = c.exec_driver_sql("SELECT id FROM api_client WHERE client_id = 'bench-suitability'").scalar()
        c.connection.driver_connection.executemany(
            "INSERT INTO external_ref (client_id, entity_type, external_id, entity_id) VALUES "
            "(?, 'customer', ?, ?)", [(pk, f"B{cid}", cid) for cid in sorted({cid for cid, _ in sample})])
    original = db.get_engine
    db.get_engine = lambda url=None: engine
    loop = asyncio.new_event_loop()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://localhost:3000")
    try:
        token = loop.run_until_complete(http.post(
            "/api/v1/oauth/token", data={"grant_type": "client_credentials"},
            auth=(made.client_id, made.client_secret))).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def ask_api(cid: int, code: str) -> None:
            response = await http.post("/api/v1/suitability/check",
                                       json={"external_id": f"B{cid}", "product_code": code}, headers=headers)
            assert response.status_code == 200, response.text[:300]

        def call() -> None:
            state["i"] += 1
            loop.run_until_complete(ask_api(*sample[state["i"] % SAMPLE]))

        api_ms, raw2_ms, api_cpu, raw2_cpu = [], [], [], []
        for _ in range(max(1, repeat // 20)):
            api_ms += time_calls(call, 20, 2, api_cpu)
            raw2_ms += time_calls(raw, 20, 2, raw2_cpu)
    finally:
        loop.run_until_complete(http.aclose())
        loop.close()
        db.get_engine = original
    a, r2, ac, rc2 = percentiles(api_ms), percentiles(raw2_ms), percentiles(api_cpu), percentiles(raw2_cpu)
    emit("suitability_check", door="api", backend="sqlite", customers=customers, statements=statements,
         service_p50_ms=a["p50_ms"], service_p95_ms=a["p95_ms"], raw_sql_p50_ms=r2["p50_ms"],
         raw_sql_p95_ms=r2["p95_ms"], ratio_p95=round(a["p95_ms"] / r2["p95_ms"], 2),
         service_cpu_p95_ms=ac["p95_ms"], raw_sql_cpu_p95_ms=rc2["p95_ms"],
         ratio_cpu_p95=round(ac["p95_ms"] / rc2["p95_ms"], 2), target_p95_ms=5, n=a["n"])
    engine.dispose()
    note("suitability_check done")

