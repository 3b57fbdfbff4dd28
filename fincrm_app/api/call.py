"""GET /call/{customer_id}: the agenda's call button. Answers with a redirect to the customer's tel: URI, so the
phone's dialler gets the number while the page only ever shows it as the actor's field policy allows (an RM sees
phones masked). Authenticated by the session cookie; services.agenda.dial checks scope and consent and audits."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from fincrm_app.api.cookie_auth import error_response, request_actor, request_locale
from services.agenda import service as agenda
from services.db import unit_of_work
from services.errors import DomainError
from services.validation.input import whole_number

router = APIRouter(prefix="/call", tags=["call"])

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/{customer_id}")
def call(customer_id: str, request: Request) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:  # a navigation: back to sign-in, not a JSON error
        return RedirectResponse("/login", status_code=303, headers=_NO_STORE)
    try:
        with unit_of_work() as uow:
            uri = agenda.dial(uow=uow, actor=actor, customer_id=whole_number(customer_id))
            uow.commit()  # the audit event
    except DomainError as exc:
        return error_response(exc, locale)
    return RedirectResponse(uri, status_code=303, headers=_NO_STORE)
