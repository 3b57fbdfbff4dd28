"""Pieces of the tag-rule admin page: a rule's row, a tag chip, and one condition row of the editor."""
from __future__ import annotations

from typing import Any

import reflex as rx

from components.i18n import t
from components.icons import icon

OPS = (">=", ">", "<=", "<", "==", "!=", "in", "not_in")
COLOR_HEX = {"blue": "#3e63dd", "green": "#30a46c", "orange": "#f76b15", "red": "#e5484d", "purple": "#8e4ec6",
             "gray": "#8b8d98", "gold": "#b08a2e", "teal": "#12a594"}


def tag_chip(name: Any, color: Any) -> rx.Component:
    """A tag's name in its colour."""
    return rx.el.span(
        name,
        class_name="tag-badge",
        style={"border_color": rx.match(color, *[(k, v) for k, v in COLOR_HEX.items()], "#3e63dd"),
               "color": rx.match(color, *[(k, v) for k, v in COLOR_HEX.items()], "#3e63dd")},
    )


def rule_item(row: rx.Var, *, on_edit, on_toggle, on_run) -> rx.Component:
    key = row["rule_key"]
    return rx.el.div(
        rx.el.div(
            tag_chip(row["tag"], row["color"]),
            rx.el.span(row["name"], class_name="item-title"),
            rx.el.span(key, class_name="mono muted small"),
            rx.el.span(row["version"], class_name="badge neutral"),
            rx.cond(row["active"] != "", rx.el.span(t("tags.active"), class_name="badge"),
                    rx.el.span(t("tags.inactive"), class_name="badge danger")),
            class_name="chips",
        ),
        rx.el.div(row["matches"], class_name="muted small", id="rule-matches-" + key),
        rx.el.div(
            rx.el.button(t("tags.edit"), type="button", class_name="btn", id="rule-edit-" + key,
                         on_click=on_edit(key)),
            rx.cond(
                row["active"] != "",
                rx.fragment(
                    rx.el.button(t("tags.run"), type="button", class_name="btn", id="rule-run-" + key,
                                 on_click=on_run(key)),
                    rx.el.button(t("tags.deactivate"), type="button", class_name="btn", id="rule-deactivate-" + key,
                                 on_click=on_toggle(key, False)),
                ),
                rx.el.button(t("tags.activate"), type="button", class_name="btn", id="rule-activate-" + key,
                             on_click=on_toggle(key, True)),
            ),
            class_name="form-actions",
        ),
        class_name="item rule-item",
        id="rule-row-" + key,
    )


def _labelled(key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(key), class_name="field-label"), control, class_name="field")


def _fieldset(key: str, control: rx.Component, id_: rx.Var, *hint: rx.Component) -> rx.Component:
    """A group of check boxes under its label (a <label> cannot hold several controls)."""
    return rx.el.fieldset(rx.el.legend(t(key), class_name="field-label"), control, *hint, class_name="field cond-set",
                          id=id_)


def _check_chips(options: rx.Var, marks: rx.Var, on_toggle, id_prefix: rx.Var) -> rx.Component:
    """One check box per option; `marks` is "|code|code|" of the ticked ones."""
    return rx.el.div(
        rx.foreach(options, lambda o: rx.el.label(
            rx.el.input(type="checkbox", checked=marks.contains("|" + o["value"] + "|"),
                        id=id_prefix + o["value"], on_change=lambda v: on_toggle(o["value"], v)),
            rx.el.span(o["label"]), class_name="check-chip")),
        class_name="check-chips",
    )


def _select(options: rx.Var, value: rx.Var, id_: rx.Var, on_change,
            placeholder: str = "tags.value_pick") -> rx.Component:
    return rx.el.select(
        rx.el.option(t(placeholder), value="", disabled=True),
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"])),
        value=value, id=id_, class_name="field-input", on_change=on_change)


def _value(row: rx.Var, index: rx.Var, *, choices: rx.Var, picked: rx.Var, on_set, on_toggle) -> rx.Component:
    """The row's value in the control its field needs: a number, a date, text, or names to pick."""
    i = index.to_string()
    kind = row["input"]
    options = choices[row["field"]].to(list[dict[str, str]])
    typed = rx.el.input(
        default_value=row["value"], id="cond-value-" + i, class_name="field-input", max_length=300,
        auto_complete="off",
        type=rx.match(kind, ("date", "date"), "text"),
        input_mode=rx.match(kind, ("integer", "numeric"), ("number", "decimal"), ("money", "decimal"), "text"),
        placeholder=rx.cond((kind == "text") & ((row["op"] == "in") | (row["op"] == "not_in")), t("tags.value_hint"),
                            rx.cond(kind == "money", t("tags.value_money"), "")),
        on_blur=lambda v: on_set(index, "value", v),
        key=row["rid"] + row["field"] + kind,  # a new field starts with an empty box
    )
    return rx.match(
        kind,
        ("choice", "pick", _labelled("tags.value", _select(options, row["value"], "cond-value-" + i,
                                                               lambda v: on_set(index, "value", v)))),
        ("choices", _fieldset("tags.value", _check_chips(options, row["value_sel"],
                                                         lambda code, v: on_toggle(index, "value", code, v),
                                                         "cond-value-" + i + "-"), "cond-value-" + i)),
        ("picks", _fieldset("tags.value", rx.el.div(
            rx.foreach(picked[row["rid"]].to(list[dict[str, str]]), lambda o: rx.el.button(
                o["label"], icon("x", size=12), type="button", class_name="pick-chip",
                aria_label=t("tags.value_remove"), id="cond-value-" + i + "-" + o["value"],
                on_click=on_toggle(index, "value", o["value"], False))),
            _select(options, "", "cond-value-" + i + "-add", lambda v: on_toggle(index, "value", v, True),
                    "tags.value_add"),
            class_name="pick-list"), "cond-value-" + i)),
        _labelled("tags.value", typed),
    )


