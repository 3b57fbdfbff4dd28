"""Transaction monitoring: the shipped rules over 1,000,000 transactions (rows per second), against the least
any large-value rule must do (summing amounts per customer, day and direction in one plain pass) in the same
run; and what monitoring adds to ingesting a batch of 10,000 transactions through the use case, against the
same batches ingested with the AML handler unsubscribed.

The transactions are generated (a bank's mix: deposits, withdrawals, transfers at the counter, the ATM and
online; some cross-border; the amounts log-normal; 20,000 customers), with the patterns each rule looks for
sown in so that every rule finds something. FINCRM_BENCH_AML_TRANSACTIONS sets the count (the smoke test's
few), FINCRM_BENCH_INGEST_BATCH the batch.
"""
from __future__ import annotations

import math
import os
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench.report import emit, note

ROWS = int(os.environ.get("FINCRM_BENCH_AML_TRANSACTIONS", "1000000"))
CUSTOMERS = max(10, ROWS // 50)
ZONE = ZoneInfo("Asia/Shanghai")


def generate(rows: int, customers: int, seed: int = 20261130):
    from services.aml.monitoring import Tx

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    span = 300 * 86400
    by_customer: dict[int, list] = defaultdict(list)
    menu = [("deposit", "counter", 1), ("deposit", "online", 1), ("withdrawal", "atm", -1),
            ("withdrawal", "counter", -1), ("transfer_in", "online", 1), ("transfer_out", "online", -1),
            ("card_spend", "pos", -1), ("interest", "online", 1)]
    for i in range(rows):
        cid = int(customers * (rng.random() ** 2))  # a skew: some customers are busy
        kind, channel, sign = menu[rng.randrange(len(menu))]
        amount = Decimal(int(math.exp(rng.gauss(7.5, 1.6)))) * sign or Decimal(sign)
        country = "hk" if kind.startswith("transfer") and rng.random() < 0.03 else None
        by_customer[cid].append(Tx(i + 1, cid, start + timedelta(seconds=rng.randrange(span)), amount,
                                   "USD" if rng.random() < 0.01 else "CNY", kind, channel, country))
    # The patterns the other rules look for, sown in: structuring (every 50th customer), rapid in-and-out
    # (every 60th), a dormant account waking up (every 70th: its history moved back a year).
    serial = rows
    for cid in list(by_customer):
        txs = by_customer[cid]
        at = start + timedelta(seconds=rng.randrange(span - 10 * 86400))
        if cid % 50 == 0:
            for d, amount in ((0, 45000), (2, 48000), (4, 49900)):
                serial += 1
                txs.append(Tx(serial, cid, at + timedelta(days=d), Decimal(amount), "CNY", "deposit", "counter", None))
        if cid % 60 == 0:
            serial += 2
            txs.append(Tx(serial - 1, cid, at, Decimal(600000), "CNY", "transfer_in", "online", None))
            txs.append(Tx(serial, cid, at + timedelta(hours=20), Decimal(-550000), "CNY", "transfer_out", "online",
                          None))
        if cid % 70 == 0 and txs:
            txs[:] = [t._replace(booked_at=t.booked_at - timedelta(days=365)) for t in txs]
            serial += 1
            txs.append(Tx(serial, cid, start + timedelta(days=200), Decimal(80000), "CNY", "transfer_in", "online",
                          None))
    for txs in by_customer.values():
        txs.sort(key=lambda t: (t.booked_at, t.id))
    return by_customer


def _baseline(by_customer) -> int:
    """The least a large-value rule does: one pass summing amounts per customer, local day and direction."""
    found = 0
    for cid, txs in by_customer.items():
        sums: dict[tuple, Decimal] = defaultdict(Decimal)
        for t in txs:
            sums[(t.booked_at.astimezone(ZONE).date(), t.amount > 0)] += abs(t.amount)
        found += sum(1 for v in sums.values() if v >= 50_000)
    return found


def run() -> None:
    from services.aml.monitoring import default_rules, evaluate

    rules = default_rules()
    t0 = time.perf_counter()
    by_customer = generate(ROWS, CUSTOMERS)
    note(f"aml_monitoring: {ROWS:,} transactions of {len(by_customer):,} customers generated in "
         f"{time.perf_counter() - t0:.1f} s")
    c0, w0 = time.process_time(), time.perf_counter()
    findings: dict[str, int] = defaultdict(int)
    rows = sum(len(t) for t in by_customer.values())
    for cid, txs in by_customer.items():
        for f in evaluate(rules, "individual" if cid % 30 else "institution", txs, None, ZONE):
            findings[f.rule_code] += 1
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    c1 = time.process_time()
    _baseline(by_customer)
    base_cpu = time.process_time() - c1
    emit("aml_monitoring_rules", transactions=rows, customers=len(by_customer), rules=[r.code for r in rules],
         rows_per_second=round(rows / cpu), rows_per_second_wall=round(rows / wall), findings=dict(findings),
         baseline="one plain pass summing amounts per customer, local day and direction",
         baseline_rows_per_second=round(rows / base_cpu), ratio=round(base_cpu / cpu, 3))
    _ingest_cost()


def _ingest_cost() -> None:
    """A batch of BATCH transactions through the ingest use case, with and without the AML handler."""
    from bench.datagen import fresh_database
    from bench.ingest import BATCH, _setup
    from services.aml import events as aml_events
    from services.db import UnitOfWork
    from services.events import bus
    from services.integration import ingest
    from services.portfolio.events import TransactionsIngested

    customers = max(20, min(2000, BATCH // 5))
    url = fresh_database("aml_ingest.db")
    engine, _made, actor = _setup(url, customers)
    rng = random.Random(7)

    t0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
    kinds = [("deposit", "counter", 1), ("deposit", "online", 1), ("withdrawal", "atm", -1),
             ("transfer_in", "online", 1), ("transfer_out", "online", -1), ("transfer_out", "mobile", -1)]

    def batch(start: int) -> list[dict]:
        """A day's bookings of the bank's mix (log-normal amounts; a tenth name their counterparty)."""
        rows = []
        for i in range(BATCH):
            kind, channel, sign = kinds[rng.randrange(len(kinds))]
            amount = max(1, int(math.exp(rng.gauss(7.5, 1.6)))) * sign
            row = {"external_ref": f"M{start + i}", "customer_external_id": f"C{(start + i) % customers}",
                   "account_external_id": f"A{(start + i) % customers}", "kind": kind, "amount": f"{amount}.00",
                   "booked_at": (t0 + timedelta(days=start // BATCH, seconds=i)).isoformat(), "channel": channel}
            if kind.startswith("transfer") and i % 10 == 0:
                row["counterparty_name"] = rng.choice(["深圳某科技有限公司", "Hong Kong Pearl Trading Ltd", "王某"])
            rows.append(row)
        return rows

    def ingest_ms(start: int) -> float:
        rows = batch(start)
        t = time.perf_counter()
        with UnitOfWork(engine) as uow:
            ingest.ingest_transactions(uow=uow, actor=actor, data={"rows": rows})
            uow.commit()
        return (time.perf_counter() - t) * 1000

    samples = int(os.environ.get("FINCRM_BENCH_AML_INGEST_BATCHES", "3"))
    ingest_ms(0)  # warm up
    with_aml, without = [], []
    for i in range(1, samples + 1):  # alternate, so a busy moment of the machine weighs on both alike
        with_aml.append(ingest_ms(2 * i * BATCH))
        bus.unsubscribe(TransactionsIngested, aml_events.on_transactions_ingested)
        try:
            without.append(ingest_ms((2 * i + 1) * BATCH))
        finally:
            bus.subscribe(TransactionsIngested, aml_events.on_transactions_ingested)
    best_with, best_without = min(with_aml), min(without)
    emit("aml_monitoring_ingest_cost", batch=BATCH, customers=customers, samples=samples,
         batch_ms_with_monitoring=round(best_with, 1), baseline="the same batches with the AML handler unsubscribed",
         batch_ms_without=round(best_without, 1), added_ms=round(best_with - best_without, 1),
         ratio=round(best_with / best_without, 3))
