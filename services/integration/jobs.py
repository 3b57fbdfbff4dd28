"""Scheduled integration jobs: the webhook dispatcher, and clean-up of expired tokens and old idempotency keys."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from services.db import UnitOfWork
from services.integration import webhooks
from services.integration.models import ApiToken, IdempotencyRecord
from services.scheduler import Job
from services import clock

IDEMPOTENCY_DAYS = 7


def dispatch_webhooks() -> None:
    webhooks.dispatch_once()


def purge_expired() -> None:
    now = clock.now()
    with UnitOfWork() as uow:
        uow.session.execute(delete(ApiToken).where(ApiToken.expires_at < now - timedelta(days=1)))
        uow.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < now - timedelta(days=IDEMPOTENCY_DAYS)))
        uow.commit()


JOBS = [
    Job(id="integration.webhooks", func=dispatch_webhooks, trigger="interval", trigger_args={"seconds": 5}),
    Job(id="integration.purge", func=purge_expired, trigger="interval", trigger_args={"hours": 1}),
]
