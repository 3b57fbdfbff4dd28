"""The weekly report's charts as SVG: the same rollup figures the dashboards draw (services/analytics/figures.py),
drawn by Plotly and exported by Plotly's own static exporter, Kaleido, in the recipient's language.

Kaleido (v1) renders with a headless Chromium already on the machine (FINCRM_CHROMIUM_PATH, /usr/bin/chromium by
default) and the plotly.js that ships inside the plotly package: nothing is downloaded (MathJax, which it would
fetch from a CDN, is switched off). One browser draws all of a report's charts. The SVG keeps its text as text, so
WeasyPrint puts vector drawings with searchable titles and axis labels in the PDF.

Amounts are drawn in the reader's unit: 万元 in Chinese, CNY thousands in English, said in the axis title.
"""
from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from services.analytics.figures import FigureData
from services.errors import DomainError
from services.i18n import translate
from services.settings import get_settings

FONT = "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Micro Hei, sans-serif"
WIDTH, HEIGHT = 720, 330
PALETTE = ("#3e63dd", "#12a594", "#f76b15", "#8e4ec6", "#e5484d", "#978365", "#0090ff")


class ChartsUnavailable(DomainError):
    """The charts could not be drawn (no Chromium at the configured path, or it failed)."""

    code = "report.charts_unavailable"
    http_status = 503


def _unit(loc: str) -> tuple[float, str]:
    """(divisor, axis title suffix) for amounts: 万元 in Chinese, thousands of CNY in English."""
    return (10_000.0, "report.unit.wan") if loc != "en" else (1_000.0, "report.unit.thousand")


def _short_day(iso: str) -> str:
    d = date.fromisoformat(iso[:10])
    return f"{d.month:02d}-{d.day:02d}"


def _layout(title: str, loc: str, **axes: Any) -> dict:
    return {"title": {"text": title, "x": 0.01, "font": {"size": 16}}, "font": {"family": FONT, "size": 12},
            "width": WIDTH, "height": HEIGHT, "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
            "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(PALETTE),
            "legend": {"orientation": "h", "y": -0.2, "x": 0}, "separators": ".,", **axes}


def aum_trend(fig: FigureData, loc: str) -> go.Figure | None:
    """AUM by customer segment over the last 90 days (stacked areas)."""
    if not fig.series:
        return None
    div, unit_key = _unit(loc)
    traces = [go.Scatter(x=s.x, y=[v / div for v in s.y], name=translate(f"report.segment.{s.key}", loc),
                         mode="lines", stackgroup="aum", line={"width": 1}) for s in fig.series]
    axis_title = translate("report.axis.aum", loc, unit=translate(unit_key, loc))
    return go.Figure(traces, _layout(
        translate("report.chart.aum_trend", loc), loc,
        xaxis={"type": "date", "tickformat": "%m-%d", "gridcolor": "#eee",
               "title": {"text": translate("report.axis.date", loc)}},
        yaxis={"title": {"text": axis_title}, "gridcolor": "#eee", "rangemode": "tozero", "tickformat": ",.0f"}))


def pipeline_funnel(fig: FigureData, loc: str) -> go.Figure | None:
    """How many of the quarter's opportunities reached each stage, and each step's conversion."""
    rows = [r for r in fig.rows if r["stage"] != "lost"]
    if not any(r["count"] for r in rows):
        return None
    labels = [translate(f"report.stage.{r['stage']}", loc) for r in rows]
    texts = [f"{r['count']:,}" + ("" if r["conversion_pct"] is None else f" ({r['conversion_pct']}%)") for r in rows]
    # The counts beside the bars (inside, a small bar hides them): "355 (41.4%)".
    trace = go.Funnel(y=labels, x=[r["count"] for r in rows], text=texts, textinfo="text", textposition="outside",
                      marker={"color": list(PALETTE[:len(rows)])}, textfont={"color": "#1c2024"})
    return go.Figure([trace], _layout(
        translate("report.chart.funnel", loc), loc, margin={"l": 110, "r": 80, "t": 50, "b": 20}))


def sales_by_type(fig: FigureData, loc: str) -> go.Figure | None:
    """The week's sales, day by day, stacked by product type."""
    if not fig.series:
        return None
    div, unit_key = _unit(loc)
    traces = [go.Bar(x=[_short_day(x) for x in s.x], y=[v / div for v in s.y],
                     name=translate(f"report.type.{s.key}", loc)) for s in fig.series]
    return go.Figure(traces, _layout(
        translate("report.chart.sales_by_type", loc), loc, barmode="stack",
        xaxis={"type": "category", "title": {"text": translate("report.axis.date", loc)}},
        yaxis={"title": {"text": translate("report.axis.sales", loc, unit=translate(unit_key, loc))},
               "gridcolor": "#eee", "tickformat": ",.0f"}))


def _chromium() -> str:
    path = get_settings().chromium_path
    found = shutil.which(str(path)) if path else None
    if not found or not Path(found).is_file():
        raise ChartsUnavailable(path=str(path))
    return found


async def _render(figures: list[go.Figure], browser: str) -> list[str]:
    import kaleido

    async with kaleido.Kaleido(n=1, timeout=60, mathjax=False, path=browser) as k:
        out = []
        for f in figures:
            data = await k.calc_fig(f, opts={"format": "svg", "width": WIDTH, "height": HEIGHT})
            out.append(data.decode("utf-8"))
        return out


def to_svg(figures: list[go.Figure]) -> list[str]:
    """Each figure as an SVG document, drawn by one headless Chromium. Runs its own event loop in a worker
    thread, so it works from a scheduler thread, the CLI, or code that already runs inside an event loop."""
    if not figures:
        return []
    browser = _chromium()
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(asyncio.run, _render(figures, browser)).result(timeout=180)
        except ChartsUnavailable:
            raise
        except Exception as exc:  # the browser failed to start or to draw: the report is not made without its charts
            raise ChartsUnavailable(path=browser, reason=type(exc).__name__) from exc
