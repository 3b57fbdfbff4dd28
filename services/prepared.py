"""Statements on the hottest paths, compiled once per dialect and sent as driver SQL.

For a short indexed read, Core's per-execution work (the statement's cache key, parameter set-up, building the
result's metadata for a compiled statement) costs as much as the read itself. A `Prepared` statement is
compiled once per dialect; each call converts its parameters with the columns' own bind processors, sends the
text with `exec_driver_sql` (so engine events, statement recording and logging still see it), and converts
the rows with the columns' own result processors: what Core does for the same statement, without the rest.

A statement whose parameters are "expanding" (an IN list re-rendered per call), or whose result processors
cannot be known before a result exists, runs through Core unchanged.
"""
from __future__ import annotations

from typing import Any

_CORE = False  # the marker of a statement that runs through Core


class Prepared:
    """One statement (select, or insert with the columns it is given), prepared per dialect on first use."""

    __slots__ = ("stmt", "column_keys", "_by_dialect")

    def __init__(self, stmt, *, column_keys: tuple[str, ...] | None = None) -> None:
        self.stmt = stmt
        self.column_keys = column_keys  # an insert's columns, in the order its parameters name them
        self._by_dialect: dict = {}

    def _for(self, conn):
        found = self._by_dialect.get(conn.dialect)
        if found is None:
            found = self._by_dialect[conn.dialect] = self._prepare(conn.dialect)
        return found

    def rows(self, conn, params: dict) -> list:
        """Every row of a select, as tuples or lists of converted values."""
        found = self._for(conn)
        if found is _CORE:
            return conn.execute(self.stmt, params).all()
        sql, _names, _positional, _fixed, _binds, procs = found
        raw = conn.exec_driver_sql(sql, self._args(found, params)).fetchall()
        if not procs:
            return raw
        out = []
        for r in raw:
            r = list(r)
            for i, p in procs:
                if r[i] is not None:
                    r[i] = p(r[i])
            out.append(r)
        return out

    def first(self, conn, params: dict):
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def execute(self, conn, params: list[dict]) -> None:
        """Run a statement that returns no rows, once per parameter set (the driver's executemany)."""
        found = self._for(conn)
        if found is _CORE:
            conn.execute(self.stmt, params)
            return
        args = [self._args(found, p) for p in params]
        conn.exec_driver_sql(found[0], args if len(args) != 1 else args[0])

    @staticmethod
    def _args(found, params: dict):
        _sql, names, positional, fixed, binds, _procs = found
        values = {**fixed, **params} if fixed else params
        if binds:
            values = dict(values)
            for name, process in binds:
                value = values.get(name)
                if value is not None:
                    values[name] = process(value)
        return tuple(values[n] for n in names) if positional else {n: values[n] for n in names}

    def _prepare(self, dialect):
        try:
            if self.column_keys is None:
                compiled = self.stmt.compile(dialect=dialect)
            else:
                compiled = self.stmt.compile(dialect=dialect, column_keys=list(self.column_keys))
            if any(b.expanding for b in compiled.binds.values()):
                return _CORE
            binds = tuple((name, p) for name, b in compiled.binds.items()
                          if (p := b.type.dialect_impl(dialect).bind_processor(dialect)) is not None)
            procs = ()
            if getattr(self.stmt, "is_select", False):
                procs = tuple((i, p) for i, p in enumerate(
                    c.type.dialect_impl(dialect).result_processor(dialect, None)
                    for c in self.stmt.selected_columns) if p is not None)
        except Exception:  # noqa: BLE001 - a processor that needs the driver's column type: Core decides then
            return _CORE
        defaults = compiled.construct_params({k: None for k, b in compiled.binds.items() if b.required})
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup) if positional else tuple(defaults)
        fixed = {k: v for k, v in defaults.items() if v is not None}
        return (compiled.string, names, positional, fixed, binds, procs)
