"""Write holds: rows a bulk writer has committed but nobody may see yet.

A large import cannot be one transaction: on SQLite a writing transaction holds the database's only
write lock for as long as it runs (sign-ins, every other user's save would wait, then fail), and on
PostgreSQL one huge transaction is no better for the rest of the system. So the writer commits its
rows in short transactions *under a hold*, and publishes them all at once at the end by closing the
hold (one row, one short transaction); if the run fails, the hold's rows are deleted
(`discard_some`) and the hold is closed as discarded. Until then they are invisible:

- every row written under a hold carries its id (`<table>.hold_id`, e.g. `customer.hold_id`);
- `visible(id_column)` is the condition "not a row of an open hold", for set queries (search, lists,
  exports, counts, the nightly tag pass). It is written so that it costs nothing while no hold is open,
  and it keeps covering indexes covering: rows below the lowest id any open hold wrote
  (`first_row_id`) pass on their id alone, and the held ids are looked up (once per statement) only
  for the rows above it;
- `is_open(session, hold_id)` is the same test for one row already loaded (the single-customer gate);
- what other domains write *because of* a held row, in the same transaction (tags, outbox messages),
  is written with that transaction's hold (`writing_under` / `current`): a table with its own
  `hold_id` column (the outbox) is filtered with `not_held(column)`; a table that points at the held
  rows (customer tags) is read through the held rows' own gates, and `discard_some` deletes it with
  them (every foreign key to the held table is followed).

The hold row itself is the switch: `status` open -> published (rows appear, all at once, in one
commit) or open -> discarded (only after every row of it is gone). A process that dies in between
leaves the hold open: its rows stay invisible until someone (the import watchdog) discards them.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import Column, Table, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, Session, SQLModel, String

from services import clock
from services.events import DomainEvent
from services.types import UTCDateTime

OPEN, PUBLISHED, DISCARDED = "open", "published", "discarded"
# "No open hold wrote any row": every id is below it (fits a 64-bit integer on both databases).
NO_FLOOR = 2**62
_SESSION_KEY = "fincrm.write_hold"


class WriteHold(SQLModel, table=True):
    """One bulk write whose rows are not published yet (or were, or were thrown away)."""

    __tablename__ = "write_hold"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(sa_type=String(64))  # who holds it, e.g. "import_batch:12"
    status: str = Field(sa_type=String(12), default=OPEN, index=True)  # open, published, discarded
    # The lowest id of a row written under it: rows below the lowest of all open holds are visible on
    # their id alone. None until the first row is written.
    first_row_id: int | None = None
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


_hold = WriteHold.__table__


# ---------------------------------------------------------------- reading: what is visible


def _table_of(id_column: Any) -> Table:
    """The table an id column (ORM attribute, Core column, or a column of an alias) belongs to."""
    expr = getattr(id_column, "expression", id_column)
    table = getattr(expr, "table", None)
    while table is not None and not isinstance(table, Table):
        table = getattr(table, "element", None) or getattr(table, "original", None)
    if table is None:
        raise TypeError(f"cannot tell the table of {id_column!r}")
    return table


_visible: dict[tuple[int, int], tuple[Any, Any, ColumnElement[bool]]] = {}


def visible(id_column: Any, held_table: Table | None = None) -> ColumnElement[bool]:
    """Rows of `held_table` (default: the table of `id_column`) that no open hold hides, as a WHERE
    condition on `id_column` (the held table's id, or a column that points at it).

    Built once per column and table (the alias of the held table sets up a proxy of every column, which
    cost a filtered customer search more than its own SQL); expressions are immutable, so it is shared."""
    key = (id(id_column), id(held_table))
    found = _visible.get(key)
    if found is not None and found[0] is id_column and found[1] is held_table:
        return found[2]
    condition = _build_visible(id_column, held_table)
    if len(_visible) > 200:
        _visible.clear()
    _visible[key] = (id_column, held_table, condition)  # the objects kept alive with it: their ids stay theirs
    return condition


def _build_visible(id_column: Any, held_table: Table | None) -> ColumnElement[bool]:
    table = held_table if held_table is not None else _table_of(id_column)
    open_holds = select(_hold.c.id).where(_hold.c.status == OPEN)
    floor = (select(func.coalesce(func.min(_hold.c.first_row_id), NO_FLOOR))
             .where(_hold.c.status == OPEN).scalar_subquery())
    held = table.alias(f"held_{table.name}")
    held_ids = select(held.c.id).where(held.c.hold_id.in_(open_holds))
    return or_(id_column < floor, id_column.not_in(held_ids))


def not_held(hold_column: Any) -> ColumnElement[bool]:
    """For a table that records the hold it was written under (e.g. the outbox): not under an open one."""
    return or_(hold_column.is_(None), hold_column.not_in(select(_hold.c.id).where(_hold.c.status == OPEN)))


def is_open(session: Session, hold_id: int | None) -> bool:
    """Whether a row written under `hold_id` is still hidden."""
    if hold_id is None:
        return False
    return session.execute(select(_hold.c.status).where(_hold.c.id == hold_id)).scalar_one_or_none() == OPEN


# ---------------------------------------------------------------- writing under a hold


def open_hold(session: Session, purpose: str) -> int:
    """A new open hold (in the caller's transaction)."""
    hid = session.execute(_hold.insert().values(purpose=purpose[:64], status=OPEN, opened_at=clock.now())
                          .returning(_hold.c.id)).scalar_one()
    return hid


@contextmanager
def writing_under(session: Session, hold_id: int) -> Iterator[None]:
    """What the session writes meanwhile belongs to `hold_id`: tables that record it (the outbox) ask
    `current(session)`."""
    previous = session.info.get(_SESSION_KEY)
    session.info[_SESSION_KEY] = hold_id
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_SESSION_KEY, None)
        else:
            session.info[_SESSION_KEY] = previous


def current(session: Session) -> int | None:
    """The hold the session is writing under, if any."""
    return session.info.get(_SESSION_KEY)


def note_rows(session: Session, hold_id: int, ids: list[int]) -> None:
    """Rows were just written under the hold (with `hold_id` set, in this transaction): lower its floor to
    them, so that the visibility test looks them up."""
    if not ids:
        return
    low = min(ids)
    session.execute(update(_hold).where(_hold.c.id == hold_id,
                                        or_(_hold.c.first_row_id.is_(None), _hold.c.first_row_id > low))
                    .values(first_row_id=low))


@dataclass(frozen=True)
class HoldPublished(DomainEvent):
    """The rows of a hold became visible (in this transaction): what other domains skipped while they were held
    (dashboard rollups count no unpublished customer) they take in now."""

    name = "hold.published"
    hold_id: int


def publish(session: Session, hold_id: int) -> bool:
    """Show every row of the hold, at this transaction's commit, and announce it (HoldPublished). False if it
    was not open."""
    if session.execute(update(_hold).where(_hold.c.id == hold_id, _hold.c.status == OPEN)
                       .values(status=PUBLISHED, closed_at=clock.now())).rowcount != 1:
        return False
    from services.events import publish as announce

    announce(session, HoldPublished(hold_id=hold_id))
    return True


def discard_some(session: Session, hold_id: int, table: Table, limit: int = 2000) -> int:
    """Delete up to `limit` rows of the hold from `table`, with everything that points at them (every
    foreign key to `table`) and every row of other tables written under the hold. When none is left,
    the hold is closed as discarded. Returns how many rows of `table` were deleted (0: done).

    Called in short transactions until it returns 0, so that a large discard never holds the
    database for long; the rows stay hidden throughout (the hold is open until the last one is gone)."""
    ids = list(session.execute(select(table.c.id).where(table.c.hold_id == hold_id).order_by(table.c.id)
                               .limit(limit)).scalars())
    if ids:
        for other in table.metadata.sorted_tables:
            for fk in other.foreign_keys:
                if fk.column.table is table and other is not table:
                    session.execute(delete(other).where(fk.parent.in_(ids)))
        session.execute(delete(table).where(table.c.id.in_(ids)))
        return len(ids)
    for other in table.metadata.sorted_tables:
        if other is not table and other is not _hold and "hold_id" in other.c:
            session.execute(delete(other).where(other.c.hold_id == hold_id))
    session.execute(update(_hold).where(_hold.c.id == hold_id, _hold.c.status == OPEN)
                    .values(status=DISCARDED, closed_at=clock.now()))
    return 0
