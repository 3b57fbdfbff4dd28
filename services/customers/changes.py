"""The one way a customer changes.

Every door — the 360 page's edit form, the API's upsert, imports and the inbox, relationships and households,
and the sanctioned writers of risk level, KYC status and AML risk — changes a customer through `_commit`:
the fields are checked against what the actor may edit, the version is bumped under optimistic concurrency
(a change made meanwhile by someone else is a ConcurrentModification, never silently overwritten), the
masked diff is audited, and the change is announced as domain events (services/customers/events.py) for the
other domains to react to (tags, webhooks, and later screening, suitability and rollups).

"What differs" is decided once, here (`differences`): incoming values are normalised (ID number, phone) and
compared with the stored ones, and only real differences count. A door may send a whole representation
(the API's PUT, an import row) or only the fields a person changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from pydantic import Field
from sqlalchemy import update
from sqlmodel import Session

from services import clock
from services.customers import custom_fields, pii
from services.customers import search as customer_search
from services.customers.access import load_customer, masked_change
from services.customers.events import (AmlRiskChanged, CustomerChanged, CustomerIdentityChanged,
                                       CustomerReassigned, KycStatusChanged, RiskLevelChanged)
from services.customers.identity import check_unique_id, resolve_owner, stored_identity, validate_identity
from services.customers.models import AmlRisk, Customer, CustomerKind, KycStatus
from services.customers.pinyin import search_keys
from services.customers.schemas import CustomerUpdate
from services.db import UnitOfWork
from services.errors import ConcurrentModification, FieldError, RefusedInput, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.masking import mask_id_number, mask_phone
from services.security.policy import Permission, editable_fields, permits, requires
from services.validation.input import parse
from services.validation.input import StrictInput

PLAIN_FIELDS = ("name", "gender", "birth_date", "email", "address", "occupation", "segment", "source_channel",
                "status")
IDENTITY_FIELDS = frozenset({"name", "id_type", "id_number", "phone"})
RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")


@dataclass
class Difference:
    """What an incoming change would do to a stored customer: the columns to write, the masked diff for the
    audit trail and the events, and the names of the changed fields."""

    values: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.values)


def differences(s: Session, actor: Actor, row: Customer, given: Mapping[str, Any],
                errors: list[FieldError]) -> Difference:
    """The difference between `given` (validated CustomerUpdate fields) and the stored customer, with the
    incoming identity normalised. Field errors (invalid values, a taken ID number, an owner out of reach) go
    to `errors`; edit rights are not checked here (`check_edit_rights`). Writes nothing."""
    diff = Difference()
    if "id_number" in given or "id_type" in given or "phone" in given:
        id_type = given.get("id_type") or row.id_type
        number_in = given.get("id_number") if ("id_number" in given or "id_type" in given) else None
        if "id_type" in given and number_in is None:
            number_in = stored_identity(row, "id_number")
        number, phone = validate_identity(row.kind, id_type, number_in, given.get("phone"), errors)
        if number is not None:
            old_number = stored_identity(row, "id_number")
            if number != old_number or id_type != row.id_type:
                check_unique_id(s, actor, customer_search.id_blind_index(id_type, number), errors, exclude_id=row.id)
                diff.values.update(pii.id_number_columns(id_type, number))
                diff.audit["id_number"] = [mask_id_number(old_number), mask_id_number(number)]
                diff.fields.append("id_number")
                if id_type != row.id_type:
                    diff.audit["id_type"] = [row.id_type, id_type]
                    diff.fields.append("id_type")
        if "phone" in given and not any(e.field == "phone" for e in errors):
            old_phone = stored_identity(row, "phone")
            if phone != old_phone:
                diff.values.update(pii.phone_columns(phone))
                diff.audit["phone"] = [mask_phone(old_phone), mask_phone(phone)]
                diff.fields.append("phone")
    if "owner_id" in given and given["owner_id"] is not None and given["owner_id"] != row.owner_id:
        if "owner_id" not in fields_actor_may_edit(actor):  # refused by check_edit_rights, whoever the new RM would be
            diff.fields.append("owner_id")
            owner = None
        else:
            owner = resolve_owner(s, actor, given["owner_id"], errors)
        if owner is not None:
            diff.values.update(owner_id=owner.id, team_id=owner.team_id, branch_id=owner.branch_id)
            diff.audit["owner_id"] = [row.owner_id, owner.id]
            diff.fields.append("owner_id")
    if given.get("custom") is not None:  # per-field permissions are checked by custom_fields
        current = row.custom or {}
        custom = custom_fields.collect_custom_values(s, actor, kind=row.kind, values=given["custom"],
                                                     current=current, errors=errors)
        if custom != current:
            diff.values["custom"] = custom
            diff.audit.update(custom_fields.audit_custom_changes(s, current, custom))
            diff.fields += sorted(f"custom.{k}" for k in set(custom) | set(current) if custom.get(k) != current.get(k))
    birth = given.get("birth_date")
    if isinstance(birth, date) and birth > clock.today():
        errors.append(FieldError("birth_date", "value.future_date"))
    for f in PLAIN_FIELDS:
        if f in given and given[f] != getattr(row, f):
            if f == "name" and not given[f]:
                continue
            diff.values[f] = given[f]
            diff.audit[f] = [masked_change(f, getattr(row, f)), masked_change(f, given[f])]
            diff.fields.append(f)
    if "name" in diff.values:
        diff.values["name_pinyin"], diff.values["name_initials"] = search_keys(
            diff.values["name"], surname=row.kind == CustomerKind.INDIVIDUAL)
    return diff


def check_edit_rights(actor: Actor, diff: Difference) -> list[FieldError]:
    """A change may touch only the fields the actor's role may edit (custom fields have their own rules)."""
    allowed = fields_actor_may_edit(actor)
    return [FieldError(f, "value.not_editable") for f in diff.fields
            if not f.startswith("custom.") and f != "id_type" and f not in allowed]


