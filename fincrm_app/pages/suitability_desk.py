"""Staff desks of suitability: /outbox (messages to customers), /disclosures (find, preview and print signed
disclosures), /admin/suitability (questionnaire versions, regimes, sale rules)."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from components.suitability import by_lang
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.suitability_desk import DisclosureDeskState, OutboxState, SuitabilityAdminState


def _alert(message: rx.Var, id_: str) -> rx.Component:
    return rx.cond(message != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(message), role="alert",
                                            class_name="alert", id=id_))


# ---------------------------------------------------------------- /outbox

def _message(m: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(link(m["customer"], href=m["href"]), " · ", m["to"], " · ",
                  rx.el.span(by_lang(m["at_zh"], m["at_en"]), class_name="muted"),
                  rx.cond(m["expired"] == "yes", rx.el.span(t("outbox.expired"), class_name="badge neutral")),
                  class_name="small"),
        rx.el.p(by_lang(m["body"], m["body_en"]), class_name="suit-message", id="message-" + m["id"]))


@page(route="/outbox", title="title.outbox", permission=P.RECORD_WRITE, menu=Menu("inbox", "nav.outbox", order=32),
      on_load=OutboxState.load)
def outbox_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("outbox.title"), class_name="page-title"),
        rx.el.p(t("outbox.help"), class_name="muted small"),
        _alert(OutboxState.error, "outbox-error"),
        rx.cond(OutboxState.rows.length() > 0,
                rx.el.ul(rx.foreach(OutboxState.rows, _message), class_name="suit-list card", id="outbox"),
                rx.el.p(t("outbox.none"), class_name="empty card")),
        class_name="page")


# ---------------------------------------------------------------- /disclosures

def _found(c: rx.Var) -> rx.Component:
    return rx.el.button(c["name"], " · ", rx.el.span(c["no"], class_name="mono small"), type="button",
                        class_name="btn", on_click=DisclosureDeskState.open_customer(c["id"]),
                        id="disc-customer-" + c["id"])


def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.strong(d["product"]), " ", by_lang(d["name"], d["name_en"]), " · ",
                  rx.el.span(by_lang(d["at_zh"], d["at_en"]), class_name="muted")),
        rx.el.img(src=d["preview"], alt="preview", class_name="suit-preview", loading="lazy"),
        rx.el.div("SHA-256 ", rx.el.span(d["sha256"], class_name="mono small"), class_name="small muted suit-hash"),
        rx.el.div(rx.el.a(t("sale.print"), href=d["print"], target="_blank", class_name="btn", id="disc-print-" + d["id"]),
                  rx.el.a(t("sale.download"), href=d["download"], class_name="btn"),
                  rx.cond(d["sale"] != "", link(t("sale.title"), href="/sales/" + d["sale"], class_name="btn")),
                  class_name="suit-actions"),
        class_name="suit-disclosure", id="disc-" + d["id"])


@page(route="/disclosures", title="title.disclosures", permission=P.CUSTOMER_READ,
      menu=Menu("file-pen-line", "nav.disclosures", order=34), on_load=DisclosureDeskState.load)
def disclosures_page() -> rx.Component:
    S = DisclosureDeskState
    return rx.el.div(
        rx.el.h1(t("disc.title"), class_name="page-title"),
        rx.form(rx.el.input(name="q", class_name="field-input", placeholder=t("disc.search_hint"), id="disc-search",
                            max_length=60),
                rx.el.button(t("disc.search"), type="submit", class_name="btn-primary", id="disc-search-go"),
                on_submit=S.search, class_name="card suit-cancel"),
        _alert(S.error, "disc-error"),
        rx.cond(S.found.length() > 0, rx.el.div(rx.foreach(S.found, _found), class_name="suit-actions card")),
        rx.cond(S.customer_name != "", rx.el.section(
            rx.el.h3(S.customer_name, class_name="section-title"),
            rx.cond(S.documents.length() > 0, rx.el.ul(rx.foreach(S.documents, _document), class_name="suit-list"),
                    rx.el.p(t("disc.none"), class_name="muted")),
            class_name="card")),
        class_name="page")


# ---------------------------------------------------------------- /admin/suitability

def _version(v: rx.Var) -> rx.Component:
    S = SuitabilityAdminState
    return rx.el.tr(
        rx.el.td(by_lang(v["title"], v["title_en"]), rx.el.div(v["code"], class_name="mono small muted")),
        rx.el.td(v["version"]), rx.el.td(v["questions"]), rx.el.td(v["months"]),
        rx.el.td(rx.match(v["status"], ("active", t("admin_suit.status.active")), ("draft", t("admin_suit.status.draft")),
                          t("admin_suit.status.retired"))),
        rx.el.td(rx.cond(S.can_manage, rx.el.div(
            rx.cond(v["status"] == "draft", rx.el.button(t("admin_suit.activate"), type="button", class_name="btn small",
                                                         on_click=S.activate(v["id"]), id="activate-" + v["id"])),
            rx.el.button(t("admin_suit.new_draft"), type="button", class_name="btn small",
                         on_click=S.edit_version(v["id"]), id="edit-" + v["id"]), class_name="suit-actions"))),
        id="version-" + v["id"])


def _regime(r: rx.Var) -> rx.Component:
    S = SuitabilityAdminState
    return rx.form(
        rx.el.input(type="hidden", name="code", value=r["code"]),
        rx.el.strong(by_lang(r["name"], r["name_en"])), rx.el.div(t("admin_suit.types"), ": ", r["types"],
                                                                 class_name="small muted"),
        rx.el.label(rx.el.span(t("admin_suit.on_mismatch"), class_name="field-label"),
                    rx.el.select(rx.el.option(t("admin_suit.mismatch.warn"), value="warn"),
                                 rx.el.option(t("admin_suit.mismatch.refuse"), value="refuse"),
                                 name="on_mismatch", default_value=r["on_mismatch"], class_name="field-input",
                                 id="regime-mismatch-" + r["code"]), class_name="field"),
        rx.el.label(rx.el.span(t("admin_suit.never_above"), class_name="field-label"),
                    rx.el.input(name="never_above", default_value=r["never_above"], class_name="field-input"),
                    class_name="field"),
        rx.el.label(rx.el.span(t("admin_suit.hours"), class_name="field-label"),
                    rx.el.input(name="hours", default_value=r["hours"], class_name="field-input", input_mode="numeric"),
                    class_name="field"),
        rx.el.label(rx.el.input(type="checkbox", name="professional_any", default_checked=r["professional_any"] == "yes"),
                    rx.el.span(t("admin_suit.professional_any")), class_name="suit-confirm"),
        rx.cond(S.can_manage, rx.el.button(t("admin_suit.save"), type="submit", class_name="btn",
                                           id="regime-save-" + r["code"])),
        on_submit=S.change_regime, class_name="suit-form suit-regime")


def _rule(r: rx.Var) -> rx.Component:
    S = SuitabilityAdminState
    return rx.el.tr(
        rx.el.td(by_lang(r["name"], r["name_en"]), rx.el.div(r["code"], class_name="mono small muted")),
        rx.el.td(r["requirement"]), rx.el.td(rx.el.span(r["conditions"], class_name="mono small")),
        rx.el.td(rx.cond(r["active"] == "yes", t("admin_suit.rule_on"), t("admin_suit.rule_off")),
                 rx.cond(S.can_manage, rx.el.button(t("admin_suit.toggle"), type="button", class_name="btn small",
                                                    on_click=S.toggle_rule(r["code"]), id="rule-" + r["code"]))))


@page(route="/admin/suitability", title="title.suitability_admin", permission=P.QUESTIONNAIRE_MANAGE,
      menu=Menu("scale", "nav.suitability_admin", order=79), on_load=SuitabilityAdminState.load)
def suitability_admin_page() -> rx.Component:
    S = SuitabilityAdminState
    return rx.el.div(
        rx.el.h1(t("admin_suit.title"), class_name="page-title"),
        _alert(S.error, "admin-suit-error"),
        rx.cond(S.notice != "", rx.el.div(S.notice, class_name="badge", id="admin-suit-notice")),
        rx.el.section(rx.el.h3(t("admin_suit.questionnaires"), class_name="section-title"),
                      rx.el.div(rx.el.table(rx.el.tbody(rx.foreach(S.versions, _version)), class_name="suit-table"),
                                class_name="table-scroll"),
                      rx.cond(S.draft_json != "", rx.form(
                          rx.el.label(rx.el.span(t("admin_suit.editor"), class_name="field-label"),
                                      rx.el.textarea(name="definition", default_value=S.draft_json,
                                                     class_name="field-input suit-code", id="admin-suit-json"),
                                      class_name="field"),
                          rx.el.button(t("admin_suit.save_draft"), type="submit", class_name="btn-primary",
                                       id="admin-suit-save"),
                          on_submit=S.save_draft, class_name="suit-form", key=S.draft_json)),
                      class_name="card"),
        rx.el.section(rx.el.h3(t("admin_suit.regimes"), class_name="section-title"),
                      rx.el.div(rx.foreach(S.regimes, _regime), class_name="suit-regimes"), class_name="card"),
        rx.el.section(rx.el.h3(t("admin_suit.rules"), class_name="section-title"),
                      rx.el.div(rx.el.table(rx.el.tbody(rx.foreach(S.rules, _rule)), class_name="suit-table"),
                                class_name="table-scroll"),
                      class_name="card"),
        class_name="page")
