"""The app's own webhook receiver (demo mode): a place the outbox can deliver to on one machine.

It checks a delivery as any receiver would (the HMAC signature and a recent timestamp), with the
secret stored, encrypted, with the endpoint that points at it: the receiver trusts exactly the
endpoints an admin (or the demo seed) registered for its URL, and no secret lives in the code.
"""
from __future__ import annotations

from sqlalchemy import select

from services import clock
from services.db import UnitOfWork
from services.integration.models import WebhookEndpoint
from services.integration.webhooks import SECRET_CONTEXT, verify_signature
from services.security.keys import get_cipher
from services.settings import get_settings

RECEIVER_PATH = "/api/v1/demo/webhook-receiver"


def receiver_url() -> str:
    """Where endpoints aimed at this app's receiver deliver: FINCRM_PUBLIC_URL plus the route."""
    return get_settings().public_url.rstrip("/") + RECEIVER_PATH


def verify_own_delivery(*, uow: UnitOfWork, timestamp: str, body: bytes, signature: str) -> bool:
    """True when an active endpoint registered for this receiver signed `body` at a recent `timestamp`."""
    secrets_enc = uow.session.execute(
        select(WebhookEndpoint.secret_enc).where(WebhookEndpoint.url == receiver_url(),
                                                 WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)).scalars().all()
    cipher = get_cipher()
    now = clock.now().timestamp()
    return any(verify_signature(cipher.decrypt(enc, context=SECRET_CONTEXT), timestamp, body, signature, now=now)
               for enc in secrets_enc)
