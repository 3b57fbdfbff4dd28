"""/loans: loan applications - the list by status, one application (checks, steps waiting with the roles that
may act, decisions, the decision letter), and the RM's new application or revision of a returned one."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.loans import FILTERS, LoansState as S
from state.permissions import holds

_CSS = """
.ln-layout { display: grid; grid-template-columns: 1fr; gap: 16px; align-items: start; }
@media (min-width: 1024px) { .ln-layout.open { grid-template-columns: minmax(0, 1fr) minmax(0, 1.1fr); } }
@media (max-width: 1023px) { .ln-layout.open .ln-list { display: none; } }
.ln-open { width: 100%; text-align: left; background: none; border: 0; padding: 0; font: inherit; color: inherit;
  cursor: pointer; display: flex; justify-content: space-between; gap: 12px; }
.ln-form { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.ln-form .wide { grid-column: 1 / -1; }
.ln-form input, .ln-form select, .ln-form textarea { width: 100%; box-sizing: border-box; font: inherit; padding: 8px;
  border: 1px solid var(--border); border-radius: 8px; min-height: 40px; }
.ln-found { list-style: none; margin: 4px 0 0; padding: 0; border: 1px solid var(--border); border-radius: 8px; }
.ln-found button { width: 100%; text-align: left; background: none; border: 0; padding: 10px; font: inherit;
  min-height: 44px; cursor: pointer; }
.ln-found li + li { border-top: 1px solid var(--border); }
.ln-status-approved { background: var(--green-3, #e6f6eb); color: var(--green-11, #218358); }
.ln-status-rejected, .ln-status-withdrawn { background: var(--danger-soft); color: var(--danger); }
.ln-status-returned { background: #fff4e5; color: #b45309; }
.ln-notice { background: var(--green-3, #e6f6eb); color: var(--green-11, #218358); border-radius: 8px;
  padding: 10px 12px; font-size: 14px; }
.ln-section { display: flex; flex-direction: column; gap: 10px; }
.ln-actions { display: flex; gap: 8px; flex-wrap: wrap; }
.ln-actions > * { min-height: 44px; }
"""


def _alert(text, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(text), role="alert",
                                         class_name="alert", id=id_))


def _row(r: rx.Var) -> rx.Component:
    return rx.el.li(rx.el.button(
        rx.el.div(rx.el.span(r["ref"], " · ", r["customer"], class_name="item-title"),
                  rx.el.span(r["product"], " · ", r["when"], class_name="muted small"), class_name="item-main"),
        rx.el.div(rx.el.span(r["amount"], class_name="amount"),
                  rx.el.span(r["status_text"], class_name="badge ln-status-" + r["status"]),
                  style={"display": "flex", "flexDirection": "column", "alignItems": "flex-end", "gap": "4px"}),
        type="button", class_name="ln-open", on_click=S.open_application(r["id"]), id="loan-open-" + r["id"]),
        class_name="item", id="loan-" + r["id"])


def _kv(f: rx.Var) -> rx.Component:
    return rx.el.div(rx.el.dt(f["label"]), rx.el.dd(f["value"]), class_name="kv")


def _select(name: str, options: list[tuple[str, str]], label_key: str) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"),
                       rx.el.select(*[rx.el.option(t(lk) if lk.startswith("loans.") else lk, value=v)
                                      for v, lk in options],
                                    name=name, default_value=S.values.get(name, options[0][0]), id=f"loan-{name}"),
                       class_name="field")


def _input(name: str, label_key: str, mode: str = "decimal", wide: bool = False) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"),
                       rx.el.input(name=name, default_value=S.values.get(name, ""), input_mode=mode, id=f"loan-{name}",
                                   max_length=500),
                       class_name="field wide" if wide else "field")


def _form() -> rx.Component:
    return rx.el.section(
        rx.cond(S.form == "new", rx.el.div(
            rx.el.label(rx.el.span(t("loans.customer"), class_name="field-label"),
                        rx.el.input(id="loan-customer-search", placeholder=t("loans.find_customer"),
                                    on_change=S.find_customer.debounce(300), default_value=S.query, max_length=60),
                        class_name="field"),
            rx.cond(S.customer_name != "", rx.el.p(t("loans.customer"), "：", S.customer_name, class_name="item-title",
                                                   id="loan-chosen")),
            rx.cond(S.found.length() > 0, rx.el.ul(rx.foreach(S.found, lambda c: rx.el.li(rx.el.button(
                rx.el.span(c["name"], class_name="item-title"), " ", rx.el.span(c["detail"], class_name="muted small"),
                type="button", on_click=S.choose_customer(c["id"]), id="loan-choose-" + c["id"]))),
                class_name="ln-found")),
            class_name="ln-section")),
        rx.form(
            rx.el.div(
                _select("product_type", [(p, f"loans.p.{p}") for p in ("personal", "mortgage", "business")],
                        "loans.product"),
                _input("amount", "loans.amount"),
                _input("term_months", "loans.term", mode="numeric"),
                _input("purpose", "loans.purpose", mode="text", wide=True),
                _select("collateral_type", [(c, f"loans.c.{c}") for c in
                                            ("none", "property", "vehicle", "deposit", "guarantee")], "loans.collateral"),
                _input("collateral_value", "loans.collateral_value"),
                _input("collateral_description", "loans.collateral_description", mode="text"),
                _input("monthly_income", "loans.income"),
                _input("monthly_debt_payments", "loans.debts"),
                _select("credit_rating", [("none", "loans.rating_none")] + [
                    (g, g) for g in ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D")], "loans.rating"),
                class_name="ln-form", key=S.form + S.selected),
            _alert(S.form_error, "loan-form-error"),
            rx.el.div(
                rx.el.button(rx.cond(S.form == "revise", t("loans.resubmit"), t("loans.submit")), type="submit",
                             class_name="btn-primary", id="loan-submit"),
                rx.el.button(t("loans.cancel"), type="button", class_name="btn", on_click=S.cancel_form,
                             id="loan-cancel"),
                class_name="ln-actions"),
            on_submit=S.submit, reset_on_submit=False, class_name="ln-section"),
        class_name="card ln-section", id="loan-form",
    )


def _detail() -> rx.Component:
    return rx.el.section(
        rx.el.div(rx.el.h2(S.heading, class_name="section-title", id="loan-heading"),
                  rx.el.button(icon("x", size=16), type="button", class_name="btn", on_click=S.close_application,
                               aria_label=t("loans.cancel"), id="loan-close"),
                  style={"display": "flex", "justifyContent": "space-between", "gap": "8px"}),
        rx.cond(S.waiting != "", rx.el.p(S.waiting, class_name="muted", id="loan-waiting")),
        rx.cond(S.can_revise, rx.el.p(t("loans.returned_note"), class_name="alert")),
        rx.el.div(
            rx.cond(S.letter_href != "", rx.el.a(icon("file-down", size=16), t("loans.letter"), href=S.letter_href,
                                                 class_name="btn-primary", id="loan-letter", download=True)),
            rx.cond(S.can_revise, rx.el.button(t("loans.resubmit"), type="button", class_name="btn-primary",
                                               on_click=S.revise, id="loan-revise")),
            rx.cond(S.can_withdraw, rx.el.button(t("loans.withdraw"), type="button", class_name="btn",
                                                 on_click=S.withdraw, id="loan-withdraw")),
            class_name="ln-actions"),
        rx.el.dl(rx.foreach(S.facts, _kv), class_name="kv-grid", id="loan-facts"),
        rx.el.h3(t("loans.checks"), class_name="section-title"),
        rx.el.dl(rx.foreach(S.checks, _kv), class_name="kv-grid", id="loan-checks"),
        rx.cond(S.decisions.length() > 0, rx.el.div(
            rx.el.h3(t("loans.decisions"), class_name="section-title"),
            rx.el.ul(rx.foreach(S.decisions, lambda d: rx.el.li(
                rx.el.div(rx.el.span(d["who"], "：", d["decision"], class_name="item-title"),
                          rx.el.span(d["step"], " · ", d["when"], class_name="muted small"),
                          rx.cond(d["comment"] != "", rx.el.span(d["comment"])), class_name="item-main"),
                class_name="item")), class_name="item-list", id="loan-decisions"))),
        class_name="card ln-section", id="loan-detail",
    )


@page(route="/loans", title="loans.title", permission=P.LOAN_READ, menu=Menu("landmark", "nav.loans", order=15),
      on_load=S.load, locale_handler=S.change_locale)
def loans_page() -> rx.Component:
    return rx.el.div(
        rx.el.style(_CSS),
        rx.el.div(rx.el.h1(t("loans.title"), class_name="page-title"),
                  rx.cond(holds(P.LOAN_APPLY), rx.el.button(icon("plus", size=16), t("loans.new"), type="button",
                                                            class_name="btn-primary", on_click=S.new_application,
                                                            id="loan-new")),
                  class_name="page-head", style={"display": "flex", "justifyContent": "space-between",
                                                 "alignItems": "center", "gap": "8px"}),
        rx.el.div(*[rx.el.button(t(f"loans.filter.{f or 'all'}"), type="button", role="tab",
                                 id=f"loans-filter-{f or 'all'}", on_click=S.set_status(f),
                                 class_name=rx.cond(S.status == f, "work-tab active", "work-tab")) for f in FILTERS],
                  class_name="work-tabs", role="tablist"),
        _alert(S.error, "loans-error"),
        rx.cond(S.notice != "", rx.el.div(S.notice, class_name="ln-notice", role="status", id="loans-notice")),
        rx.el.div(
            rx.el.section(rx.cond(S.rows.length() > 0, rx.el.ul(rx.foreach(S.rows, _row), class_name="item-list",
                                                                id="loan-list"),
                                  rx.cond(S.loaded, rx.el.p(t("loans.empty"), class_name="muted"))),
                          class_name="card ln-list"),
            rx.cond(S.form != "", _form(), rx.cond(S.selected != "", _detail())),
            class_name=rx.cond((S.selected != "") | (S.form != ""), "ln-layout open", "ln-layout"),
        ),
        class_name="page loans-page",
    )
