"""Scheduled tag work: the nightly pass that re-evaluates every active rule for every customer at 02:00."""
from __future__ import annotations

from services.scheduler import Job
from services.tags import service


def nightly_tag_pass() -> None:
    service.nightly_pass()


JOBS = [Job(id="tags.nightly", func=nightly_tag_pass, trigger="cron", trigger_args={"hour": 2, "minute": 0})]
