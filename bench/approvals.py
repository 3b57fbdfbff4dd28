"""Approval workflows (issue 11): the approval inbox and a BPMN step, at many running instances.

- `approval_inbox`: an approver opens the inbox's first page with FINCRM_BENCH_APPROVAL_INSTANCES (10,000) loan
  applications running, every one waiting for a branch approver (so at least 500 pending tasks are his); p95
  against the same SQL replayed raw in the same run.
- `approval_step`: one decision (the unit of work, the task's checks, SpiffWorkflow loading the instance,
  completing the user task, running to the next wait, the instance serialised and saved, the audit event, commit)
  against the bare engine's own step (load + complete + dump of the same definition, no database) in the same
  run.

The instances are started through `instances.start` as the loan use case starts them (the loan's own checks and
record are left out: they are the loans domain's cost, not the engine's). Data lives in its own SQLite file in the
bench directory, rebuilt each run.
"""
from __future__ import annotations

import os
import time
from decimal import Decimal

from bench.datagen import bench_dir
from bench.replay import recorded_sql, replay
from bench.report import emit, note, percentiles, repeat_count, time_calls


def _instances() -> int:
    return int(os.environ.get("FINCRM_BENCH_APPROVAL_INSTANCES") or os.environ.get("FINCRM_BENCH_CUSTOMERS_APPROVALS")
               or (60 if os.environ.get("FINCRM_BENCH_REPEAT") else 10_000))


def _prepare(n: int):
    from sqlalchemy import insert

    from services import migrations
    from services.db import UnitOfWork, make_engine
    from services.org.models import Branch
    from services.security import audit
    from services.security.actor import SYSTEM
    from services.security.models import User
    from services.types import utcnow
    from services.workflows import instances

    folder = bench_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("approvals.db*"):
        old.unlink()
    url = f"sqlite:///{folder / 'approvals.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        s = uow.session
        s.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        for i, (name, role) in enumerate((("rm", "rm"), ("approver", "approver"), ("approver2", "approver")), 1):
            s.execute(insert(User).values(id=i, username=name, display_name=name, password_hash="x", roles=[role],
                                          branch_id=1, is_active=True, is_demo=False, created_at=utcnow()))
        audit.record(s, SYSTEM, "bench.setup", entity_type="bench", entity_id="approvals")
        uow.commit()
    from services.security.auth import actor_for_user

    with UnitOfWork(engine) as uow:
        rm, approver = (actor_for_user(uow.session.get(User, i)) for i in (1, 2))
    t0 = time.perf_counter()
    for start in range(0, n, 1000):  # a thousand per transaction
        with UnitOfWork(engine) as uow:
            for k in range(start, min(n, start + 1000)):
                subject = instances.Subject("loan_application", k + 1, f"LA-{k:06d}", None, 1, "personal", "B",
                                            Decimal(100_000 + k), 1)
                instances.start(uow.session, rm, kind="loan", subject=subject,
                                data={"risk_grade": "B", "aml_status": "clear", "fraud_flags": 0, "dti": 0.3})
            audit.record(uow.session, SYSTEM, "bench.instances_started", entity_type="bench", entity_id=start)
            uow.commit()
    note(f"approvals: {n:,} loan approvals started in {time.perf_counter() - t0:.0f} s")
    return engine, approver


def run(repeat: int | None = None) -> None:
    repeat = repeat_count(repeat, 200)
    n = _instances()
    engine, approver = _prepare(n)

    from sqlalchemy import func, select

    from services.db import UnitOfWork
    from services.workflows import definitions, engine as wf_engine, inbox, instances
    from services.workflows.models import ApprovalTask

    # ---- the inbox's first page
    def open_inbox():
        with UnitOfWork(engine) as uow:
            return inbox.inbox(uow=uow, actor=approver)

    first = open_inbox()
    recorded = [(s, p) for s, p in recorded_sql(engine, open_inbox) if not s.startswith(("PRAGMA", "BEGIN"))]

    def raw_inbox():
        with engine.connect() as c:
            with c.begin():
                replay(c, recorded)

    svc_ms, raw_ms, svc_cpu, raw_cpu = [], [], [], []
    for _ in range(max(1, repeat // 20)):  # interleaved blocks: both see the same cache state
        svc_ms += time_calls(open_inbox, 20, 2, svc_cpu)
        raw_ms += time_calls(raw_inbox, 20, 2, raw_cpu)
    s, r, sc, rc = percentiles(svc_ms), percentiles(raw_ms), percentiles(svc_cpu), percentiles(raw_cpu)
    emit("approval_inbox", running_instances=n, pending_for_approver=first.total, statements=len(recorded),
         p50_ms=s["p50_ms"], p95_ms=s["p95_ms"], raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"],
         ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2), cpu_p95_ms=sc["p95_ms"], raw_sql_cpu_p95_ms=rc["p95_ms"],
         ratio_cpu_p95=round(sc["p95_ms"] / rc["p95_ms"], 2), n=s["n"])

    # ---- one decision against the bare engine's step
    with engine.connect() as c:
        open_tasks = list(c.execute(select(ApprovalTask.id).where(ApprovalTask.status == "open")
                                    .order_by(ApprovalTask.id).limit(repeat + 5)).scalars())

    tasks = iter(open_tasks)

    def decide():
        with UnitOfWork(engine) as uow:
            instances.decide(uow=uow, actor=approver, task_id=next(tasks), decision="approve", comment="bench")
            uow.commit()

    with UnitOfWork(engine) as uow:
        compiled = definitions.compiled_version(definitions.current_version(uow.session, "loan_approval"))
    started = wf_engine.start(compiled, {"amount": 100_000, "risk_grade": "B", "aml_status": "clear",
                                         "fraud_flags": 0, "dti": 0.3, "decisions": {}, "initiator": 1,
                                         "product_type": "personal"})
    state = wf_engine.dump(started)

    def bare_step():
        wf = wf_engine.load(compiled, state)
        waiting = wf_engine.waiting(wf)[0]
        wf_engine.complete(wf, waiting.task_id, {"decisions": {waiting.step_id: "approve"}, "decision": "approve",
                                                 "approved": True})
        wf_engine.dump(wf)

    steps = min(repeat, len(open_tasks) - 5)
    step_ms, bare_ms, step_cpu, bare_cpu = [], [], [], []
    block = max(1, min(20, steps // 2))
    while len(step_ms) < steps - 2:
        step_ms += time_calls(decide, min(block, steps - 2 - len(step_ms)), 0, step_cpu)
        bare_ms += time_calls(bare_step, block, 2, bare_cpu)
    with engine.connect() as c:
        decided = c.execute(select(func.count()).select_from(ApprovalTask)
                            .where(ApprovalTask.status != "open")).scalar_one()
    d, b, dc, bc = percentiles(step_ms), percentiles(bare_ms), percentiles(step_cpu), percentiles(bare_cpu)
    emit("approval_step", running_instances=n, decided=decided, p50_ms=d["p50_ms"], p95_ms=d["p95_ms"],
         baseline_bare_engine_p50_ms=b["p50_ms"], baseline_bare_engine_p95_ms=b["p95_ms"],
         ratio_p95=round(d["p95_ms"] / b["p95_ms"], 2),
         cpu_p95_ms=dc["p95_ms"], baseline_bare_engine_cpu_p95_ms=bc["p95_ms"],
         ratio_cpu_p95=round(dc["p95_ms"] / bc["p95_ms"], 2), n=d["n"])
    engine.dispose()
