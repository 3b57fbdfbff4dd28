"""Scheduled upkeep of the sign-in records: the throttle's counts are kept only as long as they count.

`login_attempt` rows answer two questions (services/security/throttle.py): how many failures a key had within
FINCRM_LOCKOUT_WINDOW_MINUTES, and whether a browser or address signed in successfully as a name within
FINCRM_LOCKOUT_TRUST_DAYS. Older rows answer neither, and a flood of guesses would otherwise grow the table (and
every count over it) for ever. Each sign-in, failed or not, is in the audit trail, which is never pruned. Throttles
that have ended are removed too.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select
from sqlmodel import Session

from services import clock
from services.db import unit_of_work
from services.scheduler import Job
from services.security import audit
from services.security.actor import SYSTEM
from services.security.models import CredentialThrottle, LoginAttempt
from services.settings import get_settings

log = logging.getLogger(__name__)

CHUNK = 5_000  # rows deleted per statement: short transactions, the write lock free in between


def prune_sign_in_records(session: Session, limit: int = CHUNK) -> dict[str, int]:
    """Delete up to `limit` failures older than the window, successes older than the trust period and ended
    throttles; audited when anything went."""
    settings = get_settings()
    now = clock.now()
    # A failure counts within the window; kept one window longer so that a window's edge never loses one.
    failed_before = now - 2 * timedelta(minutes=settings.lockout_window_minutes)
    trusted_before = now - timedelta(days=settings.lockout_trust_days)
    old = select(LoginAttempt.id).where(
        ((LoginAttempt.success.is_(False)) & (LoginAttempt.at < failed_before))
        | ((LoginAttempt.success.is_(True)) & (LoginAttempt.at < trusted_before))).limit(limit)
    ended = CredentialThrottle.until < now
    # Looked for first: a pass with nothing to prune writes nothing (and needs no audit event).
    ids = list(session.execute(old).scalars())
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids))).rowcount if ids else 0
    throttles = (session.execute(delete(CredentialThrottle).where(ended)).rowcount
                 if session.execute(select(CredentialThrottle.key).where(ended).limit(1)).first() else 0)
    if attempts or throttles:
        audit.record(session, SYSTEM, "security.sign_in_records_pruned", entity_type="login_attempt", entity_id=None,
                     changes={"login_attempts": attempts, "throttles_ended": throttles})
    return {"login_attempts": attempts, "throttles_ended": throttles}


def prune() -> int:
    """The job: chunk after chunk until nothing is left to prune."""
    total = 0
    while True:
        with unit_of_work() as uow:
            done = prune_sign_in_records(uow.session)
            uow.commit()
        total += done["login_attempts"]
        if done["login_attempts"] < CHUNK:
            return total


JOBS = [Job(id="security.prune_sign_in_records", func=prune, trigger="interval", trigger_args={"hours": 1})]
