"""The 360 page's documents card (list with downloads, upload) and consent card (list, record).

The lists come from CustomerState (loaded with the page); the actions go to CustomerRecordsState.
Downloads are links to GET /documents/<id> (fincrm_app/api/documents.py). `rx.el.a` renders React
Router's Link, which would treat the URL as a client-side route (the SPA's 404): `reload_document`
makes it a plain document request, so the browser sends the session cookie and saves the file.
"""
from __future__ import annotations

import reflex as rx

from components.c360 import empty_or, section
from components.i18n import t
from components.icons import icon
from components.modal import modal_form
from state.customer_records import (CONSENT_CHANNELS, CONSENT_PURPOSES, DECISIONS, DOC_KINDS, UPLOAD_ID,
                                    CustomerRecordsState as R)
from state.customers import CustomerState as S
from state.permissions import P, holds

_ACCEPT = {
    "application/pdf": [".pdf"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/png": [".png"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="field")


def _select(name: str, id_: str, options: tuple[str, ...], prefix: str, default: str | None = None,
            **props) -> rx.Component:
    return rx.el.select(*[rx.el.option(t(f"{prefix}.{v}"), value=v) for v in options], name=name, id=id_,
                        default_value=default or options[0], class_name="field-input", **props)


# ---------------------------------------------------------------- documents

def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(icon("file-text", size=14), d["filename"], class_name="item-title doc-name"),
                  rx.el.span(d["kind"] + " · " + d["size"], class_name="muted small")),
        rx.el.div(
            rx.el.span(d["uploaded"], class_name="small"),
            rx.el.span(d["by"], class_name="muted small"),
            rx.el.a(icon("download", size=14), t("records.doc_download"), href="/documents/" + d["id"],
                    download=d["filename"], reload_document=True,  # rx.el.a is a router Link: not a route
                    class_name="link small doc-download", id="doc-download-" + d["id"]),
        ),
        class_name="item doc-item", id="doc-" + d["id"],
    )


def _upload_form() -> rx.Component:
    return rx.el.div(
        _field("records.doc_kind", _select("kind", "doc-kind", DOC_KINDS, "c360.doc", "other",
                                           on_change=R.set_doc_kind)),
        rx.upload(
            rx.el.div(icon("upload", size=18), rx.el.span(t("records.doc_upload_hint"), class_name="small"),
                      class_name="stack"),
            id=UPLOAD_ID, multiple=False, max_files=1, accept=_ACCEPT,
            border="1px dashed var(--gray-8)", padding="0.9em", border_radius="8px",
        ),
        rx.foreach(rx.selected_files(UPLOAD_ID),
                   lambda f: rx.el.span(t("records.doc_selected"), f, class_name="small", id="doc-selected")),
        rx.el.button(icon("upload", size=16), t("records.doc_upload"), type="button", id="doc-upload-button",
                     class_name="btn-primary",
                     on_click=R.upload_document(rx.upload_files(upload_id=UPLOAD_ID))),
        rx.cond(R.doc_error != "",
                rx.el.div(icon("circle-alert", size=16), rx.el.span(R.doc_error), id="doc-error", role="alert",
                          class_name="alert")),
        class_name="stack doc-upload",
    )


def documents_card() -> rx.Component:
    return section(
        "c360.documents",
        rx.el.div(
            empty_or(S.documents, rx.el.ul(rx.foreach(S.documents, _document), class_name="item-list",
                                           id="documents-list")),
            rx.cond(holds(P.RECORD_WRITE), _upload_form()),
            class_name="stack",
        ),
        "documents",
    )


# ---------------------------------------------------------------- consent

def _consent(c: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(c["purpose"], class_name="item-title"),
                  rx.el.span(c["channel"], class_name="muted small")),
        rx.el.div(rx.el.span(c["status_label"], class_name="badge consent-" + c["status"]),
                  rx.el.span(c["when"], class_name="muted small")),
        class_name="item consent-item",
    )


def _consent_dialog() -> rx.Component:
    return modal_form(
        t("records.consent_dialog"),
        _field("records.consent_purpose", _select("purpose", "consent-purpose", CONSENT_PURPOSES, "consent.purpose")),
        _field("records.consent_decision", _select("decision", "consent-decision", DECISIONS,
                                                   "records.consent_decision")),
        _field("records.consent_channel", _select("channel", "consent-channel", CONSENT_CHANNELS, "consent.channel",
                                                  "branch")),
        _field("records.consent_evidence", rx.el.input(type="text", name="evidence", id="consent-evidence",
                                                       max_length=200, auto_complete="off", class_name="field-input")),
        id_prefix="consent", error=R.consent_error, on_submit=R.record_consent, open=R.consent_open,
        on_open_change=R.consent_open_change, cancel=t("records.cancel"), save=t("records.save"))


def consent_card() -> rx.Component:
    """Shown when the actor may read consent (CustomerState loads it then)."""
    return rx.cond(
        S.consents.length() > 0,
        section(
            "consent.title",
            rx.el.ul(rx.foreach(S.consents, _consent), class_name="item-list", id="consent-list"),
            "consent",
            rx.cond(holds(P.RECORD_WRITE), rx.fragment(
                rx.el.button(icon("shield-check", size=14), t("records.consent_record"), type="button",
                             id="consent-record", class_name="btn small", on_click=R.open_consent),
                _consent_dialog(),
            )),
        ),
    )
