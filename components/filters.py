"""The customer list's filters panel, its chips and the export links.

Noun-named pieces that take vars and handlers as arguments (no state import here, no DB access):
`filter_bar(...)` (toggle, chips, export links), `filter_panel(...)` (the condition rows in a form).
Layout is inline so the pieces need no stylesheet of their own; rows wrap at phone width (390px).
"""
from __future__ import annotations

from typing import Callable

import reflex as rx

from components.i18n import t
from components.icons import icon

_SELECT = {"border": "1px solid var(--border)", "border_radius": "8px", "padding": "6px 8px",
           "min_height": "38px", "font_size": "15px", "background": "var(--surface)", "color": "var(--text)",
           "min_width": "0", "max_width": "100%"}
_CHIP = {"display": "inline-flex", "align_items": "center", "gap": "4px", "padding": "2px 4px 2px 10px",
         "border_radius": "999px", "background": "var(--accent-soft)", "color": "var(--accent-text)",
         "font_size": "13px", "max_width": "100%"}
_CHIP_X = {"border": "none", "background": "transparent", "color": "inherit", "cursor": "pointer",
           "padding": "2px 6px", "font_size": "15px", "line_height": "1", "min_height": "26px"}


def _option(opt: rx.Var) -> rx.Component:
    return rx.el.option(opt.label, value=opt.value)


def _value_input(row: rx.Var) -> rx.Component:
    """The value widget for a row's field type; uncontrolled, re-mounted when field or operator change."""
    name = "value-" + row.key
    key = row.key + "-" + row.field + "-" + row.op
    common = dict(name=name, id="filter-value-" + row.key, default_value=row.value, style={**_SELECT, "flex": "1 1 140px"})
    return rx.match(
        row.input,
        ("select", rx.el.select(rx.el.option(t("lf.choose"), value=""), rx.foreach(row.choices, _option),
                                key=key, **common)),
        ("number", rx.el.input(type="text", input_mode="decimal", max_length=24, auto_complete="off", key=key,
                               placeholder=t("lf.value"), **common)),
        ("date", rx.el.input(type="date", key=key, **common)),
        ("text", rx.el.input(type="text", max_length=200, auto_complete="off", key=key, placeholder=t("lf.value"),
                             **common)),
        rx.fragment(),
    )


def _condition(row: rx.Var, core_fields: rx.Var, custom_fields: rx.Var, *, on_field: Callable,
               on_op: Callable, on_remove: Callable) -> rx.Component:
    return rx.el.div(
        rx.el.select(
            rx.el.optgroup(rx.foreach(core_fields, _option), label=t("lf.group_core")),
            rx.cond(custom_fields.length() > 0,
                    rx.el.optgroup(rx.foreach(custom_fields, _option), label=t("lf.group_custom"))),
            value=row.field,
            on_change=lambda v: on_field(row.key, v),
            id="filter-field-" + row.key,
            aria_label=t("lf.field"),
            style={**_SELECT, "flex": "2 1 150px"},
        ),
        rx.el.select(
            rx.foreach(row.ops, _option),
            value=row.op,
            on_change=lambda v: on_op(row.key, v),
            id="filter-op-" + row.key,
            aria_label=t("lf.op"),
            style={**_SELECT, "flex": "1 1 100px"},
        ),
        _value_input(row),
        rx.el.button(icon("x", size=16), type="button", on_click=on_remove(row.key), class_name="btn",
                     id="filter-remove-" + row.key, aria_label=t("lf.remove"), title=t("lf.remove"),
                     style={"padding": "6px 10px"}),
        style={"display": "flex", "flex_wrap": "wrap", "gap": "8px", "align_items": "center",
               "padding_bottom": "8px", "border_bottom": "1px dashed var(--border)"},
        class_name="filter-condition",
        id="filter-row-" + row.key,
    )


