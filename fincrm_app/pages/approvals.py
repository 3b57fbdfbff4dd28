"""/approvals: the approval inbox, phone first. The list of pending tasks (SLA countdown, escalated and
delegated ones marked) and, when one is open, its facts, automatic checks, history and the decision form.
On a desktop the open item sits beside the list; on a phone it replaces the list until closed."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.approvals import ApprovalsState as S

# Page-specific layout; the app's stylesheets (assets/) give every class used here its look.
_CSS = """
.ap-col { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
.ap-layout { display: grid; grid-template-columns: 1fr; gap: 16px; align-items: start; }
@media (min-width: 1024px) {
  .ap-layout.has-detail { grid-template-columns: minmax(0, 1fr) minmax(0, 1.15fr); }
  .ap-detail { position: sticky; top: 12px; }
}
@media (max-width: 1023px) { .ap-layout.has-detail .ap-list { display: none; } }
.ap-row { cursor: pointer; align-items: flex-start; }
.ap-row.active { background: var(--accent-soft); border-radius: 8px; }
.ap-row .ap-open { width: 100%; text-align: left; background: none; border: 0; padding: 0; font: inherit;
  color: inherit; cursor: pointer; display: flex; justify-content: space-between; gap: 12px; }
.ap-row .ap-side { display: flex; flex-direction: column; align-items: flex-end; gap: 4px; text-align: right;
  white-space: nowrap; }
.ap-sla { font-size: 13px; font-variant-numeric: tabular-nums; }
.ap-sla.late { color: var(--danger); font-weight: 600; }
.ap-notice { background: var(--green-3, #e6f6eb); color: var(--green-11, #218358); border-radius: 8px;
  padding: 10px 12px; font-size: 14px; }
.ap-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 8px; }
.ap-step { font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.ap-checks { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0; }
.ap-check { border: 1px solid var(--border); border-radius: 8px; padding: 8px; }
.ap-check dt { font-size: 12px; color: var(--muted); }
.ap-check dd { margin: 2px 0 0; font-size: 14px; overflow-wrap: anywhere; }
.ap-check.flag { border-color: var(--danger); }
.ap-check.flag dd { color: var(--danger); font-weight: 600; }
.ap-history { list-style: none; margin: 0; padding: 0; border-left: 2px solid var(--border); }
.ap-history li { position: relative; padding: 0 0 12px 14px; font-size: 14px; }
.ap-history li::before { content: ""; position: absolute; left: -6px; top: 5px; width: 10px; height: 10px;
  border-radius: 50%; background: var(--accent); }
.ap-history li.reject::before, .ap-history li.rejected::before, .ap-history li.declined::before,
.ap-history li.escalated::before { background: var(--danger); }
.ap-history li.return::before { background: #d97706; }
.ap-history .when { display: block; font-size: 12px; color: var(--muted); }
.ap-history .comment { display: block; margin-top: 2px; padding: 6px 8px; background: var(--gray-3, #f0f0f3);
  border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.ap-decide textarea { width: 100%; min-height: 84px; box-sizing: border-box; font: inherit; padding: 8px;
  border: 1px solid var(--border); border-radius: 8px; }
.ap-buttons { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin-top: 8px; }
.ap-buttons button { min-height: 44px; }
.btn.ap-reject { color: var(--danger); border-color: var(--danger); }
.ap-section { display: flex; flex-direction: column; gap: 10px; }
.ap-section + .ap-section { margin-top: 16px; }
"""


def _alert(text, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(text), role="alert",
                                         class_name="alert", id=id_))


def _kind_tab(kind: str, key: str) -> rx.Component:
    active = S.kind == kind
    return rx.el.button(t(key), type="button", role="tab", id=f"approvals-kind-{kind or 'all'}",
                        aria_selected=rx.cond(active, "true", "false"),
                        class_name=rx.cond(active, "work-tab active", "work-tab"), on_click=S.set_kind(kind))


def _row(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.button(
            rx.el.div(
                rx.el.span(r["ref"], " · ", r["customer"], class_name="item-title"),
                rx.el.div(
                    rx.el.span(r["kind"], class_name="badge neutral"),
                    rx.el.span(r["product"], class_name="muted small"),
                    rx.cond(r["grade"] != "", rx.el.span(r["grade"], class_name="badge neutral")),
                    rx.cond(r["escalated"] != "", rx.el.span(r["escalated"], class_name="badge danger")),
                    rx.cond(r["behalf"] != "", rx.el.span(r["behalf"], class_name="badge")),
                    rx.cond(r["round"] != "", rx.el.span(r["round"], class_name="badge neutral")),
                    class_name="chips",
                ),
                rx.el.span(r["step"], " · ", r["role"], class_name="muted small"),
                class_name="item-main",
            ),
            rx.el.div(
                rx.el.span(r["amount"], class_name="amount"),
                rx.el.span(r["sla"], class_name=rx.cond(r["late"] != "", "ap-sla late", "ap-sla"),
                           id="approval-sla-" + r["id"]),
                rx.cond(r["reminded"] != "", rx.el.span(r["reminded"], class_name="small muted")),
                class_name="ap-side",
            ),
            type="button", class_name="ap-open", on_click=S.open_task(r["id"]), id="approval-open-" + r["id"],
            aria_label=r["ref"],
        ),
        class_name=rx.cond(S.selected == r["id"], "item ap-row active", "item ap-row"), id="approval-" + r["id"],
    )


def _list() -> rx.Component:
    return rx.el.section(
        rx.cond(S.rows.length() > 0,
                rx.el.ul(rx.foreach(S.rows, _row), class_name="item-list", id="approval-list"),
                rx.cond(S.loaded, rx.el.p(t("approvals.empty"), class_name="empty muted", id="approvals-empty"))),
        rx.cond(S.page_info != "", rx.el.div(
            rx.el.button(icon("chevron-left", size=16), type="button", aria_label="Previous", class_name="btn",
                         disabled=~S.has_prev, on_click=S.prev_page, id="approvals-prev"),
            rx.el.span(S.page_info, class_name="page-info"),
            rx.el.button(icon("chevron-right", size=16), type="button", aria_label="Next", class_name="btn",
                         disabled=~S.has_next, on_click=S.next_page, id="approvals-next"),
            class_name="pager")),
        class_name="card",
    )


def _fact(f: rx.Var) -> rx.Component:
    return rx.el.div(rx.el.dt(f["label"]), rx.el.dd(f["value"]), class_name="kv")


def _check(c: rx.Var) -> rx.Component:
    return rx.el.div(rx.el.dt(c["label"]), rx.el.dd(c["value"]),
                     class_name=rx.cond(c["flag"] != "", "ap-check flag", "ap-check"))


def _event(h: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.span(h["when"], class_name="when"),
        rx.el.span(h["text"]),
        rx.cond(h["comment"] != "", rx.el.span(h["comment"], class_name="comment")),
        class_name=h["kind"],
    )


def _away() -> rx.Component:
    """Delegation while away: to whom, from when until when; the delegations given and received, revocable."""
    return rx.el.section(
        rx.el.button(icon("plane", size=16), t("approvals.away"), type="button", class_name="btn",
                     on_click=S.toggle_away, id="approvals-away", aria_expanded=rx.cond(S.away_open, "true", "false")),
        rx.cond(S.delegations.length() > 0, rx.el.ul(rx.foreach(S.delegations, lambda d: rx.el.li(
            rx.el.div(rx.el.span(d["text"]),
                      rx.cond(d["reason"] != "", rx.el.span(d["reason"], class_name="muted small")),
                      class_name="item-main"),
            rx.el.div(rx.cond(d["active"] != "", rx.el.span(d["active"], class_name="badge")),
                      rx.cond(d["mine"] != "", rx.el.button(
                          t("approvals.revoke"), type="button", class_name="btn small", on_click=S.revoke(d["id"]),
                          id="delegation-revoke-" + d["id"]))),
            class_name="item", id="delegation-" + d["id"])), class_name="item-list", id="approvals-delegations")),
        rx.cond(S.away_open, rx.form(
            rx.el.p(t("approvals.away_hint"), class_name="muted small"),
            rx.el.label(rx.el.span(t("approvals.delegate_to"), class_name="field-label"),
                        rx.el.select(rx.foreach(S.candidates, lambda c: rx.el.option(c["name"], value=c["id"])),
                                     name="delegate_id", id="delegation-delegate", class_name="field-input"),
                        class_name="field"),
            rx.el.label(rx.el.span(t("approvals.from"), class_name="field-label"),
                        rx.el.input(type="datetime-local", name="starts_at", id="delegation-from",
                                    class_name="field-input"), class_name="field"),
            rx.el.label(rx.el.span(t("approvals.until"), class_name="field-label"),
                        rx.el.input(type="datetime-local", name="ends_at", id="delegation-until",
                                    class_name="field-input"), class_name="field"),
            rx.el.label(rx.el.span(t("approvals.reason"), class_name="field-label"),
                        rx.el.input(name="reason", max_length=200, id="delegation-reason", class_name="field-input"),
                        class_name="field"),
            _alert(S.away_error, "delegation-error"),
            rx.el.button(t("approvals.delegate_save"), type="submit", class_name="btn-primary", id="delegation-save"),
            on_submit=S.delegate, reset_on_submit=False, class_name="ap-section", id="delegation-form")),
        class_name="card ap-section", id="approvals-away-card",
    )


def _decision_form() -> rx.Component:
    return rx.cond(
        S.can_act,
        rx.el.div(
            rx.el.h3(t("approvals.decide"), class_name="section-title"),
            rx.el.label(
                rx.el.span(t("approvals.comment"), class_name="field-label"),
                rx.el.textarea(name="comment", id="approval-comment", default_value=S.comment, key=S.selected,
                               max_length=2000, on_blur=S.set_comment, placeholder=t("approvals.comment_hint")),
                class_name="field",
            ),
            _alert(S.detail_error, "approval-error"),
            rx.el.div(
                rx.el.button(icon("check", size=16), t("approvals.approve"), type="button", class_name="btn-primary",
                             id="approval-approve", on_click=S.decide("approve")),
                rx.el.button(icon("undo-2", size=16), t("approvals.return"), type="button", class_name="btn",
                             id="approval-return", on_click=S.decide("return")),
                rx.el.button(icon("x", size=16), t("approvals.reject"), type="button", class_name="btn ap-reject",
                             id="approval-reject", on_click=S.decide("reject")),
                class_name="ap-buttons",
            ),
            class_name="ap-section ap-decide", id="approval-decide",
        ),
        rx.el.div(_alert(S.detail_error, "approval-error"),
                  rx.el.p(t("approvals.cannot_act"), class_name="muted small"), class_name="ap-section"),
    )


def _detail() -> rx.Component:
    return rx.el.section(
        rx.el.div(
            rx.el.div(
                rx.el.h2(S.heading, class_name="section-title", id="approval-heading"),
                rx.el.p(S.step_line, class_name="ap-step", id="approval-step"),
            ),
            rx.el.button(icon("x", size=16), type="button", class_name="btn", aria_label=t("approvals.back"),
                         title=t("approvals.back"), on_click=S.close_task, id="approval-close"),
            class_name="ap-head",
        ),
        _decision_form(),
        rx.el.div(rx.el.dl(rx.foreach(S.facts, _fact), class_name="kv-grid"), class_name="ap-section",
                  id="approval-facts"),
        rx.cond(S.checks.length() > 0, rx.el.div(
            rx.el.h3(t("approvals.checks"), class_name="section-title"),
            rx.el.dl(rx.foreach(S.checks, _check), class_name="ap-checks"),
            class_name="ap-section", id="approval-checks")),
        rx.el.div(
            rx.el.h3(t("approvals.history"), class_name="section-title"),
            rx.el.ol(rx.foreach(S.history, _event), class_name="ap-history"),
            class_name="ap-section", id="approval-history"),
        class_name="card ap-detail", id="approval-detail",
    )


@page(route="/approvals", title="approvals.title", permission=P.APPROVAL_DECIDE,
      menu=Menu("stamp", "nav.approvals", order=13), on_load=S.load, locale_handler=S.change_locale)
def approvals_page() -> rx.Component:
    return rx.el.div(
        rx.el.style(_CSS),
        rx.el.div(
            rx.el.div(rx.el.h1(t("approvals.title"), class_name="page-title"),
                      rx.el.p(S.summary, class_name="muted small", id="approvals-summary")),
            class_name="page-head",
        ),
        rx.el.div(_kind_tab("", "approvals.kind.all"), _kind_tab("loan_application", "approvals.kind.loan_application"),
                  _kind_tab("underwriting_case", "approvals.kind.underwriting_case"),
                  class_name="work-tabs", role="tablist", id="approvals-kinds"),
        _alert(S.error, "approvals-error"),
        rx.cond(S.notice != "", rx.el.div(S.notice, class_name="ap-notice", role="status", id="approvals-notice")),
        rx.el.div(
            rx.el.div(_list(), _away(), class_name="ap-list ap-col"),
            rx.cond(S.selected != "", _detail()),
            class_name=rx.cond(S.selected != "", "ap-layout has-detail", "ap-layout"),
        ),
        class_name="page approvals-page",
    )
