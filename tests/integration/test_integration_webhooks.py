"""Outbound webhooks: fan-out from the outbox, signed delivery to a real local HTTP receiver,
retries with backoff, giving up, and the admin delivery log."""
from __future__ import annotations

import json
import random
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.errors import Refusal, ValidationFailed
from services.integration import webhooks
from services.types import utcnow


class _Receiver:
    """A tiny HTTP server on 127.0.0.1 that checks signatures like a real receiver would."""

    def __init__(self, secret: str, status: int = 200):
        self.secret = secret
        self.status = status
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = webhooks.verify_signature(receiver.secret, self.headers["X-FinCRM-Timestamp"], body,
                                               self.headers["X-FinCRM-Signature"])
                receiver.received.append({"ok": ok, "event": self.headers["X-FinCRM-Event"],
                                          "delivery": self.headers["X-FinCRM-Delivery"], "body": json.loads(body)})
                self.send_response(receiver.status if ok else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(secret: str, status: int = 200) -> _Receiver:
        r = _Receiver(secret, status)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def _endpoint(uow_factory, actors, url, events=("customer.created", "customer.updated")):
    with uow_factory() as uow:
        made = webhooks.create_endpoint(uow=uow, actor=actors["admin"],
                                        data={"name": "Core", "url": url, "events": list(events)})
        uow.commit()
    return made


def test_created_customer_is_delivered_signed_to_a_local_receiver(uow_factory, actors, connection, receiver,
                                                                  new_customer):
    rx = receiver("placeholder")
    made = _endpoint(uow_factory, actors, rx.url)
    assert made.secret.startswith("whsec_")
    rx.secret = made.secret
    profile = new_customer()
    result = webhooks.dispatch_once(connection)
    assert (result.fanned_out, result.delivered) == (1, 1)
    [got] = rx.received
    assert got["ok"] and got["event"] == "customer.created"
    assert got["body"]["data"]["customer_id"] == profile.id
    assert "*" in got["body"]["data"]["changes"]["id_number"]  # receivers get masked data only
    with uow_factory() as uow:
        log = webhooks.list_deliveries(uow=uow, actor=actors["compliance"], status="delivered")
    assert [(d.status, d.attempts, d.last_status_code) for d in log.items] == [("delivered", 1, 200)]
    # Nothing is sent twice.
    assert webhooks.dispatch_once(connection).delivered == 0 and len(rx.received) == 1


def test_failing_receiver_is_retried_with_backoff_then_given_up(uow_factory, actors, connection, receiver,
                                                                new_customer):
    rx = receiver("x", status=500)
    made = _endpoint(uow_factory, actors, rx.url)
    rx.secret = made.secret
    new_customer()
    clock = [utcnow()]
    rng = random.Random(1)
    first = webhooks.dispatch_once(connection, now=lambda: clock[0], rng=rng)
    assert first.retrying == 1 and len(rx.received) == 1 and rx.received[0]["ok"]
    with uow_factory() as uow:
        [d] = webhooks.list_deliveries(uow=uow, actor=actors["admin"]).items
    assert d.status == "pending" and d.last_status_code == 500 and "HTTP 500" in d.last_error
    delay = (d.next_attempt_at - clock[0]).total_seconds()
    assert 10 <= delay <= 11
    # Not due yet: nothing is sent.
    assert webhooks.dispatch_once(connection, now=lambda: clock[0] + timedelta(seconds=5)).retrying == 0
    for expected in webhooks.BACKOFF_SECONDS[1:]:
        clock[0] = clock[0] + timedelta(hours=3)
        webhooks.dispatch_once(connection, now=lambda: clock[0], rng=rng)
        with uow_factory() as uow:
            [d] = webhooks.list_deliveries(uow=uow, actor=actors["admin"]).items
        assert expected <= (d.next_attempt_at - clock[0]).total_seconds() <= expected * 1.1
    clock[0] = clock[0] + timedelta(hours=3)
    last = webhooks.dispatch_once(connection, now=lambda: clock[0], rng=rng)
    assert last.failed == 1
    with uow_factory() as uow:
        page = webhooks.list_deliveries(uow=uow, actor=actors["admin"], status="failed")
    assert page.total == 1 and page.items[0].attempts == webhooks.MAX_ATTEMPTS
    assert page.items[0].next_attempt_at is None
    assert len(rx.received) == webhooks.MAX_ATTEMPTS


def test_unreachable_and_disabled_endpoints(uow_factory, actors, connection, receiver, new_customer):
    rx = receiver("x")
    dead = _endpoint(uow_factory, actors, "http://127.0.0.1:9/hook")
    live = _endpoint(uow_factory, actors, rx.url, events=("customer.updated",))
    new_customer()  # customer.created: only the first endpoint wants it
    result = webhooks.dispatch_once(connection)
    assert result.fanned_out == 1 and result.retrying == 1 and rx.received == []
    with uow_factory() as uow:
        [d] = webhooks.list_deliveries(uow=uow, actor=actors["admin"]).items
        assert d.endpoint_id == dead.endpoint.id and d.last_status_code is None and "ConnectError" in d.last_error
        webhooks.set_endpoint_active(uow=uow, actor=actors["admin"], endpoint_id=dead.endpoint.id, active=False)
        uow.commit()
    later = webhooks.dispatch_once(connection, now=lambda: utcnow() + timedelta(minutes=5))
    assert later.retrying == 0  # a disabled endpoint gets no more attempts
    assert live.endpoint.active


def test_only_admins_manage_and_admins_or_compliance_view(uow_factory, actors):
    with uow_factory() as uow:
        with pytest.raises(Refusal):
            webhooks.create_endpoint(uow=uow, actor=actors["compliance"],
                                     data={"name": "x", "url": "https://example.com/h", "events": ["customer.created"]})
        with pytest.raises(Refusal):
            webhooks.list_deliveries(uow=uow, actor=actors["rm_a1"])
        with pytest.raises(ValidationFailed) as bad:
            webhooks.create_endpoint(uow=uow, actor=actors["admin"],
                                     data={"name": "x", "url": "file:///etc/passwd", "events": ["customer.nope"]})
        assert {e.field for e in bad.value.errors} == {"url", "events"}
        with pytest.raises(ValidationFailed):
            webhooks.list_deliveries(uow=uow, actor=actors["admin"], status="weird")


def test_signature_rejects_tampering_and_stale_timestamps():
    body = b'{"a":1}'
    sig = webhooks.sign("s3cret", "1700000000", body)
    assert webhooks.verify_signature("s3cret", "1700000000", body, sig, now=1700000010)
    assert not webhooks.verify_signature("s3cret", "1700000000", b'{"a":2}', sig, now=1700000010)
    assert not webhooks.verify_signature("other", "1700000000", body, sig, now=1700000010)
    assert not webhooks.verify_signature("s3cret", "1700000000", body, sig, now=1700009999)