def filter_panel(*, rows: rx.Var, core_fields: rx.Var, custom_fields: rx.Var, error: rx.Var, on_submit: Callable,
                 on_add: Callable, on_clear: Callable, on_field: Callable, on_op: Callable,
                 on_remove: Callable) -> rx.Component:
    """The condition rows (field, operator, value) in one form; Apply sends the values."""
    return rx.form(
        rx.cond(rows.length() == 0, rx.el.div(t("lf.empty"), class_name="muted small")),
        rx.foreach(rows, lambda r: _condition(r, core_fields, custom_fields, on_field=on_field, on_op=on_op,
                                              on_remove=on_remove)),
        rx.cond(error != "", rx.el.div(error, id="filter-error", role="alert", class_name="alert")),
        rx.el.div(
            rx.el.button(icon("plus", size=16), t("lf.add"), type="button", on_click=on_add, class_name="btn",
                         id="filter-add"),
            rx.el.button(t("lf.clear"), type="button", on_click=on_clear, class_name="btn", id="filter-clear"),
            rx.el.button(t("lf.apply"), type="submit", class_name="btn-primary", id="filter-apply"),
            style={"display": "flex", "flex_wrap": "wrap", "gap": "8px", "justify_content": "flex-end"},
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        id="filter-panel",
        class_name="card",
        style={"display": "flex", "flex_direction": "column", "gap": "10px", "padding": "12px"},
    )


def _chip(chip: rx.Var, on_remove: Callable) -> rx.Component:
    return rx.el.span(
        rx.el.span(chip["text"], style={"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}),
        rx.el.button("×", type="button", on_click=on_remove(chip["index"]), aria_label=t("lf.remove_chip"),
                     title=t("lf.remove_chip"), id="filter-chip-remove-" + chip["index"], style=_CHIP_X),
        class_name="filter-chip",
        id="filter-chip-" + chip["index"],
        style=_CHIP,
    )


def _export_link(href: rx.Var, enabled: rx.Var, glyph: str, label_key: str, id_: str) -> rx.Component:
    return rx.cond(
        enabled,
        # rx.el.a is React Router's Link: reload_document leaves it to the browser, and `download` makes that a
        # download rather than a navigation: the page is not left, so its connection is not dropped (a dropped one
        # reconnects by loading the page's URL again, which could undo a change made meanwhile).
        rx.el.a(icon(glyph, size=16), t(label_key), href=href, id=id_, class_name="btn", reload_document=True,
                download="", title=t("lf.export_hint_short"), style={"text_decoration": "none"}),
        rx.el.button(icon(glyph, size=16), t(label_key), type="button", disabled=True, class_name="btn",
                     id=id_),
    )


def filter_bar(*, is_open: rx.Var, count: rx.Var, chips: rx.Var, export_params: rx.Var, on_toggle: Callable,
               on_remove_chip: Callable) -> rx.Component:
    """The Filters toggle with the number applied, the chips, and the CSV / Excel export links."""
    enabled = export_params != ""
    return rx.el.div(
        rx.el.div(
            rx.el.button(
                icon("sliders-horizontal", size=16), t("lf.filters"),
                rx.cond(count > 0, rx.el.span(count.to_string(), class_name="badge", id="filter-count")),
                # Two fixed icons: an icon's name is a literal (components/icons.py).
                rx.cond(is_open, icon("chevron-up", size=16), icon("chevron-down", size=16)),
                type="button", on_click=on_toggle, class_name="btn", id="filter-toggle",
                aria_expanded=rx.cond(is_open, "true", "false"), aria_controls="filter-panel",
            ),
            rx.el.div(
                _export_link("/exports/customers.csv?" + export_params, enabled, "file-text", "lf.export_csv",
                             "export-csv"),
                _export_link("/exports/customers.xlsx?" + export_params, enabled, "file-spreadsheet",
                             "lf.export_xlsx", "export-xlsx"),
                style={"display": "flex", "gap": "8px", "flex_wrap": "wrap"},
            ),
            style={"display": "flex", "flex_wrap": "wrap", "gap": "8px", "justify_content": "space-between",
                   "align_items": "center"},
        ),
        rx.cond(
            count > 0,
            rx.el.div(rx.foreach(chips, lambda c: _chip(c, on_remove_chip)), id="filter-chips",
                      style={"display": "flex", "flex_wrap": "wrap", "gap": "6px"}),
        ),
        style={"display": "flex", "flex_direction": "column", "gap": "8px"},
    )
