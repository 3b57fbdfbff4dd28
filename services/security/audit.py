"""The audit trail: an append-only, hash-chained log written with the caller's transaction.

Each event's hash covers its content and the previous event's hash, and `seq`
runs 1, 2, 3 ... with a unique constraint, so an edited row, a deleted row or a
fork (two writers chaining onto the same predecessor) is detectable.

Appending needs the chain's head, so appends are serialised. That lock is held only for the append
itself: `record` buffers the event in the session's transaction, and when the transaction commits
(services.db runs `append_pending` as a commit step) the buffered events are chained and inserted in
one go — take the lock (PostgreSQL: a transaction-level advisory lock, released by the commit that
follows at once; SQLite: the database's write lock, which a writing transaction holds anyway), read the
head, hash, insert. A long transaction therefore no longer stops every other audited transaction for its
whole length. Consequences for callers:
- an event's `seq`, `prev_hash`, `hash` and `occurred_at` are filled in at commit (the object `record`
  returns gets them then); `occurred_at` is when the event went on record, at commit;
- an event is in the `audit_event` table only after its transaction committed: read it back afterwards;
- an event recorded inside a savepoint that rolls back is forgotten with the savepoint
  (services.db.transaction_list), and a transaction that rolls back appends nothing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlmodel import Session

from services import clock, db
from services.prepared import Prepared
from services.security.actor import Actor
from services.security.models import AuditEvent

GENESIS = "0" * 64
_PG_LOCK_KEY = 715_551_001  # advisory lock that serialises appends on PostgreSQL
_PENDING = "audit.pending"  # services.db.transaction_list key: events waiting for the commit
_INSERT_BATCH = 5000
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_APPEND_COLUMNS = ("seq", "occurred_at", "actor_kind", "actor_id", "actor_name", "action", "entity_type",
                   "entity_id", "changes", "prev_hash", "hash")
# Both run on every audited transaction, a short audited read (the 360 view) included: prepared once per
# dialect and sent as driver SQL (services/prepared.py). `inline`: no RETURNING of the new ids.
_HEAD = Prepared(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
_APPEND = Prepared(insert(AuditEvent.__table__).inline(), column_keys=_APPEND_COLUMNS)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev_hash: str, seq: int, occurred_at: datetime, actor_kind: str, actor_id: str | None,
            actor_name: str | None, action: str, entity_type: str | None, entity_id: str | None,
            changes: str) -> str:
    body = _canonical([seq, occurred_at.isoformat(timespec="microseconds"), actor_kind, actor_id,
                       actor_name, action, entity_type, entity_id, changes])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class RecordedEvent:
    """An event recorded in a transaction: what `record` returns and `pending` lists. Its seq, occurred_at,
    prev_hash and hash are filled in when the transaction commits (it is then the row `audit_event` holds).
    A plain object, not an ORM one: the events are inserted with Core at commit, and building a model
    instance per event cost a tenth of a short audited read."""

    actor_kind: str
    actor_id: str | None
    actor_name: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    changes: str  # canonical JSON
    seq: int | None = None
    occurred_at: datetime | None = None
    prev_hash: str | None = None
    hash: str | None = None


def record(session: Session, actor: Actor, action: str, *, entity_type: str | None = None,
           entity_id: Any = None, changes: dict | None = None) -> RecordedEvent:
    """Append one event with the current transaction (at its commit). `changes` must already be masked."""
    return record_many(session, actor, [(action, entity_type, entity_id, changes)])[0]


def record_many(session: Session, actor: Actor,
                events: list[tuple[str, str | None, Any, dict | None]]) -> list[RecordedEvent]:
    """Append several events by one actor, in order, with the current transaction (bulk use cases):
    (action, entity_type, entity_id, changes) each, `changes` already masked. The events are chained and
    written when the transaction commits; the returned objects get their seq and hash then."""
    if not events:
        return []
    pending = db.transaction_list(session, _PENDING)
    out = []
    for action, entity_type, entity_id, changes in events:
        event = RecordedEvent(actor.kind, actor.audit_id, actor.name, action, entity_type,
                              None if entity_id is None else str(entity_id), _canonical(changes or {}))
        out.append(event)
    pending.extend(out)
    return out


def pending(session: Session) -> list[RecordedEvent]:
    """The events this transaction has recorded and will append when it commits (oldest first)."""
    return list(db.transaction_list(session, _PENDING))


def append_pending(session: Session) -> int:
    """Chain and insert the transaction's buffered events: the one moment the chain is locked. Run by
    services.db when the session commits its whole transaction; returns how many were appended."""
    buffered = db.transaction_list(session, _PENDING)
    if not buffered:
        return 0
    # Core on the session's connection: no ORM objects are involved, and the ORM's execution layer cost as much
    # as the statements themselves on a short audited read (the 360 view).
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_LOCK, {"k": _PG_LOCK_KEY})
    last = _HEAD.first(conn, {})
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # Microsecond precision is what both databases keep, so the hash survives a round trip.
    now = clock.now()
    rows = []
    for event in buffered:
        event.seq, event.occurred_at, event.prev_hash = seq, now, prev
        event.hash = _digest(prev, seq, now, event.actor_kind, event.actor_id, event.actor_name, event.action,
                             event.entity_type, event.entity_id, event.changes)
        rows.append({"seq": seq, "occurred_at": now, "actor_kind": event.actor_kind, "actor_id": event.actor_id,
                     "actor_name": event.actor_name, "action": event.action, "entity_type": event.entity_type,
                     "entity_id": event.entity_id, "changes": event.changes, "prev_hash": prev,
                     "hash": event.hash})
        seq, prev = seq + 1, event.hash
    for start in range(0, len(rows), _INSERT_BATCH):
        _APPEND.execute(conn, rows[start:start + _INSERT_BATCH])
    n = len(buffered)
    buffered.clear()
    return n


db.register_commit_step(append_pending)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first event whose link or content does not hold."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return VerifyResult(True, checked)
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing")
            if ev.prev_hash != prev_hash:
                return VerifyResult(False, checked, ev.seq, "link to the previous event does not match")
            digest = _digest(ev.prev_hash, ev.seq, ev.occurred_at, ev.actor_kind, ev.actor_id, ev.actor_name,
                             ev.action, ev.entity_type, ev.entity_id, ev.changes)
            if digest != ev.hash:
                return VerifyResult(False, checked, ev.seq, "content does not match its hash")
            prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
            last_seq = ev.seq
        session.expunge_all()
