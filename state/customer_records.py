"""The 360 page's documents card (upload) and consent card (record a grant or withdrawal).

A substate beside CustomerState: the customer comes from the route (/customers/<id>), never from
an argument; every handler resolves the actor from the session cookie and the services check that
the customer lies in the actor's scope, so a socket client calling these handlers for a foreign
customer or with hostile arguments gets a refusal and nothing is written. After a change, the
lists shown by CustomerState (documents, consents) are refreshed through the same services.
The file itself never enters the state: it goes straight to the document store.
"""
from __future__ import annotations

import asyncio

import logging
import re
from typing import Any

import reflex as rx

from services import documents
from services.customer360 import service as c360
from services.customers import consent
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from state.customers import CustomerState, consent_rows, document_rows
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

UPLOAD_ID = "doc-upload"
DOC_KINDS = documents.CUSTOMER_KINDS
CONSENT_PURPOSES = consent.PURPOSES
CONSENT_CHANNELS = tuple(c for c in consent.CHANNELS if c != "api")  # "api" is for system clients
DECISIONS = ("grant", "withdraw")
_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")
_MAX_EVIDENCE = 200


def consent_data(form: Any) -> dict[str, Any]:
    """The consent form {purpose, decision: grant|withdraw, channel, evidence} -> the service's input.
    Only known keys, only strings; the service validates purpose, channel and evidence."""
    if not isinstance(form, dict) or len(form) > 16:
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    out: dict[str, Any] = {}
    for key in ("purpose", "decision", "channel", "evidence"):
        value = form.get(key)
        if value is not None and not isinstance(value, str):
            raise ValidationFailed([FieldError("granted" if key == "decision" else key, "value.wrong_type")])
        out[key] = (value or "").strip()
    if out["decision"] not in DECISIONS:
        raise ValidationFailed([FieldError("granted", "value.invalid_choice",
                                           {"choices": ", ".join(DECISIONS)})])
    if len(out["evidence"]) > _MAX_EVIDENCE:
        raise ValidationFailed([FieldError("evidence", "value.too_long", {"max": _MAX_EVIDENCE})])
    return {"purpose": out["purpose"], "granted": out["decision"] == "grant", "channel": out["channel"],
            "evidence": out["evidence"] or None}


class CustomerRecordsState(DataState):
    doc_kind: str = "other"
    doc_error: str = ""
    consent_open: bool = False
    consent_error: str = ""

    def _purge(self) -> None:
        self.doc_kind = "other"
        self.doc_error = ""
        self.consent_open = False
        self.consent_error = ""

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        if match is None:
            return None
        value = int(match.group(1))
        return value if 0 < value < 2**62 else None

    def _actor_or_redirect(self):
        actor, redirect = super()._actor_or_redirect()
        if actor is not None:
            self._mark_loaded(actor)
        return actor, redirect

    async def _page_state(self, customer_id: int) -> CustomerState | None:
        """CustomerState, if it shows this customer (then its lists are refreshed)."""
        page = await self.get_state(CustomerState)
        return page if page.found and page._customer_id == customer_id else None

    # ---------------------------------------------------------------- documents

    @rx.event
    def set_doc_kind(self, value: Any):
        """The document-type select; only the offered kinds are accepted."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if value in DOC_KINDS:
            self.doc_kind = value
        return None

    @rx.event
    async def upload_document(self, files: list[rx.UploadFile]):
        """The file chosen in the documents card: checked and stored by the service, then listed.
        Async for the file read and the page state; every database step runs in a worker thread."""
        actor, redirect = await asyncio.to_thread(self._actor_or_redirect)
        if actor is None:
            return redirect
        loc = self._locale()
        customer_id = self._route_customer_id()
        if customer_id is None:
            self.doc_error = label("records.doc_no_file", loc)
            return None
        if not isinstance(files, list) or len(files) != 1 or not callable(getattr(files[0], "read", None)):
            self.doc_error = label("records.doc_no_file", loc)
            return rx.clear_selected_files(UPLOAD_ID)
        f = files[0]
        data = await f.read(documents.CUSTOMER_MAX_SIZE + 1)
        if len(data) > documents.CUSTOMER_MAX_SIZE:
            self.doc_error = label("records.doc_too_large", loc, max=documents.CUSTOMER_MAX_SIZE // 2**20)
            return rx.clear_selected_files(UPLOAD_ID)
        kind = self.doc_kind if self.doc_kind in DOC_KINDS else "other"
        try:
            await asyncio.to_thread(_store_document, actor, customer_id, getattr(f, "filename", None) or "", data,
                                    kind)
        except DomainError as exc:
            self.doc_error = exc.message(loc)
            return rx.clear_selected_files(UPLOAD_ID)
        self.doc_error = ""
        page = await self._page_state(customer_id)
        if page is not None:
            try:
                page.documents = await asyncio.to_thread(_document_rows, actor, customer_id, loc)
            except DomainError:
                log.warning("refreshing documents of customer %s failed", customer_id, exc_info=True)
        return [rx.clear_selected_files(UPLOAD_ID),
                rx.toast.success(label("records.doc_uploaded", loc), id="doc-upload-toast")]

    # ---------------------------------------------------------------- consent

    @rx.event
    def open_consent(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self.consent_open = True
        self.consent_error = ""
        return None

    @rx.event
    def consent_open_change(self, is_open: Any):
        """The dialog asks to close (Escape, overlay, cancel): only closing is accepted from here."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if is_open is not True:
            self.consent_open = False
            self.consent_error = ""
        return None

    @rx.event
    async def record_consent(self, form_data: Any):
        """The consent dialog: one grant or withdrawal, recorded (and audited) by the service. Async for the
        page state; every database step runs in a worker thread."""
        actor, redirect = await asyncio.to_thread(self._actor_or_redirect)
        if actor is None:
            return redirect
        loc = self._locale()
        customer_id = self._route_customer_id()
        try:
            if customer_id is None:
                raise ValidationFailed([FieldError("customer_id", "value.invalid")])
            data = consent_data(form_data)
            await asyncio.to_thread(_record_consent, actor, customer_id, data)
        except DomainError as exc:
            self.consent_error = exc.message(loc)
            return None
        self.consent_error = ""
        self.consent_open = False
        page = await self._page_state(customer_id)
        if page is not None:
            try:
                page.consents = await asyncio.to_thread(_consent_rows, actor, customer_id, loc)
            except DomainError:
                log.warning("refreshing consents of customer %s failed", customer_id, exc_info=True)
        return rx.toast.success(label("records.consent_saved", loc), id="consent-toast")


# ---------------------------------------------------------------- database steps (run in worker threads)

def _store_document(actor, customer_id: int, filename: str, data: bytes, kind: str) -> None:
    with unit_of_work() as uow:
        documents.upload_customer_document(uow=uow, actor=actor, customer_id=customer_id, filename=filename,
                                           data=data, kind=kind)
        uow.commit()


def _document_rows(actor, customer_id: int, loc: str) -> list:
    with unit_of_work(readonly=True) as uow:
        return document_rows(c360.documents(uow=uow, actor=actor, customer_id=customer_id), loc)


def _record_consent(actor, customer_id: int, data: dict) -> None:
    with unit_of_work() as uow:
        consent.record_consent(uow=uow, actor=actor, customer_id=customer_id, data=data)
        uow.commit()


def _consent_rows(actor, customer_id: int, loc: str) -> list:
    with unit_of_work(readonly=True) as uow:
        return consent_rows(consent.current_consents(uow=uow, actor=actor, customer_id=customer_id), loc)
