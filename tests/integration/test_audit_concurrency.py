"""The audit chain under concurrent writers (PostgreSQL, where writers do not queue on one database lock).

The chain's lock is held only while a committing transaction appends its events: a long transaction that has
recorded events does not stop another from committing its own, and the chain stays gap-free and verifies
however the writers interleave.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from services import migrations
from services.db import UnitOfWork, make_engine
from services.security import audit
from services.security.actor import SYSTEM, Actor
from services.security.models import AuditEvent


@pytest.fixture
def pg_engine(backend, empty_database_url):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers on its database lock; the chain's own lock matters on PostgreSQL")
    migrations.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def test_a_long_audited_transaction_does_not_hold_up_another_commit(pg_engine):
    with UnitOfWork(pg_engine) as long_one:
        audit.record(long_one.session, SYSTEM, "test.long", changes={"step": 1})
        long_one.session.execute(text("SELECT 1"))  # its transaction is open, its event recorded
        with UnitOfWork(pg_engine) as quick:
            # Before the chain locked only for the append, this waited for `long_one` to end.
            quick.session.execute(text("SET LOCAL lock_timeout = '3s'"))
            audit.record(quick.session, SYSTEM, "test.quick")
            quick.commit()
        long_one.commit()
    with UnitOfWork(pg_engine, readonly=True) as uow:
        actions = list(uow.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())
        assert actions == ["test.quick", "test.long"]  # on record in the order they committed
        assert audit.verify(uow.session).ok


def test_the_chain_verifies_after_concurrent_writers(pg_engine):
    writers, per_writer = 6, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        actor = Actor(kind="system", id=None, name=f"writer-{n}")
        try:
            start.wait(30)
            for i in range(per_writer):
                with UnitOfWork(pg_engine) as uow:
                    # Some transactions append several events, some one; all chain through the same head.
                    audit.record_many(uow.session, actor, [("test.write", "writer", n, {"i": i, "k": k})
                                                           for k in range(1 + i % 3)])
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    expected = writers * sum(1 + i % 3 for i in range(per_writer))
    with UnitOfWork(pg_engine, readonly=True) as uow:
        s = uow.session
        assert s.execute(select(func.count(), func.min(AuditEvent.seq), func.max(AuditEvent.seq))).one() == (
            expected, 1, expected)
        result = audit.verify(s)
        assert result.ok and result.checked == expected
