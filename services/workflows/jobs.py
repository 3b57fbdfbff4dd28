"""Scheduled work of the workflow domain: SLA reminders and escalations of approval tasks (services/workflows/sla.py),
every five minutes. Each task is handled in its own unit of work; one failure is logged and the rest go on."""
from __future__ import annotations

import logging

from services.db import unit_of_work
from services.scheduler import Job
from services.workflows import sla

log = logging.getLogger(__name__)


def run_sla() -> dict[str, int]:
    """One pass: remind, then escalate, what is due now. Returns the counts (the CLI prints them)."""
    with unit_of_work(readonly=True) as uow:
        reminders = sla.due_for_reminder(uow.session)
        escalations = sla.due_for_escalation(uow.session)
    done = {"reminded": 0, "escalated": 0}
    for name, ids, step in (("reminded", reminders, sla.remind), ("escalated", escalations, sla.escalate)):
        for task_id in ids:
            try:
                with unit_of_work() as uow:
                    if step(uow.session, task_id):
                        done[name] += 1
                    uow.commit()
            except Exception:  # one task's failure must not stop the others
                log.exception("approval SLA %s failed for task %s", name, task_id)
    return done


JOBS = [Job(id="approval_sla", func=run_sla, trigger="interval", trigger_args={"minutes": 5})]
