"""Money and time column types: exact, and never naive."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from services.types import Money, ScaledDecimal, UTCDateTime


@given(st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False))
def test_money_round_trips_exactly(value):
    t = Money()
    stored = t.process_bind_param(value, sqlite.dialect())
    assert isinstance(stored, int)
    assert t.process_result_value(stored, sqlite.dialect()) == value


def test_money_refuses_sub_cent_amounts():
    with pytest.raises(ValueError):
        Money().process_bind_param(Decimal("1.005"), sqlite.dialect())


def test_quantity_keeps_four_places():
    t = ScaledDecimal(4)
    assert t.process_result_value(t.process_bind_param(Decimal("1.2345"), None), None) == Decimal("1.2345")


def test_naive_datetimes_are_refused_and_results_are_utc():
    t = UTCDateTime()
    with pytest.raises(ValueError):
        t.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())
    aware = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    stored = t.process_bind_param(aware, sqlite.dialect())
    assert t.process_result_value(stored, sqlite.dialect()) == aware
    assert t.process_bind_param(aware, postgresql.dialect()).tzinfo is not None
