"""Which customer rows an actor may reach, and how their sensitive fields look to him.

`load_customer` is the one gate for a single customer (refusing out-of-scope ones exactly as missing ones);
`present*` apply the field policy (services/security/policy.py) before a value leaves the services.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from services import holds
from services.customers import search as customer_search
from services.customers.models import Customer
from services.errors import FieldError, NotFound, OutOfScope, ValidationFailed
from services.security.actor import Actor
from services.security.keys import get_cipher
from services.security.masking import mask_bank_account, mask_email, mask_id_number, mask_phone
from services.security.policy import Access, can_see_customer, client_has_customer, field_access

ID_CONTEXT = customer_search.ID_CONTEXT
PHONE_CONTEXT = customer_search.PHONE_CONTEXT

_MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "email": mask_email,
            "address": lambda v: (v[:6] + "****") if v else v, "account_no": mask_bank_account}


def load_customer(session: Session, actor: Actor, customer_id: Any) -> Customer:
    """The customer row if it exists and lies in the actor's data scope."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not 0 < customer_id < 2**62:
        raise ValidationFailed([FieldError("customer_id", "value.invalid")])
    row = session.get(Customer, customer_id)
    # A customer of an import that has not finished does not exist yet for anyone (services/holds.py) but the
    # import writing it: its own reactions to the new customers (AML rating, tags) reach them.
    if row is None or (row.hold_id is not None and row.hold_id != holds.current(session)
                       and holds.is_open(session, row.hold_id)):
        raise NotFound(what="customer", id=customer_id)
    if not can_see_customer(actor, owner_id=row.owner_id, team_id=row.team_id, branch_id=row.branch_id,
                            linked_to_client=client_has_customer(session, actor, row.id)):
        # Answered as "not found", so that nobody learns which customer ids exist; audited as a refusal.
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=customer_id, what="customer", id=customer_id)
    return row


def present(actor: Actor, field: str, value: str | None) -> str | None:
    """The value as this actor may see it: in full, masked, or not at all."""
    access = field_access(actor, field)
    if value is None or access is Access.HIDDEN:
        return None
    if access is Access.VISIBLE:
        return value
    return _MASKERS[field](value)


def present_encrypted(actor: Actor, field: str, token: str | None, context: str) -> str | None:
    """Like `present`, for an encrypted column; decrypts only when something will be shown."""
    return present_with(field_access(actor, field), field, token, context)


def present_stored_mask(actor: Actor, field: str, masked: str | None, token: str | None,
                        context: str) -> str | None:
    """For the ID number and phone, whose masks are stored: the mask, or the decrypted value for a
    role that sees the field in full, or nothing."""
    return list_value(field_access(actor, field), context)(masked, token)


def present_with(access: Access, field: str, token: str | None, context: str) -> str | None:
    if token is None or access is Access.HIDDEN:
        return None
    value = decrypt(token, context)
    return value if access is Access.VISIBLE else _MASKERS[field](value)


def list_value(access: Access, context: str):
    """How a list shows a sensitive field for this access: (stored mask, ciphertext) -> value.
    Masked roles get the stored mask, so a page decrypts nothing."""
    if access is Access.HIDDEN:
        return lambda masked, token: None
    if access is Access.VISIBLE:
        return lambda masked, token: decrypt(token, context)
    return lambda masked, token: masked


def decrypt(token: str | None, context: str) -> str | None:
    return None if token is None else get_cipher().decrypt(token, context=context)


def masked_change(field: str, value: Any) -> Any:
    """A value as the audit trail and other systems get it: sensitive fields masked, dates and amounts as
    text."""
    if field in _MASKERS and isinstance(value, str):
        return _MASKERS[field](value)
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value
