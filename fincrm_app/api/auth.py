"""Sign-in and sign-out routes: the only place the session cookie is set or cleared.

The login page posts a plain HTML form here (not a Reflex event), so the cookie
is HttpOnly and page JavaScript never sees it. CSRF: the cookie is
SameSite=Strict, and every POST must carry an Origin (or Referer) of our own site.
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.db import unit_of_work
from services.errors import AccountLocked, AuthenticationFailed, DomainError
from services.security.auth import SESSION_COOKIE, sign_in, sign_out
from services.settings import get_settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_USERNAME = 64
MAX_PASSWORD = 256
MAX_NEXT = 300
MAX_BODY = 4096
DEFAULT_NEXT = "/customers"


def safe_next(value: str | None) -> str:
    """A same-site relative path to go to after sign-in; anything else gives the default."""
    if not value or len(value) > MAX_NEXT:
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    if parts.path.startswith(("/auth/", "/login", "/_")):
        return DEFAULT_NEXT
    return value


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin(request: Request) -> bool:
    """The POST comes from one of our own pages (Origin, else Referer)."""
    claimed = request.headers.get("origin")
    if not claimed or claimed == "null":
        referer = request.headers.get("referer")
        claimed = _origin_of(referer) if referer else None
    else:
        claimed = _origin_of(claimed)
    if not claimed:
        return False
    allowed = set()
    public = _origin_of(get_settings().public_url)
    if public:
        allowed.add(public)
    host = request.headers.get("host")
    if host:
        allowed.add(f"{request.url.scheme}://{host}".lower())
    return claimed in allowed


async def _read_form(request: Request) -> dict[str, str] | None:
    """The url-encoded form, or None when it is not one or is too large."""
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in parsed.items() if v}


def _login_error(error: str, **params: int) -> RedirectResponse:
    url = f"/login?error={error}"
    for key, value in params.items():
        url += f"&{key}={int(value)}"
    return RedirectResponse(url, status_code=303)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/login")
async def login(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    form = await _read_form(request)
    if form is None:
        return _login_error("invalid")
    username = form.get("username", "")
    password = form.get("password", "")
    target = safe_next(form.get("next"))
    if not username or not password or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return _login_error("invalid")

    settings = get_settings()
    with unit_of_work() as uow:
        try:
            result = sign_in(uow=uow, username=username, password=password, ip=_client_ip(request),
                             user_agent=request.headers.get("user-agent"))
        except AccountLocked as exc:
            uow.commit()  # the failed attempt and the lock are kept
            return _login_error("locked", minutes=exc.params.get("minutes", 15))
        except (AuthenticationFailed, DomainError):
            uow.commit()  # failed attempts count towards the lockout
            return _login_error("invalid")
        uow.commit()

    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, result.token, max_age=int(settings.session_hours * 3600), path="/",
        httponly=True, samesite="strict", secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with unit_of_work() as uow:
            sign_out(uow=uow, token=token)
            uow.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=get_settings().cookie_secure)
    return response
