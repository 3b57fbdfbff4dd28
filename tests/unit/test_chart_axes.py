"""Chart axes count money as the reader does: 万 and 亿 in Chinese, k / M / B in English (state/charts.py)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from state.charts import money_axis, money_tick, month_axis, nice_ticks


@pytest.mark.parametrize("value, zh, en", [
    (0, "0", "0"), (5_000, "5000", "5k"), (200_000, "20万", "200k"), (1_750_000, "175万", "1.75M"),
    (150_000_000, "1.5亿", "150M"), (2_000_000_000, "20亿", "2B"), (-300_000, "-30万", "-300k"),
])
def test_a_tick_reads_in_the_readers_unit(value, zh, en):
    assert money_tick(value, "zh_CN") == zh and money_tick(value, "en") == en


def test_the_axis_of_a_customers_aum_in_chinese():
    axis = money_axis([[900_000, 1_750_000], [0, 0]], "zh_CN")
    assert axis["ticktext"] == ["0", "50万", "100万", "150万", "200万"]
    assert axis["range"] == [0, 2_000_000]


@given(st.floats(min_value=0, max_value=1e12), st.floats(min_value=1, max_value=1e12))
def test_ticks_cover_the_values_with_a_handful_of_round_steps(low, span):
    high = low + span
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high * (1 - 1e-9)
    assert 2 <= len(ticks) <= 13


@pytest.mark.parametrize("n, step", [(1, "M1"), (3, "M1"), (6, "M1"), (7, "M2"), (12, "M2"), (24, "M4")])
def test_month_ticks_never_repeat_a_month(n, step):
    months = [f"2025-{m:02d}-01" for m in range(1, 13)] + [f"2026-{m:02d}-01" for m in range(1, 13)]
    axis = month_axis(months[:n])
    assert axis["dtick"] == step and axis["tick0"] == "2025-01-01" and axis["tickformat"] == "%Y-%m"
