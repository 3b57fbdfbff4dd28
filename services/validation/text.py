"""What a text field may hold: characters a person can see, displayed the way they are stored.

Control characters corrupt exports and logs; bidirectional overrides and zero-width characters make a
name or a file name display differently from what is stored (``invoice\u202efdp.exe`` shows as
``invoiceexe.pdf``), so two customers can look identical on screen; a lone surrogate is not text at all
(it cannot be encoded as UTF-8, and hashing or storing it fails). Every text field FinCRM takes from
outside refuses all three, with the reason as a message code.
"""
from __future__ import annotations

import re

# C0 controls other than tab and line breaks, DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides, isolates and marks; zero-width and other invisible formatting
# characters (ZWSP, ZWNJ, ZWJ, word joiner, invisible operators, BOM, Mongolian vowel separator).
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# All three at once: one search for the usual clean value (ingest checks every text field of 10,000 rows).
_ANY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e"
                  "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")

CONTROL = "value.control_characters"
INVISIBLE = "value.invisible_characters"
ENCODING = "value.invalid_encoding"


def text_problem(value: str) -> str | None:
    """The message code of what is wrong with `value`, or None when it is plain visible text."""
    if not _ANY.search(value):
        return None
    if _SURROGATE.search(value):
        return ENCODING
    if _CONTROL.search(value):
        return CONTROL
    if _INVISIBLE.search(value):
        return INVISIBLE
    return None


def strip_invisible(value: str) -> str:
    """`value` without control, invisible and surrogate characters: for text we must keep but only
    display (a sender's file name in a download header), never for what a person typed into a field."""
    return _INVISIBLE.sub("", _CONTROL.sub("", _SURROGATE.sub("\ufffd", value)))