def fields_actor_may_edit(actor: Actor) -> frozenset[str]:
    """The fields the actor's role may edit; a new relationship manager also needs the permission to reassign."""
    allowed = editable_fields(actor)
    return allowed if permits(actor, Permission.CUSTOMER_REASSIGN) else allowed - {"owner_id"}


# Field errors that say the actor may not do this (rather than that the input is malformed): refused input, audited.
REFUSED_CODES = frozenset({"value.not_editable", "value.not_an_rm", "value.duplicate", "value.duplicate_elsewhere"})


def invalid_input(actor: Actor, errors: list[FieldError], customer_id: int | None = None) -> ValidationFailed:
    """The error to raise for `errors`: RefusedInput (audited as a refusal) when one of them refuses the actor
    something (a field he may not edit, an RM outside his scope, another customer's ID number), else
    ValidationFailed."""
    if any(e.code in REFUSED_CODES for e in errors):
        return RefusedInput(errors, actor=actor, entity_type="customer", entity_id=customer_id)
    return ValidationFailed(errors)


@requires(Permission.CUSTOMER_EDIT)
def update_customer(*, uow: UnitOfWork, actor: Actor, customer_id: Any, version: Any, changes: Any,
                    source: str = "form") -> Any:
    """Change what differs between `changes` and the stored customer (nothing when nothing does), if the
    actor may edit every field that changes and nobody changed the customer since `version`. Returns the
    profile as the actor may see it."""
    from services.customers.service import profile_view  # the view, not a dependency of the pipeline

    s = uow.session
    row = load_customer(s, actor, customer_id)
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 2**31:
        raise ValidationFailed([FieldError("version", "value.wrong_type")])
    req = parse(CustomerUpdate, changes)
    given = req.model_dump(exclude_unset=True)
    errors: list[FieldError] = []
    diff = differences(s, actor, row, given, errors)
    errors += check_edit_rights(actor, diff)
    if errors:
        raise invalid_input(actor, errors, row.id)
    if diff:
        row = _commit(uow, actor, row, version, diff, source=source)
    return profile_view(s, actor, row)


