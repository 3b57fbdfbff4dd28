"""The range of dates and times FinCRM accepts from outside.

A business date (a booking, an interaction, an account opening, a birth) is not before 1900-01-01: nothing
the firm records is older, and the import already refuses earlier dates. No date is after 2200-12-31
(a task's due date, like a custom date field). Times must carry their time zone, and the range applies to
their UTC time: year 1 with a positive offset (or year 9999 with a negative one) lies outside it, and
converting it to UTC, as storing it does, overflows. How far a time may lie in the *future* depends on
"now" and is checked by the use case: what already happened may be at most CLOCK_SKEW ahead of the
server's clock (the sender's clock may run a little fast).

The checks are pydantic constraints (evaluated in pydantic-core, no Python call per value: a batch has
10,000 rows); services.validation.input.parse names a violation `value.date_out_of_range`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AwareDatetime, Field

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
CLOCK_SKEW = timedelta(minutes=5)
OUT_OF_RANGE = "value.date_out_of_range"
RANGE_PARAMS = {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}

BusinessDate = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
BusinessTime = Annotated[AwareDatetime, Field(ge=datetime.combine(EARLIEST, time.min, timezone.utc),
                                              le=datetime.combine(LATEST, time.max, timezone.utc))]
