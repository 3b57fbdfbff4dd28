"""The activities domain's part of the customer's timeline (services/customer360 merges the sources): every step
of every ticket — received, assigned, started, waiting, resolved, closed, reopened, SLA breached."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from services.activities.models import Ticket, TicketEvent
from services.customers.views import TimelineItem

# What a step shows besides the status it led to (a reassignment, a reopening and a breach keep the status).
_SHOWN_AS = {"assign": "assigned", "reopen": "reopened", "breach": "breached"}


def ticket_items(session: Session, customer_id: int, before: datetime, limit: int) -> list[TimelineItem]:
    """The customer's latest ticket steps before `before`, newest first: title the ticket's subject, subtype its
    kind, detail the status it reached (or assigned / reopened / breached), ref_id the step's id."""
    rows = session.execute(
        select(TicketEvent.id, TicketEvent.at, TicketEvent.step, TicketEvent.to_status, Ticket.kind, Ticket.subject)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.customer_id == customer_id, TicketEvent.at < before)
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc()).limit(limit)).all()
    return [TimelineItem(at=at, kind="ticket", subtype=kind, title=subject, detail=_SHOWN_AS.get(step, to_status),
                         ref_id=event_id) for event_id, at, step, to_status, kind, subject in rows]
