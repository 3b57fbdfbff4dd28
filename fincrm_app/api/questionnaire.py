"""The customer's questionnaire doors that set or clear cookies: the identity check, the one-time code, and the
RM's in-branch start. Plain HTML forms post here (like /auth/login), so the cookies are HttpOnly and page
JavaScript never sees them; every POST must come from one of our own pages (Origin/Referer).

    POST /q/{token}/identify   name + last 6 of the ID  -> a code is sent; the challenge cookie; step "code"
    POST /q/{token}/verify     the code (+ the challenge cookie) -> the questionnaire session cookie; /q/answer
    POST /q/{token}/in-branch  an RM's staff session confirms the customer in person -> the RM is signed out of
                               this device, the questionnaire session cookie is set; /q/answer

Failures redirect back to /q/{token} with an error code the page turns into words; the services count and
audit them. A link that is not valid any more answers like one that never existed.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.auth import _read_form, _same_origin
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid, ValidationFailed
from services.security.auth import SESSION_COOKIE, sign_out
from services.settings import get_settings
from services.suitability import links
from state.questionnaire import CHALLENGE_COOKIE, QUESTIONNAIRE_COOKIE, cookie_value
from state.session import resolve_cookie_header

router = APIRouter(prefix="/q", tags=["questionnaire"])

_CHALLENGE_SECONDS = links.CODE_MINUTES * 60


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _back(token: str, **query: Any) -> RedirectResponse:
    url = f"/q/{quote(token, safe='')}"
    if query:
        url += "?" + "&".join(f"{k}={quote(str(v), safe='*')}" for k, v in query.items())
    return RedirectResponse(url, status_code=303)


def _cookie(response: Response, name: str, value: str, **extra: Any) -> None:
    response.set_cookie(name, value, path="/", httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure, **extra)


def _forget(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=get_settings().cookie_secure)


def _refused() -> Response:
    return Response("Cross-site request refused.", status_code=403, media_type="text/plain")


def _identify(token: str, name: Any, last6: Any, ip: str | None) -> links.Challenge | DomainError:
    """In a worker thread. Committed whatever the outcome (failures are counted and audited); a link that is no
    longer valid leaves the unit of work, which audits the refusal."""
    try:
        with unit_of_work() as uow:
            try:
                out = links.confirm_identity(uow=uow, token=token, name=name, id_last6=last6, ip=ip)
            except (links.IdentityNotConfirmed, links.IdentityThrottled, links.NoPhoneOnFile, ValidationFailed) as exc:
                uow.commit()
                return exc
            uow.commit()
            return out
    except DomainError as exc:
        return exc


@router.post("/{token}/identify")
async def identify(token: str, request: Request) -> Response:
    if not _same_origin(request):
        return _refused()
    form = await _read_form(request)
    if form is None:
        return _back(token, error="input")
    out = await run_in_threadpool(_identify, token, form.get("name"), form.get("id_last6"), _ip(request))
    if isinstance(out, links.Challenge):
        response = _back(token, step="code", to=out.sent_to)
        _cookie(response, CHALLENGE_COOKIE, out.secret, max_age=_CHALLENGE_SECONDS)
        return response
    if isinstance(out, links.IdentityThrottled):
        return _back(token, error="throttled", minutes=out.params.get("minutes", 15))
    return _back(token, error={links.IdentityNotConfirmed: "identity", links.NoPhoneOnFile: "no_phone",
                               ValidationFailed: "input"}.get(type(out), "identity"))


def _verify(token: str, challenge: str | None, code: Any, ip: str | None) -> str | DomainError:
    try:
        with unit_of_work() as uow:
            try:
                out = links.verify_code(uow=uow, token=token, challenge_secret=challenge, code=code, ip=ip)
            except (links.CodeNotAccepted, links.CodeExpired, links.IdentityThrottled) as exc:
                uow.commit()
                return exc
            uow.commit()
            return out
    except DomainError as exc:
        return exc


@router.post("/{token}/verify")
async def verify(token: str, request: Request) -> Response:
    if not _same_origin(request):
        return _refused()
    form = await _read_form(request)
    challenge = request.cookies.get(CHALLENGE_COOKIE)
    if form is None:
        return _back(token, step="code", error="code")
    out = await run_in_threadpool(_verify, token, challenge, form.get("code"), _ip(request))
    if isinstance(out, str):
        response = RedirectResponse("/q/answer", status_code=303)
        _cookie(response, QUESTIONNAIRE_COOKIE, out)  # a browser-session cookie: closing the browser ends it
        _forget(response, CHALLENGE_COOKIE)
        return response
    if isinstance(out, links.CodeNotAccepted):
        return _back(token, step="code", error="code")
    if isinstance(out, links.IdentityThrottled):
        return _back(token, error="throttled", minutes=out.params.get("minutes", 15))
    response = _back(token, error="code_expired")
    _forget(response, CHALLENGE_COOKIE)
    return response


def _in_branch(token: str, request_cookie: str | None, ip: str | None) -> str | DomainError:
    actor = resolve_cookie_header(request_cookie)
    if actor is None:
        return SessionInvalid()
    try:
        with unit_of_work() as uow:
            out = links.start_in_branch(uow=uow, actor=actor, token=token, ip=ip)
            uow.commit()
        session = cookie_value(request_cookie, SESSION_COOKIE)
        if session:
            with unit_of_work() as uow:  # the RM hands this device to the customer: signed out of it first
                sign_out(uow=uow, token=session)
                uow.commit()
        return out
    except DomainError as exc:
        return exc


@router.post("/{token}/in-branch")
async def in_branch(token: str, request: Request) -> Response:
    if not _same_origin(request):
        return _refused()
    out = await run_in_threadpool(_in_branch, token, request.headers.get("cookie"), _ip(request))
    if isinstance(out, str):
        response = RedirectResponse("/q/answer", status_code=303)
        _cookie(response, QUESTIONNAIRE_COOKIE, out)
        _forget(response, SESSION_COOKIE)
        return response
    if isinstance(out, SessionInvalid):
        return RedirectResponse(f"/login?next={quote('/q/' + token, safe='/')}", status_code=303)
    return _back(token, error="session")
