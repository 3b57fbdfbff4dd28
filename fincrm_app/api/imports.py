"""Import routes that need plain HTTP: downloading a batch's error report, and uploading a file
from a script. Both are authenticated by the same HttpOnly session cookie as the UI (resolved to
an Actor on every request); the services check the role and the batch's visibility. The error report
is the same document as /documents/<id> serves, read by the same rule and audited the same way
(services.imports.files).

POST /imports/upload?filename=<name> takes the file as the raw request body (no multipart parsing),
from our own origin only (CSRF), and answers with the new batch as JSON. The page itself uploads
through Reflex's upload (`rx.upload`), which runs through the page state and the same services.

Nothing here blocks the event loop: the download is a plain `def` route (FastAPI runs it in its
threadpool); the upload reads the body asynchronously, then resolves the session, parses the file
and writes the batch in the threadpool, so a large or hostile file stalls no other request.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.auth import _same_origin
from fincrm_app.api.cookie_auth import attachment, error_response, request_actor, request_locale
from services.db import unit_of_work
from services.documents import MAX_SIZE
from services.errors import DomainError, SessionInvalid
from services.imports import service as imports
from services.validation.input import whole_number

router = APIRouter(prefix="/imports", tags=["imports"])


@router.get("/{batch_id}/error-report")
def error_report(batch_id: str, request: Request) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    try:
        with unit_of_work() as uow:
            name, data = imports.error_report(uow=uow, actor=actor, batch_id=whole_number(batch_id))
            uow.commit()  # the audit event of the download (the same as through /documents/<id>)
    except DomainError as exc:
        return error_response(exc, locale)
    return attachment(data, "text/csv; charset=utf-8", name,
                      **{"Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/upload")
async def upload(request: Request, filename: str = "upload.csv") -> Response:
    locale = request_locale(request)
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    actor = await run_in_threadpool(request_actor, request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SIZE:
            return JSONResponse({"error": "document.too_large"}, status_code=413)
    try:
        view = await run_in_threadpool(_store_upload, actor, bytes(body), filename[:1000])
    except DomainError as exc:
        return error_response(exc, locale)
    return JSONResponse({"batch_id": view.id, "status": view.status, "filename": view.filename}, status_code=201)


def _store_upload(actor, data: bytes, filename: str) -> imports.BatchView:
    with unit_of_work() as uow:
        view = imports.upload(uow=uow, actor=actor, data=data, filename=filename)
        uow.commit()
    return view
