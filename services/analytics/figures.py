"""The dashboards' figures, read from the rollup (metric_fact), never from raw transactions.

A figure is asked with a checked Query (services/analytics/filters.py) and answered as a FigureData: series (for a
chart: x values, y values, and for each point the key of its bar, which the drill-down takes), a table (the same
numbers in rows, for exports and for screen readers) and notes. Labels are codes (segments, product types, stages)
or names in both languages (branches, teams, RMs): the page and the API say them in the reader's language.

How a range is read: month rows for the months it covers whole, day rows for the rest (a year is twelve month rows
per cell plus a few dozen day rows); the level is the one the filter needs (the firm's rows for the firm, a
branch's, a team's, an RM's). Each figure is a handful of grouped reads of at most a few thousand rows.
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable

from pydantic import BaseModel
from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from services.analytics import live
from services.analytics.facts import each, month_of
from services.analytics.filters import Query, resolve
from services.analytics.models import MetricFact
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.opportunities.models import FUNNEL
from services.prepared import Prepared
from services.org.models import Branch, Team
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission as P, requires

F = MetricFact.__table__
SEGMENTS = ("mass", "affluent", "hnw", "uhnw", "corporate")
CHANNELS = ("branch", "referral", "online", "event", "campaign", "partner")
PRODUCT_TYPES = ("deposit", "wealth", "fund", "bond", "equity", "insurance", "loan")
RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
NBA_KINDS = ("offer", "review", "reinvest", "reassess", "call")
DAILY_UP_TO = 92  # ranges up to this many days are drawn day by day; longer ones month by month


class Series(BaseModel):
    key: str  # a code (segment, product type, stage, measure) the page names in the reader's language
    name: str = ""  # a name when the key is an organisation unit (zh)
    name_en: str = ""
    x: list[str]
    y: list[float]
    bars: list[str]  # the drill-down key of each point ("" when it has none)


class FigureData(BaseModel):
    figure: str
    unit: str  # money, count, percent
    chart: str  # line, area, bar, stacked_bar, funnel, forecast
    x_kind: str  # date, month, category
    series: list[Series]
    columns: list[str]  # the table's column codes
    rows: list[dict[str, Any]]
    notes: list[str] = []  # message codes the page shows under the chart
    filters: dict[str, Any]
    extra: dict[str, Any] = {}


# ---------------------------------------------------------------- reading the rollup

def _spans(start: date, end: date) -> list[tuple[str, date, date]]:
    """(period, first day, last day) covering [start, end]: whole months as month rows, the rest as days."""
    first_full = start if start.day == 1 else (month_of(start) + timedelta(days=32)).replace(day=1)
    after_end = end + timedelta(days=1)
    last_full = month_of(after_end) - timedelta(days=1) if after_end.day != 1 else end
    if first_full > last_full:
        return [("d", start, end)]
    spans = [("m", first_full, month_of(last_full))]
    if start < first_full:
        spans.append(("d", start, first_full - timedelta(days=1)))
    if end > last_full:
        spans.append(("d", last_full + timedelta(days=1), end))
    return spans


def _where(q: Query, level: str) -> list:
    out = [F.c.level == level]
    if q.branch_id:
        out.append(F.c.branch_id == q.branch_id)
    if q.team_id:
        out.append(F.c.team_id == q.team_id)
    if q.owner_id:
        out.append(F.c.owner_id == q.owner_id)
    return out


def sums(s: Session, q: Query, measure: str, start: date, end: date, *, by: Iterable[str] = (),
         level: str | None = None, daily: bool = False, equal: dict[str, Any] | None = None,
         where: Iterable = ()) -> list[tuple]:
    """(group values ..., day or None, n, amount) summed over [start, end]. `by`: columns of metric_fact to group
    on; `daily`: keep the day (day rows only), else month rows where they cover the range; `equal`: columns held to
    a value (a product type's dim); `where`: any other clauses (an IN list), which take Core's slower path."""
    spans = [("d", start, end)] if daily else _spans(start, end)
    rows = read_spans(s, q, measure, spans, tuple(by), daily, level, equal, where)
    return rows if daily else [(*r[:-2], None, r[-2], r[-1]) for r in rows]


def by_month(s: Session, q: Query, measure: str, *, by: Iterable[str] = (), equal: dict[str, Any] | None = None,
             where: Iterable = (), level: str | None = None) -> list[tuple]:
    """(group values ..., month, n, amount) over the query's range, month by month."""
    by = tuple(by)
    acc: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in read_spans(s, q, measure, _spans(q.start, q.end), by, True, level, equal, where):
        key = (*row[:len(by)], month_of(row[len(by)]))
        acc[key][0] += row[-2]
        acc[key][1] += row[-1]
    return [(*k, n, a) for k, (n, a) in sorted(acc.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]


def read_spans(s: Session, q: Query, measure: str, spans: list[tuple[str, date, date]], by: tuple[str, ...],
          keep_day: bool, level: str | None, equal: dict[str, Any] | None, where: Iterable) -> list[tuple]:
    """(group values ..., [day,] n, amount) for each span's rows, grouped."""
    level = level or q.level
    where = list(where)
    equal = {k: v for k, v in (equal or {}).items() if v is not None}
    scope = {k: v for k, v in (("branch_id", q.branch_id), ("team_id", q.team_id), ("owner_id", q.owner_id)) if v}
    prepared = None if where else _sum_statement(by, keep_day, tuple(scope), tuple(sorted(equal)))
    out = []
    for period, lo, hi in spans:
        if lo > hi:
            continue
        if prepared is not None:
            rows = prepared.rows(s.connection(), {
                "measure": measure, "period": period, "lo": lo, "hi": hi, "level": level, **scope,
                **{f"eq_{k}": v for k, v in equal.items()}})
        else:
            group = [F.c[c] for c in by] + ([F.c.day] if keep_day else [])
            stmt = (select(*group, func.sum(F.c.n), func.sum(F.c.amount))
                    .where(F.c.measure == measure, F.c.period == period, F.c.day >= lo, F.c.day <= hi,
                           *_where(q, level), *[F.c[k] == v for k, v in equal.items()], *where))
            rows = s.execute(stmt.group_by(*group) if group else stmt)
        out.extend((*r[:-2], int(r[-2] or 0), _dec(r[-1])) for r in rows)
    return out


@lru_cache(maxsize=256)
def _sum_statement(by: tuple[str, ...], keep_day: bool, scope: tuple[str, ...], equal: tuple[str, ...]) -> Prepared:
    """The rollup read of one shape (grouping, scope columns, held columns), compiled once per dialect: a dashboard
    makes a dozen of these reads, and building and compiling each select cost as much as SQLite's answer."""
    group = [F.c[c] for c in by] + ([F.c.day] if keep_day else [])
    stmt = (select(*group, func.sum(F.c.n), func.sum(F.c.amount))
            .where(F.c.measure == bindparam("measure"), F.c.period == bindparam("period"),
                   F.c.day >= bindparam("lo", type_=F.c.day.type), F.c.day <= bindparam("hi", type_=F.c.day.type),
                   F.c.level == bindparam("level"), *[F.c[c] == bindparam(c, type_=F.c[c].type) for c in scope],
                   *[F.c[c] == bindparam(f"eq_{c}", type_=F.c[c].type) for c in equal]))
    return Prepared(stmt.group_by(*group) if group else stmt)


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(value)


def _months(q: Query) -> list[date]:
    out, m = [], month_of(q.start)
    while m <= q.end:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def _days(q: Query) -> list[date]:
    return [q.start + timedelta(days=i) for i in range((q.end - q.start).days + 1)]


def _product_equal(q: Query, dim: str) -> dict[str, Any]:
    return {dim: q.product_type} if q.product_type else {}


def _f(value: Decimal | int) -> float:
    return float(value)


# ---------------------------------------------------------------- organisation names

@dataclass
class _Names:
    branches: dict[int, tuple[str, str]]
    teams: dict[int, tuple[str, str]]
    users: dict[int, str]


def _names(s: Session, branch_ids=(), team_ids=(), user_ids=()) -> _Names:
    b = {i: (n, e) for i, n, e in s.execute(select(Branch.id, Branch.name, Branch.name_en)
                                             .where(Branch.id.in_(list(branch_ids))))} if branch_ids else {}
    t = {i: (n, e) for i, n, e in s.execute(select(Team.id, Team.name, Team.name_en)
                                             .where(Team.id.in_(list(team_ids))))} if team_ids else {}
    u = dict(s.execute(select(User.id, User.display_name).where(User.id.in_(list(user_ids)))).all()) if user_ids else {}
    return _Names(b, t, u)


def child_unit(q: Query) -> str:
    """The organisation level one below what the query is limited to: branches for the firm, teams for a
    branch, RMs for a team; an RM's own figures break down by segment instead."""
    if q.owner_id:
        return "segment"
    if q.team_id:
        return "owner"
    if q.branch_id:
        return "team"
    return "branch"


_UNIT_LEVEL = {"branch": ("b", "branch_id"), "team": ("t", "team_id"), "owner": ("o", "owner_id")}


# ---------------------------------------------------------------- the figures

def _aum_levels(s: Session, q: Query, col: str, level: str | None = None
                ) -> tuple[bool, list[date], list[str], dict[Any, list[float]]]:
    """AUM over the range by one column of the rollup (a segment, or an organisation unit at `level`): (daily,
    points, the x values shown, {key: the AUM at each point})."""
    before = defaultdict(Decimal)
    # Everything up to the day before the range: month rows of the months before it, day rows of its month.
    first = month_of(q.start)
    for key, _d, _n, amount in sums(s, q, "aum", date(1900, 1, 1), first - timedelta(days=1), by=[col], level=level):
        before[key] += amount
    if first < q.start:
        for key, _d, _n, amount in sums(s, q, "aum", first, q.start - timedelta(days=1), by=[col], daily=True,
                                        level=level):
            before[key] += amount
    daily = (q.end - q.start).days < DAILY_UP_TO
    changes: dict[tuple[Any, date], Decimal] = defaultdict(Decimal)
    if daily:
        for key, day, _n, amount in sums(s, q, "aum", q.start, q.end, by=[col], daily=True, level=level):
            changes[(key, day)] += amount
        points = _days(q)
    else:
        for key, month, _n, amount in by_month(s, q, "aum", by=[col], level=level):
            changes[(key, month)] += amount
        points = _months(q)
    xs = [(p if daily else min(q.end, (p + timedelta(days=32)).replace(day=1) - timedelta(days=1))).isoformat()
          for p in points]
    keys = set(before) | {k[0] for k in changes}
    levels: dict[Any, list[float]] = {}
    for key in keys:
        value, ys = before.get(key, Decimal(0)), []
        for p in points:
            value += changes.get((key, p), Decimal(0))
            ys.append(_f(value))
        levels[key] = ys
    return daily, points, xs, levels


def aum_trend(s: Session, q: Query) -> FigureData:
    """AUM by segment over the range (day by day up to three months, month ends beyond)."""
    _daily, _points, xs, levels = _aum_levels(s, q, "dim1")
    series, rows = [], []
    for seg in SEGMENTS:
        ys = levels.get(seg)
        if ys is None or not any(ys):
            continue
        series.append(Series(key=seg, x=xs, y=ys, bars=[f"segment:{seg}"] * len(xs)))
        rows += [{"date": x, "segment": seg, "aum": y} for x, y in zip(xs, ys)]
    return FigureData(figure="aum_trend", unit="money", chart="area", x_kind="date", series=series,
                      columns=["date", "segment", "aum"], rows=rows, filters=q.as_dict(),
                      notes=["metrics.note.product_type_ignored"] if q.product_type else [])


UNIT_TREND_LINES = 8


def aum_unit_trend(s: Session, q: Query) -> FigureData:
    """AUM over the range of the units one level below the filter (branches, teams or RMs; an RM's own figures:
    his segments), the largest few as lines."""
    unit = child_unit(q)
    if unit == "segment":
        data = aum_trend(s, q)
        return data.model_copy(update={"figure": "aum_unit_trend", "chart": "line", "extra": {"unit": "segment"}})
    level, col = _UNIT_LEVEL[unit]
    _daily, _points, xs, levels = _aum_levels(s, q, col, level)
    ids = sorted((k for k, ys in levels.items() if ys and ys[-1]), key=lambda k: -levels[k][-1])[:UNIT_TREND_LINES]
    names = _names(s, branch_ids=ids if unit == "branch" else (), team_ids=ids if unit == "team" else (),
                   user_ids=ids if unit == "owner" else ())
    series, rows = [], []
    for i in ids:
        zh, en = (names.branches.get(i, (str(i), str(i))) if unit == "branch" else
                  names.teams.get(i, (str(i), str(i))) if unit == "team" else (names.users.get(i, str(i)),) * 2)
        series.append(Series(key=f"{unit}:{i}", name=zh, name_en=en, x=xs, y=levels[i], bars=[f"{unit}:{i}"] * len(xs)))
        rows += [{"date": x, "unit": zh, "unit_en": en, "aum": y} for x, y in zip(xs, levels[i])]
    return FigureData(figure="aum_unit_trend", unit="money", chart="line", x_kind="date", series=series,
                      columns=["date", "unit", "aum"], rows=rows, filters=q.as_dict(), extra={"unit": unit},
                      notes=["metrics.note.product_type_ignored"] if q.product_type else [])


def _aum_at_end(s: Session, q: Query, by: list[str], level: str | None = None) -> dict[tuple, Decimal]:
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in sums(s, q, "aum", date(1900, 1, 1), q.end, by=by, level=level):
        out[tuple(row[:len(by)])] += row[-1]
    return out


def aum_by_segment(s: Session, q: Query) -> FigureData:
    end = _aum_at_end(s, q, ["dim1"])
    growth = defaultdict(Decimal)
    for seg, _d, _n, amount in sums(s, q, "aum", q.start, q.end, by=["dim1"]):
        growth[seg] += amount
    segs = [x for x in SEGMENTS if end.get((x,))]
    series = [Series(key="aum", x=segs, y=[_f(end[(x,)]) for x in segs], bars=[f"segment:{x}" for x in segs])]
    rows = [{"segment": x, "aum": _f(end[(x,)]), "growth": _f(growth.get(x, 0))} for x in segs]
    return FigureData(figure="aum_by_segment", unit="money", chart="bar", x_kind="category", series=series,
                      columns=["segment", "aum", "growth"], rows=rows, filters=q.as_dict())


def aum_by_unit(s: Session, q: Query) -> FigureData:
    """AUM at the range's end and its growth over the range, by the unit one level below the filter."""
    unit = child_unit(q)
    if unit == "segment":
        data = aum_by_segment(s, q)
        return data.model_copy(update={"figure": "aum_by_unit", "extra": {"unit": "segment"}})
    level, col = _UNIT_LEVEL[unit]
    end = _aum_at_end(s, q, [col], level)
    growth = defaultdict(Decimal)
    for uid, _d, _n, amount in sums(s, q, "aum", q.start, q.end, by=[col], level=level):
        growth[uid] += amount
    ids = sorted((k[0] for k, v in end.items() if v), key=lambda i: -end[(i,)])[:40]
    names = _names(s, branch_ids=ids if unit == "branch" else (), team_ids=ids if unit == "team" else (),
                   user_ids=ids if unit == "owner" else ())
    def name(i: int) -> tuple[str, str]:
        if unit == "branch":
            return names.branches.get(i, (str(i), str(i)))
        if unit == "team":
            return names.teams.get(i, (str(i), str(i)))
        n = names.users.get(i, str(i))
        return n, n
    xs = [name(i) for i in ids]
    series = [Series(key="aum", x=[x[0] for x in xs], y=[_f(end[(i,)]) for i in ids], bars=[f"{unit}:{i}" for i in ids],
                     name="", name_en="|".join(x[1] for x in xs)),
              Series(key="growth", x=[x[0] for x in xs], y=[_f(growth.get(i, 0)) for i in ids],
                     bars=[f"{unit}:{i}" for i in ids], name_en="|".join(x[1] for x in xs))]
    rows = [{"unit": x[0], "unit_en": x[1], "aum": _f(end[(i,)]), "growth": _f(growth.get(i, 0))}
            for i, x in zip(ids, xs)]
    return FigureData(figure="aum_by_unit", unit="money", chart="bar", x_kind="category", series=series,
                      columns=["unit", "aum", "growth"], rows=rows, filters=q.as_dict(), extra={"unit": unit})


def _buckets(q: Query) -> tuple[bool, list[date]]:
    daily = (q.end - q.start).days < DAILY_UP_TO
    return daily, (_days(q) if daily else _months(q))


def _counts(s: Session, q: Query, measure: str, *, by: list[str] = (), equal: dict[str, Any] | None = None
            ) -> dict[tuple, list]:
    """{(group ..., bucket): [n, amount]} over the range, by day or month as the range asks."""
    daily, _ = _buckets(q)
    out: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    rows = (sums(s, q, measure, q.start, q.end, by=by, daily=True, equal=equal) if daily
            else by_month(s, q, measure, by=by, equal=equal))
    for row in rows:
        key = (*row[:len(by)], row[len(by)])
        out[key][0] += row[-2]
        out[key][1] += row[-1]
    return out


def customers_new_lost(s: Session, q: Query) -> FigureData:
    daily, points = _buckets(q)
    new = _counts(s, q, "new_customers")
    lost = _counts(s, q, "lost_customers")
    xs = [p.isoformat() for p in points]
    tag = "day" if daily else "month"
    series = [Series(key="new", x=xs, y=[new.get((p,), [0])[0] for p in points],
                     bars=[f"new|{tag}:{p.isoformat()}" for p in points]),
              Series(key="lost", x=xs, y=[-lost.get((p,), [0])[0] for p in points],
                     bars=[f"lost|{tag}:{p.isoformat()}" for p in points])]
    rows = [{"period": x, "new": new.get((p,), [0])[0], "lost": lost.get((p,), [0])[0]} for x, p in zip(xs, points)]
    return FigureData(figure="customers_new_lost", unit="count", chart="bar", x_kind="date" if daily else "month",
                      series=series, columns=["period", "new", "lost"], rows=rows, filters=q.as_dict())


def pipeline_funnel(s: Session, q: Query) -> FigureData:
    """Opportunities opened in the range: how many reached each stage, and the conversion of each step."""
    counts = defaultdict(lambda: [0, Decimal(0)])
    for stage, _d, n, amount in sums(s, q, "pipeline", q.start, q.end, by=["dim1"],
                                     equal=_product_equal(q, "dim2")):
        counts[stage][0] += n
        counts[stage][1] += amount
    stages = [x.value for x in FUNNEL]
    ns = [counts[x][0] for x in stages]
    rates = [None] + [round(100 * ns[i] / ns[i - 1], 1) if ns[i - 1] else None for i in range(1, len(ns))]
    reasons = defaultdict(int)
    for reason, _d, n, _a in sums(s, q, "pipeline_reason", q.start, q.end, by=["dim1"],
                                  equal=_product_equal(q, "dim2")):
        reasons[reason] += n
    series = [Series(key="reached", x=stages, y=ns, bars=[f"stage:{x}" for x in stages])]
    rows = [{"stage": x, "count": counts[x][0], "amount": _f(counts[x][1]), "conversion_pct": r}
            for x, r in zip(stages, rates)]
    rows.append({"stage": "lost", "count": counts["lost"][0], "amount": _f(counts["lost"][1]), "conversion_pct": None})
    return FigureData(figure="pipeline_funnel", unit="count", chart="funnel", x_kind="category", series=series,
                      columns=["stage", "count", "amount", "conversion_pct"], rows=rows, filters=q.as_dict(),
                      extra={"reasons": {k: v for k, v in sorted(reasons.items()) if v},
                             "win_rate_pct": round(100 * counts["won"][0] / (counts["won"][0] + counts["lost"][0]), 1)
                             if counts["won"][0] + counts["lost"][0] else None})


def _sales_by(s: Session, q: Query, dim: str, keys: tuple[str, ...], figure: str) -> FigureData:
    daily, points = _buckets(q)
    data = _counts(s, q, "sales", by=[dim], equal=_product_equal(q, "dim1"))
    # A sale cancelled in its cooling-off period leaves rows of nothing behind (+1 then -1): not a bar.
    data = {key: v for key, v in data.items() if v[0] or v[1]}
    present = [k for k in keys if any(key[0] == k for key in data)]
    xs = [p.isoformat() for p in points]
    tag = "day" if daily else "month"
    label = "type" if dim == "dim1" else "risk"
    series = [Series(key=k, x=xs, y=[_f(data.get((k, p), [0, Decimal(0)])[1]) for p in points],
                     bars=[f"{label}:{k}|{tag}:{p.isoformat()}" for p in points]) for k in present]
    rows = [{"period": x, label: k, "count": data.get((k, p), [0, 0])[0], "amount": _f(data.get((k, p), [0, 0])[1])}
            for k in present for x, p in zip(xs, points) if data.get((k, p))]
    return FigureData(figure=figure, unit="money", chart="stacked_bar", x_kind="date" if daily else "month",
                      series=series, columns=["period", label, "count", "amount"], rows=rows, filters=q.as_dict())


def sales_by_type(s: Session, q: Query) -> FigureData:
    return _sales_by(s, q, "dim1", PRODUCT_TYPES, "sales_by_type")


def sales_by_risk(s: Session, q: Query) -> FigureData:
    return _sales_by(s, q, "dim2", RISK_LEVELS, "sales_by_risk")


LEADERBOARD_SIZE = 20


def rm_leaderboard(s: Session, q: Query) -> FigureData:
    """RMs in the scope by sales over the range, with their AUM growth and activities."""
    growth, sales, count, acts = defaultdict(Decimal), defaultdict(Decimal), defaultdict(int), defaultdict(int)
    for uid, _d, n, amount in sums(s, q, "sales", q.start, q.end, by=["owner_id"], level="o",
                                   equal=_product_equal(q, "dim1")):
        sales[uid] += amount
        count[uid] += n
    # Ranked by sales first: when enough RMs sold something, only those at or above the last place's sales can
    # be in it, and only their AUM growth and activities are read (the firm's 2,700 RMs' month rows were most of
    # the figure's time at 10,000,000 transactions).
    positive = sorted((v for v in sales.values() if v > 0), reverse=True)
    only = ([i for i, v in sales.items() if v >= positive[LEADERBOARD_SIZE - 1]]
            if len(positive) >= LEADERBOARD_SIZE else None)
    chunks = [None] if only is None else list(each(sorted(only)))
    for chunk in chunks:
        where = [] if chunk is None else [F.c.owner_id.in_(chunk)]
        for uid, _d, _n, amount in sums(s, q, "aum", q.start, q.end, by=["owner_id"], level="o", where=where):
            growth[uid] += amount
        for uid, _d, n, _a in sums(s, q, "activities", q.start, q.end, by=["owner_id"], level="o", where=where):
            acts[uid] += n
    ids = set(growth) | set(sales) | set(acts) if only is None else set(only)
    ranked = sorted(ids, key=lambda i: (-sales[i], -growth[i], -acts[i], i))[:LEADERBOARD_SIZE]
    names = _names(s, user_ids=ranked)
    xs = [names.users.get(i, str(i)) for i in ranked]
    bars = [f"owner:{i}" for i in ranked]
    series = [Series(key="sales", x=xs, y=[_f(sales[i]) for i in ranked], bars=bars),
              Series(key="aum_growth", x=xs, y=[_f(growth[i]) for i in ranked], bars=bars),
              Series(key="activities", x=xs, y=[acts[i] for i in ranked], bars=bars)]
    rows = [{"rank": r + 1, "rm": names.users.get(i, str(i)), "sales": _f(sales[i]), "sales_count": count[i],
             "aum_growth": _f(growth[i]), "activities": acts[i]} for r, i in enumerate(ranked)]
    return FigureData(figure="rm_leaderboard", unit="money", chart="bar", x_kind="category", series=series,
                      columns=["rank", "rm", "sales", "sales_count", "aum_growth", "activities"], rows=rows,
                      filters=q.as_dict())


def channel_quality(s: Session, q: Query) -> FigureData:
    """Customers acquired in the range by source channel: how many, how many bought within 90 days, and the AUM
    they brought in their first 90 days (per customer)."""
    acquired, converted, aum90 = defaultdict(int), defaultdict(int), defaultdict(Decimal)
    for ch, _d, n, _a in sums(s, q, "new_customers", q.start, q.end, by=["dim2"]):
        acquired[ch] += n
    for ch, _d, n, _a in sums(s, q, "converted", q.start, q.end, by=["dim1"]):
        converted[ch] += n
    for ch, _d, _n, amount in sums(s, q, "aum_90d", q.start, q.end, by=["dim1"]):
        aum90[ch] += amount
    chans = [c for c in CHANNELS if acquired.get(c)]
    rate = {c: round(100 * converted[c] / acquired[c], 1) for c in chans}
    per = {c: _f(aum90[c] / acquired[c]) for c in chans}
    bars = [f"channel:{c}" for c in chans]
    series = [Series(key="conversion_pct", x=chans, y=[rate[c] for c in chans], bars=bars),
              Series(key="aum_90d_per_customer", x=chans, y=[per[c] for c in chans], bars=bars)]
    rows = [{"channel": c, "acquired": acquired[c], "converted": converted[c], "conversion_pct": rate[c],
             "aum_90d": _f(aum90[c]), "aum_90d_per_customer": per[c]} for c in chans]
    return FigureData(figure="channel_quality", unit="percent", chart="bar", x_kind="category", series=series,
                      columns=["channel", "acquired", "converted", "conversion_pct", "aum_90d",
                               "aum_90d_per_customer"], rows=rows, filters=q.as_dict(),
                      notes=["metrics.note.channel_window"])


def repurchase_rate(s: Session, q: Query) -> FigureData:
    """Of the customers whose first purchase falls in the range, the share that bought again (by segment)."""
    buyers, repeat = defaultdict(int), defaultdict(int)
    for seg, _d, n, _a in sums(s, q, "buyers", q.start, q.end, by=["dim1"]):
        buyers[seg] += n
    for seg, _d, n, _a in sums(s, q, "repeat_buyers", q.start, q.end, by=["dim1"]):
        repeat[seg] += n
    segs = [x for x in SEGMENTS if buyers.get(x)]
    rate = {x: round(100 * repeat[x] / buyers[x], 1) for x in segs}
    series = [Series(key="repurchase_pct", x=segs, y=[rate[x] for x in segs], bars=[f"segment:{x}" for x in segs])]
    rows = [{"segment": x, "buyers": buyers[x], "repeat_buyers": repeat[x], "repurchase_pct": rate[x]} for x in segs]
    return FigureData(figure="repurchase_rate", unit="percent", chart="bar", x_kind="category", series=series,
                      columns=["segment", "buyers", "repeat_buyers", "repurchase_pct"], rows=rows,
                      filters=q.as_dict())


def nba_conversion(s: Session, q: Query) -> FigureData:
    """Next-best-actions suggested in the range, by kind: done, dismissed, and offers that led to a sale."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for kind, outcome, _d, n, _a in sums(s, q, "nba", q.start, q.end, by=["dim1", "dim2"]):
        counts[(kind, outcome)] += n
    kinds = [k for k in NBA_KINDS if counts.get((k, "suggested"))]
    outcomes = ("done", "dismissed", "converted")
    series = [Series(key=o, x=kinds, y=[round(100 * counts[(k, o)] / counts[(k, "suggested")], 1) for k in kinds],
                     bars=[f"kind:{k}" for k in kinds]) for o in outcomes]
    rows = [{"kind": k, "suggested": counts[(k, "suggested")], "done": counts[(k, "done")],
             "dismissed": counts[(k, "dismissed")], "converted": counts[(k, "converted")],
             "done_pct": round(100 * counts[(k, "done")] / counts[(k, "suggested")], 1)} for k in kinds]
    return FigureData(figure="nba_conversion", unit="percent", chart="bar", x_kind="category", series=series,
                      columns=["kind", "suggested", "done", "dismissed", "converted", "done_pct"], rows=rows,
                      filters=q.as_dict())


def sales_forecast(s: Session, q: Query) -> FigureData:
    from services.analytics import forecast

    return forecast.sales_forecast(s, q)


FIGURES: "OrderedDict[str, Callable[[Session, Query], FigureData]]" = OrderedDict([
    ("aum_trend", aum_trend), ("aum_unit_trend", aum_unit_trend), ("aum_by_unit", aum_by_unit),
    ("aum_by_segment", aum_by_segment),
    ("customers_new_lost", customers_new_lost), ("pipeline_funnel", pipeline_funnel),
    ("sales_by_type", sales_by_type), ("sales_by_risk", sales_by_risk), ("rm_leaderboard", rm_leaderboard),
    ("channel_quality", channel_quality), ("repurchase_rate", repurchase_rate), ("nba_conversion", nba_conversion),
    ("sales_forecast", sales_forecast),
])
# Figures that take a product type filter (the others are about customers and AUM, which have no product type).
PRODUCT_FIGURES = frozenset({"pipeline_funnel", "sales_by_type", "sales_by_risk", "rm_leaderboard", "sales_forecast"})

# ---------------------------------------------------------------- use cases

_CACHE: "OrderedDict[tuple, tuple[float, FigureData]]" = OrderedDict()
_CACHE_SIZE = 512
_CACHE_SECONDS = 30.0  # also bounded by the rollup's version: any change heard empties it for that figure


def _figure_name(figure: Any) -> str:
    if not isinstance(figure, str) or figure not in FIGURES:
        # Echo back only what looks like a figure's name (letters, digits, "_"), never markup or control text.
        shown = figure if isinstance(figure, str) and re.fullmatch(r"[A-Za-z0-9_]{1,40}", figure) else "?"
        raise ValidationFailed([FieldError("figure", "metrics.unknown_figure",
                                           {"figure": shown, "figures": ", ".join(FIGURES)})])
    return figure


def compute(s: Session, q: Query, figure: str) -> FigureData:
    """A figure for a checked query; the same figure for the same query is computed once per change of the rollup
    (many viewers of one dashboard share it)."""
    live.ensure_listening()
    key = (figure, q.key(), live.version())
    hit = _CACHE.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    data = FIGURES[figure](s, q)
    if q.product_type and figure not in PRODUCT_FIGURES and "metrics.note.product_type_ignored" not in data.notes:
        data.notes = [*data.notes, "metrics.note.product_type_ignored"]
    _CACHE[key] = (now, data)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return data


@requires(P.METRICS_VIEW)
def figure(*, uow: UnitOfWork, actor: Actor, figure: Any, filters: Any) -> FigureData:
    """One figure, within the actor's scope."""
    name = _figure_name(figure)
    q = resolve(uow.session, actor, filters)
    return compute(uow.session, q, name)


@requires(P.METRICS_VIEW)
def dashboard(*, uow: UnitOfWork, actor: Actor, filters: Any, names: Iterable[str] | None = None
              ) -> tuple[Query, dict[str, FigureData]]:
    """Several figures for one checked query (the dashboard page)."""
    q = resolve(uow.session, actor, filters)
    wanted = [_figure_name(n) for n in (names or FIGURES)]
    return q, {n: compute(uow.session, q, n) for n in wanted}


@requires(P.METRICS_VIEW)
def checked_query(*, uow: UnitOfWork, actor: Actor, filters: Any) -> Query:
    return resolve(uow.session, actor, filters)
