"""Validators for PRC identity data: resident ID numbers, mobile phones, USCC codes.

Pure functions, no I/O. Every normaliser returns the canonical stored form or raises
:class:`InvalidValue` carrying a stable message ``code`` (translated elsewhere, in
``services.errors``) and the ``field`` it concerns.

Input is NFKC-normalised first, so full-width digits and letters typed on Chinese
input methods ("１３８…", "ｘ") are accepted.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

from services import clock

__all__ = [
    "InvalidValue",
    "normalize_id_number",
    "id_number_birth_date",
    "id_number_gender",
    "id_check_digit",
    "make_id_number",
    "normalize_phone",
    "normalize_uscc",
    "uscc_check_char",
    "USCC_CHARSET",
]


class InvalidValue(ValueError):
    """A user-supplied value failed validation.

    ``code`` is a stable message key such as ``"id_number.checksum"``; ``field`` names the
    input (defaults to the part of the code before the first dot). ``params`` carries
    optional values for the translated message.
    """

    def __init__(self, code: str, field: str | None = None, **params: object) -> None:
        self.code = code
        self.field = field if field is not None else code.split(".", 1)[0]
        self.params = params
        super().__init__(code)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"InvalidValue(code={self.code!r}, field={self.field!r})"


def _clean(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"expected str, got {type(raw).__name__}")
    return unicodedata.normalize("NFKC", raw)


# --------------------------------------------------------------------------------------
# Resident identity card number, GB 11643-1999
# --------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_MAP = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9]\d{16}[\dX]")
_FIRST17 = re.compile(r"\d{17}")
_ID_STRIP = re.compile(r"[\s\-]+")


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if not _FIRST17.fullmatch(first17):
        raise InvalidValue("id_number.format")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_MAP[total % 11]


def _parse_birth(digits8: str) -> date | None:
    try:
        return date(int(digits8[0:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def normalize_id_number(raw: str, *, today: date | None = None) -> str:
    """Return the canonical 18-character ID number or raise :class:`InvalidValue`.

    Spaces (and hyphens) are removed and a trailing ``x`` is upper-cased. Checks, in order:
    shape (``id_number.format``: 18 chars, 17 digits then digit/X, region first digit 1-9),
    birth date (``id_number.birth_date``: real date, year >= 1900, not after ``today``),
    check digit (``id_number.checksum``). Legacy 15-digit numbers are rejected as format.
    """
    s = _ID_STRIP.sub("", _clean(raw)).upper()
    if not _ID_SHAPE.fullmatch(s):
        raise InvalidValue("id_number.format")
    birth = _parse_birth(s[6:14])
    if birth is None or birth.year < 1900 or birth > (today or clock.today()):
        raise InvalidValue("id_number.birth_date")
    if id_check_digit(s[:17]) != s[17]:
        raise InvalidValue("id_number.checksum")
    return s


def id_number_birth_date(n: str) -> date:
    """Birth date encoded in a (valid) ID number."""
    s = normalize_id_number(n)
    birth = _parse_birth(s[6:14])
    assert birth is not None  # validated above
    return birth


def id_number_gender(n: str) -> Literal["male", "female"]:
    """Gender encoded in the 17th digit: odd is male, even is female."""
    s = normalize_id_number(n)
    return "male" if int(s[16]) % 2 == 1 else "female"


def make_id_number(region: str, birth: date, seq: int) -> str:
    """Build a valid ID number (used by the demo seeder and tests).

    ``region`` is the 6-digit administrative division code (first digit 1-9), ``seq`` the
    3-digit sequence 0..999 (its last digit decides gender: odd male, even female).
    """
    if not re.fullmatch(r"[1-9]\d{5}", region or ""):
        raise InvalidValue("id_number.format")
    if not 0 <= seq <= 999:
        raise InvalidValue("id_number.format")
    if not 1900 <= birth.year <= 9999:
        raise InvalidValue("id_number.birth_date")
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return normalize_id_number(first17 + id_check_digit(first17))


# --------------------------------------------------------------------------------------
# Mainland mobile phone numbers
# --------------------------------------------------------------------------------------

_PHONE = re.compile(r"1[3-9]\d{9}")
_PHONE_STRIP = re.compile(r"[\s\-().]+")


def normalize_phone(raw: str) -> str:
    """Return the 11-digit mainland mobile number or raise ``InvalidValue("phone.format")``.

    Accepts separators (spaces, hyphens, dots, parentheses) and a country prefix
    ``+86`` / ``0086`` / ``86``. Idempotent.
    """
    s = _PHONE_STRIP.sub("", _clean(raw))
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if not _PHONE.fullmatch(s):
        raise InvalidValue("phone.format")
    return s


# --------------------------------------------------------------------------------------
# Unified social credit code, GB 32100-2015
# --------------------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Positions 1-2: registration authority + category, 3-8: region code (digits),
# 9-17: organisation code, 18: check character.
_USCC_SHAPE = re.compile(r"[%s]{2}\d{6}[%s]{10}" % (USCC_CHARSET, USCC_CHARSET))
_USCC_STRIP = re.compile(r"[\s\-]+")


def uscc_check_char(first17: str) -> str:
    """Check character for the first 17 characters of a USCC (31 - sum mod 31; 31 -> 0)."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise InvalidValue("uscc.format")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Return the canonical 18-character USCC (upper case) or raise :class:`InvalidValue`."""
    s = _USCC_STRIP.sub("", _clean(raw)).upper()
    if not _USCC_SHAPE.fullmatch(s):
        raise InvalidValue("uscc.format")
    if uscc_check_char(s[:17]) != s[17]:
        raise InvalidValue("uscc.checksum")
    return s
