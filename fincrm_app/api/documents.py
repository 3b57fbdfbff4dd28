"""GET /documents/{id}: download a stored document (the 360 page's documents card links here).

Authenticated by the same HttpOnly session cookie as the UI, resolved to an Actor on every
request; services.documents checks that the actor may see the document's customer and audits the
read. Always served as an attachment, with the type decided by the server, `nosniff` and a
sandboxing CSP, so an uploaded file never runs as a page of this origin. Uploads go through the
page (Reflex's upload and CustomerRecordsState), so there is no upload route here.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fincrm_app.api.cookie_auth import attachment, error_response, request_actor, request_locale
from services import documents
from services.db import unit_of_work
from services.errors import DomainError, SessionInvalid
from services.validation.input import whole_number

router = APIRouter(prefix="/documents", tags=["documents"])

@router.get("/{document_id}")
def download(document_id: str, request: Request) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    doc_id = whole_number(document_id)
    try:
        with unit_of_work() as uow:
            name, content_type, data = documents.download_document(uow=uow, actor=actor, document_id=doc_id)
            uow.commit()  # the audit event of the read
    except DomainError as exc:
        return error_response(exc, locale)
    # A sandboxing CSP on top: an uploaded file must never run as a page of this origin.
    return attachment(data, content_type, name, **{"Content-Security-Policy": "default-src 'none'; sandbox"})


@router.get("/loan-letter/{application_id}")
def loan_letter(application_id: str, request: Request) -> Response:
    """The decision letter of a loan application (PDF), for whoever may read the application (services.loans)."""
    from services.loans import service as loans

    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return error_response(SessionInvalid(), locale)
    app_id = whole_number(application_id, low=1, high=2**31 - 1)
    try:
        with unit_of_work(readonly=True) as uow:
            name, data = loans.decision_letter(uow=uow, actor=actor, application_id=app_id, locale=locale)
    except DomainError as exc:
        return error_response(exc, locale)
    return attachment(data, "application/pdf", name)
