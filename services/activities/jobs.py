"""Scheduled work of the activities domain: tickets that pass their SLA are flagged and escalated.

Each breached ticket is handled in its own unit of work: it is flagged once (`breached_at`, checked again under
the row lock, so two schedulers or a re-run never escalate twice), a step `breach` joins its history, the team
lead (services/activities/access.py escalation_target) is named on it and gets a high-priority escalation task
due now, which shows in their "My tasks", and the system's audit event records it. One ticket's failure is
logged and the others go on.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.activities import access
from services.activities.models import (OPEN_TICKET_STATUSES, Task, TaskKind, TaskPriority, TaskStatus, Ticket,
                                        TicketEvent)
from services.customers.models import Customer
from services.db import unit_of_work
from services.scheduler import Job
from services.security import audit
from services.security.actor import SYSTEM

log = logging.getLogger(__name__)

BATCH = 500  # tickets looked at per run; the rest wait a minute


def breached_ticket_ids(session: Session, limit: int = BATCH) -> list[int]:
    return list(session.execute(
        select(Ticket.id).where(Ticket.status.in_([str(s) for s in OPEN_TICKET_STATUSES]),
                                Ticket.sla_due_at < clock.now(), Ticket.breached_at.is_(None))
        .order_by(Ticket.sla_due_at, Ticket.id).limit(limit)).scalars())


def escalate_breach(session: Session, ticket_id: int) -> bool:
    """Flag one ticket past its SLA and escalate it; False when it no longer needs it (another run did it,
    or it was resolved meanwhile)."""
    now = clock.now()
    ticket = session.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).scalar_one_or_none()
    if (ticket is None or ticket.breached_at is not None or ticket.status not in OPEN_TICKET_STATUSES
            or ticket.sla_due_at >= now):
        return False
    customer = session.get(Customer, ticket.customer_id)
    target = access.escalation_target(session, customer, ticket.assignee_id)
    ticket.breached_at = now
    ticket.escalated_to_id = target.id if target is not None else None
    session.add(TicketEvent(ticket_id=ticket.id, customer_id=ticket.customer_id, at=now, step="breach",
                            from_status=ticket.status, to_status=ticket.status, actor_id=None,
                            assignee_id=ticket.escalated_to_id))
    if target is not None:
        session.add(Task(customer_id=ticket.customer_id, assignee_id=target.id, created_by_id=target.id,
                         title=ticket.subject, due_at=now, status=TaskStatus.OPEN, priority=TaskPriority.HIGH,
                         kind=TaskKind.ESCALATION, ticket_id=ticket.id, created_at=now))
    else:
        log.warning("ticket %s breached its SLA and nobody leads its customer's team or branch", ticket.id)
    session.flush()
    audit.record(session, SYSTEM, "ticket.sla_breached", entity_type="ticket", entity_id=ticket.id,
                 changes={"customer_id": ticket.customer_id, "status": ticket.status, "sla_due_at": ticket.sla_due_at,
                          "assignee_id": ticket.assignee_id, "escalated_to": ticket.escalated_to_id})
    return True


def escalate_breaches(limit: int = BATCH) -> int:
    """The job: every open ticket past its SLA and not yet flagged, each in its own transaction."""
    with unit_of_work(readonly=True) as uow:
        ids = breached_ticket_ids(uow.session, limit)
    done = 0
    for ticket_id in ids:
        try:
            with unit_of_work() as uow:
                if escalate_breach(uow.session, ticket_id):
                    done += 1
                uow.commit()
        except Exception:  # one ticket's failure must not hold up the others' escalation
            log.exception("escalating ticket %s failed", ticket_id)
    return done


JOBS = [Job(id="activities.sla_breaches", func=escalate_breaches, trigger="interval", trigger_args={"minutes": 1})]
