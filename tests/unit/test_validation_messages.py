"""A refused value says what is wrong with it, never a bare "is not valid": an amount that is no number, a
date in the wrong form or one that does not exist, a number out of its range, an empty required text
(issue 9, point 7: filter errors that said only "invalid")."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import Field

from services.errors import ValidationFailed
from services.validation.dates import BusinessDate
from services.validation.input import StrictInput, parse


class _Form(StrictInput):
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e13"))
    rate: Decimal | None = Field(default=None, gt=0, lt=1)
    day: BusinessDate | None = None
    count: int | None = Field(default=None, ge=1, le=100)
    name: str | None = Field(default=None, min_length=1, max_length=10)


@pytest.mark.parametrize("data, code, params", [
    ({"amount": "lots"}, "value.not_a_number", {}),
    ({"amount": "NaN"}, "value.not_a_number", {}),
    ({"amount": "-5"}, "value.below_min", {"min": "0"}),
    ({"amount": "1e20"}, "value.above_max", {"max": "10000000000000"}),
    ({"rate": "0"}, "value.must_exceed", {"min": "0"}),
    ({"rate": "1.5"}, "value.must_be_below", {"max": "1"}),
    ({"day": "May 1"}, "date.format", {}),
    ({"day": "2026-02-30"}, "date.invalid", {}),
    ({"day": "2026-13-01"}, "date.invalid", {}),
    ({"count": "many"}, "value.not_a_whole_number", {}),
    ({"count": "0"}, "value.below_min", {"min": 1}),
    ({"name": ""}, "value.required", {}),
])
def test_a_refused_value_is_told_what_is_wrong(data, code, params):
    with pytest.raises(ValidationFailed) as refused:
        parse(_Form, data)
    (error,) = refused.value.errors
    assert (error.field, error.code, error.params) == (next(iter(data)), code, params)
    for locale in ("zh_CN", "en"):
        text = refused.value.message(locale)
        assert "is not valid" not in text and "无效" not in text and error.code not in text


def test_good_values_pass():
    form = parse(_Form, {"amount": "12.50", "day": "2026-02-28", "count": "3", "name": "x"})
    assert form.amount == Decimal("12.50") and form.day == date(2026, 2, 28) and form.count == 3
