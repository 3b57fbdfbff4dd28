"""Demo data for integration: the API client `demo-core-banking` / `demo-secret` (demo mode only,
like the demo users) and a webhook endpoint pointing at the app's own demo receiver."""
from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from services.db import UnitOfWork
from services.integration import clients, webhooks
from services.outbox import EVENT_TYPES
from services.security.actor import SYSTEM
from services.security.models import User
from services.settings import get_settings

DEMO_CLIENT_ID = "demo-core-banking"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_WEBHOOK_SECRET = "whsec_demo-secret"
DEMO_WEBHOOK_PATH = "/api/v1/demo/webhook-receiver"


class _Bound(UnitOfWork):
    """A unit of work over the seed's own session (the seed commits)."""

    def __init__(self, session: Session):
        self.session = session


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    uow = _Bound(session)
    owner = session.execute(select(User.id).where(User.username == "rm")).scalar()
    clients.create_client(uow=uow, actor=SYSTEM, is_demo=True, secret=DEMO_CLIENT_SECRET, data={
        "client_id": DEMO_CLIENT_ID, "name": "演示核心银行系统 Demo core banking",
        "scopes": sorted(clients.SCOPES), "default_owner_id": owner})
    url = get_settings().public_url.rstrip("/") + DEMO_WEBHOOK_PATH
    webhooks.create_endpoint(uow=uow, actor=SYSTEM, secret=DEMO_WEBHOOK_SECRET, data={
        "name": "演示接收端 Demo receiver", "url": url, "events": list(EVENT_TYPES)})
    return {"api_clients": 1, "webhook_endpoints": 1}
