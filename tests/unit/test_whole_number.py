"""Ids and counts from untrusted input: ASCII digits or ints only, in range, never a ValueError."""
from __future__ import annotations

import pytest

from services.validation.input import whole_number


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (12, 12), ("0012", 12),
    ("²", None), ("①", None), ("٣", None), ("1" * 40, None), (10**20, None), ("", None), (" 1", None),
    ("-1", None), ("1.0", None), (True, None), (None, None), ([1], None), (0, None),
])
def test_whole_number(value, expected):
    assert whole_number(value) == expected


def test_whole_number_bounds():
    assert whole_number("0", low=0, high=3) == 0
    assert whole_number("3", low=0, high=3) is None
    assert whole_number(60, high=61) == 60 and whole_number(61, high=61) is None
