"""POST /sync/notes: a note written on the phone without signal, sent by assets/offline-notes.js when the connection
returns (session cookie; JSON {customer_id, kind, notes, written_at}; header Idempotency-Key). Answers 201
{interaction_id, replayed}; 401 when the session has ended (the device keeps the note until the RM signs in again);
the domain's errors as JSON with their words (a customer no longer in the RM's scope answers 404), which the device
shows beside the note it keeps. Only from the app's own pages (Origin checked; the cookie is SameSite=Strict)."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fincrm_app.api.cookie_auth import error_response, request_actor, request_locale
from services.agenda import sync
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid, ValidationFailed, FieldError

router = APIRouter(prefix="/sync", tags=["sync"])
_NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 64 * 1024


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    return bool(origin and host and urlsplit(origin).netloc == host)


@router.post("/notes")
async def submit_note(request: Request) -> Response:
    locale = request_locale(request)
    if not _same_origin(request):
        return JSONResponse({"error": "sync.cross_site", "message": "Cross-site request refused."}, status_code=403,
                            headers=_NO_STORE)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    body = await request.body()
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return error_response(ValidationFailed([FieldError("body", "value.invalid")]), locale)
    try:
        with unit_of_work() as uow:
            result = sync.submit_offline_note(uow=uow, actor=actor, key=request.headers.get("idempotency-key"),
                                              data=data)
            uow.commit()
    except DomainError as exc:
        return error_response(exc, locale)
    return JSONResponse({"interaction_id": result.interaction_id, "replayed": result.replayed},
                        status_code=200 if result.replayed else 201, headers=_NO_STORE)
