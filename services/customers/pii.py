"""The stored forms of a customer's ID number and phone, written together everywhere.

Each value is kept four ways: AES-GCM ciphertext (the value itself, for reveal and edits),
a keyed blind index (exact search), the last 4 characters (search box), and the display
mask (what lists and every role without an audited reveal are shown). Storing the mask
means a page of 20 customers needs no decryption at all; it holds nothing the least
privileged staff role does not already see (ID region + last 4, phone prefix + last 4).
"""
from __future__ import annotations

from services.customers.search import ID_CONTEXT, PHONE_CONTEXT, id_blind_index, phone_blind_index
from services.security.keys import get_cipher
from services.security.masking import mask_id_number, mask_phone


def id_number_columns(id_type: str, number: str) -> dict[str, str]:
    """Customer columns for a validated, normalised ID number."""
    return {"id_type": id_type, "id_number_enc": get_cipher().encrypt(number, context=ID_CONTEXT),
            "id_number_bidx": id_blind_index(id_type, number), "id_last4": number[-4:],
            "id_number_masked": mask_id_number(number)}


def phone_columns(phone: str | None) -> dict[str, str | None]:
    """Customer columns for a validated, normalised phone number, or all empty for none."""
    if not phone:
        return {"phone_enc": None, "phone_bidx": None, "phone_last4": None, "phone_masked": None}
    return {"phone_enc": get_cipher().encrypt(phone, context=PHONE_CONTEXT),
            "phone_bidx": phone_blind_index(phone), "phone_last4": phone[-4:], "phone_masked": mask_phone(phone)}


def stored_id_number(customer) -> str:
    """The customer's ID number in full, for the service's own comparisons (never for display)."""
    return get_cipher().decrypt(customer.id_number_enc, context=ID_CONTEXT)


def stored_phone(customer) -> str | None:
    """The customer's phone in full, for the service's own comparisons (never for display)."""
    return None if customer.phone_enc is None else get_cipher().decrypt(customer.phone_enc, context=PHONE_CONTEXT)
