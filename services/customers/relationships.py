"""Family, household and related parties: who a customer is linked to, and how."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select

from services import clock
from services.customers.access import load_customer
from services.customers.changes import record_link_change
from services.customers.models import Customer, Household, Relationship, RelationshipKind
from services.customers.schemas import _Strict
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.validation.input import parse

# Each kind read from the other side: recorded both ways so either customer's 360 shows it.
INVERSE = {
    RelationshipKind.SPOUSE: RelationshipKind.SPOUSE,
    RelationshipKind.PARENT: RelationshipKind.CHILD,
    RelationshipKind.CHILD: RelationshipKind.PARENT,
    RelationshipKind.RELATED_PARTY: RelationshipKind.RELATED_PARTY,
}
INSTITUTION_ONLY = {RelationshipKind.BENEFICIAL_OWNER, RelationshipKind.LEGAL_REPRESENTATIVE,
                    RelationshipKind.CONTROLLER, RelationshipKind.EMPLOYER}


class RelationshipCreate(_Strict):
    related_customer_id: int = Field(gt=0, lt=2**62)
    kind: RelationshipKind
    note: str | None = Field(default=None, max_length=200)
    share_pct: Decimal | None = Field(default=None, gt=0, le=100, decimal_places=4)

    @model_validator(mode="after")
    def _share_only_for_owners(self):
        if self.share_pct is not None and self.kind != RelationshipKind.BENEFICIAL_OWNER:
            raise ValueError("share")
        return self


# Linking people is part of maintaining the customer's profile (customer.edit).
@requires(Permission.CUSTOMER_EDIT)
def add_relationship(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Relationship:
    """Link `customer_id` to another customer the actor can also see.

    Institution roles (legal representative, controller, beneficial owner, employer) are read
    as "<institution> has <person> as its ...": `customer_id` must be the institution.
    """
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(RelationshipCreate, data)
    other = load_customer(s, actor, req.related_customer_id)
    errors: list[FieldError] = []
    if other.id == c.id:
        errors.append(FieldError("related_customer_id", "value.invalid"))
    if req.kind in INSTITUTION_ONLY and c.kind != "institution":
        errors.append(FieldError("kind", "value.wrong_id_type"))
    exists = s.execute(select(Relationship.id).where(
        Relationship.customer_id == c.id, Relationship.related_customer_id == other.id,
        Relationship.kind == req.kind)).first()
    if exists:
        errors.append(FieldError("related_customer_id", "value.duplicate_link"))
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    row = Relationship(customer_id=c.id, related_customer_id=other.id, kind=req.kind, note=req.note,
                       share_pct=req.share_pct, created_at=now)
    s.add(row)
    inverse = INVERSE.get(req.kind, RelationshipKind.RELATED_PARTY)
    s.add(Relationship(customer_id=other.id, related_customer_id=c.id, kind=inverse, note=req.note, created_at=now))
    s.flush()
    # Both customers changed: each gets a new version, an audit event and a change event (tags, webhooks).
    link = {"related_customer_id": other.id, "kind": req.kind.value,
            "share_pct": None if req.share_pct is None else str(req.share_pct)}
    values = {"legal_representative": other.name} if req.kind == RelationshipKind.LEGAL_REPRESENTATIVE else {}
    record_link_change(uow, actor, c, action="relationship.create", field_name="relationships",
                       audit_change={"added": link}, values=values)
    record_link_change(uow, actor, other, action="relationship.create", field_name="relationships",
                       audit_change={"added": {"related_customer_id": c.id, "kind": inverse.value}})
    return row


class HouseholdAssign(_Strict):
    household_id: int | None = Field(default=None, gt=0, lt=2**62)  # None: start a new household
    name: str | None = Field(default=None, min_length=1, max_length=100)


@requires(Permission.CUSTOMER_EDIT)
def assign_household(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Household:
    """Put a customer into a household (an existing one the actor can see a member of, or a new one)."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(HouseholdAssign, data)
    if req.household_id is None:
        hh = Household(name=req.name or f"{c.name[:1]}氏家庭", created_at=clock.now())
        s.add(hh)
        s.flush()
    else:
        hh = s.get(Household, req.household_id)
        member = s.execute(select(Customer.id).where(Customer.household_id == req.household_id).limit(1)).first()
        if hh is None or member is None:
            raise ValidationFailed([FieldError("household_id", "value.invalid")])
        load_customer(s, actor, member[0])  # only join households the actor can already see
    if c.household_id != hh.id:
        record_link_change(uow, actor, c, action="household.assign", field_name="household",
                           audit_change=[c.household_id, hh.id], values={"household_id": hh.id})
    return hh
