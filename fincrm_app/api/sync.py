"""POST /sync/notes: a note written on the phone without signal, sent by assets/offline-notes.js when the connection
returns (session cookie; JSON {customer_id, kind, notes, written_at}; header Idempotency-Key). Answers 201
{interaction_id, replayed}; 401 when the session has ended (the device keeps the note until the RM signs in again);
the domain's errors as JSON with their words (a customer no longer in the RM's scope answers 404), which the device
shows beside the note it keeps. Only from the app's own pages (Origin checked; the cookie is SameSite=Strict).
Beside it, the same way: POST /sync/tasks (a task made offline: {customer_id, title, due_at}), POST
/sync/reschedules (a task rescheduled offline: {task_id, seen: {due_at, status}, due_at}; 409 with `current` when the
task changed meanwhile, so the device shows both versions), POST /sync/notes/{interaction_id}/revisions (a note's text
revised offline: {base_revision, notes, written_at}; 409 with `current` when it was revised since), and what the device keeps to read offline: GET /sync/tasks
(the RM's open tasks) and GET /sync/customers/{id} (the 360 summary as the field policy shows it, in words)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.cookie_auth import (cross_site_refusal, error_response, json_object, request_actor, request_locale,
                                        same_origin, signed_in_with_body)
from services.activities import revisions
from services.agenda import sync
from services.customer360 import service as c360
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid, VersionChanged
from services.i18n import format_date, format_datetime, format_money
from state.i18n import label

router = APIRouter(prefix="/sync", tags=["sync"])
_NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 64 * 1024


async def _submit(request: Request, use_case, answer) -> Response:
    """Check the origin and read the (bounded) body here; the session and the use case, which wait for the
    database (on SQLite for its write lock), run in the threadpool, never on the event loop that serves everyone."""
    if not same_origin(request):
        return cross_site_refusal("sync.cross_site")
    data = await json_object(request, MAX_BODY)
    return await run_in_threadpool(_submit_now, request, use_case, answer, data)


def _submit_now(request: Request, use_case, answer, data: dict | None) -> Response:
    checked = signed_in_with_body(request, data)
    if isinstance(checked, Response):
        return checked
    actor, data = checked
    locale = request_locale(request)
    try:
        with unit_of_work() as uow:
            result = use_case(uow=uow, actor=actor, key=request.headers.get("idempotency-key"), data=data)
            uow.commit()
    except VersionChanged as exc:  # a task or a note changed meanwhile: the device shows both versions
        return JSONResponse({"error": exc.code, "message": exc.message(locale), "current": exc.current},
                            status_code=exc.http_status, headers=_NO_STORE)
    except DomainError as exc:
        return error_response(exc, locale)
    return JSONResponse(answer(result), status_code=200 if result.replayed else 201, headers=_NO_STORE)


@router.post("/notes")
async def submit_note(request: Request) -> Response:
    return await _submit(request, sync.submit_offline_note,
                         lambda r: {"interaction_id": r.interaction_id, "replayed": r.replayed})


@router.post("/tasks")
async def submit_task(request: Request) -> Response:
    return await _submit(request, sync.submit_offline_task, lambda r: {"task_id": r.task_id, "replayed": r.replayed})


@router.post("/reschedules")
async def submit_reschedule(request: Request) -> Response:
    return await _submit(request, sync.submit_offline_reschedule,
                         lambda r: {"task_id": r.task_id, "replayed": r.replayed})


@router.post("/notes/{interaction_id}/revisions")
async def submit_note_revision(interaction_id: str, request: Request) -> Response:
    """A note's text revised offline: {base_revision, notes, written_at}; 409 with `current` (the note as it is now:
    revision, notes, by, at) when it was revised since the device's version."""
    iid = int(interaction_id) if interaction_id.isdigit() and len(interaction_id) < 19 else interaction_id  # else 422
    return await _submit(request, partial(sync.submit_offline_revision, interaction_id=iid),
                         lambda r: {"interaction_id": r.interaction_id, "revision": r.revision, "replayed": r.replayed})


def _read(request: Request, use_case, **kwargs) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    try:
        with unit_of_work() as uow:
            data = use_case(uow=uow, actor=actor, **kwargs)
            uow.commit()  # opening a customer is an audited read
    except DomainError as exc:
        return error_response(exc, locale)
    return data, locale


@router.get("/tasks")
def open_tasks(request: Request) -> Response:
    got = _read(request, sync.open_tasks)
    if isinstance(got, Response):
        return got
    return JSONResponse({"tasks": got[0]}, headers=_NO_STORE)


def _summary(*, uow, actor, customer_id) -> dict:
    """The part of the 360 page a phone keeps to read offline: exactly as customer_360 gives it to this actor (masked
    and hidden fields as the field policy says; never a revealed value). Opening it is the audited read it is."""
    view = c360.customer_360(uow=uow, actor=actor, customer_id=customer_id)
    h, p = view.header, view.detail.profile
    return {
        "id": h.customer_id, "name": h.name, "customer_no": h.customer_no, "segment": h.segment,
        "risk_level": h.risk_level, "risk_valid_until": h.risk_valid_until.isoformat() if h.risk_valid_until else None,
        "kyc_status": h.kyc_status, "id_number": p.id_number, "phone": p.phone, "aum": str(h.aum),
        "currency": h.currency, "tags": [t.name for t in h.tags], "tags_en": [t.name_en for t in h.tags],
        "interactions": [{"id": i.id, "kind": i.kind, "at": i.occurred_at.isoformat(), "subject": i.subject,
                          "notes": i.notes or "", "revision": i.revision} for i in view.detail.interactions[:5]],
        "can_revise": revisions.can_revise(actor),  # the device offers to edit these notes offline
    }


@router.get("/customers/{customer_id}")
def customer_summary(customer_id: str, request: Request) -> Response:
    """The summary a phone keeps of a customer the RM opened, with the words in the page's language."""
    cid = int(customer_id) if customer_id.isdigit() and len(customer_id) < 19 else customer_id  # else refused
    got = _read(request, _summary, customer_id=cid)
    if isinstance(got, Response):
        return got
    c, loc = got
    words = {
        "segment": label(f"segment.{c['segment']}", loc) if c["segment"] else "",
        "aum": format_money(Decimal(c["aum"]), c["currency"], loc),
        "risk_valid_until": format_date(date.fromisoformat(c["risk_valid_until"]), loc) if c["risk_valid_until"]
        else "",
        "tags": c["tags_en"] if loc == "en" else c["tags"],
        "interactions": [{**i, "at": format_datetime(datetime.fromisoformat(i["at"]), loc),
                          "kind": label(f"pwa.note.kind.{i['kind']}", loc)} for i in c["interactions"]],
        "locale": loc,
    }
    return JSONResponse({**c, **words}, headers=_NO_STORE)

