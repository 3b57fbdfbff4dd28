"""The outbox of messages to customers (one-time codes), as staff read it: the default code sender keeps the
messages here for the customer's RM to pass on when no SMS gateway is configured."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from services import clock
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission as P, customer_scope_filter, requires
from services.suitability.models import CustomerMessage
from services.validation.input import whole_number


class MessageView(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    recipient: str
    body: str
    body_en: str
    sender: str
    created_at: datetime
    expires_at: datetime | None
    expired: bool


@requires(P.RECORD_WRITE)
def customer_messages(*, uow: UnitOfWork, actor: Actor, page: Any = 1, page_size: int = 30) -> list[MessageView]:
    """Messages to the customers in the actor's scope, newest first. Reading the outbox is audited: it holds
    one-time codes (the people who pass them on are the customers' own RMs and their managers)."""
    number = whole_number(page, low=1, high=10_000)
    if number is None:
        raise ValidationFailed([FieldError("page", "value.invalid")])
    s = uow.session
    rows = s.execute(select(CustomerMessage, Customer.name).join(Customer, Customer.id == CustomerMessage.customer_id)
                     .where(customer_scope_filter(actor, Customer))
                     .order_by(CustomerMessage.created_at.desc(), CustomerMessage.id.desc())
                     .offset((number - 1) * page_size).limit(page_size)).all()
    now = clock.now()
    audit.record(s, actor, "customer_message.read", entity_type="customer_message", entity_id=None,
                 changes={"ids": [m.id for m, _ in rows][:50]})
    return [MessageView(id=m.id, customer_id=m.customer_id, customer_name=name, recipient=m.recipient_masked,
                        body=m.body, body_en=m.body_en, sender=m.sender, created_at=m.created_at,
                        expires_at=m.expires_at, expired=m.expires_at is not None and m.expires_at <= now)
            for m, name in rows]
