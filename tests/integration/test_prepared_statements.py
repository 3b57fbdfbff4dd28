"""Prepared statements (services/prepared.py) send driver SQL but must give and store exactly what Core does:
parameters converted by the columns' bind processors (money as scaled integers, aware times as UTC), rows
converted by their result processors, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Integer, bindparam, event, insert, select

from services.portfolio.models import Account
from services.prepared import Prepared
from services.security.models import AuditEvent

_ACCOUNT_COLUMNS = ("customer_id", "kind", "account_no_enc", "account_no_bidx", "account_no_last4", "currency",
                    "balance", "branch_id", "opened_on", "status")
_AT_LEAST = (select(Account.id, Account.balance, Account.opened_on)
             .where(Account.customer_id == bindparam("cid", type_=Integer),
                    Account.balance >= bindparam("low", type_=Account.__table__.c.balance.type))
             .order_by(Account.id))


def _account(customer_id: int, n: int, balance: str) -> dict:
    return {"customer_id": customer_id, "kind": "deposit", "account_no_enc": f"enc-{n}",
            "account_no_bidx": f"bidx-{n}", "account_no_last4": f"{n:04d}", "currency": "CNY",
            "balance": Decimal(balance), "branch_id": 1, "opened_on": date(2024, 1, n), "status": "open"}


def test_an_insert_stores_what_core_stores_and_a_read_gives_what_core_gives(connection, new_customer):
    customer = new_customer()
    statements: list[str] = []
    event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
    Prepared(insert(Account.__table__).inline(), column_keys=_ACCOUNT_COLUMNS).execute(
        connection, [_account(customer.id, 1, "12.34"), _account(customer.id, 2, "-0.05")])
    connection.execute(insert(Account.__table__), [_account(customer.id, 3, "1000000.00")])
    # Driver SQL still passes through the engine's events (statement recording, logging see it).
    assert any(s.startswith("INSERT INTO account") for s in statements)

    for low, expected in ((Decimal("0.00"), ["12.34", "1000000.00"]), (Decimal("100"), ["1000000.00"])):
        through_core = connection.execute(_AT_LEAST, {"cid": customer.id, "low": low}).all()
        prepared = Prepared(_AT_LEAST).rows(connection, {"cid": customer.id, "low": low})
        assert [tuple(r) for r in prepared] == [tuple(r) for r in through_core]
        # The money bind was scaled (unscaled, 100 would let 12.34, stored as 1234, through).
        assert [r[1] for r in prepared] == [Decimal(e) for e in expected]
        assert all(isinstance(r[1], Decimal) and r[1].as_tuple().exponent == -2 for r in prepared)
    assert Prepared(_AT_LEAST).first(connection, {"cid": customer.id, "low": Decimal("9999999")}) is None


def test_the_audit_append_and_head_round_trip_aware_times(connection):
    head = Prepared(select(AuditEvent.seq, AuditEvent.occurred_at).order_by(AuditEvent.seq.desc()).limit(1))
    last = head.first(connection, {})
    seq = (last[0] if last else 0) + 1
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    Prepared(insert(AuditEvent.__table__).inline(), column_keys=(
        "seq", "occurred_at", "actor_kind", "actor_id", "actor_name", "action", "entity_type", "entity_id",
        "changes", "prev_hash", "hash")).execute(connection, [{
            "seq": seq, "occurred_at": at, "actor_kind": "system", "actor_id": "t", "actor_name": "t",
            "action": "test.prepared", "entity_type": "test", "entity_id": "1", "changes": "{}",
            "prev_hash": "0" * 64, "hash": "1" * 64}])
    seq_read, at_read = head.first(connection, {})
    assert seq_read == seq
    assert at_read == at and at_read.utcoffset() == timedelta(0)  # stored as UTC, returned aware
    assert tuple(connection.execute(head.stmt).first()) == (seq_read, at_read)


def test_an_expanding_in_list_runs_through_core(connection, new_customer):
    customer = new_customer()
    connection.execute(insert(Account.__table__), [_account(customer.id, 4, "5.00"), _account(customer.id, 5, "6")])
    stmt = (select(Account.balance).where(Account.customer_id == customer.id,
                                          Account.account_no_last4.in_(bindparam("last4", expanding=True)))
            .order_by(Account.id))
    rows = Prepared(stmt).rows(connection, {"last4": ["0004", "0005"]})
    assert [r[0] for r in rows] == [Decimal("5.00"), Decimal("6.00")]
