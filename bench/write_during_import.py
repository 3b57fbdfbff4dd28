"""A quick write while a large import applies: an RM logging a call (activities.log_interaction, in its own
unit of work, committed, as the page does it) while `run_import` applies a 100,000-row customer file in a
background thread of the same process (as the import page runs it), with the shipped tag rules active.

Baseline: the same write's latency with no import running, measured in the same run on the same database.
Reported: p50/p95/max of the writes made while the import ran (and of those made while it was applying, the
phase that writes), the ratio of the p95s, and how many writes failed (gave up waiting for the database). A
write is attempted every INTERVAL seconds for as long as the import runs.

Runs on SQLite (a fresh database in the bench directory) and, when FINCRM_BENCH_PG_URL names a PostgreSQL
server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), on a fresh database there too.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.imports import csv_file, fresh_book, make_rows
from bench.report import emit, note, percentiles, repeat_count
from services import migrations
from services.activities import service as activities
from services.customers import service as customers
from services.db import UnitOfWork, make_engine
from services.imports import service as imports
from services.org.models import Branch, Team
from services.security.auth import actor_for_user
from services.security.models import User
from services.types import utcnow

INTERVAL = 0.1
CUSTOMERS = 20  # the RM's own customers the calls are logged on


def run(rows: int | None = None, repeat: int | None = None) -> None:
    n = rows or int(os.environ.get("FINCRM_BENCH_IMPORT_ROWS", "100000"))
    _, engine = fresh_book("write-during-import")
    _measure(engine, "sqlite", n, repeat)
    pg = os.environ.get("FINCRM_BENCH_PG_URL")
    if pg:
        url, drop = _pg_book(pg)
        engine = make_engine(url)
        try:
            _measure(engine, "postgresql", n, repeat)
        finally:
            engine.dispose()
            drop()
    note("write_during_import done")


def _pg_book(server_url: str):
    """A fresh PostgreSQL database with what `fresh_book` puts in the SQLite one; dropped afterwards."""
    from services.demo import names
    from services.demo.tags import PREMIUM_CODES, RULES

    base = make_url(server_url)
    name = f"fincrm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    migrations.upgrade(url)
    engine = create_engine(url)
    now = utcnow()
    with engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="一组", name_en="Team 1"))
        for uid, uname, roles, team in ((1, "rm", ["rm"], 1), (2, "ops", ["ops"], None)):
            c.execute(insert(User).values(id=uid, username=uname, display_name=uname, password_hash="x", roles=roles,
                                          branch_id=1, team_id=team, is_active=True, is_demo=False, created_at=now))
        for i, (code, pname, name_en, ptype, risk, term, _price) in enumerate(names.PRODUCTS, start=1):
            c.execute(text("INSERT INTO product (id, code, name, name_en, product_type, risk_level, term_days, "
                           "currency, is_active, is_premium) VALUES (:i, :c, :n, :e, :t, :r, :d, 'CNY', true, :p)"),
                      {"i": i, "c": code, "n": pname, "e": name_en, "t": ptype, "r": risk, "d": term,
                       "p": code in PREMIUM_CODES})
        for i, spec in enumerate(RULES, start=1):
            c.execute(text("INSERT INTO tag (id, code, name, name_en, color, created_at) "
                           "VALUES (:i, :c, :n, :e, :col, :t)"),
                      {"i": i, "c": spec["code"], "n": spec["name"], "e": spec["name_en"], "col": spec["color"],
                       "t": now})
            c.execute(text("INSERT INTO tag_rule (id, rule_key, version, tag_id, name, definition, is_current, "
                           "active, created_by, created_at) VALUES (:i, :k, 1, :i, :n, CAST(:d AS JSON), true, true, 'bench', :t)"),
                      {"i": i, "k": spec["code"], "n": spec["rule_name"], "d": json.dumps(spec["definition"]),
                       "t": now})
        for table in ("branch", "team", "app_user", "product", "tag", "tag_rule"):
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))"))
    engine.dispose()

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def _measure(engine, backend: str, n: int, repeat: int | None) -> None:
    idle_writes = repeat_count(repeat, 200)
    with UnitOfWork(engine) as uow:
        rm = actor_for_user(uow.session.get(User, 1))
        ops = actor_for_user(uow.session.get(User, 2))
        own = [customers.create_customer(uow=uow, actor=rm, data={
            "name": f"王{i}", "id_type": "resident_id", "id_number": row[1], "phone": row[2]}).id
            for i, row in enumerate(make_rows(n + CUSTOMERS)[n:])]
        batch = imports.upload(uow=uow, actor=ops, data=csv_file(make_rows(n)), filename="bench.csv")
        uow.commit()
    state = {"i": 0}

    def quick_write() -> tuple[float, bool]:
        state["i"] += 1
        t0 = time.perf_counter()
        try:
            with UnitOfWork(engine) as uow:
                activities.log_interaction(uow=uow, actor=rm, customer_id=own[state["i"] % len(own)],
                                           data={"kind": "call", "subject": "到期提醒", "notes": "电话沟通续作"})
                uow.commit()
            ok = True
        except Exception as exc:  # noqa: BLE001 - a write that gives up is what this figure counts
            note(f"  write failed during import: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
            ok = False
        return (time.perf_counter() - t0) * 1000, ok

    for _ in range(5):
        quick_write()
    idle = []
    for _ in range(idle_writes):
        idle.append(quick_write()[0])
        time.sleep(INTERVAL / 10)

    outcome: dict = {}

    def apply() -> None:
        t0 = time.perf_counter()
        try:
            outcome["view"] = imports.run_import(uow_factory=lambda readonly=False: UnitOfWork(engine, readonly=readonly),
                                                 actor=ops, batch_id=batch.id, default_owner_id=1)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc
        outcome["seconds"] = time.perf_counter() - t0

    importer = threading.Thread(target=apply, name="bench-import")
    importer.start()
    during, applying, failed = [], [], 0
    while True:  # at least one write, however quick the import
        phase = imports._live.get(batch.id, ("", 0))[0]  # the import's phase as its page shows it
        ms, ok = quick_write()
        during.append(ms)
        if phase == "apply":
            applying.append(ms)
        failed += not ok
        if not importer.is_alive():
            break
        time.sleep(INTERVAL)
    importer.join()
    if "error" in outcome:
        raise outcome["error"]
    assert outcome["view"].status == "done" and outcome["view"].created_count == n, outcome["view"]
    base, busy = percentiles(idle), percentiles(during if len(during) > 1 else during * 2)
    in_apply = percentiles(applying if len(applying) > 1 else (applying * 2 or [0.0, 0.0]))
    emit("write_during_import", backend=backend, import_rows=n, import_seconds=round(outcome["seconds"], 1),
         write="log_interaction", writes=len(during), failed_writes=failed,
         service_p50_ms=busy["p50_ms"], service_p95_ms=busy["p95_ms"], service_max_ms=round(max(during), 1),
         apply_writes=len(applying), apply_p95_ms=in_apply["p95_ms"],
         apply_max_ms=round(max(applying), 1) if applying else None,
         baseline_p50_ms=base["p50_ms"], baseline_p95_ms=base["p95_ms"],
         ratio_p95=round(busy["p95_ms"] / base["p95_ms"], 1), target_p95_ms=1000, n_baseline=base["n"])
