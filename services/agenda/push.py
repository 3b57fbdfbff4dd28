"""Web Push of reminders (VAPID, RFC 8292; payloads encrypted as RFC 8291 aes128gcm by PyPI pywebpush).

A browser subscribes through its service worker's pushManager with our VAPID public key and sends us its endpoint
and keys (`subscribe`, per user and device); the reminders' notification pass (services/agenda/delivery.py) writes a
push_message per device in the transaction that claims the reminders; `deliver` (a scheduled job) sends what is
due, one message per transaction: sent, retried later (1, 2, 4 ... minutes, at most 6 hours apart) when the push
service fails, the subscription dropped when the push service says it is gone (404, 410).

Without FINCRM_VAPID_PRIVATE_KEY and FINCRM_VAPID_PUBLIC_KEY nothing is queued or sent, and `configured()` tells the
agenda to say so.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from services import clock
from services.agenda.models import PushMessage, PushSubscription
from services.db import UnitOfWork, unit_of_work
from services.errors import FieldError, ValidationFailed
from services.security import audit
from services.security.actor import SYSTEM, Actor
from services.security.policy import Permission, requires
from services.settings import get_settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
BATCH = 100
MAX_DEVICES = 10  # per user: the oldest subscription goes when an eleventh device subscribes
_B64URL = re.compile(r"[A-Za-z0-9_\-]+=*")


def configured() -> bool:
    st = get_settings()
    return bool(st.vapid_private_key and st.vapid_public_key)


def public_key() -> str:
    """What the browser's pushManager.subscribe takes as applicationServerKey ("" when push is not configured)."""
    return get_settings().vapid_public_key or "" if configured() else ""


def _vapid():
    from py_vapid import Vapid

    key = get_settings().vapid_private_key or ""
    path = Path(key)
    if "\n" not in key and len(key) < 400 and path.is_file():
        return Vapid.from_file(str(path))
    if "BEGIN" in key:
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


@requires(Permission.CUSTOMER_READ)
def subscribe(*, uow: UnitOfWork, actor: Actor, subscription: Any, user_agent: str | None = None) -> int:
    """Keep this device's subscription for the signed-in person ({endpoint, keys: {p256dh, auth}}, as the browser's
    PushSubscription.toJSON() gives it); the same endpoint again moves to this person. Returns its id. Audited."""
    if actor.kind != "user" or actor.id is None:
        raise ValidationFailed([FieldError("subscription", "push.users_only")])
    if not configured():
        raise ValidationFailed([FieldError("subscription", "push.not_configured")])
    errors = []
    endpoint = subscription.get("endpoint") if isinstance(subscription, dict) else None
    keys = subscription.get("keys") if isinstance(subscription, dict) else None
    parts = urlsplit(endpoint) if isinstance(endpoint, str) and len(endpoint) <= 1000 else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        errors.append(FieldError("endpoint", "value.invalid"))
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
        errors.append(FieldError("endpoint", "value.invalid"))  # push services are HTTPS; plain HTTP only locally
    p256dh = keys.get("p256dh") if isinstance(keys, dict) else None
    auth = keys.get("auth") if isinstance(keys, dict) else None
    if not isinstance(p256dh, str) or not 80 <= len(p256dh) <= 200 or not _B64URL.fullmatch(p256dh):
        errors.append(FieldError("keys.p256dh", "value.invalid"))
    if not isinstance(auth, str) or not 16 <= len(auth) <= 100 or not _B64URL.fullmatch(auth):
        errors.append(FieldError("keys.auth", "value.invalid"))
    if errors:
        raise ValidationFailed(errors)
    s = uow.session
    row = s.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).scalar_one_or_none()
    if row is None:
        row = PushSubscription(user_id=actor.id, endpoint=endpoint, p256dh=p256dh, auth=auth,
                               user_agent=(user_agent or "")[:255] or None, created_at=clock.now())
        s.add(row)
    else:
        row.user_id, row.p256dh, row.auth = actor.id, p256dh, auth
    s.flush()
    mine = list(s.execute(select(PushSubscription.id).where(PushSubscription.user_id == actor.id)
                          .order_by(PushSubscription.id.desc())).scalars())
    for old in mine[MAX_DEVICES:]:
        _drop(s, old)
    audit.record(s, actor, "push.subscribe", entity_type="user", entity_id=actor.id,
                 changes={"subscription": row.id, "push_service": parts.netloc})
    return row.id


