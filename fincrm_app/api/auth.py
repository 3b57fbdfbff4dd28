"""Sign-in and sign-out routes: the only place the session cookie is set or cleared.

The login page posts a plain HTML form here (not a Reflex event), so the cookie
is HttpOnly and page JavaScript never sees it. CSRF: the cookie is
SameSite=Strict, and every POST must carry an Origin (or Referer) of our own site.

The session cookie lives as long as the browser session, unless the user ticks "stay signed in":
then it lasts as long as the server-side session. A second cookie, scoped to this route, marks the
browser as one that signed in before (services/security/throttle.py: strangers' failures never hold
back a trusted browser); it grants nothing by itself.

The database work (argon2, and on SQLite possibly waiting for the write lock) runs in a worker
thread: on the event loop it would stall every other request while it waits.
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from services.db import unit_of_work
from services.errors import DomainError, TooManyAttempts
from services.security.auth import SESSION_COOKIE, SignIn, sign_in, sign_out
from services.settings import get_settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_USERNAME = 64
MAX_PASSWORD = 256
MAX_NEXT = 300
MAX_BODY = 4096
DEFAULT_NEXT = "/customers"
DEVICE_COOKIE = "fincrm_device"
DEVICE_COOKIE_PATH = "/auth/login"  # sent nowhere else


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


def _sign_in_now(username: str, password: str, ip: str | None, user_agent: str | None,
                 device_token: str | None) -> SignIn | DomainError:
    """In a worker thread: the sign-in, committed whatever the outcome (failures are counted and audited)."""
    with unit_of_work() as uow:
        try:
            result = sign_in(uow=uow, username=username, password=password, ip=ip, user_agent=user_agent,
                             device_token=device_token)
        except DomainError as exc:
            uow.commit()
            return exc
        uow.commit()
        return result


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
    stay_signed_in = form.get("remember") == "1"
    if not username or not password or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return _login_error("invalid")

    outcome = await run_in_threadpool(_sign_in_now, username, password, _client_ip(request),
                                      request.headers.get("user-agent"), request.cookies.get(DEVICE_COOKIE))
    if isinstance(outcome, TooManyAttempts):
        return _login_error("throttled", minutes=outcome.params.get("minutes", 15))
    if isinstance(outcome, DomainError):
        return _login_error("invalid")

    settings = get_settings()
    response = RedirectResponse(target, status_code=303)
    # Without "stay signed in" a browser-session cookie (no Max-Age): closing the browser ends it.
    lifetime = {"max_age": int(settings.session_hours * 3600)} if stay_signed_in else {}
    response.set_cookie(SESSION_COOKIE, outcome.token, path="/", httponly=True, samesite="strict",
                        secure=settings.cookie_secure, **lifetime)
    response.set_cookie(DEVICE_COOKIE, outcome.device_token, max_age=int(settings.lockout_trust_days * 86400),
                        path=DEVICE_COOKIE_PATH, httponly=True, samesite="strict", secure=settings.cookie_secure)
    return response


def _sign_out_now(token: str) -> None:
    with unit_of_work() as uow:
        sign_out(uow=uow, token=token)
        uow.commit()


@router.post("/logout")
async def logout(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(_sign_out_now, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=get_settings().cookie_secure)
    return response
