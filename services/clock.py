"""The one clock: FinCRM's "now" and "today".

Stored times are UTC. "Today", and every date a person means (a birth date that may not lie in the
future, a date filter, a customer's age, the day an import finished), is the date in the firm's time zone
(FINCRM_TIMEZONE), whatever zone the server happens to run in: at 07:00 in Shanghai the server's UTC date
is still yesterday. Services ask this module instead of calling datetime.now(), date.today() or
time.time(), so there is one place to read the time and one place to fix it.

Fixing the time (`fixed`) is for tests and for the demo seed, which writes a snapshot of the bank as of
its anchor day. It is process-wide on purpose: Reflex runs page handlers in worker threads, where a
thread-local or context variable set by the caller would not be seen. Setting and restoring take a lock,
and `now()` reads one reference (atomic), so a handler thread never sees half a change. Fixes nest; fixes
made from several threads at once are not meant to be mixed (the last one to leave restores its own
predecessor).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from services.settings import get_settings

UTC = timezone.utc

_lock = threading.Lock()
_fixed: datetime | None = None  # None: the real time


def zone() -> ZoneInfo:
    """The firm's time zone (FINCRM_TIMEZONE, checked when the settings are read)."""
    return get_settings().zone


def now() -> datetime:
    """The current instant, aware, in UTC: what services store."""
    at = _fixed
    return at if at is not None else datetime.now(UTC)


def local_now() -> datetime:
    """The current instant in the firm's time zone: for what people read (file names, headings)."""
    return now().astimezone(zone())


def today() -> date:
    """Today's date in the firm's time zone."""
    return local_now().date()


def local_date(at: datetime) -> date:
    """The firm's calendar date of a stored (aware) time."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: FinCRM times are time-zone aware")
    return at.astimezone(zone()).date()


def start_of_day(day: date) -> datetime:
    """The UTC instant the firm's day `day` begins: the lower bound of "on or after `day`", and of "before
    the day after" for an upper bound."""
    return datetime.combine(day, time.min, zone()).astimezone(UTC)


def _instant(at: datetime | date) -> datetime:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("naive datetime: fix the clock at an aware time")
        return at.astimezone(UTC)
    return start_of_day(at)


@contextmanager
def fixed(at: datetime | date) -> Iterator[datetime]:
    """Fix the clock at `at` (an aware time, or a date: the start of that day in the firm's zone) for the
    whole process until the block ends; yields the UTC instant. The clock does not tick while fixed."""
    global _fixed
    instant = _instant(at)
    with _lock:
        previous, _fixed = _fixed, instant
    try:
        yield instant
    finally:
        with _lock:
            _fixed = previous
