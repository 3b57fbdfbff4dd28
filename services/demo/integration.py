"""Demo data for integration: the API client `demo-core-banking` / `demo-secret` (demo mode only,
like the demo users) and a webhook endpoint pointing at the app's own receiver, which checks deliveries
with the secret stored with that endpoint (services/integration/receiver.py)."""
from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from services.demo.unit_of_work import SeedUnitOfWork
from services.integration import clients, receiver, webhooks
from services.integration.outbox import EVENT_TYPES
from services.security.actor import SYSTEM
from services.security.models import User

DEMO_CLIENT_ID = "demo-core-banking"
DEMO_CLIENT_SECRET = "demo-secret"


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    uow = SeedUnitOfWork(session)
    owner = session.execute(select(User.id).where(User.username == "rm")).scalar()
    clients.create_client(uow=uow, actor=SYSTEM, is_demo=True, secret=DEMO_CLIENT_SECRET, data={
        "client_id": DEMO_CLIENT_ID, "name": "演示核心银行系统 Demo core banking",
        "scopes": sorted(clients.SCOPES), "default_owner_id": owner})
    # The endpoint's secret is a fresh random one, stored encrypted with it: only the receiver reads it.
    webhooks.create_endpoint(uow=uow, actor=SYSTEM, data={
        "name": "演示接收端 Demo receiver", "url": receiver.receiver_url(), "events": list(EVENT_TYPES)})
    return {"api_clients": 1, "webhook_endpoints": 1}
