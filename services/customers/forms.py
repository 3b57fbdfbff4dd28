"""What the create and edit forms show: a customer's fields as the actor may see them, which of them he may change,
the custom fields of the customer's kind, and the relationship managers he may give the customer to.

The forms save through the one create use case (service.create_customer) and the one change use case
(changes.update_customer), which decide again: this only lets the page show each field as editable, read-only
(disabled) or not at all.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.customers import custom_fields as cf
from services.customers.access import load_customer
from services.customers.changes import fields_actor_may_edit
from services.customers.models import CustomerKind
from services.customers.reassign import OwnerOption, assignable_owners
from services.customers.service import profile_view
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Access, Permission, field_access, permits, requires

FIELDS = ("name", "gender", "birth_date", "id_type", "id_number", "phone", "email", "address", "occupation",
          "segment", "source_channel", "status", "owner_id")
SENSITIVE = ("id_number", "phone", "email", "address")


class CustomFieldInput(BaseModel):
    """A custom field of the customer's kind, as the form offers it."""

    key: str
    label: str
    label_en: str
    field_type: str
    choices: list[cf.ChoiceView]
    required: bool
    editable: bool
    value: Any  # the stored form (text, "1234.50", "2026-11-01", "yes", ["a", "b"]); None when not set


class CustomerForm(BaseModel):
    customer_id: int | None  # None: a new customer
    version: int | None  # the version the edit is based on (optimistic concurrency)
    kind: str
    values: dict[str, str]  # field -> value as shown ("" when not set); masked where the policy masks it
    editable: list[str]  # the fields the actor may change
    hidden: list[str]  # the fields the actor may not see at all
    masked: list[str]  # shown masked: an empty input keeps the stored value
    custom: list[CustomFieldInput]  # the kind's custom fields the actor may see
    owners: list[Any]  # OwnerOption: the RMs the actor may assign (empty when he may not)


def _custom(s, actor: Actor, kind: str, stored: dict) -> list[CustomFieldInput]:
    return [CustomFieldInput(key=d.key, label=d.label, label_en=d.label_en, field_type=d.field_type,
                             choices=[cf.ChoiceView(**c) for c in d.choices or []], required=d.required,
                             editable=cf.can_edit(actor, d), value=stored.get(d.key))
            for d in cf.visible_definitions(s, actor, kind)]


def _hidden_and_masked(actor: Actor, values: dict[str, str]) -> tuple[list[str], list[str]]:
    access = {f: field_access(actor, f) for f in SENSITIVE}
    hidden = [f for f, a in access.items() if a is Access.HIDDEN]
    masked = [f for f, a in access.items() if a in (Access.MASKED, Access.REVEALABLE) and values.get(f)]
    return hidden, masked


@requires(Permission.CUSTOMER_CREATE)
def new_customer_form(*, uow: UnitOfWork, actor: Actor, kind: Any) -> CustomerForm:
    """An empty form for a new individual or institution (every field may be given; the RM defaults to the
    actor when he is one)."""
    if kind not in (CustomerKind.INDIVIDUAL, CustomerKind.INSTITUTION):
        raise ValidationFailed([FieldError("kind", "value.invalid_choice", {"choices": "individual, institution"})])
    s = uow.session
    owners = assignable_owners(uow=uow, actor=actor)
    values = {f: "" for f in FIELDS}
    values.update(kind=str(kind), id_type="uscc" if kind == CustomerKind.INSTITUTION else "resident_id",
                  segment="corporate" if kind == CustomerKind.INSTITUTION else "mass", source_channel="branch",
                  status="active", owner_id=str(actor.id) if any(o.id == actor.id for o in owners) else "")
    hidden, _ = _hidden_and_masked(actor, {})
    return CustomerForm(customer_id=None, version=None, kind=str(kind), values=values,
                        editable=[f for f in FIELDS if f != "owner_id" or owners], hidden=hidden, masked=[],
                        custom=_custom(s, actor, str(kind), {}), owners=owners)


@requires(Permission.CUSTOMER_EDIT)
def edit_customer_form(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CustomerForm:
    """The customer as the actor may see it, with what he may change; a read of personal data, audited (the
    caller commits)."""
    s = uow.session
    row = load_customer(s, actor, customer_id)
    p = profile_view(s, actor, row)
    values = {"name": p.name, "gender": p.gender or "", "birth_date": p.birth_date.isoformat() if p.birth_date else "",
              "id_type": p.id_type, "id_number": p.id_number or "", "phone": p.phone or "", "email": p.email or "",
              "address": p.address or "", "occupation": p.occupation or "", "segment": p.segment,
              "source_channel": p.source_channel, "status": p.status, "owner_id": str(p.owner_id)}
    editable = fields_actor_may_edit(actor)
    owners: list[OwnerOption] = []
    if "owner_id" in editable and permits(actor, Permission.CUSTOMER_REASSIGN):
        owners = assignable_owners(uow=uow, actor=actor)
        if not any(o.id == p.owner_id for o in owners):  # the current RM, even if he is out of the actor's reach
            owners = [OwnerOption(id=p.owner_id, name=p.owner_name or str(p.owner_id), team=p.team_name,
                                  team_en=None), *owners]
    hidden, masked = _hidden_and_masked(actor, values)
    audit.record(s, actor, "customer.read", entity_type="customer", entity_id=row.id, changes={"view": "edit_form"})
    return CustomerForm(customer_id=row.id, version=row.version, kind=row.kind, values=values,
                        editable=[f for f in FIELDS if f in editable], hidden=hidden, masked=masked,
                        custom=_custom(s, actor, row.kind, row.custom or {}), owners=owners)
