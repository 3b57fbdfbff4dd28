"""The app's own webhook receiver (demo mode): it trusts the secret stored with the endpoints registered
for its URL, and no secret written in the code."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services import clock
from services.integration import receiver, webhooks
from services.settings import reset_settings

BODY = b'{"id":1,"type":"customer.created"}'


def _endpoint(uow_factory, actors, url: str) -> str:
    with uow_factory() as uow:
        made = webhooks.create_endpoint(uow=uow, actor=actors["admin"], data={
            "name": "Receiver", "url": url, "events": ["customer.created"]})
        uow.commit()
    return made.secret


def _deliver(http, secret: str, *, at=None, sent: bytes = BODY):
    """POST `sent`, signed as the dispatcher signs BODY."""
    ts = str(int((at or clock.now()).timestamp()))
    return http.post(receiver.RECEIVER_PATH, content=sent,
                     headers={"X-FinCRM-Timestamp": ts, "X-FinCRM-Signature": webhooks.sign(secret, ts, BODY)})


def test_a_delivery_signed_with_its_endpoints_secret_is_accepted(http, uow_factory, actors):
    secret = _endpoint(uow_factory, actors, receiver.receiver_url())
    assert _deliver(http, secret).status_code == 204
    assert _deliver(http, secret, sent=BODY + b" ").status_code == 401  # the body was changed on the way
    assert _deliver(http, secret, at=clock.now() - timedelta(hours=1)).status_code == 401  # a replay


def test_no_secret_in_the_code_opens_it(http, uow_factory, actors):
    other = _endpoint(uow_factory, actors, "https://partner.example.com/hooks")
    assert _deliver(http, "whsec_demo-secret").status_code == 401  # the demo's old well-known secret
    assert _deliver(http, other).status_code == 401  # a secret of an endpoint aimed elsewhere


def test_outside_demo_mode_the_receiver_is_not_there(http, uow_factory, actors, monkeypatch):
    secret = _endpoint(uow_factory, actors, receiver.receiver_url())
    monkeypatch.setenv("FINCRM_DEMO", "0")
    reset_settings()
    try:
        assert _deliver(http, secret).status_code == 404
    finally:
        monkeypatch.setenv("FINCRM_DEMO", "1")
        reset_settings()


@pytest.mark.parametrize("fixed_hours", [0, 30])
def test_the_receiver_reads_the_time_from_the_clock(http, uow_factory, actors, fixed_hours):
    secret = _endpoint(uow_factory, actors, receiver.receiver_url())
    with clock.fixed(clock.now() + timedelta(hours=fixed_hours)) as at:
        assert _deliver(http, secret, at=at).status_code == 204
