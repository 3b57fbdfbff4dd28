"""The transactional outbox: other systems are told of a change in the same transaction that makes it.

It is one subscriber of the domain events among others (services/bootstrap.py): a customer created or
changed and a tag added or removed become messages that the webhook dispatcher (services.integration.webhooks)
delivers later, so a failing receiver can never roll back or slow down the change itself.
"""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services import clock, holds
from services.customers.events import CustomerChanged, CustomersCreated
from services.integration.models import OutboxMessage
from services.tags.events import CustomerTagged

EVENT_TYPES = ("customer.created", "customer.updated", "customer.tagged")


def publish(session: Session, event_type: str, payload: dict[str, Any]) -> OutboxMessage:
    """Queue one message. `payload` must already be masked: receivers are other systems."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    # Written while an import's rows are not yet published: held with them (services/holds.py; the dispatcher
    # sends it only once the hold is published, and a discarded import takes it away).
    msg = OutboxMessage(event_type=event_type, payload=payload, created_at=clock.now(),
                        hold_id=holds.current(session))
    # No flush of its own: the message is written with the transaction's next flush or at commit,
    # together with other pending rows (a rolled-back savepoint drops it with them).
    session.add(msg)
    return msg


def _customer_payload(customer_id: int, customer_no: str, kind: str, version: int, changes: dict) -> dict:
    """What other systems are told: identifiers and the (masked) change, never raw PII."""
    return {"customer_id": customer_id, "customer_no": customer_no, "kind": kind, "version": version,
            "changes": changes}


# ---------------------------------------------------------------- subscribers

def on_customers_created(session: Session, event: CustomersCreated) -> None:
    for c in event.customers:
        publish(session, "customer.created", _customer_payload(c.customer_id, c.customer_no, c.kind, 1, c.changes))


def on_customer_changed(session: Session, event: CustomerChanged) -> None:
    publish(session, "customer.updated", _customer_payload(event.customer_id, event.customer_no, event.kind,
                                                           event.version, event.changes))


def on_customer_tagged(session: Session, event: CustomerTagged) -> None:
    publish(session, "customer.tagged", {
        "customer_id": event.customer_id, "customer_no": event.customer_no, "tag": event.tag,
        "action": event.action, "rule_key": event.rule_key, "rule_version": event.rule_version,
        "evidence": event.evidence})