def condition_row(row: rx.Var, index: rx.Var, *, fields: rx.Var, choices: rx.Var, picked: rx.Var, on_set,
                  on_toggle, on_remove) -> rx.Component:
    """One condition: NOT, field, operator (only those its type supports), value, and the field's parameters
    (window, kinds, filters), every code picked by name."""
    rid = row["rid"]
    shape = row["shape"]
    i = index.to_string()
    return rx.el.div(
        rx.el.div(
            rx.el.span(t("tags.condition_n"), " ", (index + 1).to_string(), class_name="cond-number"),
            rx.el.label(
                rx.el.input(type="checkbox", id="cond-not-" + i, checked=row["negate"] != "",
                            on_change=lambda v: on_set(index, "negate", v)),
                rx.el.span(t("tags.not")), class_name="check-chip"),
            rx.el.button(icon("trash-2", size=14), t("tags.remove_condition"), type="button", class_name="btn",
                         id="cond-remove-" + i, on_click=on_remove(index)),
            class_name="chips cond-head",
        ),
        rx.el.div(
            _labelled("tags.field", rx.el.select(
                rx.foreach(fields, lambda f: rx.el.option(f["label"], value=f["value"])),
                value=row["field"], id="cond-field-" + i, class_name="field-input",
                on_change=lambda v: on_set(index, "field", v))),
            _labelled("tags.op", rx.el.select(
                *[rx.cond(row["ops"].contains(f"|{o}|"), rx.el.option(t(f"tags.op.{o}"), value=o)) for o in OPS],
                value=row["op"], id="cond-op-" + i, class_name="field-input",
                on_change=lambda v: on_set(index, "op", v))),
            rx.cond(
                (shape == "window") | (shape == "event"),
                _labelled("tags.days", rx.el.input(
                    default_value=row["days"], id="cond-days-" + i, class_name="field-input",
                    input_mode="numeric", max_length=5, on_blur=lambda v: on_set(index, "days", v))),
            ),
            rx.cond(
                shape == "event",
                _labelled("tags.event_kind", _select(choices["param.event_kind"].to(list[dict[str, str]]),
                                                     row["event_kind"], "cond-event-kind-" + i,
                                                     lambda v: on_set(index, "event_kind", v))),
            ),
            rx.cond(
                shape == "holding",
                _labelled("tags.min_risk", rx.el.select(
                    rx.el.option(t("tags.any"), value=""),
                    rx.foreach(choices["param.min_risk"].to(list[dict[str, str]]),
                               lambda o: rx.el.option(o["label"], value=o["value"])),
                    value=row["min_risk"], id="cond-min-risk-" + i, class_name="field-input",
                    on_change=lambda v: on_set(index, "min_risk", v))),
            ),
            class_name="cond-grid",
        ),
        _value(row, index, choices=choices, picked=picked, on_set=on_set, on_toggle=on_toggle),
        rx.cond(
            shape == "window",
            _fieldset("tags.kinds", _check_chips(choices[row["kset"]].to(list[dict[str, str]]), row["kinds_sel"],
                                                 lambda code, v: on_toggle(index, "kinds", code, v),
                                                 "cond-kinds-" + i + "-"),
                      "cond-kinds-" + i,
                      rx.cond(row["field"] == "interaction_count",
                              rx.el.span(t("tags.kinds_all"), class_name="muted small"))),
        ),
        rx.cond(
            shape == "holding",
            _fieldset("tags.product_types", _check_chips(choices["param.product_types"].to(list[dict[str, str]]),
                                                         row["types_sel"],
                                                         lambda code, v: on_toggle(index, "product_types", code, v),
                                                         "cond-product-types-" + i + "-"),
                      "cond-product-types-" + i),
        ),
        rx.cond(
            (shape == "event") | (shape == "holding"),
            rx.el.label(
                rx.el.input(type="checkbox", id="cond-premium-" + i, checked=row["premium"] != "",
                            on_change=lambda v: on_set(index, "premium", v)),
                rx.el.span(t("tags.premium")), class_name="check-chip"),
        ),
        class_name="item cond-row",
        key=rid,
        id="cond-row-" + i,
    )
