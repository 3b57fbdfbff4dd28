"""Display masks for sensitive fields (applied in services before data leaves them).

All functions return ``None`` / ``""`` unchanged. Known canonical shapes get the house
format (ID ``110101********1234``, phone ``138****5678``, account ``6222 **** **** 0123``);
anything else falls back to a generic mask that always hides at least half the characters.
"""
from __future__ import annotations

import re
from typing import overload

__all__ = ["mask_id_number", "mask_phone", "mask_email", "mask_bank_account", "mask_generic"]

STAR = "*"


def mask_generic(value: str, head: int, tail: int) -> str:
    """Keep up to ``head`` leading and ``tail`` trailing characters, star the rest.

    Length is preserved. The kept part shrinks (the longer side first) until at least half the
    characters (rounded up) are hidden; values of 1-2 characters are fully hidden.
    """
    n = len(value)
    min_hidden = max((n + 1) // 2, 1)
    head, tail = max(head, 0), max(tail, 0)
    while head + tail > n - min_hidden:
        if head >= tail:
            head -= 1
        else:
            tail -= 1
    if n <= 2:
        head = tail = 0
    return value[:head] + STAR * (n - head - tail) + (value[n - tail:] if tail else "")


@overload
def mask_id_number(value: None) -> None: ...
@overload
def mask_id_number(value: str) -> str: ...
def mask_id_number(value: str | None) -> str | None:
    """``110101199003071234`` -> ``110101********1234`` (region and last 4 kept).

    Other lengths (passports, legacy 15-digit IDs, foreign IDs) keep at most the first 3
    and last 2 characters, never more than half, so no more than 10 characters are shown.
    """
    if not value:
        return value
    s = value.strip()
    if len(s) == 18:
        return s[:6] + STAR * 8 + s[-4:]
    return mask_generic(s, 3, 2)


_PHONE_NOISE = re.compile(r"[\s\-().]+")
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")


@overload
def mask_phone(value: None) -> None: ...
@overload
def mask_phone(value: str) -> str: ...
def mask_phone(value: str | None) -> str | None:
    """``13856785678`` -> ``138****5678``; other numbers: generic mask over the digits,
    keeping separators, showing at most the first 3 and last 4 digits and never more than
    half of them."""
    if not value:
        return value
    compact = _PHONE_NOISE.sub("", value)
    m = _MOBILE.fullmatch(compact)
    if m:
        d = m.group(1)
        return d[:3] + STAR * 4 + d[-4:]
    digits = [c for c in value if c.isdigit()]
    if not digits:
        return mask_generic(value, 1, 1)
    masked = iter(mask_generic("".join(digits), 3, 4))
    return "".join(next(masked) if c.isdigit() else c for c in value)


@overload
def mask_email(value: None) -> None: ...
@overload
def mask_email(value: str) -> str: ...
def mask_email(value: str | None) -> str | None:
    """``zhangsan@example.com`` -> ``zh******@example.com`` (domain kept, local part keeps
    at most 2 leading characters and never more than half)."""
    if not value:
        return value
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return mask_generic(value, 2, 0)
    return mask_generic(local, 2, 0) + "@" + domain


@overload
def mask_bank_account(value: None) -> None: ...
@overload
def mask_bank_account(value: str) -> str: ...
def mask_bank_account(value: str | None) -> str | None:
    """``6222021234567890123`` -> ``6222 **** **** 0123``.

    12+ characters: first 4 (bank BIN) and last 4; 8-11: ``**** 1234``; shorter: ``****``.
    The masked form has a fixed shape so it does not reveal the account's length.
    """
    if not value:
        return value
    s = re.sub(r"[\s\-]+", "", value)
    if len(s) >= 12:
        return f"{s[:4]} **** **** {s[-4:]}"
    if len(s) >= 8:
        return f"**** {s[-4:]}"
    return STAR * 4
