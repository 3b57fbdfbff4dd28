"""What the page-facing HTTP routes (downloads, uploads) share: the UI's session cookie as the only
identity, the user's language, domain errors as JSON, and files served safely as attachments."""
from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from services.errors import DomainError, FieldError, SessionInvalid, ValidationFailed
from services.i18n import normalize_locale
from services.security.actor import Actor
from state.i18n import LOCALE_COOKIE, ui_default_locale
from state.session import resolve_cookie_header

_NOT_ASCII_SAFE = re.compile(r'[^A-Za-z0-9 ._()\-]')


def request_locale(request: Request) -> str:
    """The page's language, by the pages' own rule: the user's choice (the UI's locale cookie), else the
    firm's default. Not Accept-Language: a download must speak the language of the page it came from."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    return normalize_locale(chosen) if chosen else ui_default_locale()


def request_actor(request: Request) -> Actor | None:
    """The actor behind the session cookie (resolved, and its idle deadline touched, on every request)."""
    return resolve_cookie_header(request.headers.get("cookie"))


def same_origin(request: Request) -> bool:
    """The request comes from the app's own pages (its Origin is this host): the JSON routes a page calls with
    fetch() take nothing from other sites (the session cookie is SameSite=Strict as well)."""
    origin, host = request.headers.get("origin"), request.headers.get("host")
    return bool(origin and host and urlsplit(origin).netloc == host)


def cross_site_refusal(code: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": "Cross-site request refused."}, status_code=403,
                        headers={"Cache-Control": "no-store"})


async def json_object(request: Request, limit: int) -> dict | None:
    """The body as a JSON object, read no further than `limit` bytes; None when it is larger, not JSON or not an
    object (the caller answers with a validation error once it knows who is asking)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def signed_in_with_body(request: Request, data: dict | None) -> tuple[Actor, dict] | JSONResponse:
    """For a JSON route, in the threadpool (the session is read from the database): the actor and the body read by
    `json_object`, or the answer that refuses them (401 without a live session, before judging the body)."""
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    if data is None:
        return error_response(ValidationFailed([FieldError("body", "value.invalid")]), locale)
    return actor, data


def error_response(exc: DomainError, locale: str) -> JSONResponse:
    body: dict = {"error": exc.code, "message": exc.message(locale)}
    if isinstance(exc, ValidationFailed):
        body["fields"] = [{"field": e.field, "code": e.code} for e in exc.errors]
    return JSONResponse(body, status_code=exc.http_status, headers={"Cache-Control": "no-store"})


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name (no quote or newline can break the header) and the
    original UTF-8 name for every modern browser."""
    fallback = _NOT_ASCII_SAFE.sub("_", filename)[:150] or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(data: bytes, media_type: str, filename: str, **headers: str) -> Response:
    """A download that is never cached and never sniffed into something the browser would run."""
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": content_disposition(filename), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff", **headers})
