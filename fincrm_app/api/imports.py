"""Import routes that need plain HTTP: downloading a batch's error report, and uploading a file
from a script. Both are authenticated by the same HttpOnly session cookie as the UI (resolved to
an Actor on every request); the services check the role and the batch's visibility.

POST /imports/upload?filename=<name> takes the file as the raw request body (no multipart parsing),
from our own origin only (CSRF), and answers with the new batch as JSON. The page itself uploads
through Reflex's upload (`rx.upload`), which runs through the page state and the same services.
"""
from __future__ import annotations


from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fincrm_app.api.auth import _same_origin
from fincrm_app.api.cookie_auth import attachment, error_response, request_actor, request_locale
from services.db import unit_of_work
from services.documents import MAX_SIZE
from services.errors import DomainError, SessionInvalid
from services.imports import service as imports

router = APIRouter(prefix="/imports", tags=["imports"])


@router.get("/{batch_id}/error-report")
def error_report(batch_id: int, request: Request) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    try:
        with unit_of_work(readonly=True) as uow:
            name, data = imports.error_report(uow=uow, actor=actor, batch_id=batch_id)
    except DomainError as exc:
        return error_response(exc, locale)
    return attachment(data, "text/csv; charset=utf-8", name)


@router.post("/upload")
async def upload(request: Request, filename: str = "upload.csv") -> Response:
    locale = request_locale(request)
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SIZE:
            return JSONResponse({"error": "document.too_large"}, status_code=413)
    try:
        with unit_of_work() as uow:
            view = imports.upload(uow=uow, actor=actor, data=bytes(body), filename=filename[:255])
            uow.commit()
    except DomainError as exc:
        return error_response(exc, locale)
    return JSONResponse({"batch_id": view.id, "status": view.status, "filename": view.filename}, status_code=201)
