"""What the customer 360 keeps from other domains' events (subscribed in services/bootstrap.py)."""
from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session

from services import clock
from services.customer360.models import OwnerChange
from services.customers.events import CustomerReassigned


_INSERT = insert(OwnerChange.__table__)  # built once: a bulk reassignment inserts one row per customer


def on_customer_reassigned(session: Session, event: CustomerReassigned) -> None:
    """The reassignment for the customer's timeline, in the transaction of the change."""
    session.connection().execute(_INSERT, {
        "customer_id": event.customer_id, "at": clock.now(), "old_owner_id": event.old_owner_id,
        "new_owner_id": event.new_owner_id, "actor_kind": event.actor_kind or "system", "actor_id": event.actor_id,
        "actor_name": (event.actor_name or "")[:100]})
