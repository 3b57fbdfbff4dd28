"""Incremental tag evaluation per arriving event, at 1,000,000 customers and 20,000,000 transactions.

Data: the shared bench book (bench.datagen.build_history: customers 1-5 have 10,000 transactions each;
products, some premium; behaviour events; interactions; holdings; the four shipped tag rules). The nightly
pass runs first (its duration is reported too), so customers carry tags and the incremental path sees
additions, removals and no-ops as in production; the tags are removed again at the end, so the other
figures see the same book whichever ran before.

Measured: `on_customer_changed` for one customer right after a product-view event for it was written (the
event insert is not timed; each sample is rolled back). Baseline: the same per-customer aggregates and the
existing-tags read, issued as raw SQL text on the same connection.
"""
from __future__ import annotations

import os
import random
import time
from datetime import timedelta

from sqlalchemy import select, text

from bench.datagen import ANCHOR, HEAVY_CUSTOMERS, build_history
from bench.report import emit, note, percentiles, repeat_count
from services.db import UnitOfWork, make_engine
from services.tags import rules as R
from services.tags import service as tags
from services.demo.tags import RULES

TAG_STATE = ("customer_tag_change", "customer_tag", "outbox_message", "audit_event")


def _untag(engine) -> None:
    with engine.begin() as conn:
        for table in TAG_STATE:
            conn.execute(text(f'DELETE FROM "{table}"'))


def run(repeat: int | None = None) -> None:
    repeat = repeat_count(repeat, 400)
    customers = int(os.environ.get("FINCRM_BENCH_TAG_CUSTOMERS", os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000")))
    transactions = int(os.environ.get("FINCRM_BENCH_TAG_TRANSACTIONS",
                                      os.environ.get("FINCRM_BENCH_TRANSACTIONS", "20000000")))
    url = build_history(customers, transactions)
    engine = make_engine(url)
    as_of = ANCHOR
    _untag(engine)  # every run starts untagged, so the figures repeat
    try:
        _measure(engine, customers, transactions, as_of, repeat)
    finally:
        _untag(engine)
        engine.dispose()
    note("tags done")


def _measure(engine, customers: int, transactions: int, as_of, repeat: int) -> None:
    premium = [pid for (pid,) in engine.connect().exec_driver_sql("SELECT id FROM product WHERE is_premium = 1")]
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM behaviour_event")).scalar()
    # The nightly baseline: each rule's matching statement (the customers it holds for, with the operand
    # values kept as evidence) over the whole book as raw SQL, fetched; the pass adds the batching, the diff
    # against existing tags, the writes, audit and announcements.
    with UnitOfWork(engine, readonly=True) as uow:
        bind = uow.session.get_bind()
        ctx = R.Ctx(as_of=as_of, dialect=engine.dialect.name)
        match_sql = []
        for d in RULES:
            tree = R.validate(d["definition"])
            cols = R.operand_columns(ctx, R.operands([tree]))
            match_sql.append(str(select(R.C.c.id, *cols).where(R.condition_sql(ctx, tree)).compile(
                bind, compile_kwargs={"literal_binds": True})))
    with engine.connect() as conn:  # once unmeasured, so the first measured run does not pay for a cold cache
        for sql in match_sql:
            conn.exec_driver_sql(sql).all()
    for run_name in ("initial", "steady"):  # from no tags; then again over unchanged data
        with engine.connect() as conn:
            t0 = time.perf_counter()
            for sql in match_sql:
                conn.exec_driver_sql(sql).all()
            raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = tags.nightly_pass(lambda: UnitOfWork(engine), as_of=as_of)
        nightly_s = time.perf_counter() - t0
        emit("tags_nightly", backend=engine.dialect.name, customers=customers, transactions=transactions,
             events=events, run=run_name, rules=report.rules, matched=report.matched, added=report.added,
             removed=report.removed, seconds=round(nightly_s, 2), raw_match_sql_ms=round(raw_s * 1000, 2),
             ratio=round(nightly_s / raw_s, 2),
             customer_rules_per_s=round(customers * max(report.rules, 1) / nightly_s))
    with engine.connect() as conn:
        tagged = conn.execute(text("SELECT count(*) FROM customer_tag")).scalar()

    # The baseline's SQL: all rules' operands for one customer and the customer's tags, as text.
    with UnitOfWork(engine) as uow:
        trees = [R.validate(d["definition"]) for d in RULES]
        ctx = R.Ctx(as_of=as_of, dialect=engine.dialect.name)
        ops = R.operands(trees)
        operand_sql = str(select(*R.operand_columns(ctx, ops)).where(R.C.c.id == 987654321).compile(
            uow.session.get_bind(), compile_kwargs={"literal_binds": True}))
    rules_sql = ("SELECT * FROM tag_rule JOIN tag ON tag.id = tag_rule.tag_id "
                 "WHERE tag_rule.is_current = 1 AND tag_rule.active = 1")
    tags_sql = "SELECT tag_id, rule_id, evidence FROM customer_tag WHERE customer_id = {cid}"

    rng = random.Random(3)
    heavy = min(HEAVY_CUSTOMERS, customers)
    for population, pick in (("typical", lambda: rng.randrange(heavy + 1, max(customers, heavy + 1) + 1)),
                             ("10k_transactions", lambda: rng.randrange(1, heavy + 1))):
        svc_ms, raw_ms, svc_cpu, raw_cpu, changed = [], [], [], [], 0
        with engine.connect() as conn:
            for i in range(repeat + 10):
                cid = pick()
                outer = conn.begin()
                conn.execute(text(
                    "INSERT INTO behaviour_event (customer_id, kind, occurred_at, product_id, attributes, source,"
                    " external_id) VALUES (:c, 'product_view', :at, :p, '{}', 'bench-live', :x)"),
                    {"c": cid, "at": (as_of - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                     "p": premium[i % len(premium)], "x": f"live{i}"})
                with UnitOfWork(conn) as uow:
                    c, t = time.process_time(), time.perf_counter()
                    changes = tags.on_customer_changed(uow.session, cid, reason="event", as_of=as_of)
                    svc, svc_c = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
                c, t = time.process_time(), time.perf_counter()
                conn.exec_driver_sql(rules_sql).all()
                conn.exec_driver_sql(operand_sql.replace("987654321", str(cid))).all()
                conn.exec_driver_sql(tags_sql.format(cid=cid)).all()
                raw, raw_c = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
                outer.rollback()
                if i >= 10:  # warm-up
                    svc_ms.append(svc)
                    raw_ms.append(raw)
                    svc_cpu.append(svc_c)
                    raw_cpu.append(raw_c)
                    changed += bool(changes)
        s, r, sc, rc = percentiles(svc_ms), percentiles(raw_ms), percentiles(svc_cpu), percentiles(raw_cpu)
        emit("tags_incremental", backend=engine.dialect.name, customers=customers, transactions=transactions,
             events=events, customer_tags=tagged, rules=len(RULES), population=population,
             calls_with_changes=changed, service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"],
             raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"], ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2),
             service_cpu_p95_ms=sc["p95_ms"], raw_sql_cpu_p95_ms=rc["p95_ms"],
             ratio_cpu_p95=round(sc["p95_ms"] / rc["p95_ms"], 2), target_p95_ms=5, n=s["n"])
