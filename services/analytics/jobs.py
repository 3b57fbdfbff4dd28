"""Decision support's scheduled work (services/scheduler.py JOB_MODULES): next-best-actions computed again every
morning for the whole book (what is due moves with the calendar)."""
from __future__ import annotations

import logging

from services.db import unit_of_work
from services.scheduler import Job
from services.security import audit
from services.security.actor import SYSTEM

log = logging.getLogger(__name__)


def refresh_suggestions() -> None:
    from services.analytics import nba

    with unit_of_work() as uow:
        counts = nba.refresh_all(uow.session)
        audit.record(uow.session, SYSTEM, "nba.refresh", entity_type="job", entity_id="analytics.nba", changes=counts)
        uow.commit()
    log.info("next-best-actions: %s", counts)


JOBS = [Job(id="analytics.nba", func=refresh_suggestions, trigger="cron", trigger_args={"hour": 6, "minute": 15})]


def weekly_report() -> None:
    """Monday morning: last week's report for every subscriber, queued in the outbox."""
    from services.analytics import report

    with unit_of_work() as uow:
        made = report.weekly(uow.session, SYSTEM)
        uow.commit()
    if made:
        log.info("weekly reports queued: %d", made)


def deliver_mail() -> None:
    from services.analytics import mail

    mail.deliver()


JOBS += [Job(id="analytics.weekly_report", func=weekly_report, trigger="cron",
             trigger_args={"day_of_week": "mon", "hour": 7, "minute": 0}),
         Job(id="analytics.mail", func=deliver_mail, trigger="interval", trigger_args={"minutes": 1})]
