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
