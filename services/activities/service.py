"""Quick actions from the 360 page: log a call or visit, add a task, open a ticket."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from services import clock
from services.activities import contact
from services.activities.models import ContactBasis, Interaction, InteractionKind
from services.activities.tasks import add_task  # noqa: F401 - the 360 page's quick action
from services.activities.tickets import TICKET_CHANNELS, open_ticket  # noqa: F401 - the 360 page's quick action
from services.customers.service import load_customer
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.validation.dates import CLOCK_SKEW, BusinessTime
from services.validation.input import StrictInput, parse


class InteractionCreate(StrictInput):
    kind: InteractionKind
    subject: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    occurred_at: BusinessTime | None = None  # default now; at most CLOCK_SKEW ahead
    # Required for a call, visit or meeting with a customer who asked not to be contacted
    # (services/activities/contact.py); ignored otherwise.
    contact_basis: ContactBasis | None = None


def _staff(actor: Actor) -> None:
    # A record names the person (or the system of record) who made it; the firm's own processes make none.
    if actor.kind not in ("user", "api_client"):
        raise NotPermitted(actor=actor)


@requires(Permission.RECORD_WRITE)
def log_interaction(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> Interaction:
    _staff(actor)
    s = uow.session
    c = load_customer(s, actor, customer_id)
    req = parse(InteractionCreate, data)
    now = clock.now()
    when = req.occurred_at or now
    if when > now + CLOCK_SKEW:
        raise ValidationFailed([FieldError("occurred_at", "value.future_date")])
    basis = contact.contact_basis(s, c.id, req.kind, req.contact_basis)
    user_id = actor.id if actor.kind == "user" else c.owner_id
    row = Interaction(customer_id=c.id, user_id=user_id, kind=req.kind, occurred_at=when, subject=req.subject,
                      notes=req.notes, contact_basis=basis, created_at=now)
    s.add(row)
    s.flush()
    changes = {"interaction_id": row.id, "kind": req.kind.value, "subject": req.subject}
    if basis is not None:
        changes["contact_basis"] = basis.value  # contact despite "do not contact": reviewable
    audit.record(s, actor, "interaction.create", entity_type="customer", entity_id=c.id, changes=changes)
    return row
