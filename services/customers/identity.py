"""A customer's identity as the customers domain accepts it: the ID number and phone normalised once, one
customer per ID number, and the relationship manager a customer may be given to. Every door (forms, API,
imports, the inbox) goes through these, through the create and change use cases."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services import holds
from services.customers import pii
from services.customers.models import Customer, CustomerKind, IdType
from services.errors import FieldError
from services.security.actor import Actor
from services.security.models import Role, User
from services.security.policy import can_see_customer, client_has_customer
from services.validation.identity import InvalidValue, normalize_id_number, normalize_phone, normalize_uscc


def normalize_id(id_type: str, id_number: str) -> str:
    """The canonical form of an ID number of `id_type`; raises InvalidValue."""
    if id_type == IdType.RESIDENT_ID:
        return normalize_id_number(id_number)
    if id_type == IdType.USCC:
        return normalize_uscc(id_number)
    number = "".join(id_number.split()).upper()
    if not (5 <= len(number) <= 20) or not number.isalnum():
        raise InvalidValue("value.invalid", field="id_number")
    return number


def validate_identity(kind: str, id_type: str, id_number: str | None, phone: str | None,
                      errors: list[FieldError]) -> tuple[str | None, str | None]:
    """(ID number, phone) normalised; what is wrong goes to `errors` (then None is returned for it)."""
    number: str | None = None
    if kind == CustomerKind.INSTITUTION and id_type != IdType.USCC:
        errors.append(FieldError("id_type", "value.wrong_id_type"))
    elif kind == CustomerKind.INDIVIDUAL and id_type == IdType.USCC:
        errors.append(FieldError("id_type", "value.wrong_id_type"))
    if id_number is not None:
        try:
            number = normalize_id(id_type, id_number)
        except InvalidValue as exc:
            errors.append(FieldError("id_number", exc.code))
    norm_phone = None
    if phone:
        try:
            norm_phone = normalize_phone(phone)
        except InvalidValue as exc:
            errors.append(FieldError("phone", exc.code))
    return number, norm_phone


def check_unique_id(session: Session, actor: Actor, bidx: str, errors: list[FieldError],
                    exclude_id: int | None = None) -> None:
    """One customer per ID number. The error names the existing customer only to an actor who may see it:
    anyone else learns that the number is taken, never by whom."""
    other = session.execute(
        select(Customer.id, Customer.customer_no, Customer.owner_id, Customer.team_id, Customer.branch_id,
               Customer.hold_id)
        .where(Customer.id_number_bidx == bidx)
    ).first()
    if other is None or other.id == exclude_id:
        return
    # A customer an unfinished import wrote still holds its ID number, but is nobody's yet: taken, by nobody named
    # (services/holds.py).
    held = other.hold_id is not None and holds.is_open(session, other.hold_id)
    if not held and can_see_customer(actor, owner_id=other.owner_id, team_id=other.team_id,
                                     branch_id=other.branch_id,
                                     linked_to_client=client_has_customer(session, actor, other.id)):
        errors.append(FieldError("id_number", "value.duplicate", {"customer_no": other.customer_no}))
    else:
        errors.append(FieldError("id_number", "value.duplicate_elsewhere"))


def resolve_owner(session: Session, actor: Actor, owner_id: int | None, errors: list[FieldError],
                  known: dict[int, User | None] | None = None) -> User | None:
    """The RM a customer is given to. `known`: users already loaded in this use case (bulk creates)."""
    if owner_id is None:
        if actor.kind != "user" or actor.id is None:
            errors.append(FieldError("owner_id", "value.required"))
            return None
        owner_id = actor.id
    if known is not None and owner_id in known:
        owner = known[owner_id]
    else:
        owner = session.get(User, owner_id)
        if known is not None:
            known[owner_id] = owner
    # A system of record assigns customers to any active RM (it knows the firm's book); people only within
    # their own scope.
    ok = (owner is not None and owner.is_active and Role.RM in owner.roles and owner.branch_id is not None
          and (actor.kind in ("api_client", "system")
               or can_see_customer(actor, owner_id=owner.id, team_id=owner.team_id, branch_id=owner.branch_id)))
    if not ok:
        errors.append(FieldError("owner_id", "value.not_an_rm"))
        return None
    return owner


def stored_identity(row: Customer, field: str) -> Any:
    """The stored value of `field` to compare an incoming one with (decrypting the ID number and phone)."""
    if field == "id_number":
        return pii.stored_id_number(row)
    if field == "phone":
        return pii.stored_phone(row)
    return getattr(row, field)
