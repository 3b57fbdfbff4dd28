"""Is an import run still alive? A run lock per batch, held by the process that runs it.

A run commits `status="running"` and then works for seconds to minutes; if its process dies (SIGKILL,
out of memory, a redeploy, a lost host) nothing else would ever change that status. Several backend
workers may run imports, and every one of them offers to run the scheduler, so "the process that
started it is gone" cannot be guessed from this process's memory, and a worker starting up must not
fail a run that another live worker is applying.

So a run holds its batch's *run lock* from before it claims the batch until after its last commit,
and the lock dies with the process that holds it:
- SQLite (one machine): an exclusive `flock` on `<data dir>/import-runs/<database>-<batch id>.lock`.
  flock locks belong to an open file, so a second open in the same process conflicts too; the
  kernel releases them when the process dies, however it dies.
- PostgreSQL (workers on several hosts): a session-level advisory lock on a connection of its own,
  with server-side TCP keepalives so that a host that vanishes frees it within about a minute.

A batch that says "running" while nobody holds its run lock was interrupted (`fail_interrupted_runs`).

Why not a heartbeat column: a heartbeat needs a staleness threshold, and any threshold would either fail
long live runs (a slow final step, a loaded machine) or leave dead ones "running" for as long as the longest
apply. The lock dies exactly with its process. What a dead run wrote is never half-visible: its new customers
were written under the batch's write hold (services/holds.py) and stay hidden until the batch is failed and they
are discarded (service.fail_interrupted_runs).
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from services.settings import get_settings

log = logging.getLogger(__name__)

_PG_CLASS = 715_551_003  # the first key of (class, batch id) advisory locks: import runs
# Server-side keepalives on the lock's connection: a vanished host's lock is freed in ~30 + 3 * 10 s.
_PG_KEEPALIVE = (("tcp_keepalives_idle", 30), ("tcp_keepalives_interval", 10), ("tcp_keepalives_count", 3))


def engine_of(bind: Engine | Connection) -> Engine:
    return bind.engine if isinstance(bind, Connection) else bind


def _lock_path(engine: Engine, batch_id: int) -> Path:
    # The database in the name: several installations (or test databases) may share a data directory.
    db = hashlib.sha256(engine.url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return get_settings().data_dir / "import-runs" / f"{db}-{batch_id}.lock"


@contextmanager
def run_lock(bind: Engine | Connection, batch_id: int) -> Iterator[bool]:
    """Try to take the batch's run lock without waiting; yields whether this process now holds it
    (released when the block ends). False: a live run (here or in another process) holds it."""
    engine = engine_of(bind)
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, batch_id) as held:
            yield held
        return
    path = _lock_path(engine, batch_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(engine: Engine, batch_id: int) -> Iterator[bool]:
    conn = engine.connect()
    held = False
    try:
        for name, value in _PG_KEEPALIVE:
            conn.execute(text(f"SET {name} = {int(value)}"))
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:c, :b)"),
                                 {"c": _PG_CLASS, "b": batch_id % 2**31}).scalar())
        conn.commit()
        yield held
    finally:
        try:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:c, :b)"), {"c": _PG_CLASS, "b": batch_id % 2**31})
                conn.commit()
        except Exception:  # the lock must not outlive the run in a pooled connection: drop the connection
            log.exception("could not release the run lock of import batch %s", batch_id)
            conn.invalidate()
        finally:
            conn.close()
