"""What suitability announces, and what it does when other domains announce something.

Published (other domains may subscribe in services/bootstrap.py: an agenda turning reminders into tasks,
rollups counting sales):
- AssessmentCompleted   a customer submitted a questionnaire (the level itself is announced by the
                        customers domain as RiskLevelChanged, written through its sanctioned writer)
- AssessmentExpiring    the scheduler found an assessment that expires within the reminder window
- InvestorClassified    a customer became, or stopped being, a professional investor
- SaleStatusChanged     a sale moved on (signed, recorded, reviewed, cooling off, effective, cancelled)

Handled:
- RiskLevelChanged (customers): the sales of that customer still waiting for a signature are checked again
  on the new facts, and the new answer is kept with each (a sale never goes to signature on stale facts:
  the signature step checks once more anyway).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services.events import DomainEvent


@dataclass(frozen=True)
class AssessmentCompleted(DomainEvent):
    name = "suitability.assessment_completed"
    customer_id: int
    assessment_id: int
    level: str
    valid_until: date
    channel: str


@dataclass(frozen=True)
class AssessmentExpiring(DomainEvent):
    name = "suitability.assessment_expiring"
    customer_id: int
    owner_id: int
    expires_on: date
    reminder_id: int


@dataclass(frozen=True)
class InvestorClassified(DomainEvent):
    name = "suitability.investor_classified"
    customer_id: int
    investor_class: str  # professional | ordinary (revoked)
    valid_until: date | None


@dataclass(frozen=True)
class SaleStatusChanged(DomainEvent):
    name = "suitability.sale_status_changed"
    sale_id: int
    customer_id: int
    product_id: int
    old_status: str | None
    new_status: str


def on_risk_level_changed(session: Session, event) -> None:
    """RiskLevelChanged: check the customer's unsigned sales again on the new level."""
    from services.suitability import sales

    sales.recheck_unsigned(session, event.customer_id)
