"""The unit of work on the embedded SQLite database: concurrent writers wait instead of failing."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from services import migrations
from services.db import make_engine, unit_of_work
from services.security.models import LoginAttempt
from services.types import utcnow


def test_read_then_write_survives_a_concurrent_commit(tmp_path):
    """A deferred SQLite transaction that reads, sees another connection commit, then writes fails
    with 'database is locked' at once; units of work start IMMEDIATE so the second one waits."""
    url = f"sqlite:///{tmp_path}/c.db"
    migrations.upgrade(url)
    engine = make_engine(url)
    errors: list[BaseException] = []
    first_has_read = threading.Event()

    def slow_writer() -> None:
        try:
            with unit_of_work(engine) as uow:
                uow.session.execute(select(func.count()).select_from(LoginAttempt)).scalar()
                first_has_read.set()
                time.sleep(0.4)
                uow.session.add(LoginAttempt(username="a", at=utcnow(), success=False))
                uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            first_has_read.set()

    def quick_writer() -> None:
        first_has_read.wait(5)
        try:
            with unit_of_work(engine) as uow:
                uow.session.add(LoginAttempt(username="b", at=utcnow(), success=False))
                uow.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=quick_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with unit_of_work(engine, readonly=True) as uow:
        names = sorted(uow.session.execute(select(LoginAttempt.username)).scalars())
    assert names == ["a", "b"]
    # A read-only unit of work does not wait for a writer holding the lock.
    with unit_of_work(engine) as writer:
        writer.session.add(LoginAttempt(username="c", at=utcnow(), success=False))
        writer.session.flush()
        started = time.perf_counter()
        with unit_of_work(engine, readonly=True) as reader:
            reader.session.execute(select(func.count()).select_from(LoginAttempt)).scalar()
        assert time.perf_counter() - started < 5
    engine.dispose()
