"""The audit trail: an append-only, hash-chained log written in the caller's transaction.

Each event's hash covers its content and the previous event's hash, and `seq`
runs 1, 2, 3 ... with a unique constraint, so an edited row, a deleted row or a
fork (two writers chaining onto the same predecessor) is detectable.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select, text
from sqlmodel import Session

from services.security.actor import Actor
from services.security.models import AuditEvent
from services import clock

GENESIS = "0" * 64
_PG_LOCK_KEY = 715_551_001  # advisory lock that serialises appends on PostgreSQL


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev_hash: str, seq: int, occurred_at: datetime, actor_kind: str, actor_id: str | None,
            actor_name: str | None, action: str, entity_type: str | None, entity_id: str | None,
            changes: str) -> str:
    body = _canonical([seq, occurred_at.isoformat(timespec="microseconds"), actor_kind, actor_id,
                       actor_name, action, entity_type, entity_id, changes])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def record(session: Session, actor: Actor, action: str, *, entity_type: str | None = None,
           entity_id: Any = None, changes: dict | None = None) -> AuditEvent:
    """Append one event in the current transaction. `changes` must already be masked."""
    return record_many(session, actor, [(action, entity_type, entity_id, changes)])[0]


def record_many(session: Session, actor: Actor,
                events: list[tuple[str, str | None, Any, dict | None]]) -> list[AuditEvent]:
    """Append several events by one actor, in order, in the current transaction (bulk use cases):
    (action, entity_type, entity_id, changes) each, `changes` already masked."""
    if not events:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = _head(session)
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # Microsecond precision is what both databases keep, so the hash survives a round trip.
    now = clock.now()
    out = []
    for action, entity_type, entity_id, changes in events:
        changes_json = _canonical(changes or {})
        entity = None if entity_id is None else str(entity_id)
        event = AuditEvent(
            seq=seq, occurred_at=now, actor_kind=actor.kind, actor_id=actor.audit_id, actor_name=actor.name,
            action=action, entity_type=entity_type, entity_id=entity, changes=changes_json, prev_hash=prev,
            hash=_digest(prev, seq, now, actor.kind, actor.audit_id, actor.name, action, entity_type, entity,
                         changes_json),
        )
        out.append(event)
        seq, prev = seq + 1, event.hash
    session.add_all(out)
    session.flush()
    session.info[_HEAD_KEY] = (session.get_transaction(), out[-1])
    return out


_HEAD_KEY = "fincrm.audit_head"


def _head(session: Session) -> tuple[int, str] | None:
    """(seq, hash) of the newest event. Within one transaction that has already appended, that is
    the event it appended last: appends are serialised (SQLite's write lock, PostgreSQL's advisory
    lock), so nobody else can have appended since. The remembered event is trusted only while it is
    still part of the same transaction: a new transaction, or a rolled-back savepoint (which
    expunges the event), means reading the head again."""
    remembered = session.info.get(_HEAD_KEY)
    if remembered is not None:
        transaction, event = remembered
        if transaction is session.get_transaction() and inspect(event).persistent:
            return event.seq, event.hash
    return session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()


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
