"""API transaction ingest on SQLite: rows per second through POST /api/v1/transactions, and through the
use case alone, against a raw bulk insert of the same rows in the same run. The shipped tag rules are
active (bench.datagen.install_catalog), as on an installation that uses them: every batch re-evaluates
them for the customers it touched; one more figure shows the use case with those rules switched off.

The baseline inserts the already-resolved rows (ids, integer cents, ISO times) with one
`executemany` of a hand-written INSERT and a commit: no JSON, no validation, no id
resolution, no duplicate check, no balances, no audit. Each figure uses fresh rows
(new references), in batches of 10,000, into the same database.
"""
from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

from bench.datagen import bench_dir, fresh_database, install_catalog
from bench.report import emit, note

BATCH = int(os.environ.get("FINCRM_BENCH_INGEST_BATCH", "10000"))


def _setup(url: str, customers: int):
    from services.db import UnitOfWork, make_engine
    from services.integration import clients, ingest
    from services.integration.models import ApiClient
    from services.org.models import Branch, Team
    from services.security.actor import SYSTEM
    from services.security.models import User
    from services.types import utcnow
    from services.validation.identity import make_id_number
    from sqlalchemy import insert

    install_catalog(url)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="财富一组", name_en="Wealth 1"))
        c.execute(insert(User).values(id=1, username="bench_rm", display_name="RM", password_hash="x", roles=["rm"],
                                      branch_id=1, team_id=1, is_active=True, is_demo=False, created_at=utcnow()))
    with UnitOfWork(engine) as uow:
        made = clients.create_client(uow=uow, actor=SYSTEM, data={
            "client_id": "bench-core", "name": "bench", "scopes": sorted(clients.SCOPES), "default_owner_id": 1})
        uow.commit()
        # The actor exactly as the API door builds it from a token: the client's granted scopes.
        actor = clients.actor_for_client(uow.session.get(ApiClient, made.id))
    with UnitOfWork(engine) as uow:
        for i in range(customers):
            ingest.upsert_customer(uow=uow, actor=actor, external_id=f"C{i}", default_owner_id=1, data={
                "name": f"客户{i}", "id_type": "resident_id",
                "id_number": make_id_number("110105", date(1980, 1, 1) + timedelta(days=i), i % 999 + 1)})
            ingest.upsert_account(uow=uow, actor=actor, customer_external_id=f"C{i}", account_external_id=f"A{i}",
                                  data={"kind": "deposit", "account_no": f"6214850{i:012d}", "opened_on": "2020-01-01"})
        uow.commit()
    return engine, made, actor


def _rows(start: int, n: int, customers: int) -> list[dict]:
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [{"external_ref": f"R{start + i}", "customer_external_id": f"C{(start + i) % customers}",
             "account_external_id": f"A{(start + i) % customers}", "kind": "deposit",
             "amount": f"{(start + i) % 50000 + 1}.25", "booked_at": (t0 + timedelta(seconds=start + i)).isoformat(),
             "channel": "counter", "description": "工资"} for i in range(n)]


