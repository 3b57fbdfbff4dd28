"""Refused access and failed credentials, in the audit trail.

A refusal ends the operation that caused it, and its unit of work rolls back, so the refusal is
written afterwards in a transaction of its own (`record_refusal`, called by the unit of work when a
`Refusal` leaves it). Failed credentials are written in the transaction that counts the failure
(`record_failed_credential`).

An attacker can cause refusals as fast as he can send requests, so each source may write only
`PER_SOURCE` such events a minute and all sources together `OVERALL` a minute: beyond that they are
counted, and the next event admitted for that source carries how many were left out
(`suppressed`). The limits hold per process (each backend worker keeps its own).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from types import TracebackType
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from services.security import audit
from services.security.actor import Actor

log = logging.getLogger(__name__)

PER_SOURCE = 20
OVERALL = 600
WINDOW_SECONDS = 60.0
ANONYMOUS = Actor(kind="anonymous", id=None, name="anonymous")


class _Limiter:
    """Fixed one-minute windows per source and overall; counts what it turns away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = 0
        self._counts: dict[str, int] = {}
        self._overall = 0
        self._suppressed: dict[str, int] = {}

    def admit(self, source: str) -> tuple[bool, int]:
        """(admitted, how many events of this source were turned away since its last admitted one)."""
        now = int(time.monotonic() // WINDOW_SECONDS)
        with self._lock:
            if now != self._window:
                self._window, self._counts, self._overall = now, {}, 0
            if self._counts.get(source, 0) >= PER_SOURCE or self._overall >= OVERALL:
                self._suppressed[source] = self._suppressed.get(source, 0) + 1
                if len(self._suppressed) > 100_000:  # bounded memory under a spread-out attack
                    self._suppressed.clear()
                return False, 0
            self._counts[source] = self._counts.get(source, 0) + 1
            self._overall += 1
            return True, self._suppressed.pop(source, 0)

    def reset(self) -> None:
        with self._lock:
            self._window, self._counts, self._overall, self._suppressed = 0, {}, 0, {}


limiter = _Limiter()


def source_of(actor: Actor | None, ip: str | None = None) -> str:
    if actor is not None and actor.id is not None:
        return f"{actor.kind}:{actor.id}"
    return f"ip:{ip or '?'}"


def _operation(tb: TracebackType | None) -> str | None:
    """The use case that refused: the outermost `services.*` function on the way to the raise
    (not the policy helper that raised), e.g. `services.customer360.service.customer_360`."""
    for frame, _ in traceback.walk_tb(tb):
        module = frame.f_globals.get("__name__", "")
        if module.startswith("services.") and not module.startswith(("services.security.policy", "services.db")):
            return f"{module}.{frame.f_code.co_name}"
    return None


def _details(exc: Any, extra: dict | None) -> dict:
    details: dict[str, Any] = {"refused": exc.code}
    operation = _operation(exc.__traceback__)
    if operation:
        details["operation"] = operation
    if getattr(exc, "permission", None):
        details["permission"] = str(exc.permission)
    details.update(extra or {})
    return details


def record_refusal(bind: Any, exc: Any) -> None:
    """Write one `access.refused` event for a refusal whose own transaction was rolled back.
    Best effort: if the database is too busy to take it within half a second, the refusal is logged
    instead (the user's answer must not wait for the audit of his refusal)."""
    from services.db import UnitOfWork

    actor: Actor = getattr(exc, "actor", None) or ANONYMOUS
    admitted, suppressed = limiter.admit(source_of(actor, (getattr(exc, "audit_details", None) or {}).get("ip")))
    if not admitted:
        return
    details = _details(exc, getattr(exc, "audit_details", None))
    if suppressed:
        details["suppressed"] = suppressed
    try:
        with UnitOfWork(bind, lock_timeout_ms=500) as uow:
            audit.record(uow.session, actor, "access.refused", entity_type=getattr(exc, "entity_type", None),
                         entity_id=getattr(exc, "entity_id", None), changes=details)
            uow.commit()
    except OperationalError:
        log.warning("access refused (not audited, database busy): %s %s", source_of(actor), details)


def record_failed_credential(session: Session, action: str, *, actor: Actor | None = None,
                             ip: str | None = None, entity_type: str | None = None, entity_id: Any = None,
                             details: dict | None = None) -> None:
    """An `auth.*` failure, in the caller's transaction (which commits it with the failed attempt).
    Rate-limited per source address, so guessing cannot flood the chain."""
    admitted, suppressed = limiter.admit(f"ip:{ip or '?'}")
    if not admitted:
        return
    changes = {"ip": ip, **(details or {})}
    if suppressed:
        changes["suppressed"] = suppressed
    audit.record(session, actor or ANONYMOUS, action, entity_type=entity_type, entity_id=entity_id,
                 changes=changes)
