"""The 360 view's service call for a customer with 10,000 transactions, inside 20,000,000.

Baseline: the same SQL statements the view runs (profile, owner, branch, accounts, holdings,
recent transactions, relationships, interactions, tags, snapshots, ratings, open tickets),
issued raw on the same connection; the service adds decryption, masking, permission checks,
household roll-up and the views.
"""
from __future__ import annotations

import os

from bench.datagen import build_history
from bench.report import emit, note, percentiles, time_calls
from services.customers import c360
from services.db import UnitOfWork, make_engine
from services.security.actor import Actor

RAW_360 = [
    "SELECT * FROM customer WHERE id = {cid}",
    "SELECT * FROM app_user WHERE id = (SELECT owner_id FROM customer WHERE id = {cid})",
    "SELECT * FROM branch WHERE id = (SELECT branch_id FROM customer WHERE id = {cid})",
    "SELECT * FROM account WHERE customer_id = {cid} ORDER BY kind, id",
    "SELECT * FROM holding JOIN product ON product.id = holding.product_id WHERE holding.customer_id = {cid}"
    " ORDER BY holding.market_value DESC",
    "SELECT t.*, p.name FROM \"transaction\" t LEFT JOIN product p ON p.id = t.product_id "
    "WHERE t.customer_id = {cid} ORDER BY t.booked_at DESC, t.id DESC LIMIT 20",
    "SELECT * FROM relationship r JOIN customer c ON c.id = r.related_customer_id WHERE r.customer_id = {cid}",
    "SELECT * FROM interaction i JOIN app_user u ON u.id = i.user_id WHERE i.customer_id = {cid} "
    "ORDER BY i.occurred_at DESC LIMIT 20",
    "SELECT * FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id WHERE ct.customer_id = {cid}",
    "SELECT month, aum, liabilities FROM aum_snapshot WHERE customer_id = {cid} ORDER BY month DESC LIMIT 24",
    "SELECT * FROM credit_rating WHERE customer_id = {cid} ORDER BY rated_on DESC LIMIT 12",
    "SELECT count(*) FROM ticket WHERE customer_id = {cid} AND status IN ('open', 'in_progress')",
]
RAW_TX_PAGE = [
    "SELECT count(*) FROM \"transaction\" WHERE customer_id = {cid} AND kind IN ('deposit') AND abs(amount) >= 100000",
    "SELECT t.*, p.name FROM \"transaction\" t LEFT JOIN product p ON p.id = t.product_id WHERE t.customer_id = {cid}"
    " AND t.kind IN ('deposit') AND abs(t.amount) >= 100000 ORDER BY t.booked_at DESC, t.id DESC LIMIT 20 OFFSET 20",
]


def run(repeat: int = 200) -> None:
    customers = int(os.environ.get("FINCRM_BENCH_CUSTOMERS", "1000000"))
    transactions = int(os.environ.get("FINCRM_BENCH_TRANSACTIONS", "20000000"))
    url = build_history(customers, transactions)
    engine = make_engine(url)
    actor = Actor(kind="user", id=10_000_000, name="bench-compliance", roles=frozenset({"compliance"}))
    heavy = [1, 2, 3, 4, 5]
    with engine.connect() as conn:
        calls = {
            "view": (lambda cid: c360.customer_360(uow=_uow(conn), actor=actor, customer_id=cid), RAW_360),
            "transactions_page": (lambda cid: c360.transactions(
                uow=_uow(conn), actor=actor, customer_id=cid,
                filters={"page": 2, "kinds": ["deposit"], "min_amount": "1000"}), RAW_TX_PAGE),
        }
        for name, (service_call, raw_sql) in calls.items():
            state = {"i": 0}

            def svc() -> None:
                state["i"] += 1
                service_call(heavy[state["i"] % len(heavy)])

            def raw() -> None:
                state["i"] += 1
                cid = heavy[state["i"] % len(heavy)]
                for sql in raw_sql:
                    conn.exec_driver_sql(sql.format(cid=cid)).all()

            svc_ms, raw_ms = [], []
            for _ in range(repeat // 20):  # interleave blocks so both see the same cache state
                svc_ms += time_calls(svc, 20, 2)
                raw_ms += time_calls(raw, 20, 2)
            s, r = percentiles(svc_ms), percentiles(raw_ms)
            emit("customer_360", backend=engine.dialect.name, customers=customers, transactions=transactions,
                 customer_transactions=10_000, call=name, service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"],
                 raw_sql_p50_ms=r["p50_ms"], raw_sql_p95_ms=r["p95_ms"],
                 ratio_p95=round(s["p95_ms"] / r["p95_ms"], 2), target_p95_ms=50, n=s["n"])
    engine.dispose()
    note("customer_360 done")


class _uow(UnitOfWork):
    """A unit of work on the bench connection that is used without `with` (read-only calls)."""

    def __init__(self, conn):
        super().__init__(conn)
        self.__enter__()