def _copy_database(src, dst) -> None:
    """A consistent copy of a SQLite database (the backup API: no half-copied WAL)."""
    import sqlite3

    for p in dst.parent.glob(f"{dst.name}*"):
        p.unlink()
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def run(batches: int | None = None, customers: int | None = None) -> None:
    batches = batches or int(os.environ.get("FINCRM_BENCH_INGEST_BATCHES", "5"))
    customers = customers or int(os.environ.get("FINCRM_BENCH_INGEST_CUSTOMERS", "500"))
    url = fresh_database("ingest.db")
    note(f"ingest: setting up {customers} customers with accounts in {bench_dir() / 'ingest.db'}")
    engine, made, actor = _setup(url, customers)
    # Every figure starts from this same book (no transactions yet) and sends the same rows, so none depends
    # on what ran before it: the monitoring rules read each customer's recent history, which grows with every
    # batch booked.
    from services.db import make_engine

    engine.dispose()
    path = bench_dir() / "ingest.db"
    setup_copy = bench_dir() / "ingest-setup.db"
    _copy_database(path, setup_copy)

    def restored():
        _copy_database(setup_copy, path)
        return make_engine(url)

    engine = restored()

    from sqlalchemy import select

    from services.db import UnitOfWork
    from services.integration import ingest
    from services.integration.models import ExternalRef

    with engine.connect() as c:
        refs = {(t, e): i for t, e, i in c.execute(select(ExternalRef.entity_type, ExternalRef.external_id,
                                                          ExternalRef.entity_id))}

    with engine.connect() as c:
        rules = c.exec_driver_sql("SELECT count(*) FROM tag_rule WHERE active = 1 AND is_current = 1").scalar()

    # 1. Baseline: raw executemany of the same rows, already resolved.
    raw_sql = ('INSERT INTO "transaction" (account_id, customer_id, product_id, kind, amount, currency, booked_at, '
               'channel, description, source, external_ref, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)')
    start = 0
    raw_s = raw_cpu = 0.0
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    for _ in range(batches):
        rows = _rows(start, BATCH, customers)
        params = [(refs[("account", r["account_external_id"])], refs[("customer", r["customer_external_id"])], None,
                   r["kind"], int(float(r["amount"]) * 100), "CNY",
                   datetime.fromisoformat(r["booked_at"]).replace(tzinfo=None).isoformat(sep=" "), r["channel"],
                   r["description"], "raw", r["external_ref"], now) for r in rows]
        t, tc = time.perf_counter(), time.process_time()
        with engine.begin() as c:  # BEGIN ... COMMIT
            c.connection.driver_connection.executemany(raw_sql, params)
        raw_s += time.perf_counter() - t
        raw_cpu += time.process_time() - tc
        start += BATCH
    raw_rate = batches * BATCH / raw_s

    # 2. The use case: validation, id resolution, duplicate check, bulk insert, balances, audit, commit.
    engine.dispose()
    engine, start = restored(), 0
    svc_s = svc_cpu = 0.0
    for _ in range(batches):
        rows = _rows(start, BATCH, customers)
        t, tc = time.perf_counter(), time.process_time()
        with UnitOfWork(engine) as uow:
            result = ingest.ingest_transactions(uow=uow, actor=actor, data={"rows": rows})
            uow.commit()
        svc_s += time.perf_counter() - t
        svc_cpu += time.process_time() - tc
        assert result.accepted == BATCH
        start += BATCH
    svc_rate = batches * BATCH / svc_s

    # 3. The API: token, JSON over HTTP (in-process ASGI), idempotency record, the use case.
    import services.db as db
    from starlette.testclient import TestClient

    from fincrm_app.app import api

    engine.dispose()
    engine, start = restored(), 0
    original = db.get_engine
    db.get_engine = lambda url=None: engine
    try:
        with TestClient(api, base_url="http://localhost:3000") as http:
            tok = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(made.client_id, made.client_secret)).json()["access_token"]
            api_s = api_cpu = 0.0
            for b in range(batches):
                body = {"rows": _rows(start, BATCH, customers)}
                t, tc = time.perf_counter(), time.process_time()
                r = http.post("/api/v1/transactions", json=body,
                              headers={"Authorization": f"Bearer {tok}", "Idempotency-Key": f"bench-{b}"})
                api_s += time.perf_counter() - t
                api_cpu += time.process_time() - tc
                assert r.status_code == 200 and r.json()["accepted"] == BATCH, r.text[:300]
                start += BATCH
    finally:
        db.get_engine = original
    api_rate = batches * BATCH / api_s

    # 4. The use case again with the tag rules switched off (as an installation without rules runs), to show
    # the rules' share.
    engine.dispose()
    engine, start = restored(), 0
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE tag_rule SET active = 0")
    try:
        bare_s = bare_cpu = 0.0
        for _ in range(batches):
            rows = _rows(start, BATCH, customers)
            t, tc = time.perf_counter(), time.process_time()
            with UnitOfWork(engine) as uow:
                ingest.ingest_transactions(uow=uow, actor=actor, data={"rows": rows})
                uow.commit()
            bare_s += time.perf_counter() - t
            bare_cpu += time.process_time() - tc
            start += BATCH
    finally:
        with engine.begin() as c:
            c.exec_driver_sql("UPDATE tag_rule SET active = 1")
    bare_rate = batches * BATCH / bare_s
    engine.dispose()
    common = {"rows": batches * BATCH, "batch": BATCH, "database": "sqlite", "customers": customers,
              "active_tag_rules": rules, "baseline_rows_per_s": round(raw_rate)}
    # Rows per second of this process's CPU too (SQLite runs in-process, the API's server thread too): on a
    # shared machine the wall-clock rate also counts the time other people's processes had the cores.
    n = batches * BATCH
    raw_cpu, svc_cpu, api_cpu, bare_cpu = (max(x, 1e-6) for x in (raw_cpu, svc_cpu, api_cpu, bare_cpu))
    common["baseline_cpu_rows_per_s"] = round(n / raw_cpu)
    emit("ingest_transactions_service", rows_per_s=round(svc_rate), ratio_to_raw=round(svc_rate / raw_rate, 3),
         cpu_rows_per_s=round(n / svc_cpu), **common)
    emit("ingest_transactions_service_without_tag_rules", rows_per_s=round(bare_rate),
         ratio_to_raw=round(bare_rate / raw_rate, 3), cpu_rows_per_s=round(n / bare_cpu), **common)
    emit("ingest_transactions_api", rows_per_s=round(api_rate), ratio_to_raw=round(api_rate / raw_rate, 3),
         cpu_rows_per_s=round(n / api_cpu), target_rows_per_s=20_000, **common)
    note("ingest done")
