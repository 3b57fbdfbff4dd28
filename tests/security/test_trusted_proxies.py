"""Behind a load balancer the server sees the proxy's address for everyone: the per-address sign-in throttle
would then hold back every user at once, and the audit trail would name the proxy. The client's address comes
from X-Forwarded-For only when the peer is a proxy named in FINCRM_TRUSTED_PROXIES; anyone else's header is
ignored (it would let an attacker pick the address he is throttled under)."""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from fincrm_app.proxies import behind_trusted_proxies


def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.client.host if request.client else "")


APP = Starlette(routes=[Route("/", _echo)])


def _client(trusted: str) -> TestClient:
    return TestClient(behind_trusted_proxies(APP, trusted), client=("10.0.0.5", 50000))


def test_a_trusted_proxy_names_the_client():
    r = _client("10.0.0.0/24").get("/", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.9"})
    assert r.text == "203.0.113.7"


def test_nobody_else_can_choose_his_address():
    assert _client("").get("/", headers={"X-Forwarded-For": "203.0.113.7"}).text == "10.0.0.5"
    assert _client("192.168.1.1").get("/", headers={"X-Forwarded-For": "203.0.113.7"}).text == "10.0.0.5"
