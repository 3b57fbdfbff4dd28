"""Incremental tag evaluation per arriving event, at 1,000,000 customers and 20,000,000 transactions.

Data: the shared bench customers and transactions (bench.datagen.build_history; customers 1-5 have 10,000
transactions each), plus products (some premium), ~10 behaviour events per customer, interactions, holdings,
and the four demo tag rules. The nightly pass runs once first (its duration is reported too), so customers
carry tags and the incremental path sees additions, removals and no-ops as in production.

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

from bench.datagen import ANCHOR, bench_db_path, build_history
from bench.report import emit, note, percentiles
from services.db import UnitOfWork, make_engine
from services.tags import rules as R
from services.tags import service as tags
from services.tags.demo import RULES

PRODUCTS = 30
PREMIUM = (26, 27, 28, 29, 30)


def _setup(url: str, customers: int, events_per_customer: int = 10) -> None:
    done = bench_db_path(customers).with_suffix(".tags.done")
    if done.exists():
        return
    t0 = time.perf_counter()
    engine = make_engine(url)
    rng = random.Random(5)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table in ("customer_tag_change", "customer_tag", "tag_rule", "tag", "behaviour_event", "interaction",
                      "holding", "product"):
            cur.execute(f'DELETE FROM "{table}"')
        cur.execute("BEGIN")
        risks = ("R1", "R2", "R3", "R4", "R5")
        cur.executemany(
            "INSERT INTO product (id, code, name, name_en, product_type, risk_level, term_days, currency, is_active,"
            " is_premium) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(p, f"B{p:04d}", f"产品{p}", f"Product {p}", ("wealth", "fund", "bond", "deposit")[p % 4],
              risks[p * 5 // (PRODUCTS + 1)], None, "CNY", 1, 1 if p in PREMIUM else 0)
             for p in range(1, PRODUCTS + 1)])
        start = ANCHOR - timedelta(days=90)
        kinds = ("page_view", "product_view", "product_view", "search")
        batch = []
        n = 0
        for cid in range(1, customers + 1):
            for _ in range(rng.randrange(0, 2 * events_per_customer + 1)):
                n += 1
                kind = kinds[rng.randrange(4)]
                pid = rng.randrange(1, PRODUCTS + 1) if kind == "product_view" else None
                at = start + timedelta(seconds=rng.randrange(0, 90 * 86400))
                batch.append((cid, kind, at.strftime("%Y-%m-%d %H:%M:%S.%f"), pid, "{}", "bench", f"e{n}"))
            if len(batch) >= 100_000:
                cur.executemany("INSERT INTO behaviour_event (customer_id, kind, occurred_at, product_id, attributes,"
                                " source, external_id) VALUES (?,?,?,?,?,?,?)", batch)
                batch.clear()
        if batch:
            cur.executemany("INSERT INTO behaviour_event (customer_id, kind, occurred_at, product_id, attributes,"
                            " source, external_id) VALUES (?,?,?,?,?,?,?)", batch)
        inter = [(cid, (cid % 600) + 1, ("call", "visit")[cid % 2],
                  (ANCHOR - timedelta(days=rng.randrange(0, 400))).strftime("%Y-%m-%d %H:%M:%S.%f"), "跟进",
                  "2026-11-01 00:00:00.000000") for cid in range(1, customers + 1, 2)]
        cur.executemany("INSERT INTO interaction (customer_id, user_id, kind, occurred_at, subject, created_at)"
                        " VALUES (?,?,?,?,?,?)", inter)
        hold = [(cid, cid, rng.randrange(1, PRODUCTS + 1), 10000, 100000, rng.randrange(0, 10**8), "CNY",
                 "2026-10-31") for cid in range(1, customers + 1) if rng.random() < 0.6]
        cur.executemany("INSERT INTO holding (account_id, customer_id, product_id, quantity, cost, market_value,"
                        " currency, as_of) VALUES (?,?,?,?,?,?,?,?)", hold)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    with UnitOfWork(engine) as uow:
        for spec in RULES:
            from services.tags.models import Tag, TagRule

            tag = Tag(code=spec["code"], name=spec["name"], name_en=spec["name_en"], color=spec["color"],
                      created_at=ANCHOR)
            uow.session.add(tag)
            uow.session.flush()
            uow.session.add(TagRule(rule_key=spec["code"], version=1, tag_id=tag.id, name=spec["rule_name"],
                                    definition=spec["definition"], created_by="bench", created_at=ANCHOR))
        uow.commit()
    engine.dispose()
    done.write_text("ok")
    note(f"  tag bench data (events, interactions, holdings, rules) in {time.perf_counter() - t0:.0f} s")


def run(repeat: int = 400) -> None:
    customers = int(os.environ.get("FINCRM_BENCH_TAG_CUSTOMERS", os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000")))
    transactions = int(os.environ.get("FINCRM_BENCH_TAG_TRANSACTIONS",
                                      os.environ.get("FINCRM_BENCH_TRANSACTIONS", "20000000")))
    url = build_history(customers, transactions)
    _setup(url, customers)
    engine = make_engine(url)
    as_of = ANCHOR
    with engine.begin() as conn:  # every run starts untagged, so the figures repeat
        for table in ("customer_tag_change", "customer_tag", "outbox_message", "audit_event"):
            conn.execute(text(f'DELETE FROM "{table}"'))
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM behaviour_event")).scalar()
    for run_name in ("initial", "steady"):  # from no tags; then again over unchanged data
        t0 = time.perf_counter()
        report = tags.nightly_pass(lambda: UnitOfWork(engine), as_of=as_of)
        nightly_s = time.perf_counter() - t0
        emit("tags_nightly", backend=engine.dialect.name, customers=customers, transactions=transactions,
             events=events, run=run_name, rules=report.rules, matched=report.matched, added=report.added,
             removed=report.removed, seconds=round(nightly_s, 1),
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
    for population, pick in (("typical", lambda: rng.randrange(6, customers + 1)),
                             ("10k_transactions", lambda: rng.randrange(1, 6))):
        svc_ms, raw_ms, changed = [], [], 0
        with engine.connect() as conn:
            for i in range(repeat + 10):
                cid = pick()
                outer = conn.begin()
                conn.execute(text(
                    "INSERT INTO behaviour_event (customer_id, kind, occurred_at, product_id, attributes, source,"
                    " external_id) VALUES (:c, 'product_view', :at, :p, '{}', 'bench-live', :x)"),
                    {"c": cid, "at": (as_of - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                     "p": PREMIUM[i % len(PREMIUM)], "x": f"live{i}"})
                with UnitOfWork(conn) as uow:
                    t = time.perf_counter()
                    changes = tags.on_customer_changed(uow.session, cid, reason="event", as_of=as_of)
                    svc = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
                conn.exec_driver_sql(rules_sql).all()
                conn.exec_driver_sql(operand_sql.replace("987654321", str(cid))).all()
                conn.exec_driver_sql(tags_sql.format(cid=cid)).all()
                raw = (time.perf_counter() - t) * 1000
                outer.rollback()
                if i >= 10:  # warm-up
                    svc_ms.append(svc)
                    raw_ms.append(raw)
                    changed += bool(changes)
        s, r = percentiles(svc_ms), percentiles(raw_ms)
        emit("tags_incremental", backend=engine.dialect.name, customers=customers, transactions=transactions,
             events=events, customer_tags=tagged, rules=len(RULES), population=population,
             calls_with_changes=changed, service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"],
             raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"], ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2),
             target_p95_ms=5, n=s["n"])
    engine.dispose()
    note("tags done")
