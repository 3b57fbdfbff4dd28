"""The dashboard page's state (/dashboard): the figures of the actor's scope as Plotly charts, the filter bar, the key
figures above the charts, and the drill-down list of the customers behind a clicked bar.

Thin: the figures, the check of the filters against the actor's scope and the drill-down come from
services/analytics (figures, filters, drilldown); here they become charts and words in the reader's language.
Amount axes are laid out by state/charts.py (万/亿 in Chinese, k/M in English). The drill-down key of every point
stays on the server (`_bars`): a click sends only which chart, which trace and which point.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from services import clock
from services.analytics import drilldown as drill_service
from services.analytics import live
from services.analytics import nba as nba_service
from services.analytics import figures as figure_service
from services.analytics.figures import FigureData
from services.analytics.filters import units
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid
from services.i18n import format_date, format_money, format_number, translate
from services.validation.input import whole_number
from state.charts import money_axis, money_tick, month_axis
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

# The charts the page draws, in order (the names of services/analytics/figures.FIGURES).
CHARTS = ("aum_trend", "aum_unit_trend", "aum_by_unit", "customers_new_lost", "pipeline_funnel", "sales_by_type", "sales_by_risk",
          "rm_leaderboard", "channel_quality", "repurchase_rate", "sales_forecast", "nba_conversion")
PRODUCT_TYPES = figure_service.PRODUCT_TYPES
COLORS = ("#3e63dd", "#30a46c", "#f76b15", "#8e4ec6", "#e5484d", "#12a594", "#ffb224", "#6f6e77")
CURRENCY = "CNY"
_FONT = "-apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"


# ---------------------------------------------------------------- figures as charts (plain functions, tested)

def _layout(height: int = 260, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(
        autosize=True, height=height, margin=dict(l=8, r=8, t=8, b=8), paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)", font=dict(size=11, family=_FONT),
        legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, font=dict(size=11)),
        hoverlabel=dict(font=dict(size=12)), clickmode="event", dragmode=False)
    layout.update(extra)
    return layout


def _code(kind: str, key: str, locale: str) -> str:
    """A code (segment, product type, channel, stage ...) in words."""
    keys = {"segment": f"segment.{key}", "type": f"product.{key}", "channel": f"channel.{key}",
            "stage": f"dash.stage.{key}", "risk": f"dash.risk.{key}", "series": f"dash.series.{key}",
            "kind": f"dash.nba.{key}"}
    return label(keys[kind], locale)


def _money_hover(values: list[float], locale: str) -> list[str]:
    return [format_money(Decimal(str(v)), CURRENCY, locale) for v in values]


def _x_axis(data: FigureData, xs: list[str]) -> dict:
    if data.x_kind == "month" and xs:
        return dict(**month_axis(xs), showgrid=False, fixedrange=True)
    if data.x_kind in ("date", "month"):
        # Dates as numbers, never Plotly's English month names: "2026-03" month by month, "03-14" day by day.
        daily = len(xs) > 1 and (date.fromisoformat(xs[1]) - date.fromisoformat(xs[0])).days <= 1
        return dict(type="date", tickformat="%m-%d" if daily else "%Y-%m", showgrid=False, fixedrange=True,
                    automargin=True)
    return dict(type="category", showgrid=False, fixedrange=True, automargin=True)


def compact_money(value: Decimal | float, locale: str) -> str:
    """A key figure short enough for its tile: ¥1.44亿 / ¥143.56M (the table and the tooltip keep the cents)."""
    amount = float(value)
    return ("-" if amount < 0 else "") + "¥" + money_tick(abs(amount), locale)


def _unit_names(data: FigureData, locale: str) -> list[str]:
    """Organisation units (branches, teams) in the reader's language; RMs by name."""
    if data.extra.get("unit") == "segment":
        return [_code("segment", x, locale) for x in data.series[0].x] if data.series else []
    if locale == "en" and data.rows:
        return [r.get("unit_en") or r.get("unit") for r in data.rows]
    return list(data.series[0].x) if data.series else []


