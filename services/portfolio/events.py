"""What the portfolio announces: money moved on customers' accounts."""
from __future__ import annotations

from dataclasses import dataclass

from services.events import DomainEvent


@dataclass(frozen=True)
class TransactionsIngested(DomainEvent):
    """A batch of transactions was booked; `customer_ids` are the customers it touched, once each, and
    `transaction_ids` the rows it booked (a handler that counts them reads exactly those)."""

    name = "transactions.ingested"
    customer_ids: tuple[int, ...]
    count: int
    source: str = "api"
    transaction_ids: tuple[int, ...] = ()
