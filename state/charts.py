"""Chart axes in the reader's units: 万 and 亿 in Chinese, k / M / B in English.

Plotly formats ticks with d3-format, whose SI prefixes (k, M, G) are English only: a Chinese reader counts in
万 (10^4) and 亿 (10^8), so "200k" should read "20万" and "1.5G" "15亿". Plotly takes explicit tick values and
texts, so the axis is laid out here: a "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about five
ticks from zero (or the lowest value) to the highest, each labelled in the locale's unit.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterable

_ZH_UNITS = ((10**8, "亿"), (10**4, "万"))
_EN_UNITS = ((10**9, "B"), (10**6, "M"), (10**3, "k"))
_STEPS = (1, 2, 2.5, 5, 10)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` evenly spaced round values covering [low, high] (low is 0 for amounts that start there)."""
    low, high = min(low, high), max(low, high)
    if high == low:
        high = low + (abs(low) or 1)
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in _STEPS if s * power >= raw)
    ticks = [round(math.floor(low / step) * step, 10)]
    while ticks[-1] < high and len(ticks) < 13:
        ticks.append(round(ticks[0] + step * len(ticks), 10))
    return ticks


def _short(number: float) -> str:
    """1.5, 20, 2.25 without trailing zeros."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money_tick(value: float, locale: str) -> str:
    """One tick's text: 200000 -> "20万" (zh_CN) / "200k" (en); 150000000 -> "1.5亿" / "150M"."""
    if value == 0:
        return "0"
    units = _EN_UNITS if locale == "en" else _ZH_UNITS
    for size, unit in units:
        if abs(value) >= size:
            return f"{_short(value / size)}{unit}"
    return _short(value)


def money_axis(series: Iterable[Iterable[Decimal | float | int]], locale: str, *, from_zero: bool = True) -> dict:
    """Plotly axis settings (tickvals, ticktext, range) for the values of every series drawn on the axis."""
    values = [float(v) for s in series for v in s]
    if not values:
        return {}
    high, low = max(values), min(values)
    ticks = nice_ticks(min(low, 0.0) if from_zero else low, high)
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [money_tick(v, locale) for v in ticks],
            "range": [ticks[0], ticks[-1]]}


def month_axis(months: list[str]) -> dict:
    """A date axis of month starts with one tick every 1, 2, 3, 4 or 6 months: at most about six ticks, never
    the same month twice (Plotly's own spacing labels a three-month history 2026-09, 2026-09, 2026-10 ...)."""
    step = next((s for s in (1, 2, 3, 4, 6, 12) if len(months) <= 6 * s), 12)
    return {"type": "date", "tickformat": "%Y-%m", "dtick": f"M{step}", **({"tick0": months[0]} if months else {})}
