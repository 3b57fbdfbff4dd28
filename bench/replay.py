"""The baseline of the per-call figures: exactly the SQL the service call sent, replayed as driver SQL.

`recorded_sql` records one service call's statements and parameters as SQLAlchemy hands them to the driver
(same text, same bound values, so the database plans them the same way); `replay` sends them again on the
same connection (`exec_driver_sql`) and fetches every row. The difference is what the service adds around
its SQL.
"""
from __future__ import annotations

from sqlalchemy import event


def recorded_sql(conn, call) -> list[tuple[str, object]]:
    """The (statement, parameters) pairs `call()` sends to the driver on `conn`."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(conn, "before_cursor_execute", record)
    return seen


AUDIT_HEAD = "FROM audit_event ORDER BY audit_event.seq DESC"
AUDIT_APPEND = "INSERT INTO audit_event "


def replay(conn, recorded: list[tuple[str, object]]) -> None:
    """Run recorded statements as driver SQL, fetching every row. The one adjustment: an audit append
    (the 360 view is an audited read) takes the sequence number after the chain head it just read, as the
    service's does, instead of the recorded one (already used)."""
    head = None
    for sql, params in recorded:
        if sql.startswith(AUDIT_APPEND):
            assert head is not None, "an audit append without reading the chain head first"
            columns = [c.strip() for c in sql[sql.index("(") + 1:sql.index(")")].split(",")]
            params = list(params)
            params[columns.index("seq")] = head + 1
            params = tuple(params)
        result = conn.exec_driver_sql(sql, params)
        rows = result.all() if result.returns_rows else None
        if AUDIT_HEAD in sql:
            head = rows[0][0] if rows else 0
