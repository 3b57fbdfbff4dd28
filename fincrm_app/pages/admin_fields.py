"""/admin/fields: custom field definitions (list, create, edit, deactivate), admins only.

The service refuses everyone but admins; the page then shows that refusal instead of the list.
"""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.custom_fields import APPLIES, ROLES, TYPES, FieldsAdminState as S


def _field_row(row: rx.Var) -> rx.Component:
    return rx.el.div(
        # Name and kind, then who may see and edit it, then its choices: one column, read top down.
        rx.el.div(
            rx.el.div(
                rx.el.span(row["label"], class_name="item-title"),
                rx.el.span(row["key"], class_name="mono muted small"),
                rx.el.span(row["type"], class_name="badge"),
                rx.cond(row["required"] != "", rx.el.span(row["required"], class_name="badge")),
                rx.cond(row["active"] == "", rx.el.span(t("fields.inactive"), class_name="badge danger")),
                class_name="chips",
            ),
            rx.el.div(row["applies"], " · ", t("fields.col_visible"), ": ", row["visible"], " · ",
                      t("fields.col_editable"), ": ", row["editable"], class_name="muted small"),
            rx.cond(row["choices"] != "", rx.el.div(row["choices"], class_name="small")),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.button(t("fields.edit"), type="button", class_name="btn", id="field-edit-" + row["key"],
                         on_click=S.edit(row["id"])),
            rx.cond(
                row["active"] != "",
                rx.el.button(t("fields.deactivate"), type="button", class_name="btn",
                             id="field-deactivate-" + row["key"], on_click=S.set_active(row["id"], False)),
                rx.el.button(t("fields.activate"), type="button", class_name="btn",
                             id="field-activate-" + row["key"], on_click=S.set_active(row["id"], True)),
            ),
            class_name="form-actions",
        ),
        class_name="item",
        id="field-row-" + row["key"],
    )


def _labelled(key: str, control: rx.Component, hint: str | None = None) -> rx.Component:
    return rx.el.label(
        rx.el.span(t(key), class_name="field-label"),
        control,
        rx.el.span(t(hint), class_name="muted small") if hint else rx.fragment(),
        class_name="field",
    )


def _input(name: str, value: rx.Var, **props) -> rx.Component:
    return rx.el.input(name=name, id=f"field-form-{name}", default_value=value, class_name="field-input",
                       auto_complete="off", **props)


def _select(name: str, value: rx.Var, options: tuple[str, ...], prefix: str, **props) -> rx.Component:
    return rx.el.select(
        *[rx.el.option(t(f"{prefix}.{o}"), value=o) for o in options],
        name=name, id=f"field-form-{name}", default_value=value, class_name="field-input", **props)


def _roles(prefix: str, selected: rx.Var) -> rx.Component:
    return rx.el.div(
        *[rx.el.label(
            rx.el.input(type="checkbox", name=f"{prefix}__{r}", id=f"field-form-{prefix}-{r}",
                        default_checked=selected.contains(r)),
            rx.el.span(t(f"fields.role.{r}")),
            class_name="check-chip") for r in ROLES],
        class_name="check-chips",
    )


def _form() -> rx.Component:
    editing = S.editing_id != 0
    return rx.el.div(
        rx.el.h2(rx.cond(editing, t("fields.editing"), t("fields.creating")), class_name="section-title"),
        rx.form(
            _labelled("fields.key", _input("key", S.f_key, max_length=40, disabled=editing,
                                           pattern="[a-z][a-z0-9_]{1,39}"), "fields.key_hint"),
            _labelled("fields.label", _input("label", S.f_label, max_length=100)),
            _labelled("fields.label_en", _input("label_en", S.f_label_en, max_length=100)),
            _labelled("fields.type", _select("field_type", S.f_type, TYPES, "fields.type", disabled=editing)),
            _labelled("fields.applies_to", _select("applies_to", S.f_applies, APPLIES, "fields.applies")),
            rx.el.label(rx.el.input(type="checkbox", name="required", id="field-form-required",
                                    default_checked=S.f_required),
                        rx.el.span(t("fields.required")), class_name="check-chip"),
            _labelled("fields.min", _input("min_value", S.f_min, inputmode="decimal")),
            _labelled("fields.max", _input("max_value", S.f_max, inputmode="decimal")),
            _labelled("fields.max_length", _input("max_length", S.f_max_length, inputmode="numeric")),
            _labelled("fields.position", _input("position", S.f_position, inputmode="numeric")),
            _labelled("fields.choices", rx.el.textarea(name="choices", id="field-form-choices",
                                                       default_value=S.f_choices, rows=4, class_name="field-input"),
                      "fields.choices_hint"),
            _labelled("fields.visible_to", _roles("visible", S.f_visible)),
            _labelled("fields.editable_by", _roles("editable", S.f_editable)),
            rx.cond(S.form_error != "", rx.el.div(S.form_error, id="field-form-error", role="alert",
                                                  class_name="alert")),
            rx.el.div(
                rx.el.button(t("fields.save"), type="submit", id="field-form-save", class_name="btn-primary"),
                rx.el.button(t("fields.cancel"), type="button", id="field-form-cancel", class_name="btn",
                             on_click=S.new_field),
                class_name="form-actions",
            ),
            on_submit=S.save,
            reset_on_submit=False,
            key=S.form_version,
            class_name="stack",
            id="field-form",
        ),
        class_name="card",
    )


@page(route="/admin/fields", title="fields.title", permission=P.CUSTOM_FIELD_MANAGE,
      menu=Menu("sliders-horizontal", "nav.admin_fields", order=80), on_load=S.load, locale_handler=S.change_locale)
def admin_fields_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("fields.title"), class_name="page-title"),
        rx.el.p(t("fields.subtitle"), class_name="muted small"),
        rx.cond(
            S.page_error != "",
            rx.el.div(S.page_error, id="fields-page-error", role="alert", class_name="alert"),
            rx.el.div(
                rx.cond(S.notice != "", rx.el.div(S.notice, id="fields-notice", role="status",
                                                  class_name="muted")),
                rx.el.div(
                    rx.el.div(
                        rx.el.button(icon("plus", size=16), t("fields.new"), type="button", id="field-new",
                                     class_name="btn", on_click=S.new_field),
                        class_name="section-head",
                    ),
                    rx.el.div(rx.foreach(S.fields, _field_row), class_name="item-list", id="field-list"),
                    rx.cond(S.loaded & (S.fields.length() == 0),
                            rx.el.div(t("fields.empty"), class_name="empty", id="fields-empty")),
                    class_name="card",
                ),
                _form(),
                class_name="stack",
            ),
        ),
        class_name="page",
    )
