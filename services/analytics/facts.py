"""Writing the rollup (metric_fact): differences of counts and amounts, applied at every level and period.

A handler collects what a change adds or takes away (`Deltas.add`, at the customer's cell: branch, team, RM) and
`apply` writes it: each difference goes to the RM's row, the team's and the branch's, for the day and for the
month (and, for the measures in WEEKLY, the week), merged, in a stable order (two transactions never wait for each other's rows in opposite orders), as
`INSERT ... ON CONFLICT DO UPDATE n = n + excluded.n` (SQLite and PostgreSQL alike). The cells it touched are
noted for the live dashboards (services/analytics/live.py), which hear of them once the transaction commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Iterator

from sqlalchemy import Date, bindparam, text
from sqlmodel import Session

# measure -> (what dim1 holds, what dim2 holds)
MEASURES: dict[str, tuple[str, str]] = {
    "aum": ("segment", ""),  # net change of AUM: flows at their booking day, moves and revaluations at theirs
    "new_customers": ("segment", "channel"),  # at the day the customer was acquired (created, published)
    "lost_customers": ("segment", ""),  # at the day the customer was closed
    "aum_90d": ("channel", ""),  # net AUM flows of a customer's first 90 days, at the day it was acquired
    "converted": ("channel", ""),  # acquired customers who bought within 90 days, at the day acquired
    "buyers": ("segment", ""),  # customers by the day of their first purchase
    "repeat_buyers": ("segment", ""),  # ... who bought again since
    "sales": ("product_type", "risk_level"),  # signed sales not cancelled or rejected, at the signing day
    "pipeline": ("stage", "product_type"),  # opportunities that reached a stage, at the day opened
    "pipeline_reason": ("reason", "product_type"),  # won:<reason> / lost:<reason>, at the day opened
    "activities": ("kind", ""),  # interactions (call, visit, meeting, note), at the RM who had them
    "nba": ("kind", "outcome"),  # suggestions: suggested, done, dismissed, converted; at the day suggested
}
LEVELS = ("o", "t", "b", "f")
PERIODS = ("d", "m")
# Measures also kept by week (period 'w', day = the Monday): the sales forecast reads two years week by week, 104
# rows per cell instead of 728 days of rows (at 10,000,000 transactions a branch's history was 9,000 day rows).
WEEKLY = frozenset({"sales"})


@dataclass(frozen=True, order=True)
class Cell:
    """Where a fact belongs: the customer's branch, team (0: none) and RM."""

    branch_id: int
    team_id: int
    owner_id: int


def month_of(day: date) -> date:
    return day.replace(day=1)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def _buckets(measure: str, day: date) -> tuple[tuple[str, date], ...]:
    by_period = (("d", day), ("m", month_of(day)))
    return (*by_period, ("w", week_of(day))) if measure in WEEKLY else by_period


class Deltas:
    """Differences to apply: (measure, day, cell, dim1, dim2) -> [count, amount in cents]."""

    def __init__(self) -> None:
        self.items: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, measure: str, day: date, cell: Cell, dim1: str = "", dim2: str = "", *, n: int = 0,
            amount: Decimal | int = 0) -> None:
        if measure not in MEASURES:
            raise KeyError(measure)
        cents = amount if isinstance(amount, int) else int((amount * 100).to_integral_value())
        if not n and not cents:
            return
        row = self.items[(measure, day, cell, dim1 or "", dim2 or "")]
        row[0] += n
        row[1] += cents

    def extend(self, other: "Deltas", sign: int = 1) -> None:
        for key, (n, cents) in other.items.items():
            row = self.items[key]
            row[0] += sign * n
            row[1] += sign * cents

    def __bool__(self) -> bool:
        return any(n or c for n, c in self.items.values())

    def cells(self) -> set[Cell]:
        return {key[2] for key, (n, c) in self.items.items() if n or c}

    def rows(self) -> Iterator[dict]:
        """Every row to increment, at each level and period, merged and sorted."""
        merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for (measure, day, cell, d1, d2), (n, cents) in self.items.items():
            if not n and not cents:
                continue
            for level in LEVELS:
                branch = cell.branch_id if level != "f" else 0
                team = cell.team_id if level in ("o", "t") else 0
                owner = cell.owner_id if level == "o" else 0
                for period, bucket in _buckets(measure, day):
                    row = merged[(measure, level, period, bucket, branch, team, owner, d1, d2)]
                    row[0] += n
                    row[1] += cents
        for key in sorted(merged):
            n, cents = merged[key]
            if n or cents:
                yield dict(zip(_COLUMNS, key), n=n, amount=cents)


_COLUMNS = ("measure", "level", "period", "day", "branch_id", "team_id", "owner_id", "dim1", "dim2")
_UPSERT = text(
    "INSERT INTO metric_fact (measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2, n, amount) "
    "VALUES (:measure, :level, :period, :day, :branch_id, :team_id, :owner_id, :dim1, :dim2, :n, :amount) "
    "ON CONFLICT (measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2) "
    "DO UPDATE SET n = metric_fact.n + excluded.n, amount = metric_fact.amount + excluded.amount"
).bindparams(bindparam("day", type_=Date()))
_CHUNK = 2000


def apply(session: Session, deltas: Deltas) -> int:
    """Write the differences in the session's transaction; returns how many rows were incremented."""
    from services.analytics import live

    rows = list(deltas.rows())
    conn = session.connection()
    for i in range(0, len(rows), _CHUNK):
        conn.execute(_UPSERT, rows[i:i + _CHUNK])
    if rows:
        live.note_changed(session, deltas.cells())
    return len(rows)


def cell_of(branch_id: int | None, team_id: int | None, owner_id: int) -> Cell:
    return Cell(int(branch_id or 0), int(team_id or 0), int(owner_id))


def each(values: Iterable, size: int = 500) -> Iterator[list]:
    """`values` in lists of `size` (IN lists stay short on both databases)."""
    chunk: list = []
    for v in values:
        chunk.append(v)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
