"""The transactional outbox: announce a change in the same transaction that makes it.

A webhook dispatcher (services.integration.webhooks) delivers the messages later,
so a failing receiver can never roll back or slow down the change itself.
"""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.integration.models import OutboxMessage
from services.types import utcnow

EVENT_TYPES = ("customer.created", "customer.updated", "customer.tagged")


def publish(session: Session, event_type: str, payload: dict[str, Any]) -> OutboxMessage:
    """Queue one message. `payload` must already be masked: receivers are other systems."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    msg = OutboxMessage(event_type=event_type, payload=payload, created_at=utcnow())
    # No flush of its own: the message is written with the transaction's next flush or at commit,
    # together with other pending rows (a rolled-back savepoint drops it with them).
    session.add(msg)
    return msg
