"""What the activities domain announces: what customers did (behaviour events) and what was done with them."""
from __future__ import annotations

from dataclasses import dataclass

from services.events import DomainEvent


@dataclass(frozen=True)
class BehaviourEventsIngested(DomainEvent):
    """A batch of behaviour events (page views, searches, product views ...) arrived; `customer_ids` are the
    customers it touched, once each."""

    name = "behaviour_events.ingested"
    customer_ids: tuple[int, ...]
    count: int
    source: str = "api"
