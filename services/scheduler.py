"""Scheduled jobs (APScheduler), run by exactly one process.

Every backend worker may call `start()`; only the one that wins the election lock
runs jobs (PostgreSQL: a session-level advisory lock held on a dedicated connection;
SQLite: an exclusive lock on a file in the data directory). The others keep trying,
so if the leader dies another worker takes over.

Jobs live with their domain: a module listed in JOB_MODULES exposes `JOBS`, a list
of `Job`. Each job opens its own unit of work and logs one item's failure without
stopping the rest.
"""
from __future__ import annotations

import fcntl
import importlib
import importlib.util
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

from services.db import get_engine
from services.settings import get_settings

log = logging.getLogger(__name__)

JOB_MODULES = ("services.tags.jobs", "services.imports.jobs", "services.integration.jobs", "services.aml.jobs",
               "services.suitability.jobs", "services.activities.jobs", "services.workflows.jobs",
               "services.agenda.jobs", "services.analytics.jobs", "services.security.jobs")
_PG_LEADER_KEY = 715_551_002


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    trigger: str  # "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)


def all_jobs() -> list[Job]:
    jobs: list[Job] = []
    for name in JOB_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        jobs.extend(importlib.import_module(name).JOBS)
    return jobs


class _Leadership:
    """Holds the election lock for as long as this process lives."""

    def __init__(self) -> None:
        self._conn = None
        self._fh = None

    def try_acquire(self) -> bool:
        settings = get_settings()
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            fh = open(settings.data_dir / "scheduler.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                return False
            self._fh = fh
            return True
        conn = get_engine().connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LEADER_KEY}).scalar()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False


_scheduler: BackgroundScheduler | None = None
_lock = threading.Lock()


def start(jobs: list[Job] | None = None, *, retry_seconds: int = 30) -> None:
    """Start the scheduler in this process if it wins the election; otherwise retry later."""
    global _scheduler
    with _lock:
        if _scheduler is not None:
            return
        leadership = _Leadership()
        if not leadership.try_acquire():
            timer = threading.Timer(retry_seconds, start, kwargs={"jobs": jobs, "retry_seconds": retry_seconds})
            timer.daemon = True
            timer.start()
            return
        sched = BackgroundScheduler(timezone=get_settings().zone)  # the firm's zone: 02:00 is 02:00 there
        for job in jobs if jobs is not None else all_jobs():
            sched.add_job(_guarded(job), job.trigger, id=job.id, replace_existing=True, coalesce=True,
                          max_instances=1, **job.trigger_args)
        sched.start()
        sched._fincrm_leadership = leadership  # keep the lock alive with the scheduler
        _scheduler = sched
        log.info("scheduler started with jobs: %s", ", ".join(j.id for j in sched.get_jobs()) or "none")


def _guarded(job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            job.func()
        except Exception:  # one job's failure must not stop the scheduler
            log.exception("scheduled job %s failed", job.id)

    run.__name__ = job.id
    return run


def run_forever() -> None:
    """`fincrm scheduler`: a dedicated scheduler process (the recommended set-up with several workers)."""
    import time

    start()
    while True:
        time.sleep(3600)
