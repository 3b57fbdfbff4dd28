"""The door in front of Reflex's upload endpoint (POST /_upload).

Reflex delivers an upload to the page state named by the `Reflex-Client-Token` header and runs the
handler with the router data that state cached from its websocket, so the handler would act as
whoever last connected with that token: a token copied from a websocket URL (proxy logs) would be a
login, surviving sign-out. The client token is not a credential. Here every upload must carry the
request's own session cookie, from one of our pages (Origin), and the state it targets must have
been opened under that very session; anything else is refused (401/403), audited, and never reaches
the handler. Reflex's static file route under /_upload/ is closed: FinCRM keeps nothing there
(uploads go to services.documents' store).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from fincrm_app.api.auth import _same_origin
from fincrm_app.api.cookie_auth import request_locale
from services.errors import NotPermitted, SessionInvalid
from services.i18n import translate
from services.security.actor import Actor
from services.security.refusals import record_refusal
from state.session import resolve_cookie_header

log = logging.getLogger(__name__)

UPLOAD_PATH = "/_upload"


class UploadGuard:
    """ASGI middleware: authenticate /_upload by the request's own session cookie."""

    def __init__(self, app: Callable, reflex_app: Callable[[], Any]):
        self.app = app
        self._reflex_app = reflex_app  # the rx.App, looked up when needed (it is built after this)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> Any:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == UPLOAD_PATH or path.startswith(UPLOAD_PATH + "/")):
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        locale = request_locale(request)
        if request.method != "POST" or path != UPLOAD_PATH:
            return await _answer(send, 404, translate("error.not_found", locale, what="", id=path))
        if not _same_origin(request):
            await self._refuse(request, None, "cross_site")
            return await _answer(send, 403, translate("error.not_permitted", locale))
        actor = await run_in_threadpool(resolve_cookie_header, request.headers.get("cookie"))
        if actor is None:
            await self._refuse(request, None, "no_session")
            return await _answer(send, 401, SessionInvalid().message(locale))
        token = request.headers.get("reflex-client-token") or ""
        if not token or len(token) > 200 or await self._state_session(token) != actor.session_id:
            await self._refuse(request, actor, "foreign_state")
            return await _answer(send, 403, translate("error.not_permitted", locale))
        return await self.app(scope, receive, send)

    async def _state_session(self, token: str) -> str | None:
        """The session under which the page state of `token` was opened: the cookie its websocket
        presented, resolved (without sliding its idle deadline)."""
        import reflex as rx

        app = self._reflex_app()
        root = await app.state_manager.get_state(rx.BaseStateToken(ident=token, cls=app._state))
        try:
            header = root.router.headers.cookie or ""
        except AttributeError:
            header = ""
        if not header:
            return None
        socket_actor = await run_in_threadpool(resolve_cookie_header, header, touch=False)
        return socket_actor.session_id if socket_actor is not None else None

    @staticmethod
    async def _refuse(request: Request, actor: Actor | None, reason: str) -> None:
        handler = (request.headers.get("reflex-event-handler") or "")[:250]
        ip = request.client.host if request.client else None
        exc = NotPermitted(actor=actor, entity_type="upload",
                           audit_details={"door": "upload", "reason": reason, "handler": handler, "ip": ip})
        await run_in_threadpool(record_refusal, None, exc)


async def _answer(send: Callable, status: int, message: str) -> None:
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
