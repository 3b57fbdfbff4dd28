"""Outbound webhooks: endpoints, fan-out of outbox messages, signed delivery with retries, delivery log.

Delivery never runs inside the transaction that made the change: services write an
`OutboxMessage` (services.integration.outbox), and the dispatcher (a scheduled job, `dispatch_once`)
1. fans each new message out to every active endpoint subscribed to its event type
   (one `WebhookDelivery` row per message and endpoint, in one transaction), then
2. POSTs due deliveries, each signed with the endpoint's secret:
   X-FinCRM-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
   and records the outcome. A failure is retried with exponential backoff and jitter
   (10 s, 1 min, 5 min, 30 min, 2 h); after the last attempt the delivery is `failed`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from services import clock, holds
from services.customers.schemas import _Strict
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.validation.identity import InvalidValue
from services.integration.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from services.integration.outbox import EVENT_TYPES
from services.security import audit
from services.security.actor import Actor
from services.security.keys import get_cipher
from services.security.policy import Permission, requires
from services.validation.input import parse

log = logging.getLogger(__name__)

SECRET_CONTEXT = "webhook.secret"
BACKOFF_SECONDS = (10, 60, 300, 1800, 7200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1  # the first try and five retries
TIMEOUT_SECONDS = 5.0
LEASE_SECONDS = 60  # a delivery being sent is not picked up again for this long
FANOUT_BATCH = 500
SEND_BATCH = 100
STATUSES = ("pending", "delivered", "failed")
PAGE_SIZE = 20


# ---------------------------------------------------------------- signing

def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300,
                     now: float | None = None) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent (replay protection)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else clock.now().timestamp()) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Delay before the next try after `attempts` failures: the schedule plus up to 10 % jitter."""
    base = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    return timedelta(seconds=base * (1 + (rng or random).uniform(0, 0.1)))


# ---------------------------------------------------------------- endpoints (admin)

class EndpointCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES))

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise InvalidValue("value.webhook_url", field="url")
        return v

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        if any(e not in EVENT_TYPES for e in v):
            raise ValueError("events")
        return sorted(set(v))


@dataclass(frozen=True)
class EndpointView:
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class EndpointCreated:
    endpoint: EndpointView
    secret: str  # shown once; stored encrypted so the dispatcher can sign


def _endpoint_view(e: WebhookEndpoint) -> EndpointView:
    return EndpointView(id=e.id, name=e.name, url=e.url, events=list(e.events), active=e.active,
                        created_at=e.created_at)


@requires(Permission.WEBHOOK_MANAGE)
def create_endpoint(*, uow: UnitOfWork, actor: Actor, data: Any, secret: str | None = None) -> EndpointCreated:
    req = parse(EndpointCreate, data)
    secret = secret or ("whsec_" + secrets.token_urlsafe(32))
    row = WebhookEndpoint(name=req.name, url=req.url, events=req.events, active=True,
                          secret_enc=get_cipher().encrypt(secret, context=SECRET_CONTEXT), created_at=clock.now())
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow.session, actor, "webhook.create", entity_type="webhook_endpoint", entity_id=row.id,
                 changes={"name": req.name, "url": req.url, "events": req.events})
    return EndpointCreated(_endpoint_view(row), secret)


@requires(Permission.WEBHOOK_MANAGE)
def set_endpoint_active(*, uow: UnitOfWork, actor: Actor, endpoint_id: Any, active: Any) -> EndpointView:
    """Disable (or re-enable) an endpoint. A disabled endpoint gets no new deliveries and pending ones stop."""
    if isinstance(endpoint_id, bool) or not isinstance(endpoint_id, int) or not 0 < endpoint_id < 2**62:
        raise ValidationFailed([FieldError("endpoint_id", "value.invalid")])
    if not isinstance(active, bool):
        raise ValidationFailed([FieldError("active", "value.wrong_type")])
    row = uow.session.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise NotFound(what="webhook_endpoint", id=endpoint_id)
    if row.active != active:
        row.active = active
        uow.session.add(row)
        audit.record(uow.session, actor, "webhook.enable" if active else "webhook.disable",
                     entity_type="webhook_endpoint", entity_id=row.id)
        uow.session.flush()
    return _endpoint_view(row)


@requires(Permission.WEBHOOK_VIEW)
def list_endpoints(*, uow: UnitOfWork, actor: Actor) -> list[EndpointView]:
    rows = uow.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars().all()
    return [_endpoint_view(r) for r in rows]


# ---------------------------------------------------------------- delivery log

@dataclass(frozen=True)
class DeliveryView:
    id: int
    endpoint_id: int
    endpoint_name: str
    event_type: str
    message_id: int
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None  # None once delivered or failed
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryPage:
    items: list[DeliveryView]
    page: int
    page_size: int
    total: int


