"""What the tags domain announces (a customer gained or lost a tag) and what it reacts to: any change that
tag rules may read — a customer created or changed, transactions or behaviour events ingested — makes the
rules re-evaluate the customers concerned, in the same transaction (subscribed in services/bootstrap.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from services.activities.events import BehaviourEventsIngested
from services.customers.events import CustomerChanged, CustomersCreated
from services.events import DomainEvent
from services.portfolio.events import TransactionsIngested


@dataclass(frozen=True)
class CustomerTagged(DomainEvent):
    """A tag was added or removed, by a tag rule (`evidence`: the facts it matched) or by hand (no rule;
    `evidence`: who gave it)."""

    name = "customer.tagged"
    customer_id: int
    customer_no: str | None
    tag: str
    action: str  # "added" | "removed"
    rule_key: str | None  # None: by hand (services/tags/manual.py)
    rule_version: int | None
    evidence: dict = field(default_factory=dict)


# ---------------------------------------------------------------- handlers

def _evaluate(session: Session, customer_ids, reason: str) -> None:
    from services.tags.service import on_customers_changed

    if customer_ids:
        on_customers_changed(session, sorted(set(customer_ids)), reason=reason)


def on_customers_created(session: Session, event: CustomersCreated) -> None:
    _evaluate(session, event.customer_ids, "customer.created")


def on_customer_changed(session: Session, event: CustomerChanged) -> None:
    _evaluate(session, [event.customer_id], "customer.updated")


def on_transactions_ingested(session: Session, event: TransactionsIngested) -> None:
    _evaluate(session, event.customer_ids, "transactions")


def on_behaviour_events_ingested(session: Session, event: BehaviourEventsIngested) -> None:
    _evaluate(session, event.customer_ids, "events")
