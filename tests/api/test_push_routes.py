"""POST/DELETE /push/subscriptions (issue 14, Web Push of reminders): the device's subscription from its service worker's
pushManager, for the signed-in person only (session cookie), from the app's own pages only; refused when the server has
no VAPID keys; a bad subscription refused in words and nothing kept."""
from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import func, select

from services.agenda.models import PushSubscription
from services.security.auth import SESSION_COOKIE, sign_in
from services.settings import reset_settings

PASSWORD = "correct horse 1"  # the org fixture's users (tests/conftest.py)
ORIGIN = "http://localhost:3000"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _subscription(endpoint: str = "https://push.example.net/send/abc") -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": _b64(public), "auth": _b64(os.urandom(16))}}


def _cookie(uow_factory, username: str) -> str:
    with uow_factory() as uow:
        signed = sign_in(uow=uow, username=username, password=PASSWORD)
        uow.commit()
    return f"{SESSION_COOKIE}={signed.token}; fincrm_locale=en"


@pytest.fixture
def vapid_keys(monkeypatch):
    monkeypatch.setenv("FINCRM_VAPID_PRIVATE_KEY", _b64(os.urandom(32)))
    monkeypatch.setenv("FINCRM_VAPID_PUBLIC_KEY", "B" + "A" * 86)
    reset_settings()
    yield
    reset_settings()


def _count(connection) -> int:
    return connection.execute(select(func.count()).select_from(PushSubscription)).scalar_one()


def test_a_device_subscribes_for_its_person_only_from_the_app(http, connection, uow_factory, org, vapid_keys):
    cookie = _cookie(uow_factory, "rm_a1")
    sub = _subscription()
    ok = http.post("/push/subscriptions", json=sub, headers={"Origin": ORIGIN, "Cookie": cookie})
    assert ok.status_code == 201 and ok.json() == {"ok": True}
    row = connection.execute(select(PushSubscription.user_id, PushSubscription.endpoint)).one()
    assert row == (org.users["rm_a1"], sub["endpoint"])
    # Another site, no session, a bad subscription: refused, nothing more kept.
    assert http.post("/push/subscriptions", json=_subscription("https://push.example.net/2"),
                     headers={"Origin": "https://evil.example", "Cookie": cookie}).status_code == 403
    ended = http.post("/push/subscriptions", json=_subscription("https://push.example.net/3"),
                      headers={"Origin": ORIGIN, "Cookie": "fincrm_locale=en"})
    assert ended.status_code == 401 and ended.json()["message"]
    bad = http.post("/push/subscriptions", json={"endpoint": "javascript:alert(1)", "keys": {}},
                    headers={"Origin": ORIGIN, "Cookie": cookie})
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["fields"]} >= {"endpoint", "keys.p256dh"}
    # A body over the route's limit (read no further than it) or not a JSON object: refused in words.
    for body in (b'{"endpoint": "' + b"x" * 20_000 + b'"}', b"[1, 2]", b"not json"):
        refused = http.post("/push/subscriptions", content=body,
                            headers={"Origin": ORIGIN, "Cookie": cookie, "Content-Type": "application/json"})
        assert refused.status_code == 422 and refused.json()["fields"] == [{"field": "body", "code": "value.invalid"}]
    assert _count(connection) == 1
    # The person forgets the device.
    gone = http.request("DELETE", "/push/subscriptions", json={"endpoint": sub["endpoint"]},
                        headers={"Origin": ORIGIN, "Cookie": cookie})
    assert gone.status_code == 200 and gone.json() == {"ok": True} and _count(connection) == 0


def test_without_vapid_keys_the_server_says_push_is_not_configured(http, connection, uow_factory, org, monkeypatch):
    monkeypatch.delenv("FINCRM_VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("FINCRM_VAPID_PUBLIC_KEY", raising=False)
    reset_settings()
    answer = http.post("/push/subscriptions", json=_subscription(),
                       headers={"Origin": ORIGIN, "Cookie": _cookie(uow_factory, "rm_a1")})
    assert answer.status_code == 422 and "not configured" in answer.json()["message"] + str(answer.json())
    assert _count(connection) == 0
