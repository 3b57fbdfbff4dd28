"""The reminders engine's scheduled pass (hourly, and once when the scheduler starts): for every active rule, a
reminder for each live (customer, due day) that has none, and the open reminders no longer live resolved.

Made once: a reminder is unique per rule, customer and due day, inserted with ON CONFLICT DO NOTHING, so two
processes running the pass at once (a scheduler failover, a manual run beside the scheduled one) make it once; the
scheduler itself runs jobs in one elected process (services/scheduler.py)."""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services import clock
from services.agenda.models import Reminder, ReminderRule
from services.agenda.sources import SOURCES
from services.db import unit_of_work
from services.scheduler import Job
from services.security import audit
from services.security.actor import SYSTEM

log = logging.getLogger(__name__)


def run_rules(s: Session, today: date | None = None, sources: tuple[str, ...] | None = None) -> dict[str, int]:
    """One pass over the active rules (of these sources only, when given), audited; returns {"made": n, "resolved": m}."""
    today = today or clock.today()
    now = clock.now()
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    made = resolved = 0
    rules = select(ReminderRule).where(ReminderRule.active.is_(True)).order_by(ReminderRule.code)
    if sources is not None:
        rules = rules.where(ReminderRule.source.in_(sources))
    for rule in s.execute(rules).scalars().all():
        source = SOURCES.get(rule.source)
        if source is None:
            log.warning("reminder rule %s: unknown source %r", rule.code, rule.source)
            continue
        live = source(s, rule, today)
        oldest = min((d.due_on for d in live), default=today)
        # The rule's reminders that a live subject may already have, and every open one (to resolve).
        existing = {(key, due): (rid, res) for rid, key, due, res in s.execute(
            select(Reminder.id, Reminder.subject_key, Reminder.due_on, Reminder.resolved_at)
            .where(Reminder.rule_code == rule.code,
                   or_(Reminder.due_on >= oldest, Reminder.resolved_at.is_(None))))}
        for d in sorted(live):
            if (d.subject_key, d.due_on) in existing:
                continue
            row = s.execute(insert(Reminder).values(
                rule_code=rule.code, kind=rule.source, subject_key=d.subject_key, customer_id=d.customer_id,
                holding_id=d.holding_id, approval_task_id=d.approval_task_id, owner_id=d.owner_id, due_on=d.due_on,
                created_at=now).on_conflict_do_nothing().returning(Reminder.id)).scalar()
            made += row is not None
        live_keys = {(d.subject_key, d.due_on) for d in live}
        stale = [rid for key, (rid, res) in existing.items() if res is None and key not in live_keys]
        if stale:
            s.execute(update(Reminder).where(Reminder.id.in_(stale), Reminder.resolved_at.is_(None))
                      .values(resolved_at=now))
            resolved += len(stale)
    counts = {"made": made, "resolved": resolved}
    # The pass on record, whatever it changed (the unit of work commits no write without an audit event).
    audit.record(s, SYSTEM, "reminder.pass", entity_type="job", entity_id="agenda.reminders",
                 changes={**counts, "day": today.isoformat()})
    return counts


def remind(sources: tuple[str, ...] | None = None) -> None:
    """The pass, then the new reminders announced (e-mail and push queued in their outboxes), then the push outbox
    sent; each step in its own transaction, so a failing step leaves the others' work done."""
    from services.agenda import delivery, push

    with unit_of_work() as uow:
        counts = run_rules(uow.session, sources=sources)
        uow.commit()
    if counts["made"] or counts["resolved"]:
        log.info("reminders: %(made)d made, %(resolved)d resolved", counts)
    with unit_of_work() as uow:
        queued = delivery.notify(uow.session)
        uow.commit()
    if queued["reminders"]:
        log.info("reminders announced: %s", queued)
    push.deliver()


def remind_approvals() -> None:
    """Approvals move by the hour: their SLA reminders (marked by the workflow domain's SLA job every five minutes)
    are made and announced on the same beat, not at the next hourly pass."""
    remind(sources=("approval_sla",))


def deliver_push() -> None:
    from services.agenda import push

    push.deliver()


JOBS = [
    Job(id="agenda.reminders.startup", func=remind, trigger="date"),
    Job(id="agenda.reminders", func=remind, trigger="cron", trigger_args={"minute": 7}),
    Job(id="agenda.approval_reminders", func=remind_approvals, trigger="interval", trigger_args={"minutes": 5}),
    Job(id="agenda.push", func=deliver_push, trigger="interval", trigger_args={"minutes": 2}),
]
