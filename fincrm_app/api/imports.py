"""Import routes that need plain HTTP: downloading a batch's error report, and uploading a file
from a script. Both are authenticated by the same HttpOnly session cookie as the UI (resolved to
an Actor on every request); the services check the role and the batch's visibility.

POST /imports/upload?filename=<name> takes the file as the raw request body (no multipart parsing),
from our own origin only (CSRF), and answers with the new batch as JSON. The page itself uploads
through Reflex's upload (`rx.upload`), which runs through the page state and the same services.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fincrm_app.api.auth import _same_origin
from services.db import unit_of_work
from services.documents import MAX_SIZE
from services.errors import DomainError, ValidationFailed
from services.i18n import normalize_locale
from services.imports import service as imports
from state.session import resolve_cookie_header

router = APIRouter(prefix="/imports", tags=["imports"])


def _locale(request: Request) -> str:
    return normalize_locale(request.cookies.get("fincrm_locale") or request.headers.get("accept-language"))


def _error(exc: DomainError, locale: str) -> JSONResponse:
    body = {"error": exc.code, "message": exc.message(locale)}
    if isinstance(exc, ValidationFailed):
        body["fields"] = [{"field": e.field, "code": e.code} for e in exc.errors]
    return JSONResponse(body, status_code=exc.http_status)


def _unauthenticated(locale: str) -> JSONResponse:
    from services.errors import SessionInvalid

    return _error(SessionInvalid(), locale)


@router.get("/{batch_id}/error-report")
def error_report(batch_id: int, request: Request) -> Response:
    locale = _locale(request)
    actor = resolve_cookie_header(request.headers.get("cookie"))
    if actor is None:
        return _unauthenticated(locale)
    try:
        with unit_of_work() as uow:
            name, data = imports.error_report(uow=uow, actor=actor, batch_id=batch_id)
    except DomainError as exc:
        return _error(exc, locale)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/upload")
async def upload(request: Request, filename: str = "upload.csv") -> Response:
    locale = _locale(request)
    if not _same_origin(request):
        return Response("Cross-site request refused.", status_code=403, media_type="text/plain")
    actor = resolve_cookie_header(request.headers.get("cookie"))
    if actor is None:
        return _unauthenticated(locale)
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
        return _error(exc, locale)
    return JSONResponse({"batch_id": view.id, "status": view.status, "filename": view.filename}, status_code=201)
