"""/admin/workflows: the workflow definitions for administrators - the diagram in the bpmn-js modeler (drag and
drop, checked and saved as a new version), the everyday parameters in a plain form, and the versions."""
from __future__ import annotations

import reflex as rx

from components.bpmn_modeler import bpmn_modeler
from components.dmn_modeler import dmn_modeler
from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.workflow_admin import WorkflowAdminState as S

_CSS = """
.wf-defs { display: flex; gap: 8px; flex-wrap: wrap; }
.wf-def { display: flex; flex-direction: column; align-items: flex-start; gap: 2px; min-height: 44px; }
.wf-dmn { min-height: 260px; max-height: 520px; overflow: auto; border: 1px solid var(--border); border-radius: 8px;
  background: #fff; }
.wf-canvas { height: 460px; border: 1px solid var(--border); border-radius: 8px; background: #fff; }
@media (max-width: 767px) { .wf-canvas { height: 360px; } }
.wf-actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: flex-end; }
.wf-actions .field { flex: 1 1 220px; }
.wf-table-wrap { overflow-x: auto; }
.wf-table { border-collapse: collapse; font-size: 13px; min-width: 100%; }
.wf-table th, .wf-table td { border-bottom: 1px solid var(--border); padding: 4px 6px; text-align: left;
  vertical-align: middle; }
.wf-table input, .wf-table select { width: 100%; min-width: 90px; box-sizing: border-box; font: inherit;
  padding: 4px 6px; border: 1px solid var(--border); border-radius: 6px; }
.wf-problems { margin: 0; padding-left: 20px; color: var(--danger); font-size: 14px; }
.wf-notice { background: var(--green-3, #e6f6eb); color: var(--green-11, #218358); border-radius: 8px;
  padding: 10px 12px; font-size: 14px; }
.wf-section { display: flex; flex-direction: column; gap: 12px; }
"""


def _def_button(d: rx.Var) -> rx.Component:
    return rx.el.button(
        rx.el.span(d["name"], class_name="item-title"),
        rx.el.span(d["current"], " · ", d["running"], class_name="muted small"),
        type="button", id="wf-def-" + d["key"], on_click=S.select_definition(d["key"]),
        class_name=rx.cond(S.key == d["key"], "btn wf-def seg-btn active", "btn wf-def"),
    )


def _role_select(name: rx.Var, value: rx.Var, id_: rx.Var) -> rx.Component:
    return rx.el.select(rx.foreach(S.role_choices, lambda c: rx.el.option(c["label"], value=c["value"])),
                        name=name, default_value=value, id=id_)


def _step_row(s: rx.Var, i: rx.Var) -> rx.Component:
    idx = i.to_string()
    return rx.el.tr(
        rx.el.td(s["name"]),
        rx.el.td(rx.cond(s["maker"] != "", rx.el.span(t("wfadmin.maker_step"), class_name="muted"),
                         _role_select("role-" + idx, s["role"], "wf-role-" + s["id"]))),
        rx.el.td(rx.el.input(name="sla-" + idx, default_value=s["sla_hours"], input_mode="numeric",
                             id="wf-sla-" + s["id"], aria_label=t("wfadmin.sla_hours"))),
        rx.el.td(rx.cond(s["maker"] != "", rx.fragment(),
                         _role_select("esc-" + idx, s["escalate_to"], "wf-esc-" + s["id"]))),
    )


def _table(meta: rx.Var, ti: rx.Var) -> rx.Component:
    tix = ti.to_string()
    return rx.el.div(
        rx.el.h4(meta["name"], " (", meta["id"], " · ", meta["policy"], ")", class_name="small"),
        rx.el.div(rx.el.table(
            rx.el.thead(rx.el.tr(rx.foreach(S.table_heads[ti], lambda h: rx.el.th(h)), rx.el.th(""))),
            rx.el.tbody(rx.foreach(S.table_rows[ti], lambda cells, ri: rx.el.tr(
                rx.foreach(cells, lambda cell, ci: rx.el.td(rx.el.input(
                    name="c-" + tix + "-" + ri.to_string() + "-" + ci.to_string(), default_value=cell,
                    key=S.form_key + "-" + tix + "-" + ri.to_string() + "-" + ci.to_string() + "-" + cell,
                    id="wf-cell-" + meta["id"] + "-" + ri.to_string() + "-" + ci.to_string()))),
                rx.el.td(rx.el.button(icon("trash-2", size=14), type="button", class_name="btn small",
                                      aria_label=t("wfadmin.remove_row"), title=t("wfadmin.remove_row"),
                                      on_click=S.remove_row(ti, ri))),
            ))),
            class_name="wf-table", id="wf-table-" + meta["id"]), class_name="wf-table-wrap"),
        rx.el.button(icon("plus", size=14), t("wfadmin.add_row"), type="button", class_name="btn small",
                     on_click=S.add_row(ti), id="wf-add-row-" + meta["id"]),
        class_name="wf-section",
    )


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(S.error != "", rx.el.div(
            rx.el.div(icon("circle-alert", size=16), rx.el.span(S.error), class_name="alert", role="alert"),
            rx.cond(S.problems.length() > 0, rx.el.ul(rx.foreach(S.problems, lambda p: rx.el.li(p)),
                                                       class_name="wf-problems", id="wf-problems")),
            id="wf-error")),
        rx.cond(S.notice != "", rx.el.div(S.notice, class_name="wf-notice", role="status", id="wf-notice")),
    )


