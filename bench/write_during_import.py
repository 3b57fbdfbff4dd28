"""A quick write while a large import applies: an RM logging a call (activities.log_interaction, in its own
unit of work, committed, as the page does it) while `run_import` applies a 100,000-row customer file in a
background thread of the same process (as the import page runs it).

Baseline: the same write's latency with no import running, measured in the same run on the same database.
Reported: p50/p95/max of both, the ratio of the p95s, and how many writes failed (gave up waiting for the
database) during the import. A write is attempted every INTERVAL seconds for as long as the import runs.
"""
from __future__ import annotations

import os
import threading
import time

from bench.imports import csv_file, fresh_book, make_rows
from bench.report import emit, note, percentiles, repeat_count
from services.activities import service as activities
from services.customers import service as customers
from services.db import UnitOfWork
from services.imports import service as imports
from services.security.auth import actor_for_user
from services.security.models import User

INTERVAL = 0.1
CUSTOMERS = 20  # the RM's own customers the calls are logged on


def run(rows: int | None = None, repeat: int | None = None) -> None:
    n = rows or int(os.environ.get("FINCRM_BENCH_IMPORT_ROWS", "100000"))
    idle_writes = repeat_count(repeat, 200)
    _, engine = fresh_book("write-during-import")
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
            outcome["view"] = imports.run_import(uow_factory=lambda: UnitOfWork(engine), actor=ops,
                                                 batch_id=batch.id, default_owner_id=1)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc
        outcome["seconds"] = time.perf_counter() - t0

    importer = threading.Thread(target=apply, name="bench-import")
    importer.start()
    during, failed = [], 0
    while True:  # at least one write, however quick the import
        ms, ok = quick_write()
        during.append(ms)
        failed += not ok
        if not importer.is_alive():
            break
        time.sleep(INTERVAL)
    importer.join()
    if "error" in outcome:
        raise outcome["error"]
    assert outcome["view"].status == "done" and outcome["view"].created_count == n, outcome["view"]
    engine.dispose()
    base, busy = percentiles(idle), percentiles(during if len(during) > 1 else during * 2)
    emit("write_during_import", backend="sqlite", import_rows=n, import_seconds=round(outcome["seconds"], 1),
         write="log_interaction", writes=len(during), failed_writes=failed,
         service_p50_ms=busy["p50_ms"], service_p95_ms=busy["p95_ms"], service_max_ms=round(max(during), 1),
         baseline_p50_ms=base["p50_ms"], baseline_p95_ms=base["p95_ms"],
         ratio_p95=round(busy["p95_ms"] / base["p95_ms"], 1), target_p95_ms=1000, n_baseline=base["n"])
    note("write_during_import done")
