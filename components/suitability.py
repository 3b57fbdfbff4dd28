"""Suitability on staff pages: the 360 page's card (investor class, risk level and validity, the latest
assessment, the questionnaire link with its QR code, recent sales)."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from components.shell import plain_form
from state.session import AppState
from state.suitability import SuitabilityCardState as S


def by_lang(zh: rx.Var, en: rx.Var) -> rx.Var:
    return rx.cond(AppState.lang == "en", en, zh)


def _sale(row: rx.Var) -> rx.Component:
    return link(
        rx.el.div(
            rx.el.div(by_lang(row["product"], row["product_en"]), class_name="suit-sale-product"),
            rx.el.div(rx.el.span(row["risk"], class_name="badge neutral"),
                      rx.el.span(by_lang(row["amount"], row["amount_en"]), class_name="mono"),
                      rx.el.span(by_lang(row["created"], row["created_en"]), class_name="muted small"),
                      class_name="suit-sale-meta"),
        ),
        rx.el.span(by_lang(row["status_zh"], row["status_en"]), class_name="badge suit-status-" + row["status"]),
        href=row["href"], class_name="suit-sale")


def _issued() -> rx.Component:
    return rx.el.div(
        rx.el.p(t("suit.issued_expires"), ": ", S.issued_expires, class_name="small muted"),
        rx.el.div(
            rx.el.img(src=S.issued_qr, alt="QR", class_name="suit-qr", id="suit-qr"),
            rx.el.div(
                rx.el.input(value=S.issued_url, read_only=True, class_name="field-input suit-url", id="suit-url",
                            aria_label="URL"),
                rx.el.p(t("suit.in_branch_help"), class_name="small muted"),
                plain_form(rx.el.button(icon("tablet-smartphone", size=16), t("suit.in_branch"), type="submit",
                                        class_name="btn", id="suit-in-branch"),
                           action=S.in_branch_action),
                class_name="suit-issued-side"),
            class_name="suit-issued-body"),
        rx.el.button(t("suit.hide"), type="button", class_name="btn small", on_click=S.hide_link),
        class_name="suit-issued", id="suit-issued")


def _criterion(c: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.label(rx.el.input(type="checkbox", name="met_" + c["key"], id="met-" + c["key"]),
                    rx.el.span(by_lang(c["text"], c["text_en"])), class_name="suit-confirm"),
        rx.el.div(rx.el.span(by_lang(c["evidence"], c["evidence_en"]), class_name="small muted"),
                  rx.el.select(rx.el.option("—", value=""),
                               rx.foreach(S.evidence_docs, lambda d: rx.el.option(d["name"], value=d["id"])),
                               name="doc_" + c["key"], class_name="field-input", id="doc-" + c["key"]),
                  class_name="suit-evidence"),
        class_name="suit-criterion")


def _classify() -> rx.Component:
    return rx.cond(S.classify_open, rx.form(
        rx.el.h4(t("suit.classify_title"), class_name="suit-subhead"),
        rx.el.p(t("suit.classify_help"), class_name="small muted"),
        rx.foreach(S.criteria, _criterion),
        rx.el.input(name="note", class_name="field-input", placeholder=t("sale.note"), max_length=500),
        rx.cond(S.classify_error != "", rx.el.div(S.classify_error, class_name="alert", role="alert",
                                                  id="classify-error")),
        rx.el.div(rx.el.button(t("suit.classify_save"), type="submit", class_name="btn-primary", id="classify-save"),
                  rx.el.button(t("suit.hide"), type="button", class_name="btn", on_click=S.close_classify),
                  class_name="suit-actions"),
        on_submit=S.classify, class_name="suit-form suit-issued"),
        rx.el.button(icon("award", size=16), t("suit.classify"), type="button", class_name="btn",
                     on_click=S.open_classify, id="suit-classify"))


def suitability_card() -> rx.Component:
    inv = S.investor
    return rx.el.section(
        rx.el.div(rx.el.h3(t("suit.title"), class_name="section-title"), class_name="section-head"),
        rx.cond(
            S.loaded,
            rx.el.div(
                rx.el.div(
                    rx.el.span(by_lang(inv["class_zh"], inv["class_en"]), class_name="badge", id="suit-class"),
                    rx.el.span(by_lang(inv["level_zh"], inv["level_en"]),
                               class_name="suit-level suit-state-" + inv["state"], id="suit-level"),
                    class_name="suit-head-row"),
                rx.cond(inv["validity_zh"] != "",
                        rx.el.p(by_lang(inv["validity_zh"], inv["validity_en"]),
                                class_name="small suit-validity suit-state-" + inv["state"], id="suit-validity")),
                rx.cond(inv["professional_until"] != "",
                        rx.el.p(t("suit.class.professional"), " · ", inv["professional_until"], class_name="small")),
                rx.cond(inv["reminder"] == "yes",
                        rx.el.p(icon("bell", size=14), t("suit.reminder"), class_name="suit-reminder")),
                rx.cond(inv["latest_zh"] != "", rx.el.p(by_lang(inv["latest_zh"], inv["latest_en"]),
                                                        class_name="small muted", id="suit-latest")),
                rx.cond(inv["link_zh"] != "", rx.el.p(by_lang(inv["link_zh"], inv["link_en"]),
                                                      class_name="small muted", id="suit-link-status")),
                rx.cond(S.card_error != "", rx.el.div(S.card_error, class_name="alert", role="alert")),
                rx.el.div(
                    rx.cond(S.can_issue & (S.issued_url == ""),
                            rx.el.button(icon("qr-code", size=16), t("suit.issue"), type="button", class_name="btn",
                                         id="suit-issue", on_click=S.issue_link)),
                    rx.cond(S.can_sell, link(icon("plus", size=16), t("suit.new_sale"),
                                                href="/sales/new?customer=" + S.investor["customer"],
                                                class_name="btn", id="suit-new-sale")),
                    class_name="suit-actions"),
                rx.cond(S.can_issue & (S.issued_url != ""), _issued()),
                rx.cond(S.can_classify, _classify()),
                rx.el.h4(t("suit.sales"), class_name="suit-subhead"),
                rx.cond(S.sales.length() > 0, rx.el.div(rx.foreach(S.sales, _sale), class_name="suit-sales"),
                        rx.el.p(t("suit.no_sales"), class_name="small muted")),
                class_name="suit-body"),
        ),
        class_name="card", id="suitability", on_mount=S.load, key=AppState.router.url.path,
    )
