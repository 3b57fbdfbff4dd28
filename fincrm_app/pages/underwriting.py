"""/underwriting: insurance proposals - the list by status, one case (health answers, triage, the step waiting,
decisions), and a new proposal with its health questionnaire or a returned one completed and resubmitted."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.loans import _CSS, _alert, _kv
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from services.underwriting.service import CONDITIONS
from state.permissions import holds
from state.underwriting import FILTERS, UnderwritingState as S

_UW_CSS = """
.uw-checks { display: flex; flex-wrap: wrap; gap: 8px 16px; }
.uw-checks label { display: inline-flex; align-items: center; gap: 6px; min-height: 44px; font-size: 14px; }
.uw-checks input { width: 20px; height: 20px; min-height: 0; }
"""


def _row(r: rx.Var) -> rx.Component:
    return rx.el.li(rx.el.button(
        rx.el.div(rx.el.span(r["ref"], " · ", r["customer"], class_name="item-title"),
                  rx.el.span(r["cover"], " · ", r["when"], class_name="muted small"), class_name="item-main"),
        rx.el.div(rx.el.span(r["amount"], class_name="amount"),
                  rx.el.span(r["status_text"], class_name="badge ln-status-" + r["status"]),
                  style={"display": "flex", "flexDirection": "column", "alignItems": "flex-end", "gap": "4px"}),
        type="button", class_name="ln-open", on_click=S.open_case(r["id"]), id="uw-open-" + r["id"]),
        class_name="item", id="uw-" + r["id"])


def _check(name: str, label_key: str) -> rx.Component:
    return rx.el.label(rx.el.input(type="checkbox", name=name, id=f"uw-{name}",
                                   default_checked=S.values.get(name, "") != ""), t(label_key))


def _input(name: str, label_key: str, mode: str = "decimal") -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"),
                       rx.el.input(name=name, default_value=S.values.get(name, ""), input_mode=mode, id=f"uw-{name}",
                                   max_length=20), class_name="field")


def _form() -> rx.Component:
    return rx.el.section(
        rx.cond(S.form == "new", rx.el.div(
            rx.el.label(rx.el.span(t("loans.customer"), class_name="field-label"),
                        rx.el.input(id="uw-customer-search", placeholder=t("loans.find_customer"),
                                    on_change=S.find_customer.debounce(300), max_length=60), class_name="field"),
            rx.cond(S.customer_name != "", rx.el.p(t("loans.customer"), "：", S.customer_name, class_name="item-title",
                                                   id="uw-chosen")),
            rx.cond(S.found.length() > 0, rx.el.ul(rx.foreach(S.found, lambda c: rx.el.li(rx.el.button(
                rx.el.span(c["name"], class_name="item-title"), " ", rx.el.span(c["detail"], class_name="muted small"),
                type="button", on_click=S.choose_customer(c["id"]), id="uw-choose-" + c["id"]))),
                class_name="ln-found")),
            class_name="ln-section")),
        rx.form(
            rx.el.div(
                rx.el.label(rx.el.span(t("uw.cover"), class_name="field-label"),
                            rx.el.select(*[rx.el.option(t(f"uw.cover.{c}"), value=c)
                                           for c in ("health", "critical_illness", "life")],
                                         name="product_type", default_value=S.values.get("product_type", "health"),
                                         id="uw-product_type"), class_name="field"),
                _input("sum_insured", "uw.sum_insured"),
                _input("height_cm", "uw.height", mode="numeric"),
                _input("weight_kg", "uw.weight"),
                rx.el.div(_check("smoker", "uw.smoker"), _check("hospitalised", "uw.hospitalised"),
                          class_name="uw-checks wide"),
                rx.el.fieldset(rx.el.legend(t("uw.conditions"), class_name="field-label"),
                               rx.el.div(*[_check(f"cond_{c}", f"uw.cond.{c}") for c in CONDITIONS],
                                         class_name="uw-checks"), class_name="wide",
                               style={"border": "0", "padding": "0", "margin": "0"}),
                class_name="ln-form", key=S.form + S.selected),
            _alert(S.form_error, "uw-form-error"),
            rx.el.div(rx.el.button(rx.cond(S.form == "revise", t("uw.resubmit"), t("uw.submit")), type="submit",
                                   class_name="btn-primary", id="uw-submit"),
                      rx.el.button(t("loans.cancel"), type="button", class_name="btn", on_click=S.cancel_form,
                                   id="uw-cancel"), class_name="ln-actions"),
            on_submit=S.submit, reset_on_submit=False, class_name="ln-section"),
        class_name="card ln-section", id="uw-form")


def _detail() -> rx.Component:
    return rx.el.section(
        rx.el.div(rx.el.h2(S.heading, class_name="section-title", id="uw-heading"),
                  rx.el.button(icon("x", size=16), type="button", class_name="btn", on_click=S.close_case,
                               aria_label=t("loans.cancel"), id="uw-close"),
                  style={"display": "flex", "justifyContent": "space-between", "gap": "8px"}),
        rx.cond(S.waiting != "", rx.el.p(S.waiting, class_name="muted", id="uw-waiting")),
        rx.cond(S.can_revise, rx.el.p(t("uw.returned_note"), class_name="alert")),
        rx.el.div(rx.cond(S.can_revise, rx.el.button(t("uw.resubmit"), type="button", class_name="btn-primary",
                                                     on_click=S.revise, id="uw-revise")),
                  rx.cond(S.can_withdraw, rx.el.button(t("uw.withdraw"), type="button", class_name="btn",
                                                       on_click=S.withdraw, id="uw-withdraw")),
                  class_name="ln-actions"),
        rx.el.dl(rx.foreach(S.facts, _kv), class_name="kv-grid", id="uw-facts"),
        rx.cond(S.decisions.length() > 0, rx.el.ul(rx.foreach(S.decisions, lambda d: rx.el.li(
            rx.el.div(rx.el.span(d["who"], "：", d["decision"], class_name="item-title"),
                      rx.el.span(d["when"], class_name="muted small"),
                      rx.cond(d["comment"] != "", rx.el.span(d["comment"])), class_name="item-main"),
            class_name="item")), class_name="item-list", id="uw-decisions")),
        class_name="card ln-section", id="uw-detail")


@page(route="/underwriting", title="uw.title", permission=P.UNDERWRITING_READ,
      menu=Menu("heart-pulse", "nav.underwriting", order=16), on_load=S.load, locale_handler=S.change_locale)
def underwriting_page() -> rx.Component:
    return rx.el.div(
        rx.el.style(_CSS + _UW_CSS),
        rx.el.div(rx.el.h1(t("uw.title"), class_name="page-title"),
                  rx.cond(holds(P.UNDERWRITING_SUBMIT), rx.el.button(
                      icon("plus", size=16), t("uw.new"), type="button", class_name="btn-primary",
                      on_click=S.new_case, id="uw-new")),
                  class_name="page-head", style={"display": "flex", "justifyContent": "space-between",
                                                 "alignItems": "center", "gap": "8px"}),
        rx.el.div(*[rx.el.button(t(f"uw.filter.{f or 'all'}"), type="button", role="tab", id=f"uw-filter-{f or 'all'}",
                                 on_click=S.set_status(f),
                                 class_name=rx.cond(S.status == f, "work-tab active", "work-tab")) for f in FILTERS],
                  class_name="work-tabs", role="tablist"),
        _alert(S.error, "uw-error"),
        rx.cond(S.notice != "", rx.el.div(S.notice, class_name="ln-notice", role="status", id="uw-notice")),
        rx.el.div(
            rx.el.section(rx.cond(S.rows.length() > 0, rx.el.ul(rx.foreach(S.rows, _row), class_name="item-list",
                                                                id="uw-list"),
                                  rx.cond(S.loaded, rx.el.p(t("uw.empty"), class_name="muted"))),
                          class_name="card ln-list"),
            rx.cond(S.form != "", _form(), rx.cond(S.selected != "", _detail())),
            class_name=rx.cond((S.selected != "") | (S.form != ""), "ln-layout open", "ln-layout")),
        class_name="page underwriting-page",
    )