class DeliveryQuery(_Strict):
    status: str | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    page_size: int = Field(default=PAGE_SIZE, ge=1, le=100)

    @field_validator("status")
    @classmethod
    def _status(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if v not in STATUSES:
            raise ValueError("status")
        return v


@requires(Permission.WEBHOOK_VIEW)
def list_deliveries(*, uow: UnitOfWork, actor: Actor, status: Any = None, page: Any = 1,
                    page_size: Any = PAGE_SIZE) -> DeliveryPage:
    """The delivery log, newest first, optionally one status (webhook.view)."""
    req = parse(DeliveryQuery, {"status": status, "page": page, "page_size": page_size})
    s = uow.session
    d = WebhookDelivery
    cond = [d.status == req.status] if req.status else []
    total = s.execute(select(func.count()).select_from(d).where(*cond)).scalar_one()
    rows = s.execute(
        select(d, WebhookEndpoint.name, OutboxMessage.event_type, OutboxMessage.created_at)
        .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
        .join(OutboxMessage, OutboxMessage.id == d.message_id)
        .where(*cond).order_by(d.id.desc()).offset((req.page - 1) * req.page_size).limit(req.page_size)
    ).all()
    items = [DeliveryView(id=r.id, endpoint_id=r.endpoint_id, endpoint_name=name, event_type=etype,
                          message_id=r.message_id, status=r.status, attempts=r.attempts,
                          last_status_code=r.last_status_code, last_error=r.last_error,
                          next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
                          delivered_at=r.delivered_at, created_at=created)
             for r, name, etype, created in rows]
    return DeliveryPage(items=items, page=req.page, page_size=req.page_size, total=total)


# ---------------------------------------------------------------- dispatcher

def fan_out(uow: UnitOfWork, *, now: datetime | None = None, limit: int = FANOUT_BATCH) -> int:
    """Turn undispatched outbox messages into deliveries for the endpoints that want them."""
    s = uow.session
    now = now or clock.now()
    msgs = s.execute(select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None),
                                                 holds.not_held(OutboxMessage.hold_id))  # an unfinished import's
                     .order_by(OutboxMessage.id).limit(limit)).scalars().all()
    if not msgs:
        return 0
    endpoints = s.execute(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))).scalars().all()
    made = 0
    for m in msgs:
        for e in endpoints:
            if m.event_type in e.events:
                s.add(WebhookDelivery(message_id=m.id, endpoint_id=e.id, status="pending", attempts=0,
                                      next_attempt_at=now))
                made += 1
        m.dispatched_at = now
        s.add(m)
    s.flush()
    return made


def _body(msg: OutboxMessage) -> bytes:
    envelope = {"id": msg.id, "type": msg.event_type, "created_at": msg.created_at.isoformat(), "data": msg.payload}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    event_type: str
    body: bytes


def _claim_due(uow: UnitOfWork, now: datetime, limit: int) -> list[_Due]:
    s = uow.session
    d = WebhookDelivery
    rows = s.execute(
        select(d, WebhookEndpoint, OutboxMessage)
        .join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
        .join(OutboxMessage, OutboxMessage.id == d.message_id)
        .where(d.status == "pending", d.next_attempt_at <= now, WebhookEndpoint.active.is_(True))
        .order_by(d.next_attempt_at, d.id).limit(limit)
    ).all()
    due = []
    cipher = get_cipher()
    for delivery, endpoint, msg in rows:
        # Lease: if this process dies mid-send, the delivery is retried after the lease.
        s.execute(update(d).where(d.id == delivery.id).values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)))
        due.append(_Due(delivery.id, delivery.attempts, endpoint.url,
                        cipher.decrypt(endpoint.secret_enc, context=SECRET_CONTEXT), msg.event_type, _body(msg)))
    return due


def _send(client: httpx.Client, item: _Due) -> tuple[int | None, str | None]:
    ts = str(int(clock.now().timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "FinCRM-Webhooks/1",
               "X-FinCRM-Event": item.event_type, "X-FinCRM-Delivery": str(item.delivery_id),
               "X-FinCRM-Timestamp": ts, "X-FinCRM-Signature": sign(item.secret, ts, item.body)}
    try:
        resp = client.post(item.url, content=item.body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= resp.status_code < 300:
        return resp.status_code, None
    return resp.status_code, f"HTTP {resp.status_code}: {resp.text[:200]}"


def _record(uow: UnitOfWork, item: _Due, code: int | None, error: str | None, now: datetime,
            rng: random.Random | None) -> str:
    attempts = item.attempts + 1
    d = WebhookDelivery
    if error is None:
        values = dict(status="delivered", attempts=attempts, last_status_code=code, last_error=None,
                      delivered_at=now, next_attempt_at=now)
    elif attempts >= MAX_ATTEMPTS:
        values = dict(status="failed", attempts=attempts, last_status_code=code, last_error=error,
                      next_attempt_at=now)
    else:
        values = dict(attempts=attempts, last_status_code=code, last_error=error,
                      next_attempt_at=now + backoff(attempts, rng))
    uow.session.execute(update(d).where(d.id == item.delivery_id).values(**values))
    return values.get("status", "pending")


@dataclass
class DispatchResult:
    fanned_out: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def dispatch_once(bind: Engine | Connection | None = None, *, now: Callable[[], datetime] = clock.now,
                  client: httpx.Client | None = None, rng: random.Random | None = None,
                  limit: int = SEND_BATCH) -> DispatchResult:
    """One dispatcher pass: fan out, then send what is due. Each outcome is committed on its own."""
    result = DispatchResult()
    with UnitOfWork(bind) as uow:
        result.fanned_out = fan_out(uow, now=now())
        uow.commit()
    with UnitOfWork(bind) as uow:
        due = _claim_due(uow, now(), limit)
        uow.commit()
    if not due:
        return result
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for item in due:
            code, error = _send(client, item)
            try:
                with UnitOfWork(bind) as uow:
                    status = _record(uow, item, code, error, now(), rng)
                    uow.commit()
            except Exception:  # one delivery's bookkeeping failure must not stop the rest
                log.exception("could not record webhook delivery %s", item.delivery_id)
                continue
            if status == "delivered":
                result.delivered += 1
            elif status == "failed":
                result.failed += 1
            else:
                result.retrying += 1
    finally:
        if own:
            client.close()
    return result
