"""What the opportunities domain announces (subscribers in services/bootstrap.py: dashboard rollups)."""
from __future__ import annotations

from dataclasses import dataclass

from services.events import DomainEvent


@dataclass(frozen=True)
class OpportunityChanged(DomainEvent):
    """An opportunity was opened (old_stage None), moved, won or lost."""

    name = "opportunity.changed"
    opportunity_id: int
    customer_id: int
    old_stage: str | None
    new_stage: str