def chart(name: str, data: FigureData, locale: str) -> go.Figure:
    """The Plotly figure of one dashboard figure, labelled in `locale`."""
    s = data.series
    if name == "aum_trend":
        totals = [sum(vals) for vals in zip(*(x.y for x in s))] if s else []
        traces = [go.Scatter(x=x.x, y=x.y, name=_code("segment", x.key, locale), stackgroup="aum", mode="lines",
                             line=dict(width=1.5, color=COLORS[i % len(COLORS)]),
                             customdata=_money_hover(x.y, locale),
                             hovertemplate="%{x}<br>%{customdata}<extra>" + _code("segment", x.key, locale)
                             + "</extra>") for i, x in enumerate(s)]
        return go.Figure(data=traces, layout=_layout(
            xaxis=_x_axis(data, s[0].x if s else []), yaxis=dict(**money_axis([totals], locale), fixedrange=True,
                                                                 gridcolor="#eceef0"), hovermode="x unified"))
    if name == "aum_unit_trend":
        if data.extra.get("unit") == "segment":
            names = [_code("segment", x.key, locale) for x in s]
        else:
            names = [(x.name_en if locale == "en" else x.name) or x.key for x in s]
        every = [v for x in s for v in x.y]
        traces = [go.Scatter(x=x.x, y=x.y, name=n, mode="lines", line=dict(width=2, color=COLORS[i % len(COLORS)]),
                             customdata=_money_hover(x.y, locale),
                             hovertemplate="%{x}<br>%{customdata}<extra>" + n + "</extra>")
                  for i, (x, n) in enumerate(zip(s, names))]
        return go.Figure(data=traces, layout=_layout(
            xaxis=_x_axis(data, s[0].x if s else []),
            yaxis=dict(**money_axis([every], locale), fixedrange=True, gridcolor="#eceef0"), hovermode="closest"))
    if name in ("aum_by_unit", "rm_leaderboard"):
        main = s[0] if s else None
        names = _unit_names(data, locale) if name == "aum_by_unit" else (list(main.x) if main else [])
        hover = []
        for i, r in enumerate(data.rows):
            if name == "aum_by_unit":
                growth = r.get("growth", 0)
                hover.append(label("dash.hover.growth", locale, amount=format_money(Decimal(str(growth)), CURRENCY,
                                                                                    locale)))
            else:
                hover.append(label("dash.hover.leader", locale,
                                   growth=format_money(Decimal(str(r["aum_growth"])), CURRENCY, locale),
                                   count=format_number(r["sales_count"], locale),
                                   activities=format_number(r["activities"], locale)))
        ys = list(main.y) if main else []
        trace = go.Bar(y=names[::-1], x=ys[::-1], orientation="h", marker=dict(color=COLORS[0]),
                       customdata=list(zip(_money_hover(ys, locale), hover))[::-1],
                       hovertemplate="%{y}<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>")
        height = max(220, 34 * len(ys) + 60)
        return go.Figure(data=[trace], layout=_layout(
            height=height, showlegend=False, xaxis=dict(**money_axis([ys], locale), fixedrange=True,
                                                        gridcolor="#eceef0"),
            yaxis=dict(fixedrange=True, automargin=True)))
    if name == "customers_new_lost":
        traces = [go.Bar(x=x.x, y=x.y, name=_code("series", x.key, locale),
                         marker=dict(color=COLORS[0] if x.key == "new" else COLORS[4]),
                         hovertemplate="%{x}<br>%{y}<extra>" + _code("series", x.key, locale) + "</extra>")
                  for x in s]
        return go.Figure(data=traces, layout=_layout(barmode="relative", xaxis=_x_axis(data, s[0].x if s else []),
                                                     yaxis=dict(fixedrange=True, gridcolor="#eceef0")))
    if name == "pipeline_funnel":
        main = s[0] if s else None
        stages = [_code("stage", x, locale) for x in (main.x if main else [])]
        rows = {r["stage"]: r for r in data.rows}
        text = []
        for x, y in zip(main.x if main else [], main.y if main else []):
            pct = rows.get(x, {}).get("conversion_pct")
            text.append(f"{format_number(int(y), locale)}" + (f" · {pct}%" if pct is not None else ""))
        trace = go.Bar(y=stages[::-1], x=list(main.y)[::-1] if main else [], orientation="h", text=text[::-1],
                       textposition="auto", marker=dict(color=COLORS[1]),
                       hovertemplate="%{y}: %{x}<extra></extra>")
        return go.Figure(data=[trace], layout=_layout(showlegend=False, xaxis=dict(fixedrange=True,
                                                                                   gridcolor="#eceef0"),
                                                      yaxis=dict(fixedrange=True, automargin=True)))
    if name in ("sales_by_type", "sales_by_risk"):
        kind = "type" if name == "sales_by_type" else "risk"
        totals = [sum(vals) for vals in zip(*(x.y for x in s))] if s else []
        traces = [go.Bar(x=x.x, y=x.y, name=_code(kind, x.key, locale), marker=dict(color=COLORS[i % len(COLORS)]),
                         customdata=_money_hover(x.y, locale),
                         hovertemplate="%{x}<br>%{customdata}<extra>" + _code(kind, x.key, locale) + "</extra>")
                  for i, x in enumerate(s)]
        return go.Figure(data=traces, layout=_layout(
            barmode="stack", xaxis=_x_axis(data, s[0].x if s else []),
            yaxis=dict(**money_axis([totals], locale), fixedrange=True, gridcolor="#eceef0")))
    if name == "channel_quality":
        main = s[0] if s else None
        rows = {r["channel"]: r for r in data.rows}
        names = [_code("channel", x, locale) for x in (main.x if main else [])]
        hover = [label("dash.hover.channel", locale, acquired=format_number(rows[x]["acquired"], locale),
                       converted=format_number(rows[x]["converted"], locale),
                       aum=format_money(Decimal(str(rows[x]["aum_90d_per_customer"])), CURRENCY, locale))
                 for x in (main.x if main else [])]
        trace = go.Bar(x=names, y=list(main.y) if main else [], marker=dict(color=COLORS[3]), customdata=hover,
                       hovertemplate="%{x}: %{y}%<br>%{customdata}<extra></extra>")
        return go.Figure(data=[trace], layout=_layout(showlegend=False, xaxis=dict(fixedrange=True, automargin=True),
                                                      yaxis=dict(fixedrange=True, ticksuffix="%",
                                                                 gridcolor="#eceef0")))
    if name == "repurchase_rate":
        main = s[0] if s else None
        rows = {r["segment"]: r for r in data.rows}
        names = [_code("segment", x, locale) for x in (main.x if main else [])]
        hover = [label("dash.hover.repurchase", locale, buyers=format_number(rows[x]["buyers"], locale),
                       repeat=format_number(rows[x]["repeat_buyers"], locale)) for x in (main.x if main else [])]
        trace = go.Bar(x=names, y=list(main.y) if main else [], marker=dict(color=COLORS[5]), customdata=hover,
                       hovertemplate="%{x}: %{y}%<br>%{customdata}<extra></extra>")
        return go.Figure(data=[trace], layout=_layout(showlegend=False, xaxis=dict(fixedrange=True, automargin=True),
                                                      yaxis=dict(fixedrange=True, ticksuffix="%",
                                                                 gridcolor="#eceef0")))
    if name == "sales_forecast":
        by = {x.key: x for x in s}
        traces = []
        every = [v for x in s for v in x.y]
        if "high" in by and "low" in by:
            traces.append(go.Scatter(x=by["low"].x, y=by["low"].y, mode="lines", line=dict(width=0),
                                     hoverinfo="skip", showlegend=False))
            traces.append(go.Scatter(x=by["high"].x, y=by["high"].y, mode="lines", line=dict(width=0),
                                     fill="tonexty", fillcolor="rgba(62,99,221,0.15)", hoverinfo="skip",
                                     name=label("dash.series.band", locale)))
        if "actual" in by:
            traces.append(go.Scatter(x=by["actual"].x, y=by["actual"].y, mode="lines",
                                     name=label("dash.series.actual", locale), line=dict(color=COLORS[6], width=1.5),
                                     customdata=_money_hover(by["actual"].y, locale),
                                     hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
        if "forecast" in by:
            traces.append(go.Scatter(x=by["forecast"].x, y=by["forecast"].y, mode="lines",
                                     name=label("dash.series.forecast", locale),
                                     line=dict(color=COLORS[0], width=2, dash="dash"),
                                     customdata=_money_hover(by["forecast"].y, locale),
                                     hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
        return go.Figure(data=traces, layout=_layout(
            xaxis=dict(type="date", tickformat="%Y-%m", showgrid=False, fixedrange=True),
            yaxis=dict(**money_axis([every], locale), fixedrange=True, gridcolor="#eceef0")))
    if name == "nba_conversion":
        traces = [go.Bar(x=[_code("kind", k, locale) for k in x.x], y=x.y, name=label(f"dash.nba_outcome.{x.key}", locale),
                         marker=dict(color=COLORS[i % len(COLORS)]),
                         hovertemplate="%{x}: %{y}%<extra>" + label(f"dash.nba_outcome.{x.key}", locale) + "</extra>")
                  for i, x in enumerate(s)]
        return go.Figure(data=traces, layout=_layout(barmode="group", xaxis=dict(fixedrange=True, automargin=True),
                                                     yaxis=dict(fixedrange=True, ticksuffix="%",
                                                                gridcolor="#eceef0")))
    return go.Figure()


def bar_keys(name: str, data: FigureData) -> list[list[str]]:
    """For each trace of `chart(name, data)`, the drill-down key of each of its points, in the trace's order."""
    s = data.series
    if name in ("aum_by_unit", "rm_leaderboard", "pipeline_funnel"):
        return [list(s[0].bars)[::-1]] if s else []
    if name in ("channel_quality", "repurchase_rate"):
        return [list(s[0].bars)] if s else []
    if name == "sales_forecast":
        return []
    return [list(x.bars) for x in s]


def has_data(name: str, data: FigureData) -> bool:
    return any(any(v for v in x.y) for x in data.series)


def key_figures(data: dict[str, FigureData], locale: str) -> list[dict[str, str]]:
    """The tiles above the charts: AUM and its growth, customers won and lost, sales, win rate, the forecast."""
    out: list[dict[str, str]] = []

    def money(v: float | Decimal) -> str:
        return format_money(Decimal(str(v)), CURRENCY, locale)

    def short(v: float | Decimal) -> str:
        return compact_money(Decimal(str(v)), locale)

    if "aum_by_unit" in data:
        rows = data["aum_by_unit"].rows
        aum = sum(Decimal(str(r["aum"])) for r in rows)
        growth = sum(Decimal(str(r["growth"])) for r in rows)
        out.append({"key": "aum", "label": label("dash.kpi.aum", locale), "value": short(aum), "full": money(aum),
                    "sub": label("dash.kpi.growth", locale, amount=("+" if growth >= 0 else "") + money(growth)),
                    "tone": "" if growth >= 0 else "down"})
    if "customers_new_lost" in data:
        rows = data["customers_new_lost"].rows
        new, lost = sum(r["new"] for r in rows), sum(r["lost"] for r in rows)
        out.append({"key": "customers", "label": label("dash.kpi.new_customers", locale),
                    "value": format_number(new, locale), "full": "",
                    "sub": label("dash.kpi.lost", locale, count=format_number(lost, locale)), "tone": ""})
    if "sales_by_type" in data:
        rows = data["sales_by_type"].rows
        amount = sum(Decimal(str(r["amount"])) for r in rows)
        count = sum(r["count"] for r in rows)
        out.append({"key": "sales", "label": label("dash.kpi.sales", locale), "value": short(amount),
                    "full": money(amount),
                    "sub": label("dash.kpi.sales_count", locale, count=format_number(count, locale)), "tone": ""})
    if "pipeline_funnel" in data:
        f = data["pipeline_funnel"]
        win = f.extra.get("win_rate_pct")
        opened = next((r["count"] for r in f.rows if r["stage"] == "lead"), 0)
        out.append({"key": "pipeline", "label": label("dash.kpi.win_rate", locale),
                    "value": "—" if win is None else f"{win}%", "full": "",
                    "sub": label("dash.kpi.opened", locale, count=format_number(opened, locale)), "tone": ""})
    if "sales_forecast" in data:
        f = data["sales_forecast"]
        total = f.extra.get("forecast_total")
        wape = f.extra.get("backtest_wape_pct")
        out.append({"key": "forecast", "label": label("dash.kpi.forecast", locale),
                    "value": "—" if total is None else short(total), "full": "" if total is None else money(total),
                    "sub": label("dash.kpi.backtest", locale, pct=wape) if wape is not None else
                    label("dash.kpi.no_backtest", locale), "tone": ""})
    return out


def drill_title(name: str, bar: str, locale: str, names: dict[str, str]) -> str:
    """The drill-down list's heading: the chart and the bar in words."""
    parts = []
    for part in bar.split("|"):
        kind, _, value = part.partition(":")
        if kind in ("segment", "channel", "stage", "type", "risk", "kind"):
            parts.append(_code(kind, value, locale))
        elif kind in ("branch", "team", "owner"):
            parts.append(names.get(part, value))
        elif kind == "month":
            parts.append(value[:7])
        elif kind == "day":
            parts.append(format_date(date.fromisoformat(value), locale))
        elif kind in ("new", "lost"):
            parts.append(_code("series", kind, locale))
    return f"{label(f'dash.chart.{name}', locale)} · {' · '.join(parts)}"


# ---------------------------------------------------------------- the state

_FILTER_KEYS = ("date_from", "date_to", "branch_id", "team_id", "rm_id", "product_type")
WATCH_SECONDS = 30 * 60  # a dashboard left open follows changes this long after it was (re)loaded
PERIODIC_SECONDS = 60  # and refreshes this often anyway (writes of other processes when Redis is not configured)
SETTLE_SECONDS = 0.15  # a burst of changes (a batch, its handlers) redraws once


def compute(actor: Any, filters: dict[str, str]) -> tuple[Any, dict[str, FigureData], dict]:
    """The page's figures and filter options for `actor` (DomainError when refused): run off the event loop."""
    with unit_of_work(readonly=True) as uow:
        q, data = figure_service.dashboard(uow=uow, actor=actor, filters=filters, names=CHARTS)
        offered = units(uow.session, actor)
    return q, data, offered


class DashboardState(DataState):
    # filters as the bar shows them ("" = not filtered)
    date_from: str = ""
    date_to: str = ""
    branch_id: str = ""
    team_id: str = ""
    rm_id: str = ""
    product_type: str = ""
    branch_options: list[dict[str, str]] = []  # {id, label}
    team_options: list[dict[str, str]] = []
    rm_options: list[dict[str, str]] = []
    scope: str = ""  # own, team, branch, all
    period: str = ""  # the range shown, in words
    error: str = ""
    loaded: bool = False
    kpis: list[dict[str, str]] = []
    has: dict[str, bool] = {}
    notes: dict[str, str] = {}
    fig_aum_trend: go.Figure = go.Figure()
    fig_aum_by_unit: go.Figure = go.Figure()
    fig_aum_unit_trend: go.Figure = go.Figure()
    fig_customers_new_lost: go.Figure = go.Figure()
    fig_pipeline_funnel: go.Figure = go.Figure()
    fig_sales_by_type: go.Figure = go.Figure()
    fig_sales_by_risk: go.Figure = go.Figure()
    fig_rm_leaderboard: go.Figure = go.Figure()
    fig_channel_quality: go.Figure = go.Figure()
    fig_repurchase_rate: go.Figure = go.Figure()
    fig_sales_forecast: go.Figure = go.Figure()
    fig_nba_conversion: go.Figure = go.Figure()
    # next-best-actions of the RM's book (or a team lead's team): {id, customer, href, kind, reason, due}
    actions: list[dict[str, str]] = []
    actions_shown: bool = False
    unit_title: str = ""  # "AUM by branch / team / RM / segment"
    unit_trend_title: str = ""
    updated_at: str = ""  # when the figures were last read, in words ("live")
    export_query: str = ""  # the filters as a query string for the tables' CSV / XLSX links
    _watch: int = 0  # bumped by every load: an older watcher stops
    _cell: tuple = (None, None, None)  # (branch, team, RM) the figures are limited to: which changes concern them
    # drill-down
    drill_open: bool = False
    drill_title: str = ""
    drill_rows: list[dict[str, str]] = []
    drill_info: str = ""
    drill_error: str = ""
    drill_has_prev: bool = False
    drill_has_next: bool = False
    _bars: dict[str, list[list[str]]] = {}
    _bar_names: dict[str, str] = {}
    _drill: tuple[str, str, int] = ("", "", 1)

    def _purge(self) -> None:
        for k in _FILTER_KEYS:
            setattr(self, k, "")
        self.branch_options, self.team_options, self.rm_options = [], [], []
        self.scope = self.period = self.error = self.unit_title = self.unit_trend_title = ""
        self.loaded = False
        self.kpis, self.has, self.notes = [], {}, {}
        self.actions, self.actions_shown = [], False
        for name in CHARTS:
            setattr(self, f"fig_{name}", go.Figure())
        self._bars, self._bar_names = {}, {}
        self.updated_at = ""
        self._cell = (None, None, None)
        self._watch += 1  # a watcher of the purged data stops
        self._close_drill()

    def _close_drill(self) -> None:
        self.drill_open = False
        self.drill_title = self.drill_info = self.drill_error = ""
        self.drill_rows = []
        self.drill_has_prev = self.drill_has_next = False
        self._drill = ("", "", 1)

    def _filters(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in _FILTER_KEYS if getattr(self, k)}

    def _options(self, offered: dict, loc: str) -> None:
        en = loc == "en"
        self.scope = offered["scope"]
        self.branch_options = [{"id": str(b["id"]), "label": b["name_en"] if en else b["name"]}
                               for b in offered["branches"]]
        self.team_options = [{"id": str(t["id"]), "label": t["name_en"] if en else t["name"]}
                             for t in offered["teams"] if not self.branch_id or str(t["branch_id"]) == self.branch_id]
        self.rm_options = [{"id": str(u["id"]), "label": u["name"]} for u in offered["rms"]
                           if (not self.team_id or str(u["team_id"]) == self.team_id)
                           and (not self.branch_id or str(u["branch_id"]) == self.branch_id)]
        names = {f"branch:{b['id']}": (b["name_en"] if en else b["name"]) for b in offered["branches"]}
        names.update({f"team:{t['id']}": (t["name_en"] if en else t["name"]) for t in offered["teams"]})
        names.update({f"owner:{u['id']}": u["name"] for u in offered["rms"]})
        self._bar_names = names

    def _fetch(self, actor: Any):
        try:
            result = compute(actor, self._filters())
        except DomainError as exc:
            self.error = exc.message(self._locale())
            self.loaded = True
            self._mark_loaded(actor)
            return None
        self._apply(actor, *result)
        self._load_actions(actor)
        return None

    def _load_actions(self, actor: Any) -> None:
        """The open suggestions of the reader's own book (RMs) or team (team leads), best first."""
        self.actions_shown = self.scope in ("own", "team")
        if not self.actions_shown:
            self.actions = []
            return
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                found = nba_service.suggestions(uow=uow, actor=actor, limit=5)
        except DomainError:
            self.actions, self.actions_shown = [], False
            return
        self.actions = [{
            "id": str(a.id), "customer": a.customer_name, "href": f"/customers/{a.customer_id}",
            "kind": label(f"dash.nba.{a.kind}", loc),
            "reason": translate(a.reason, loc, **{k: ("—" if v is None else label(f"product.{v}", loc)
                                                      if k == "product_type" else v) for k, v in a.params.items()}),
            "due": format_date(a.due_on, loc) if a.due_on else ""} for a in found]

    def _decide(self, action_id: Any, outcome: str):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        aid = whole_number(action_id, low=1, high=2**31 - 1)
        if aid is None or str(aid) not in {a["id"] for a in self.actions}:
            return None  # only what the page offered
        try:
            with unit_of_work() as uow:
                nba_service.decide(uow=uow, actor=actor, action_id=aid, outcome=outcome)
                uow.commit()
        except DomainError as exc:
            self._load_actions(actor)
            return rx.toast.error(exc.message(loc), id="nba-toast")
        self._load_actions(actor)
        return rx.toast.success(label(f"dash.nba_{outcome}", loc), id="nba-toast")

    @rx.event
    def action_done(self, action_id: Any):
        return self._decide(action_id, "done")

    @rx.event
    def action_dismiss(self, action_id: Any):
        return self._decide(action_id, "dismissed")

    def _apply(self, actor: Any, q: Any, data: dict[str, FigureData], offered: dict) -> None:
        loc = self._locale()
        self.error = ""
        self._options(offered, loc)
        self._cell = (q.branch_id, q.team_id, q.owner_id)
        from urllib.parse import urlencode

        self.export_query = urlencode(self._filters())
        self.period = label("dash.period", loc, start=format_date(q.start, loc), end=format_date(q.end, loc))
        self.kpis = key_figures(data, loc)
        has, notes, bars = {}, {}, {}
        for name in CHARTS:
            fig = data[name]
            has[name] = has_data(name, fig)
            setattr(self, f"fig_{name}", chart(name, fig, loc) if has[name] else go.Figure())
            bars[name] = bar_keys(name, fig)
            words = [label(n.replace("metrics.note.", "dash.note."), loc) for n in fig.notes]
            if name == "sales_forecast" and fig.extra.get("backtest_wape_pct") is not None:
                words.append(label("dash.kpi.backtest", loc, pct=fig.extra["backtest_wape_pct"]))
            notes[name] = " ".join(words)
        self.has, self.notes, self._bars = has, notes, bars
        self.unit_title = label(f"dash.chart.aum_by_unit.{data['aum_by_unit'].extra.get('unit', 'branch')}", loc)
        self.unit_trend_title = label(
            f"dash.chart.aum_unit_trend.{data['aum_unit_trend'].extra.get('unit', 'branch')}", loc)
        self.updated_at = label("dash.updated", loc, time=clock.now().astimezone(clock.zone()).strftime("%H:%M:%S"))
        self.loaded = True
        self._mark_loaded(actor)

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        return self._fetch(actor)

    @rx.event
    def load(self):
        """on_load of /dashboard: the figures, then a watcher that redraws them when what they count changes."""
        self._close_drill()
        out = self._refresh()
        if out is not None:
            return out
        self._watch += 1
        return DashboardState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follow the figures while the page is open: services/analytics/live.py tells of every committed change
        (in this process, or from other workers through Redis) with the cells it touched; a change within what
        this page shows redraws it (within a second or two), anything else is ignored; once a minute it redraws
        anyway. Ends when the page is loaded again, left, signed out of, or after WATCH_SECONDS."""
        async with self:
            me = self._watch
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        heard: set = set()

        def note(cells) -> None:
            heard.update(cells)
            changed.set()

        stop = live.subscribe(lambda cells: loop.call_soon_threadsafe(note, cells))
        try:
            deadline = loop.time() + WATCH_SECONDS
            while loop.time() < deadline:
                try:
                    await asyncio.wait_for(changed.wait(), timeout=PERIODIC_SECONDS)
                    await asyncio.sleep(SETTLE_SECONDS)
                except asyncio.TimeoutError:
                    pass
                changed.clear()
                cells = frozenset(heard)
                heard.clear()
                async with self:
                    if self._watch != me or not self._current_path().startswith("/dashboard"):
                        return
                    branch, team, owner = self._cell
                    if cells and not live.touches(cells, branch_id=branch, team_id=team, owner_id=owner):
                        continue
                    try:
                        actor = self._require_actor()
                    except SessionInvalid:
                        self._purge_all()
                        return
                    filters = self._filters()
                try:
                    result = await asyncio.to_thread(compute, actor, filters)
                except DomainError:
                    continue  # the filters are refused now (the page shows why on its next load)
                async with self:
                    if self._watch != me or filters != self._filters():
                        continue  # the page moved on meanwhile: its own handler drew it
                    self._apply(actor, *result)
        finally:
            stop()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        if self.drill_open:
            self._close_drill()
        return self._refresh()

    def _set(self, key: str, value: Any, *, allowed: set[str] | None = None) -> bool:
        if not isinstance(value, str) or len(value) > 12:
            return False
        if value and allowed is not None and value not in allowed:
            return False
        setattr(self, key, value)
        return True

    @rx.event
    def set_date_from(self, value: Any):
        self._set("date_from", value)

    @rx.event
    def set_date_to(self, value: Any):
        self._set("date_to", value)

    @rx.event
    def set_branch(self, value: Any):
        """A branch picked: its teams and RMs offered; the figures follow at once."""
        if self._set("branch_id", value, allowed={o["id"] for o in self.branch_options}):
            self.team_id = self.rm_id = ""
        self._close_drill()
        return self._refresh()

    @rx.event
    def set_team(self, value: Any):
        if self._set("team_id", value, allowed={o["id"] for o in self.team_options}):
            self.rm_id = ""
        self._close_drill()
        return self._refresh()

    @rx.event
    def set_rm(self, value: Any):
        self._set("rm_id", value, allowed={o["id"] for o in self.rm_options})
        self._close_drill()
        return self._refresh()

    @rx.event
    def set_product_type(self, value: Any):
        self._set("product_type", value, allowed=set(PRODUCT_TYPES))
        self._close_drill()
        return self._refresh()

    @rx.event
    def apply_dates(self, form: Any = None):
        """The date range's Apply (the service checks it: a range that runs backwards says so)."""
        if isinstance(form, dict):
            self._set("date_from", form.get("date_from", self.date_from))
            self._set("date_to", form.get("date_to", self.date_to))
        self._close_drill()
        return self._refresh()

    @rx.event
    def reset_filters(self):
        for k in _FILTER_KEYS:
            setattr(self, k, "")
        self._close_drill()
        return self._refresh()

    # ------------------------------------------------------------ drill-down

    @rx.event
    def drill(self, name: Any, points: Any):
        """A click on a chart: the customers behind the clicked bar (its key looked up here, never sent)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if not isinstance(name, str) or name not in self._bars or not isinstance(points, list) or not points:
            return None
        point = points[0] if isinstance(points[0], dict) else {}
        curve, index = point.get("curveNumber"), point.get("pointNumber", point.get("pointIndex"))
        if isinstance(curve, bool) or isinstance(index, bool) or not isinstance(curve, int) \
                or not isinstance(index, int):
            return None
        traces = self._bars[name]
        if not 0 <= curve < len(traces) or not 0 <= index < len(traces[curve]) or not traces[curve][index]:
            return None
        self._drill = (name, traces[curve][index], 1)
        return self._load_drill(actor)

    def _load_drill(self, actor: Any):
        loc = self._locale()
        name, bar, page = self._drill
        self.drill_open = True
        self.drill_title = drill_title(name, bar, loc, self._bar_names)
        try:
            with unit_of_work(readonly=True) as uow:
                result = drill_service.drilldown(uow=uow, actor=actor, figure=name, bar=bar, filters=self._filters(),
                                                 page=page)
        except DomainError as exc:
            self.drill_rows, self.drill_info = [], ""
            self.drill_has_prev = self.drill_has_next = False
            self.drill_error = exc.message(loc)
            return rx.scroll_to("drilldown")
        self.drill_error = ""
        self.drill_rows = [{
            "id": str(r.customer_id), "href": f"/customers/{r.customer_id}", "name": r.name, "no": r.customer_no,
            "segment": label(f"segment.{r.segment}", loc), "owner": r.owner,
            "aum": format_money(r.aum, CURRENCY, loc), "phone": r.phone or "—"} for r in result.rows]
        self.drill_info = label("page.info", loc, page=format_number(result.page, loc),
                                pages=format_number(result.pages, loc), total=format_number(result.total, loc))
        self.drill_has_prev, self.drill_has_next = result.page > 1, result.page < result.pages
        self._drill = (name, bar, result.page)
        return rx.scroll_to("drilldown")

    @rx.event
    def drill_next(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if self.drill_open and self.drill_has_next:
            name, bar, page = self._drill
            self._drill = (name, bar, page + 1)
            return self._load_drill(actor)
        return None

    @rx.event
    def drill_prev(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if self.drill_open and self.drill_has_prev:
            name, bar, page = self._drill
            self._drill = (name, bar, max(1, page - 1))
            return self._load_drill(actor)
        return None

    @rx.event
    def close_drill(self):
        self._close_drill()


__all__ = ["DashboardState", "chart", "bar_keys", "key_figures", "drill_title", "money_tick"]