def _commit(uow: UnitOfWork, actor: Actor, row: Customer, version: int, diff: Difference, *,
            source: str, action: str = "customer.update") -> Customer:
    """Write a checked difference: version bump under optimistic concurrency, audit, events."""
    s = uow.session
    values = {**diff.values, "version": Customer.version + 1, "updated_at": clock.now()}
    # The row is expired and read again below: no need for the ORM to find and update it among the session's
    # objects (which costs a pass over all of them per statement, quadratic for a bulk change).
    result = s.execute(update(Customer).where(Customer.id == row.id, Customer.version == version).values(**values)
                       .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ConcurrentModification()
    audit.record(s, actor, action, entity_type="customer", entity_id=row.id,
                 changes={"version": version, **diff.audit})
    s.expire(row)
    row = s.get(Customer, row.id)
    uow.publish(CustomerChanged(customer_id=row.id, customer_no=row.customer_no, kind=row.kind,
                                version=row.version, fields=tuple(diff.fields), changes=dict(diff.audit),
                                source=source))
    identity = tuple(f for f in diff.fields if f in IDENTITY_FIELDS)
    if identity:
        uow.publish(CustomerIdentityChanged(customer_id=row.id, fields=identity))
    if "owner_id" in diff.values:
        old_owner, new_owner = diff.audit["owner_id"]
        uow.publish(CustomerReassigned(customer_id=row.id, old_owner_id=old_owner, new_owner_id=new_owner,
                                       actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name))
    return row


def record_link_change(uow: UnitOfWork, actor: Actor, row: Customer, *, action: str, field_name: str,
                       audit_change: Any, values: dict[str, Any] | None = None, source: str = "form") -> Customer:
    """A change of the customer's links (relationships, household) is a change of the customer: the version
    is bumped, it is audited (as `action`) and announced like any other change. `values`: customer columns
    the link change writes (e.g. household_id, legal_representative)."""
    diff = Difference(values=dict(values or {}), audit={field_name: audit_change}, fields=[field_name])
    return _commit(uow, actor, row, row.version, diff, source=source, action=action)


# ---------------------------------------------------------------- sanctioned writers
#
# Each behind its own permission; the domains that decide these fields (suitability, KYC review, AML) call
# them with their own actor.

class RiskLevelSet(StrictInput):
    risk_level: str | None = Field(default=None, pattern=r"^C[1-5]$")
    valid_until: date | None = None


@requires(Permission.RISK_LEVEL_SET)
def set_risk_level(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any, source: str) -> Customer:
    """The customer's assessed risk level (C1..C5, None for none) and until when the assessment is valid.
    Only the domain that assesses risk (suitability) and the roles it names may call this."""
    req = parse(RiskLevelSet, data)
    s = uow.session
    row = load_customer(s, actor, customer_id)
    if req.risk_level == row.risk_level and req.valid_until == row.risk_valid_until:
        return row
    diff = Difference(values={"risk_level": req.risk_level, "risk_valid_until": req.valid_until},
                      audit={"risk_level": [row.risk_level, req.risk_level],
                             "risk_valid_until": [masked_change("d", row.risk_valid_until),
                                                  masked_change("d", req.valid_until)]},
                      fields=["risk_level", "risk_valid_until"])
    old = row.risk_level
    row = _commit(uow, actor, row, row.version, diff, source=source, action="customer.risk_level")
    uow.publish(RiskLevelChanged(customer_id=row.id, old_level=old, new_level=req.risk_level,
                                 valid_until=req.valid_until))
    return row


@requires(Permission.KYC_STATUS_SET)
def set_kyc_status(*, uow: UnitOfWork, actor: Actor, customer_id: Any, status: Any, source: str) -> Customer:
    """The customer's KYC status, set by the KYC review."""
    if status not in {k.value for k in KycStatus}:
        raise ValidationFailed([FieldError("kyc_status", "value.invalid_choice",
                                           {"choices": ", ".join(k.value for k in KycStatus)})])
    s = uow.session
    row = load_customer(s, actor, customer_id)
    if row.kyc_status == status:
        return row
    old = row.kyc_status
    diff = Difference(values={"kyc_status": status}, audit={"kyc_status": [old, status]}, fields=["kyc_status"])
    row = _commit(uow, actor, row, row.version, diff, source=source, action="customer.kyc_status")
    uow.publish(KycStatusChanged(customer_id=row.id, old_status=old, new_status=status))
    return row


@requires(Permission.AML_RISK_SET)
def set_aml_risk(*, uow: UnitOfWork, actor: Actor, customer_id: Any, risk: Any, source: str) -> Customer:
    """The customer's AML risk rating, set by the AML domain (screening, monitoring) or compliance."""
    if risk not in {k.value for k in AmlRisk}:
        raise ValidationFailed([FieldError("aml_risk", "value.invalid_choice",
                                           {"choices": ", ".join(k.value for k in AmlRisk)})])
    s = uow.session
    row = load_customer(s, actor, customer_id)
    if row.aml_risk == risk:
        return row
    old = row.aml_risk
    diff = Difference(values={"aml_risk": risk}, audit={"aml_risk": [old, risk]}, fields=["aml_risk"])
    row = _commit(uow, actor, row, row.version, diff, source=source, action="customer.aml_risk")
    uow.publish(AmlRiskChanged(customer_id=row.id, old_risk=old, new_risk=risk))
    return row
