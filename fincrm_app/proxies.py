"""The client's real address behind a reverse proxy: X-Forwarded-For is believed only from the proxies named in
FINCRM_TRUSTED_PROXIES (granian's own helper does the parsing), so the sign-in throttle, the audit trail and the
session rows see the person's address, never the proxy's, and nobody else can forge one."""
from __future__ import annotations

from typing import Any, Callable

from granian.utils.proxies import wrap_asgi_with_proxy_headers


def behind_trusted_proxies(app: Callable[..., Any], trusted: str) -> Callable[..., Any]:
    hosts = [h.strip() for h in trusted.split(",") if h.strip()]
    if not hosts:
        return app  # direct connections: the peer is the client
    wrapped = wrap_asgi_with_proxy_headers(app, trusted_hosts=hosts)

    async def with_client_address(scope: dict, receive: Callable, send: Callable) -> Any:
        # A coroutine function, so every ASGI server and test client takes it for the ASGI 3 app it is.
        return await wrapped(scope, receive, send)

    return with_client_address
