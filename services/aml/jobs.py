"""Scheduled AML work: re-screening runs after list updates (chunk by chunk, each in its own transaction, so
progress shows and other writes go through between chunks) and the ratings that bulk screening left pending."""
from __future__ import annotations

import logging

from sqlalchemy import select

from services.aml.models import RescreenRun, RunStatus
from services.db import unit_of_work
from services.scheduler import Job

log = logging.getLogger(__name__)


def run_rescreens(max_chunks: int | None = None) -> int:
    """Work through queued re-screening runs; returns the chunks done. A run resumes where it stopped."""
    from services.aml.service import rescreen_step

    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        with unit_of_work() as uow:
            run = uow.session.execute(select(RescreenRun).where(
                RescreenRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))).order_by(RescreenRun.id).limit(1)
            ).scalar_one_or_none()
            if run is None:
                return chunks
            done = rescreen_step(uow.session, run)
            uow.commit()
        chunks += 1
        if done:
            log.info("re-screening run %s done", run.id)
    return chunks


def write_ratings() -> int:
    from services.aml.service import write_pending_ratings

    with unit_of_work() as uow:
        n = write_pending_ratings(uow.session)
        uow.commit()
    return n


JOBS = [Job(id="aml.rescreen", func=run_rescreens, trigger="interval", trigger_args={"seconds": 10}),
        Job(id="aml.ratings", func=write_ratings, trigger="interval", trigger_args={"minutes": 1})]
