"""What the customers domain announces. Other domains react to these (tags re-evaluate, the outbox tells
other systems, later: screening, suitability re-checks, rollups); the customers domain never calls them.

Every event carries ids and masked facts only: a handler that needs more reads it in the same transaction.
`changes` is the masked diff the audit trail got ({field: [old, new]} for changes, {field: value} for a
new customer), so announcing a change can never leak more than the audit trail holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.events import DomainEvent


@dataclass(frozen=True)
class NewCustomer:
    customer_id: int
    customer_no: str
    kind: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class CustomersCreated(DomainEvent):
    """One or more customers were created by one use case (a form, an API call, an import batch)."""

    name = "customer.created"
    customers: tuple[NewCustomer, ...]
    source: str = "form"

    @property
    def customer_ids(self) -> list[int]:
        return [c.customer_id for c in self.customers]


@dataclass(frozen=True)
class CustomerChanged(DomainEvent):
    """Fields of one customer changed (its version is now `version`). `fields` names them, custom fields as
    `custom.<key>`, links as `relationships` / `household`."""

    name = "customer.updated"
    customer_id: int
    customer_no: str
    kind: str
    version: int
    fields: tuple[str, ...]
    changes: dict[str, Any] = field(default_factory=dict)
    source: str = "form"


@dataclass(frozen=True)
class CustomerIdentityChanged(DomainEvent):
    """Name, ID number or phone changed: whatever was matched against the old identity (screening, the
    duplicate checks of other systems) must look again."""

    name = "customer.identity_changed"
    customer_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CustomerReassigned(DomainEvent):
    """The customer has a new relationship manager (and so maybe a new team and branch)."""

    name = "customer.reassigned"
    customer_id: int
    old_owner_id: int
    new_owner_id: int
    # Who reassigned it (for the customer's timeline; the audit trail has the same).
    actor_kind: str = ""
    actor_id: int | None = None
    actor_name: str = ""


@dataclass(frozen=True)
class RiskLevelChanged(DomainEvent):
    """The sanctioned writer set the customer's assessed risk level (C1..C5) and its validity."""

    name = "customer.risk_level_changed"
    customer_id: int
    old_level: str | None
    new_level: str | None
    valid_until: date | None


@dataclass(frozen=True)
class KycStatusChanged(DomainEvent):
    name = "customer.kyc_status_changed"
    customer_id: int
    old_status: str | None
    new_status: str


@dataclass(frozen=True)
class AmlRiskChanged(DomainEvent):
    name = "customer.aml_risk_changed"
    customer_id: int
    old_risk: str | None
    new_risk: str
