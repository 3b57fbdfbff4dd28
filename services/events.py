"""Domain events: how one domain tells the others what happened, without calling them.

A use case publishes a typed event (`uow.publish(CustomerChanged(...))`) inside its unit of work; every
handler subscribed to that type runs at once, in the same transaction (so a failing handler rolls the
whole change back, and what the handlers write commits with the change). Handlers are subscribed in one
place, `services.bootstrap`, never by the domains themselves: a domain knows the events it publishes and
the events it handles, not who else listens. The transactional outbox (webhooks to other systems) is one
subscriber among others.

Publishing before `services.bootstrap.configure()` ran is an error, not a silent no-op: a change whose
reactions (tags, webhooks) quietly did not happen would be a defect nobody sees.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, TypeVar

from sqlmodel import Session


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event: a frozen dataclass named in the past tense, holding ids and masked facts only
    (handlers read what else they need in the same transaction)."""

    name: ClassVar[str] = "event"


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]


class NotConfigured(RuntimeError):
    pass


class MessageBus:
    """Event type -> handlers, run in subscription order, synchronously, in the publisher's transaction."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()
        self.configured = False

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        with self._lock:
            if handler not in self._handlers[event_type]:
                self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type, handler: Handler) -> None:
        with self._lock:
            if handler in self._handlers.get(event_type, []):
                self._handlers[event_type].remove(handler)

    def handlers(self, event_type: type) -> list[Handler]:
        return list(self._handlers.get(event_type, ()))

    def subscriptions(self) -> dict[type, list[Handler]]:
        return {k: list(v) for k, v in self._handlers.items()}

    def publish(self, session: Session, event: DomainEvent) -> None:
        if not self.configured:
            raise NotConfigured("services.bootstrap.configure() must run before any event is published "
                                f"(got {type(event).__name__})")
        for handler in self.handlers(type(event)):
            handler(session, event)

    def reset(self) -> None:
        """Forget every subscription (tests that build their own bus wiring)."""
        with self._lock:
            self._handlers.clear()
            self.configured = False


bus = MessageBus()


def publish(session: Session, event: DomainEvent) -> None:
    """Publish `event` in the transaction of `session` (use cases call `uow.publish(event)`)."""
    bus.publish(session, event)
