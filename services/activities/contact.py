"""Contact with a customer who asked not to be contacted.

A customer withdraws consent to be contacted ("do not contact": the consent purpose `contact`,
services/customers/consent.py). What then of a call, a visit or a meeting?

- Refusing to *record* one would be wrong: the contact happened (the customer rang us, or we owed them a
  notice), and a CRM that will not hold it hides exactly what a reviewer needs to see.
- Recording it silently would be wrong too: nothing would stop an RM from calling a do-not-contact customer
  to sell, and nothing would show that it happened.

So the service refuses a call, visit or meeting with a do-not-contact customer unless it states the lawful
basis: the customer contacted us (`customer_initiated`) or the firm owes them the contact — an account or
regulatory notice, complaint handling (`service_obligation`). Selling is never a basis. The basis is stored on
the interaction and in its audit event, so the exceptions can be reviewed. A note is not contact and is never
restricted. Withdrawn *marketing* consent does not restrict service contact; the 360 page warns of it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.activities.models import ContactBasis, InteractionKind
from services.customers import consent
from services.errors import FieldError, ValidationFailed

CONTACT_KINDS = frozenset({InteractionKind.CALL, InteractionKind.VISIT, InteractionKind.MEETING})


@dataclass(frozen=True)
class ContactRestrictions:
    do_not_contact: bool
    marketing_withdrawn: bool


def restrictions(session: Session, customer_id: int) -> ContactRestrictions:
    withdrawn = consent.withdrawn_purposes(session, customer_id)
    return ContactRestrictions(do_not_contact="contact" in withdrawn, marketing_withdrawn="marketing" in withdrawn)


def contact_basis(session: Session, customer_id: int, kind: InteractionKind,
                  basis: ContactBasis | None) -> ContactBasis | None:
    """The basis to store with an interaction: required for contact with a do-not-contact customer, dropped
    where it does not apply (a system that always sends one is not refused for it), so a stored basis always
    means the customer had asked not to be contacted."""
    if kind not in CONTACT_KINDS or not restrictions(session, customer_id).do_not_contact:
        return None
    if basis is None:
        raise ValidationFailed([FieldError("contact_basis", "contact.basis_required")])
    return basis
