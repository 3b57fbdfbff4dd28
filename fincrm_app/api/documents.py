"""GET /documents/{id}: download a stored document (the 360 page's documents card links here).

Authenticated by the same HttpOnly session cookie as the UI, resolved to an Actor on every
request; services.documents checks that the actor may see the document's customer and audits the
read. Always served as an attachment, with the type decided by the server, `nosniff` and a
sandboxing CSP, so an uploaded file never runs as a page of this origin. Uploads go through the
page (Reflex's upload and CustomerRecordsState), so there is no upload route here.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services import documents
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid, ValidationFailed
from services.i18n import normalize_locale
from state.session import resolve_cookie_header

router = APIRouter(prefix="/documents", tags=["documents"])

_NOT_ASCII_SAFE = re.compile(r'[^A-Za-z0-9 ._()\-]')


def _locale(request: Request) -> str:
    return normalize_locale(request.cookies.get("fincrm_locale") or request.headers.get("accept-language"))


def _error(exc: DomainError, locale: str) -> JSONResponse:
    body = {"error": exc.code, "message": exc.message(locale)}
    if isinstance(exc, ValidationFailed):
        body["fields"] = [{"field": e.field, "code": e.code} for e in exc.errors]
    return JSONResponse(body, status_code=exc.http_status, headers={"Cache-Control": "no-store"})


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the original (UTF-8) name for every modern browser."""
    fallback = _NOT_ASCII_SAFE.sub("_", filename)[:150] or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{document_id}")
def download(document_id: str, request: Request) -> Response:
    locale = _locale(request)
    actor = resolve_cookie_header(request.headers.get("cookie"))
    if actor is None:
        return _error(SessionInvalid(), locale)
    doc_id = int(document_id) if document_id.isdigit() and len(document_id) < 19 else None
    try:
        with unit_of_work() as uow:
            name, content_type, data = documents.download_document(uow=uow, actor=actor, document_id=doc_id)
            uow.commit()  # the audit event of the read
    except DomainError as exc:
        return _error(exc, locale)
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": content_disposition(name),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})