@page(route="/admin/workflows", title="wfadmin.title", permission=P.WORKFLOW_MANAGE,
      menu=Menu("workflow", "nav.admin_workflows", order=83), on_load=S.load, locale_handler=S.change_locale)
def admin_workflows_page() -> rx.Component:
    return rx.el.div(
        rx.el.style(_CSS),
        rx.el.div(rx.el.div(rx.el.h1(t("wfadmin.title"), class_name="page-title"),
                            rx.el.p(t("wfadmin.intro"), class_name="muted small")), class_name="page-head"),
        rx.el.div(rx.foreach(S.definitions, _def_button), class_name="wf-defs", id="wf-definitions"),
        _messages(),
        rx.el.section(
            rx.el.h2(t("wfadmin.diagram"), class_name="section-title"),
            rx.el.p(t("wfadmin.diagram_hint"), class_name="muted small"),
            bpmn_modeler(xml=S.diagram_xml, on_changed=S.diagram_changed, on_failed=S.diagram_failed,
                         id="wf-modeler", class_name="wf-canvas", aria_label=t("wfadmin.diagram")),
            rx.form(
                rx.el.div(
                    rx.el.label(rx.el.span(t("wfadmin.note"), class_name="field-label"),
                                rx.el.input(name="note", max_length=300, id="wf-diagram-note", class_name="field-input"),
                                class_name="field"),
                    rx.el.button(t("wfadmin.check"), type="button", class_name="btn", on_click=S.check_diagram,
                                 id="wf-check"),
                    rx.el.button(t("wfadmin.reset"), type="button", class_name="btn", on_click=S.reset_diagram,
                                 id="wf-reset", disabled=~S.draft_dirty),
                    rx.el.button(t("wfadmin.save_diagram"), type="submit", class_name="btn-primary", id="wf-save",
                                 disabled=~S.draft_dirty),
                    class_name="wf-actions"),
                on_submit=S.save_diagram, reset_on_submit=True),
            class_name="card wf-section", id="wf-diagram",
        ),
        rx.el.section(
            rx.el.h2(t("wfadmin.tables"), class_name="section-title"),
            rx.el.p(t("wfadmin.tables_hint"), class_name="muted small"),
            rx.el.div(rx.foreach(S.dmn_tabs, lambda d: rx.el.button(
                d["name"], type="button", role="tab", id="wf-dmn-tab-" + d["id"], on_click=S.select_table(d["index"]),
                class_name=rx.cond(S.dmn_index.to_string() == d["index"], "work-tab active", "work-tab"))),
                class_name="work-tabs", role="tablist"),
            dmn_modeler(xml=S.table_xml, on_changed=S.table_changed, on_failed=S.diagram_failed, id="wf-dmn",
                        class_name="wf-dmn", aria_label=t("wfadmin.tables")),
            rx.form(
                rx.el.div(
                    rx.el.label(rx.el.span(t("wfadmin.note"), class_name="field-label"),
                                rx.el.input(name="note", max_length=300, id="wf-table-note", class_name="field-input"),
                                class_name="field"),
                    rx.el.button(t("wfadmin.save_table"), type="submit", class_name="btn-primary", id="wf-save-table",
                                 disabled=~S.table_dirty),
                    class_name="wf-actions"),
                on_submit=S.save_table, reset_on_submit=True),
            class_name="card wf-section", id="wf-tables",
        ),
        rx.el.section(
            rx.el.h2(t("wfadmin.parameters"), class_name="section-title"),
            rx.el.p(t("wfadmin.parameters_hint"), class_name="muted small"),
            rx.form(
                rx.el.div(rx.el.table(
                    rx.el.thead(rx.el.tr(rx.el.th(t("wfadmin.step")), rx.el.th(t("wfadmin.role")),
                                         rx.el.th(t("wfadmin.sla_hours")), rx.el.th(t("wfadmin.escalate_to")))),
                    rx.el.tbody(rx.foreach(S.steps, _step_row)), class_name="wf-table", id="wf-steps",
                    key=S.form_key), class_name="wf-table-wrap"),
                rx.foreach(S.table_meta, _table),
                rx.el.div(
                    rx.el.label(rx.el.span(t("wfadmin.note"), class_name="field-label"),
                                rx.el.input(name="note", max_length=300, id="wf-params-note", class_name="field-input"),
                                class_name="field"),
                    rx.el.button(t("wfadmin.save_parameters"), type="submit", class_name="btn-primary",
                                 id="wf-save-parameters"),
                    class_name="wf-actions"),
                on_submit=S.save_parameters, reset_on_submit=False, class_name="wf-section",
            ),
            class_name="card wf-section", id="wf-parameters",
        ),
        rx.el.section(
            rx.el.h2(t("wfadmin.versions"), class_name="section-title"),
            rx.el.ul(rx.foreach(S.versions, lambda v: rx.el.li(
                rx.el.div(rx.el.span(v["line"], class_name="item-title"),
                          rx.el.span(v["note"], class_name="muted small"), class_name="item-main"),
                rx.el.div(rx.cond(v["current"] != "", rx.el.span(t("wfadmin.is_current"), class_name="badge")),
                          rx.cond(v["running"] != "", rx.el.span(v["running"], class_name="muted small"))),
                class_name="item", id="wf-version-" + v["version"])), class_name="item-list", id="wf-versions"),
            class_name="card wf-section",
        ),
        class_name="page wf-admin-page",
    )
