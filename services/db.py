"""Engines and the unit of work.

A use case receives a `UnitOfWork`, does all its writes (including its audit
event) through `uow.session`, and the caller commits once. Leaving the `with`
block without `commit()` rolls everything back, so nothing is half-written.

At commit, before anything reaches the database for good, every session:
1. runs the registered commit steps (`register_commit_step`): the audit trail appends the transaction's
   buffered events there, so its chain lock is held only for the append, not for the whole transaction
   (services/security/audit.py);
2. checks that a transaction which wrote a business table also appended an audit event
   (`UnauditedWrite` otherwise). Writes are seen where they reach the driver (ORM flushes, Core and driver
   SQL alike, `_track_write`); the tables that may be written without an audit event, each with its
   reason, are `UNAUDITED_WRITES`.

Savepoints: what a rolled-back savepoint wrote or buffered is forgotten with it (`transaction_list`).

SQLite has one write lock for the whole database. A unit of work that may write takes it when it starts
(BEGIN IMMEDIATE) and polls for it every couple of milliseconds while another connection holds it
(`_sqlite_begin`), so a short writer gets in as soon as a long-running writer that works in short
transactions (an import) pauses between them (`pause_for_waiting_writers`).
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

from services.errors import Refusal
from services.events import bus
from services.settings import get_settings

_engines: dict[str, Engine] = {}
BUSY_TIMEOUT_MS = 10_000
_LOCK_POLL_SECONDS = 0.002  # how often a waiting SQLite writer asks for the lock again


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


# Writers of this process waiting for each SQLite database's write lock (by database URL).
_waiting: dict[str, int] = {}
_waiting_lock = threading.Lock()


def _sqlite_begin(conn: Connection) -> None:
    # A unit of work that may write takes the write lock when it starts (IMMEDIATE). A deferred
    # transaction that reads and then writes fails at once (SQLITE_BUSY, no busy wait) when another
    # connection committed in between; an immediate one waits its turn instead.
    # Plain reads stay deferred so they never queue behind writers (WAL readers don't block).
    options = conn.get_execution_options()
    # How long to wait for the lock: the default, or less for best-effort writes that may give up.
    timeout_ms = int(options.get("fincrm_busy_timeout_ms", BUSY_TIMEOUT_MS))
    if not options.get("fincrm_immediate", False):
        conn.exec_driver_sql(f"PRAGMA busy_timeout={timeout_ms}")
        conn.exec_driver_sql("BEGIN")
        return
    # SQLite's own busy handler sleeps longer and longer (up to 100 ms between tries) and is not fair: a
    # writer that commits and begins again at once (an import's next chunk) would win nearly every
    # time. Polling every 2 ms catches the pause such a writer leaves between its transactions.
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA busy_timeout=0")
    key = str(conn.engine.url)
    deadline = time.monotonic() + timeout_ms / 1000
    waiting = False
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")  # fails again: raised as SQLAlchemy's error
                    break
                if not waiting:
                    waiting = True
                    with _waiting_lock:
                        _waiting[key] = _waiting.get(key, 0) + 1
                time.sleep(_LOCK_POLL_SECONDS)
    finally:
        if waiting:
            with _waiting_lock:
                _waiting[key] -= 1
        # Statements inside the transaction (and a checkpoint) keep SQLite's own patience.
        raw.execute(f"PRAGMA busy_timeout={timeout_ms}")


def pause_for_waiting_writers(bind: Engine | Connection, *, gap_seconds: float = 2 * _LOCK_POLL_SECONDS,
                              max_seconds: float = 1.0) -> None:
    """For a long job that writes in many short transactions (an import) between two of them: on SQLite,
    leave the write lock free long enough for writers of other processes to notice (`gap_seconds`), and
    until the writers of this process that were waiting for it got it (at most `max_seconds`).
    PostgreSQL writers do not queue on one lock: nothing to wait for."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name != "sqlite":
        return
    time.sleep(gap_seconds)
    key, until = str(engine.url), time.monotonic() + max_seconds
    while _waiting.get(key, 0) > 0 and time.monotonic() < until:
        time.sleep(_LOCK_POLL_SECONDS)


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


# ---------------------------------------------------------------- what a transaction wrote

# Tables (and the statements on them) that may be committed without an audit event, each with why. Every
# other write of a table is a business write: the transaction that makes it must append an audit event.
# Keep this short; a new entry needs a reason a reviewer accepts.
UNAUDITED_WRITES: dict[tuple[str, str], str] = {
    ("audit_event", "INSERT"): "the audit trail itself",
    ("user_session", "UPDATE"): "session touches: the idle deadline slides on use (opening and closing a session "
                                "are audited as user.sign_in / user.sign_out)",
    ("login_attempt", "INSERT"): "the sign-in attempt counter; a failure is audited as auth.* (rate-limited), a "
                                 "success as user.sign_in",
    ("credential_throttle", "INSERT"): "throttle bookkeeping of failed credentials (audited as auth.*, "
                                       "rate-limited so an attacker cannot flood the chain)",
    ("credential_throttle", "UPDATE"): "throttle bookkeeping (as above)",
    ("credential_throttle", "DELETE"): "expired throttles cleared",
    ("outbox_message", "UPDATE"): "outbox delivery status: the dispatcher marks a message fanned out (the message "
                                  "itself is written with the audited change it announces)",
    ("webhook_delivery", "INSERT"): "webhook delivery: one row per message and endpoint, made by the dispatcher",
    ("webhook_delivery", "UPDATE"): "webhook delivery: attempts, outcomes and the sending lease",
    ("idempotency_record", "INSERT"): "idempotency records: the answer to an API request, kept for its replays "
                                      "(the request's own writes are audited)",
    ("import_batch", "UPDATE"): "import progress: rows checked so far, committed while a batch runs (claiming, "
                                "finishing and failing a batch are audited as import.*)",
}
# Not here because no session is involved, so the check never sees them: migrations (Alembic writes through a
# connection of its own) and the scheduler's election (a file lock, or an advisory lock on its own connection).

