"""/aml: the compliance officer's workbench. Screening hits and monitoring cases in one queue with their SLA,
filters and assignment; one item's detail (why a hit matched, a case's alerts and notes) and its decision; the
lists in force and the progress of re-screening every customer."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.aml import AmlState as S

# Two columns where there is room (the queue, and the open item beside it), one on a phone.
_COLUMNS = {"display": "grid", "gridTemplateColumns": "repeat(auto-fit, minmax(min(100%, 420px), 1fr))",
            "gap": "16px", "alignItems": "start"}


def _stat(key: str, value: rx.Var, id_: str, danger: rx.Var | bool = False) -> rx.Component:
    return rx.el.div(rx.el.div(t(key), class_name="stat-label"),
                     rx.el.div(value, class_name=rx.cond(danger, "stat-value danger", "stat-value")),
                     class_name="stat", id=id_)


def _choice(value: str, key: str, current: rx.Var, handler, id_: str) -> rx.Component:
    return rx.el.button(t(key), type="button", id=id_, on_click=handler(value),
                        class_name=rx.cond(current == value, "lang-btn active", "lang-btn"))


def _filters() -> rx.Component:
    return rx.el.div(
        rx.el.div(_choice("all", "aml.kind.all", S.kind, S.set_kind, "aml-kind-all"),
                  _choice("hit", "aml.filter.hits", S.kind, S.set_kind, "aml-kind-hit"),
                  _choice("case", "aml.filter.cases", S.kind, S.set_kind, "aml-kind-case"),
                  class_name="lang-switch", role="group", aria_label="Kind"),
        rx.el.div(_choice("any", "aml.assignee.any", S.assignee, S.set_assignee, "aml-assignee-any"),
                  _choice("me", "aml.assignee.me", S.assignee, S.set_assignee, "aml-assignee-me"),
                  _choice("unassigned", "aml.assignee.unassigned", S.assignee, S.set_assignee,
                          "aml-assignee-unassigned"),
                  class_name="lang-switch", role="group", aria_label="Assignee"),
        rx.el.div(_choice("open", "aml.status.open", S.status, S.set_status, "aml-status-open"),
                  _choice("decided", "aml.status.decided", S.status, S.set_status, "aml-status-decided"),
                  class_name="lang-switch", role="group", aria_label="Status"),
        rx.el.div(rx.el.button(t("aml.overdue_only"), type="button", id="aml-overdue", on_click=S.toggle_overdue,
                               class_name=rx.cond(S.overdue, "lang-btn active", "lang-btn")),
                  class_name="lang-switch", role="group", aria_label="Overdue"),
        style={"display": "flex", "flexWrap": "wrap", "gap": "8px", "margin": "8px 0"},
    )


def _item(row: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.span(rx.el.span(row["kind_label"], class_name="badge neutral"), " ", row["title"],
                       class_name="item-title"),
            rx.el.span(row["sub"], class_name="muted small wrap-anywhere"),
            rx.el.a(row["customer"], " · ", row["customer_no"], href="/customers/" + row["customer_id"],
                    class_name="small"),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.span(row["grade"], class_name="badge", data_severity=row["severity"]),
            rx.el.span(t("aml.due"), " ", row["due"],
                       class_name=rx.cond(row["overdue"] != "", "small danger", "small muted")),
            rx.el.span(row["assigned"], class_name="small muted"),
            rx.el.div(
                rx.el.button(t("aml.open_item"), type="button", class_name="btn", id="aml-open-" + row["key"],
                             on_click=S.open_item(row["kind"], row["id"])),
                rx.cond(S.can_review & (row["open"] != "") & (row["mine"] == ""),
                        rx.el.button(t("aml.take"), type="button", class_name="btn", id="aml-take-" + row["key"],
                                     on_click=S.take(row["kind"], row["id"]))),
                class_name="form-actions",
            ),
        ),
        class_name="item", id="aml-item-" + row["key"],
    )


def _queue() -> rx.Component:
    return rx.el.section(
        rx.el.h2(t("aml.queue"), class_name="section-title"),
        _filters(),
        rx.el.div(rx.foreach(S.items, _item), class_name="card item-card", id="aml-queue"),
        rx.cond(S.loaded & (S.items.length() == 0), rx.el.div(t("aml.empty"), class_name="empty", id="aml-empty")),
        rx.el.div(
            rx.el.button("‹", type="button", class_name="btn", on_click=S.prev_page, disabled=~S.has_prev,
                         aria_label="Previous page"),
            rx.el.span(S.page_info, class_name="muted small", id="aml-page-info"),
            rx.el.button("›", type="button", class_name="btn", on_click=S.next_page, disabled=~S.has_next,
                         aria_label="Next page"),
            class_name="pager",
        ),
    )


def _labelled(key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(key), class_name="field-label"), control, class_name="field")


def _reason(id_: str, name: str = "reason", key: str = "aml.reason") -> rx.Component:
    return _labelled(key, rx.el.textarea(name=name, id=id_, rows=3, max_length=1000, required=True,
                                         class_name="field-input"))


def _pair(p: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.div(rx.el.span(p["query"], " ↔ ", p["listed"], class_name="mono"),
                  rx.el.span(p["how"], class_name="small muted"), class_name="item-main"),
        rx.el.div(rx.el.span(p["score"], class_name=rx.cond(p["weak"] != "", "badge neutral", "badge"))),
        class_name="item",
    )


def _fact(f: rx.Var) -> rx.Component:
    return rx.el.div(rx.el.div(rx.el.span(f["text"], class_name="small wrap-anywhere"), class_name="item-main"),
                     rx.el.div(rx.el.span(f["effect"], class_name="mono small")), class_name="item")


def _meta(key: str, value: rx.Var, id_: str = "") -> rx.Component:
    return rx.el.div(rx.el.span(t(key), class_name="field-label"), rx.el.span(value, id=id_ or None),
                     style={"display": "flex", "flexDirection": "column", "gap": "2px"})


def _hit_detail() -> rx.Component:
    sel = S.sel
    return rx.el.div(
        rx.el.div(
            _meta("aml.matched", sel["title"], "aml-hit-matched"),
            _meta("aml.list_entry", sel["list"]),
            _meta("aml.score", sel["score"] + " · " + sel["verdict"], "aml-hit-score"),
            _meta("aml.name_score", sel["name_score"] + " · " + sel["quality"]),
            _meta("aml.forms", sel["query_form"] + " ↔ " + sel["listed_form"]),
            _meta("aml.due", sel["due"]),
            class_name="form-grid",
        ),
        rx.el.h3(t("aml.why"), class_name="section-title"),
        rx.el.div(rx.foreach(S.sel_pairs, _pair), class_name="item-list", id="aml-hit-pairs"),
        rx.el.div(rx.foreach(S.sel_facts, _fact), class_name="item-list", id="aml-hit-adjustments"),
        rx.cond(
            (sel["open"] != "") & S.can_review,
            rx.form(
                rx.el.h3(t("aml.decide"), class_name="section-title"),
                rx.el.div(
                    rx.el.label(rx.el.input(type="radio", name="disposition", value="false_positive",
                                            default_checked=True, id="aml-fp"), t("aml.false_positive"),
                                class_name="check-chip"),
                    rx.el.label(rx.el.input(type="radio", name="disposition", value="true_positive", id="aml-tp"),
                                t("aml.true_positive"), class_name="check-chip"),
                    class_name="check-chips"),
                _reason("aml-hit-reason"),
                rx.el.div(rx.el.button(t("aml.submit"), type="submit", class_name="btn-primary", id="aml-hit-submit"),
                          class_name="form-actions"),
                on_submit=S.dispose, reset_on_submit=True, class_name="form-stack",
            ),
            rx.el.div(_meta("aml.decided_by", sel["reviewed"]), _meta("aml.reason", sel["reason"], "aml-hit-reason-shown"),
                      class_name="form-grid"),
        ),
    )


def _note(n: rx.Var) -> rx.Component:
    return rx.el.div(rx.el.div(rx.el.span(n["text"], class_name="wrap-anywhere"), class_name="item-main"),
                     rx.el.div(rx.el.span(n["author"], class_name="small muted"),
                               rx.el.span(n["at"], class_name="small muted")), class_name="item")


def _case_detail() -> rx.Component:
    sel = S.sel
    return rx.el.div(
        rx.el.div(
            _meta("aml.customer", sel["customer"]),
            _meta("aml.opened", sel["opened"]),
            _meta("aml.due", sel["due"], "aml-case-due"),
            _meta("aml.assigned", sel["assigned"]),
            class_name="form-grid",
        ),
        rx.el.h3(t("aml.alerts"), class_name="section-title"),
        rx.el.div(rx.foreach(S.sel_facts, _fact), class_name="item-list", id="aml-case-alerts"),
        rx.el.h3(t("aml.notes"), class_name="section-title"),
        rx.cond(S.sel_notes.length() > 0, rx.el.div(rx.foreach(S.sel_notes, _note), class_name="item-list",
                                                    id="aml-case-notes"),
                rx.el.div(t("aml.no_notes"), class_name="muted small")),
        rx.cond(
            (sel["open"] != "") & S.can_review,
            rx.el.div(
                rx.form(_labelled("aml.note", rx.el.textarea(name="text", id="aml-note", rows=2, max_length=2000,
                                                             required=True, class_name="field-input")),
                        rx.el.div(rx.el.button(t("aml.add_note"), type="submit", class_name="btn", id="aml-note-add"),
                                  class_name="form-actions"),
                        on_submit=S.add_note, reset_on_submit=True, class_name="form-stack"),
                rx.form(
                    rx.el.h3(t("aml.decide"), class_name="section-title"),
                    rx.el.div(
                        rx.el.label(rx.el.input(type="radio", name="outcome", value="close", default_checked=True,
                                                id="aml-outcome-close"), t("aml.outcome.close"), class_name="check-chip"),
                        rx.el.label(rx.el.input(type="radio", name="outcome", value="report", id="aml-outcome-report"),
                                    t("aml.outcome.report"), class_name="check-chip"),
                        class_name="check-chips"),
                    _reason("aml-case-reason"),
                    rx.el.div(rx.el.button(t("aml.submit"), type="submit", class_name="btn-primary",
                                           id="aml-case-submit"), class_name="form-actions"),
                    on_submit=S.decide_case, reset_on_submit=True, class_name="form-stack"),
            ),
            rx.el.div(
                rx.el.div(_meta("aml.decided_by", sel["closed"]), _meta("aml.reason", sel["reason"]),
                          class_name="form-grid"),
                rx.cond(sel["report"] != "",
                        rx.el.button(t("aml.download_report"), " (", sel["report"], ")", type="button",
                                     class_name="btn", id="aml-report-download", on_click=S.download_report)),
            ),
        ),
    )


def _detail() -> rx.Component:
    return rx.el.section(
        rx.el.div(
            rx.el.h2(S.sel["title"], class_name="section-title", id="aml-detail-title"),
            rx.el.div(
                rx.el.span(S.sel["status"], class_name="badge neutral", id="aml-detail-status",
                           style={"alignSelf": "center"}),
                rx.cond(S.can_review & (S.sel["open"] != ""),
                        rx.el.button(t("aml.release"), type="button", class_name="btn",
                                     on_click=S.release(S.sel_kind, S.sel_id))),
                rx.el.button(t("aml.close"), type="button", class_name="btn", on_click=S.close_detail,
                             id="aml-detail-close"),
                class_name="form-actions"),
            style={"display": "flex", "justifyContent": "space-between", "flexWrap": "wrap", "gap": "8px"},
        ),
        rx.cond(S.sel_kind == "hit", _hit_detail(), _case_detail()),
        class_name="card form-stack", id="aml-detail",
    )


def _lists_and_run() -> rx.Component:
    return rx.el.section(
        rx.el.h2(t("aml.lists"), class_name="section-title"),
        rx.cond(S.lists.length() > 0,
                rx.el.ul(rx.foreach(S.lists, lambda w: rx.el.li(
                    w["name"], " · ", w["code"], " · v", w["version"], " · ", w["entries"], " · ", w["loaded"],
                    class_name="small")), class_name="item-list", id="aml-lists"),
                rx.el.div(t("aml.lists_none"), class_name="muted small")),
        rx.cond(
            S.has_run,
            rx.el.div(
                rx.el.div(rx.el.span(t("aml.run"), " · ", S.run["reason"], class_name="small"),
                          rx.el.span(S.run["status_label"], class_name="badge neutral", id="aml-run-status")),
                rx.el.progress(value=S.run_percent, max=100, id="aml-run-progress",
                               style={"width": "100%"}, aria_label="Re-screening"),
                rx.el.span(S.run["progress"], class_name="small muted", id="aml-run-text"),
                style={"display": "flex", "flexDirection": "column", "gap": "4px", "marginTop": "8px"},
            ),
        ),
        rx.cond(S.can_manage_lists,
                rx.el.div(rx.el.button(t("aml.rescreen_all"), type="button", class_name="btn", id="aml-rescreen",
                                       on_click=S.rescreen_all, disabled=S.run["active"] == "1"),
                          class_name="form-actions")),
        class_name="card",
    )


@page(route="/aml", title="title.aml", permission=(P.AML_REVIEW, P.AML_VIEW),
      menu=Menu("shield-alert", "nav.aml", order=40), on_load=S.load, locale_handler=S.change_locale)
def aml_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("aml.title"), class_name="page-title"),
        rx.cond(S.error != "", rx.el.div(S.error, id="aml-error", role="alert", class_name="alert")),
        rx.cond(S.notice != "", rx.el.div(S.notice, id="aml-notice", role="status", class_name="alert ok")),
        rx.el.div(
            _stat("aml.count.hits", S.counts["hits"], "aml-count-hits"),
            _stat("aml.count.cases", S.counts["cases"], "aml-count-cases"),
            _stat("aml.count.overdue", S.counts["overdue"], "aml-count-overdue",
                  danger=S.counts["overdue"] != "0"),
            class_name="stats",
        ),
        rx.el.div(
            rx.el.div(_queue(), style={"minWidth": "0"}),
            rx.el.div(rx.cond(S.sel_id != "", _detail()), _lists_and_run(),
                      style={"display": "flex", "flexDirection": "column", "gap": "16px", "minWidth": "0"}),
            style=_COLUMNS,
        ),
        class_name="page",
    )
