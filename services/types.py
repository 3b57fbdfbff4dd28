"""Column types shared by all models: exact money and time-zone aware times."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

from services import clock


class ScaledDecimal(TypeDecorator):
    """A Decimal stored as a scaled integer.

    SQLite has no exact decimal type (Numeric degrades to float there), so
    amounts are kept as integer minor units on every database: sums stay exact
    and the schema is the same on SQLite and PostgreSQL.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        try:
            d = Decimal(str(value)) if not isinstance(value, Decimal) else value
        except InvalidOperation as exc:  # pragma: no cover - validated earlier
            raise ValueError(f"not a decimal: {value!r}") from exc
        scaled = d * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # Exact: the stored integer with the exponent moved (19 digits at most, within Decimal's 28).
        return Decimal(int(value)).scaleb(-self.scale)

    @property
    def python_type(self):
        return Decimal


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column declarations
    return ScaledDecimal(2)


class UTCDateTime(TypeDecorator):
    """Always stores UTC and always returns aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: FinCRM stores time-zone aware times only")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """Now, from the one clock: the models' default_factory for creation times (services call
    services.clock.now() directly)."""
    return clock.now()