_WRITE = re.compile(r'\s*(?:WITH\s.*?\)\s*)?(INSERT|UPDATE|DELETE|REPLACE)\s+(?:OR\s+\w+\s+)?(?:INTO\s+|FROM\s+)?'
                    r'(?:ONLY\s+)?"?([A-Za-z_][A-Za-z0-9_]*)"?', re.IGNORECASE | re.DOTALL)
_TRACKERS = "fincrm.write_trackers"  # connection info: the sessions' write sets, innermost last
_STATE = "fincrm.transaction"  # session info: _TransactionState


class UnauditedWrite(RuntimeError):
    """A transaction wrote business tables without appending an audit event: a defect, never committed."""

    def __init__(self, writes: list[tuple[str, str]]):
        self.writes = writes
        super().__init__("refusing to commit a write without an audit event in the same transaction: "
                         + ", ".join(f"{op} {table}" for table, op in writes)
                         + " (audit it, or add the table to services.db.UNAUDITED_WRITES with a reason)")


class _TransactionState:
    """What one session's transaction has written and buffered, with savepoint marks to roll back to."""

    __slots__ = ("written", "lists", "marks", "trackers")

    def __init__(self) -> None:
        self.written: set[tuple[str, str]] = set()
        self.lists: dict[str, list] = {}
        self.marks: dict[SessionTransaction, tuple[set, dict[str, int]]] = {}
        self.trackers: list[list] = []  # the connections' tracker lists this transaction is registered in


def _state(session: OrmSession) -> _TransactionState:
    st = session.info.get(_STATE)
    if st is None:
        st = session.info[_STATE] = _TransactionState()
    return st


def transaction_list(session: OrmSession, key: str) -> list:
    """A list that lives as long as the session's current transaction: emptied when it ends, and cut back
    to where it was when a savepoint rolls back (what was added inside the savepoint is forgotten)."""
    return _state(session).lists.setdefault(key, [])


def written(session: OrmSession) -> set[tuple[str, str]]:
    """(table, INSERT|UPDATE|DELETE) the session's current transaction has written so far."""
    return set(_state(session).written)


_commit_steps: list[Callable[[OrmSession], None]] = []


def register_commit_step(step: Callable[[OrmSession], None]) -> None:
    """Run `step(session)` when a session commits its whole transaction, before the audit check."""
    if step not in _commit_steps:
        _commit_steps.append(step)


def _track_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    trackers = conn.info.get(_TRACKERS)
    if not trackers:
        return
    m = _WRITE.match(statement)
    if m is not None:
        op = "INSERT" if m.group(1).upper() == "REPLACE" else m.group(1).upper()
        trackers[-1].add((m.group(2).lower(), op))


event.listen(Engine, "before_cursor_execute", _track_write)


@event.listens_for(OrmSession, "after_begin")
def _session_began(session, transaction, connection) -> None:
    if transaction.parent is None:
        st = _state(session)
        trackers = connection.info.setdefault(_TRACKERS, [])
        trackers.append(st.written)
        st.trackers.append(trackers)  # the list itself: the connection may be closed when the session ends


@event.listens_for(OrmSession, "after_transaction_create")
def _savepoint_began(session, transaction) -> None:
    if transaction.nested:
        st = _state(session)
        st.marks[transaction] = (set(st.written), {k: len(v) for k, v in st.lists.items()})


@event.listens_for(OrmSession, "after_soft_rollback")
def _savepoint_rolled_back(session, previous_transaction) -> None:
    st = session.info.get(_STATE)
    if st is None or not previous_transaction.nested:
        return
    mark = st.marks.pop(previous_transaction, None)
    if mark is None:
        return
    written_then, lengths = mark
    st.written.clear()  # in place: the connection's tracker is this very set
    st.written.update(written_then)
    for key, items in st.lists.items():
        del items[lengths.get(key, 0):]


@event.listens_for(OrmSession, "after_transaction_end")
def _transaction_ended(session, transaction) -> None:
    if transaction.parent is not None:
        return
    st = session.info.pop(_STATE, None)
    if st is None:
        return
    for trackers in st.trackers:
        for i in range(len(trackers) - 1, -1, -1):
            if trackers[i] is st.written:
                del trackers[i]
                break


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the whole transaction is checked when it commits
    session.flush()
    for step in _commit_steps:
        step(session)
    st = session.info.get(_STATE)
    if st is None:
        return
    business = sorted(w for w in st.written if w not in UNAUDITED_WRITES)
    if business and ("audit_event", "INSERT") not in st.written:
        raise UnauditedWrite(business)


# ---------------------------------------------------------------- the unit of work

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
        kwargs: dict[str, Any] = {"expire_on_commit": False}
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
