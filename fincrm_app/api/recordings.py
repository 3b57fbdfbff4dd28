"""Page-facing routes of suitability that move files: the chunked, resumable upload of a sale's recording,
playing a recording back for review, and previewing or printing a signed disclosure.

Authenticated like every page route by the HttpOnly session cookie (fincrm_app/api/cookie_auth.py), resolved on
every request; writes must come from one of our own pages (Origin). The services decide everything else:
the sale's scope and step, the size limit, the type from the bytes, the SHA-256, the audit.

    POST /recordings/uploads               {sale_id, filename, size} -> start or resume: {id, received, ...}
    GET  /recordings/{id}                  how far the upload got (resume point)
    PUT  /recordings/{id}/chunk?offset=N   raw bytes (at most 8 MB) at exactly the server's offset
    POST /recordings/{id}/finish           check the type, store by SHA-256, wait for compliance
    GET  /recordings/{id}/media            the recording, to play it back (audited)
    GET  /disclosures/{document_id}/page/{n}.png   a page of a signed disclosure as an image (audited)
    GET  /disclosures/{document_id}/print          the signed PDF itself, inline, to print (audited)
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.auth import _same_origin
from fincrm_app.api.cookie_auth import attachment, error_response, request_actor, request_locale
from services import documents
from services.db import unit_of_work
from services.errors import DomainError, NotPermitted, SessionInvalid
from services.suitability import disclosures, recordings
from services.validation.input import whole_number
from services.validation.json_input import load_json

router = APIRouter(tags=["recordings"])

MAX_START_BODY = 4096


def _run(request: Request, fn, *, write: bool = True) -> Any:
    """In a worker thread: the actor from the cookie, the use case in a unit of work (committed when it writes).
    Domain errors become JSON in the page's language; a refusal leaves the unit of work first (audited)."""
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    try:
        with unit_of_work(readonly=not write) as uow:
            out = fn(uow, actor)
            if write:
                uow.commit()
            return out
    except recordings.RecordingRefused as exc:
        body = {"error": exc.code, "message": exc.message(locale), **exc.params}
        return JSONResponse(body, status_code=exc.http_status, headers={"Cache-Control": "no-store"})
    except DomainError as exc:
        return error_response(exc, locale)


def _json_view(view: Any) -> Any:
    return JSONResponse(view.model_dump(mode="json"), headers={"Cache-Control": "no-store"}) \
        if hasattr(view, "model_dump") else view


def _cross_site(request: Request) -> Response | None:
    if not _same_origin(request):
        return JSONResponse({"error": "error.not_permitted", "message": "Cross-site request refused."},
                            status_code=403)
    return None


@router.post("/recordings/uploads")
async def start(request: Request) -> Response:
    refused = _cross_site(request)
    if refused:
        return refused
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_START_BODY:
            return JSONResponse({"error": "api.body_too_large", "message": "Request too large."}, status_code=413)
    try:
        body = load_json(raw)
    except DomainError as exc:
        return error_response(exc, request_locale(request))
    body = body if isinstance(body, dict) else {}
    out = await run_in_threadpool(_run, request, lambda uow, actor: recordings.start_upload(
        uow=uow, actor=actor, sale_id=body.get("sale_id"), filename=body.get("filename"), size=body.get("size")))
    return _json_view(out)


@router.get("/recordings/{recording_id}")
async def status(recording_id: str, request: Request) -> Response:
    rid = whole_number(recording_id)
    out = await run_in_threadpool(_run, request, lambda uow, actor: recordings.upload_status(
        uow=uow, actor=actor, recording_id=rid), write=False)
    return _json_view(out)


@router.put("/recordings/{recording_id}/chunk")
async def chunk(recording_id: str, request: Request, offset: str = "") -> Response:
    refused = _cross_site(request)
    if refused:
        return refused
    rid, at = whole_number(recording_id), whole_number(offset, low=0)
    data = bytearray()
    async for part in request.stream():  # never more than one chunk in memory; the service checks the rest
        data += part
        if len(data) > recordings.MAX_CHUNK:
            return JSONResponse({"error": "recording.chunk_invalid", "message": "Chunk too large."}, status_code=413)
    out = await run_in_threadpool(_run, request, lambda uow, actor: recordings.append_chunk(
        uow=uow, actor=actor, recording_id=rid, offset=at, data=bytes(data)))
    return _json_view(out)


@router.post("/recordings/{recording_id}/finish")
async def finish(recording_id: str, request: Request) -> Response:
    refused = _cross_site(request)
    if refused:
        return refused
    rid = whole_number(recording_id)
    out = await run_in_threadpool(_run, request, lambda uow, actor: recordings.finish_upload(
        uow=uow, actor=actor, recording_id=rid))
    return _json_view(out)


@router.get("/recordings/{recording_id}/media")
async def media(recording_id: str, request: Request) -> Response:
    rid = whole_number(recording_id)
    out = await run_in_threadpool(_run, request, lambda uow, actor: recordings.open_recording(
        uow=uow, actor=actor, recording_id=rid))
    if isinstance(out, Response):
        return out
    path, media_type, name = out
    return FileResponse(path, media_type=media_type, filename=name, content_disposition_type="inline",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; media-src 'self'; sandbox"})


@router.get("/disclosures/{document_id}/page/{page}.png")
async def preview(document_id: str, page: str, request: Request) -> Response:
    did = whole_number(document_id)
    out = await run_in_threadpool(_run, request, lambda uow, actor: disclosures.preview_page(
        uow=uow, actor=actor, document_id=did, page=page))
    if isinstance(out, Response):
        return out
    return Response(out, media_type="image/png", headers={"Cache-Control": "no-store",
                                                          "X-Content-Type-Options": "nosniff"})


@router.get("/disclosures/{document_id}/print")
async def print_disclosure(document_id: str, request: Request) -> Response:
    did = whole_number(document_id)

    def read(uow, actor):
        name, ctype, data = documents.download_document(uow=uow, actor=actor, document_id=did)
        if ctype != "application/pdf":
            raise NotPermitted(actor=actor, entity_type="document", entity_id=did)
        return name, data

    out = await run_in_threadpool(_run, request, read)
    if isinstance(out, Response):
        return out
    name, data = out
    # Inline, so the browser's PDF viewer opens it for printing; the bytes are the stored, signed ones.
    response = attachment(data, "application/pdf", name,
                          **{"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"})
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace("attachment", "inline", 1)
    return response
