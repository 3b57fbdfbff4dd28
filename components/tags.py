"""Pieces of the tag-rule admin page: a rule's row, a tag chip, and one condition row of the editor."""
from __future__ import annotations

from typing import Any

import reflex as rx

from components.i18n import t
from state.tags import EVENT_KINDS, RISK_LEVELS

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


def condition_row(row: rx.Var, index: rx.Var, *, fields: rx.Var, on_set, on_remove) -> rx.Component:
    """One condition: NOT, field, operator, value, and the field's parameters (window, kinds, filters)."""
    rid = row["rid"]
    shape = row["shape"]
    return rx.el.div(
        rx.el.div(
            rx.el.label(
                rx.el.input(type="checkbox", id="cond-not-" + index.to_string(), checked=row["negate"] != "",
                            on_change=lambda v: on_set(index, "negate", v)),
                rx.el.span(t("tags.not")), class_name="check-chip"),
            rx.el.button(rx.icon("trash-2", size=14), t("tags.remove_condition"), type="button", class_name="btn",
                         id="cond-remove-" + index.to_string(), on_click=on_remove(index)),
            class_name="chips",
        ),
        _labelled("tags.field", rx.el.select(
            rx.foreach(fields, lambda f: rx.el.option(f["label"], value=f["value"])),
            value=row["field"], id="cond-field-" + index.to_string(), class_name="field-input",
            on_change=lambda v: on_set(index, "field", v))),
        _labelled("tags.op", rx.el.select(
            *[rx.el.option(t(f"tags.op.{o}"), value=o) for o in OPS],
            value=row["op"], id="cond-op-" + index.to_string(), class_name="field-input",
            on_change=lambda v: on_set(index, "op", v))),
        _labelled("tags.value", rx.el.input(
            default_value=row["value"], id="cond-value-" + index.to_string(), class_name="field-input",
            max_length=300, auto_complete="off", placeholder=t("tags.value_hint"),
            on_blur=lambda v: on_set(index, "value", v))),
        rx.cond(
            (shape == "window") | (shape == "event"),
            _labelled("tags.days", rx.el.input(
                default_value=row["days"], id="cond-days-" + index.to_string(), class_name="field-input",
                inputmode="numeric", max_length=5, on_blur=lambda v: on_set(index, "days", v))),
        ),
        rx.cond(
            shape == "window",
            _labelled("tags.kinds", rx.el.input(
                default_value=row["kinds"], id="cond-kinds-" + index.to_string(), class_name="field-input",
                max_length=200, placeholder=t("tags.kinds_hint"), on_blur=lambda v: on_set(index, "kinds", v))),
        ),
        rx.cond(
            shape == "event",
            _labelled("tags.event_kind", rx.el.select(
                *[rx.el.option(k, value=k) for k in EVENT_KINDS],
                value=row["event_kind"], id="cond-event-kind-" + index.to_string(), class_name="field-input",
                on_change=lambda v: on_set(index, "event_kind", v))),
        ),
        rx.cond(
            shape == "holding",
            rx.fragment(
                _labelled("tags.min_risk", rx.el.select(
                    rx.el.option(t("tags.any"), value=""), *[rx.el.option(r, value=r) for r in RISK_LEVELS],
                    value=row["min_risk"], id="cond-min-risk-" + index.to_string(), class_name="field-input",
                    on_change=lambda v: on_set(index, "min_risk", v))),
                _labelled("tags.product_types", rx.el.input(
                    default_value=row["product_types"], id="cond-product-types-" + index.to_string(),
                    class_name="field-input", max_length=200, placeholder="fund, wealth",
                    on_blur=lambda v: on_set(index, "product_types", v))),
            ),
        ),
        rx.cond(
            (shape == "event") | (shape == "holding"),
            rx.el.label(
                rx.el.input(type="checkbox", id="cond-premium-" + index.to_string(), checked=row["premium"] != "",
                            on_change=lambda v: on_set(index, "premium", v)),
                rx.el.span(t("tags.premium")), class_name="check-chip"),
        ),
        class_name="item filter-grid",
        key=rid,
        id="cond-row-" + index.to_string(),
    )