@requires(Permission.CUSTOMER_READ)
def unsubscribe(*, uow: UnitOfWork, actor: Actor, endpoint: Any) -> bool:
    s = uow.session
    if not isinstance(endpoint, str):
        raise ValidationFailed([FieldError("endpoint", "value.invalid")])
    sid = s.execute(select(PushSubscription.id).where(PushSubscription.endpoint == endpoint,
                                                      PushSubscription.user_id == actor.id)).scalar_one_or_none()
    if sid is None:
        return False
    _drop(s, sid)
    audit.record(s, actor, "push.unsubscribe", entity_type="user", entity_id=actor.id, changes={"subscription": sid})
    return True


@requires(Permission.CUSTOMER_READ)
def devices(*, uow: UnitOfWork, actor: Actor) -> int:
    """How many of the actor's devices receive pushes."""
    if actor.kind != "user" or actor.id is None:
        return 0
    return uow.session.execute(select(func.count()).select_from(PushSubscription)
                               .where(PushSubscription.user_id == actor.id)).scalar_one()


def _drop(s, subscription_id: int) -> None:
    s.execute(delete(PushMessage).where(PushMessage.subscription_id == subscription_id))
    s.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))


def deliver(limit: int = BATCH) -> dict[str, int]:
    """Send the push messages that are due; returns {"sent": n, "failed": n, "gone": n}."""
    out = {"sent": 0, "failed": 0, "gone": 0}
    if not configured():
        return out
    from pywebpush import WebPushException, webpush
    from requests import RequestException

    st = get_settings()
    vapid = _vapid()
    with unit_of_work(readonly=True) as uow:
        due = list(uow.session.execute(select(PushMessage.id).where(
            PushMessage.status == "pending", PushMessage.next_attempt_at <= clock.now())
            .order_by(PushMessage.next_attempt_at, PushMessage.id).limit(limit)).scalars())
    for message_id in due:
        with unit_of_work() as uow:
            s = uow.session
            row = s.execute(select(PushMessage).where(PushMessage.id == message_id).with_for_update()).scalar()
            if row is None or row.status != "pending":
                continue
            sub = s.get(PushSubscription, row.subscription_id)
            info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
            row.attempts += 1
            try:
                webpush(info, data=json.dumps(row.payload, ensure_ascii=False), vapid_private_key=vapid,
                        vapid_claims={"sub": st.vapid_subject}, ttl=24 * 3600, timeout=10)
            except WebPushException as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in (404, 410):
                    audit.record(s, SYSTEM, "push.gone", entity_type="user", entity_id=sub.user_id,
                                 changes={"subscription": sub.id, "status": status})
                    _drop(s, sub.id)
                    out["gone"] += 1
                else:
                    _failed(s, row, f"HTTP {status}: {exc}" if status else str(exc))
                    out["failed"] += 1
            except (RequestException, OSError) as exc:
                _failed(s, row, f"{type(exc).__name__}: {exc}")
                out["failed"] += 1
            else:
                row.status, row.sent_at, row.last_error = "sent", clock.now(), None
                out["sent"] += 1
                audit.record(s, SYSTEM, "push.sent", entity_type="push_message", entity_id=row.id,
                             changes={"subscription": sub.id})
            uow.commit()
    if any(out.values()):
        log.info("push outbox: %s", out)
    return out


def _failed(s, row: PushMessage, error: str) -> None:
    row.last_error = error[:300]
    row.next_attempt_at = clock.now() + min(timedelta(hours=6), timedelta(minutes=2 ** (row.attempts - 1)))
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    audit.record(s, SYSTEM, "push.failed", entity_type="push_message", entity_id=row.id,
                 changes={"attempts": row.attempts, "error": row.last_error})
