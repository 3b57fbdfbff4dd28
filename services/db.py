"""Engines and the unit of work.

A use case receives a `UnitOfWork`, does all its writes (including its audit
event) through `uow.session`, and the caller commits once. Leaving the `with`
block without `commit()` rolls everything back, so nothing is half-written.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from services.errors import Refusal
from services.events import bus
from services.settings import get_settings

_engines: dict[str, Engine] = {}
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
    # savepoints and whole-transaction rollback behave as on PostgreSQL.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # A unit of work that may write takes the write lock when it starts (IMMEDIATE). A deferred
    # transaction that reads and then writes fails at once (SQLITE_BUSY, no busy wait) when another
    # connection committed in between; an immediate one waits its turn under busy_timeout instead.
    # Plain reads stay deferred so they never queue behind writers (WAL readers don't block).
    options = conn.get_execution_options()
    # How long to wait for the lock: the default, or less for best-effort writes that may give up.
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(options.get('fincrm_busy_timeout_ms', BUSY_TIMEOUT_MS))}")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("fincrm_immediate", False) else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


# How a refusal that left a unit of work is audited (services.security.refusals.record_refusal, installed by
# services.bootstrap: the platform's lowest layer does not import the security package).
_refusal_recorder = None


def set_refusal_recorder(recorder) -> None:
    global _refusal_recorder
    _refusal_recorder = recorder


class UnitOfWork:
    """One database transaction. Use cases never commit; the door (UI/API/CLI) does."""

    def __init__(self, bind: Engine | Connection | None = None, *, readonly: bool = False,
                 lock_timeout_ms: int | None = None):
        self._bind = bind if bind is not None else get_engine()
        self._readonly = readonly
        self._lock_timeout_ms = lock_timeout_ms
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        kwargs = {"expire_on_commit": False}
        if isinstance(self._bind, Connection):
            # Tests hand in a connection inside an outer transaction: commit() then
            # releases a savepoint and the test's rollback still discards everything.
            kwargs["join_transaction_mode"] = "create_savepoint"
        self.session = Session(self._bind, **kwargs)
        if isinstance(self._bind, Engine) and self._bind.dialect.name == "sqlite":
            options: dict = {"fincrm_immediate": not self._readonly}
            if self._lock_timeout_ms is not None:
                options["fincrm_busy_timeout_ms"] = self._lock_timeout_ms
            self.session.connection(execution_options=options)
        return self

    def publish(self, event) -> None:
        """Announce a domain event in this transaction: its handlers run now, in this transaction
        (services/events.py; subscriptions in services/bootstrap.py)."""
        assert self.session is not None
        bus.publish(self.session, event)

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if exc is not None and isinstance(exc, Refusal) and not exc.audited and _refusal_recorder is not None:
            # The refused operation is rolled back; its refusal is audited in a transaction of its own.
            exc.audited = True
            _refusal_recorder(self._bind, exc)

    @property
    def dialect(self) -> str:
        assert self.session is not None
        return self.session.get_bind().dialect.name


@contextmanager
def unit_of_work(bind: Engine | Connection | None = None, *, readonly: bool = False,
                 lock_timeout_ms: int | None = None) -> Iterator[UnitOfWork]:
    """A transaction. `readonly=True` for pure reads: on SQLite they then never wait for writers.
    `lock_timeout_ms`: on SQLite, give up (OperationalError) after this long waiting for the write lock."""
    with UnitOfWork(bind, readonly=readonly, lock_timeout_ms=lock_timeout_ms) as uow:
        yield uow
