"""The range of dates and times FinCRM accepts from outside.

A business date (a booking, an interaction, an account opening, a birth) is not before 1900-01-01: nothing
the firm records is older, and the import already refuses earlier dates. A planned time (a task's due date)
is not after 2200-12-31, like a custom date field. Times must carry their time zone and must be
convertible to UTC (year 1 with a positive offset, or year 9999 with a negative one, is not: the
conversion overflows, and every time is stored in UTC). How far a time may lie in the *future* depends
on "now" and is checked by the use case: what already happened may be at most CLOCK_SKEW ahead of the
server's clock (the sender's clock may run a little fast).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator

from services.validation.identity import InvalidValue

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
CLOCK_SKEW = timedelta(minutes=5)
OUT_OF_RANGE = "value.date_out_of_range"


def _out_of_range() -> InvalidValue:
    return InvalidValue(OUT_OF_RANGE, earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())


def checked_date(value: date) -> date:
    """`value` if it lies within EARLIEST .. LATEST, else InvalidValue."""
    if not EARLIEST <= value <= LATEST:
        raise _out_of_range()
    return value


def checked_time(value: datetime) -> datetime:
    """`value` if it carries a time zone and its UTC time lies within EARLIEST .. LATEST, else
    ValueError('naive') / InvalidValue. The value keeps the offset it was sent with."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive")
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise _out_of_range() from None
    checked_date(utc.date())
    return value


BusinessDate = Annotated[date, AfterValidator(checked_date)]
BusinessTime = Annotated[datetime, AfterValidator(checked_time)]
