"""The customer create / edit form: fields in sections, each editable, read-only (disabled) or absent as the actor's
field policy says; custom fields by type; and the panel that shows a change someone else made meanwhile."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from state.customer_form import CHOICES, CustomerFormState as S
from state.session import AppState

_LABEL_KEYS = {"gender": "gender.{}", "segment": "segment.{}", "source_channel": "channel.{}", "status": "status.{}"}


def _control_props(name: str) -> dict:
    return dict(name=name, id=f"cf-{name}", disabled=~S.editable.contains(name), class_name="field-input",
                title=rx.cond(S.editable.contains(name), "", t("cf.read_only")))


def _wrap(name: str, control: rx.Component, *, required: bool = False) -> rx.Component:
    return rx.cond(
        ~S.hidden.contains(name),
        rx.el.label(
            rx.el.span(t(f"cf.f.{name}"), *([rx.el.span(" *", class_name="danger")] if required else []),
                       class_name="field-label"),
            control,
            rx.cond(S.placeholders[name] & S.editable.contains(name),
                    rx.el.span(t("cf.keep_masked"), class_name="muted small")),
            rx.cond(S.field_errors[name], rx.el.span(S.field_errors[name], class_name="danger small",
                                                     id=f"cf-error-{name}", role="alert")),
            class_name="field",
            id=f"cf-field-{name}",
        ),
    )


def _text(name: str, *, kind: str = "text", required: bool = False, max_length: int = 200,
          input_mode: str | None = None) -> rx.Component:
    extra = {"input_mode": input_mode} if input_mode else {}
    return _wrap(name, rx.el.input(type=kind, default_value=S.values[name], placeholder=S.placeholders[name],
                                   max_length=max_length, auto_complete="off", **extra, **_control_props(name)),
                 required=required)


def _select(name: str, *, blank: bool = False) -> rx.Component:
    options = [rx.el.option(t(_LABEL_KEYS[name].format(v)), value=v) for v in CHOICES[name]]
    if blank:
        options.insert(0, rx.el.option(t("cf.none"), value=""))
    return _wrap(name, rx.el.select(*options, default_value=S.values[name], **_control_props(name)))


def _dynamic_select(name: str, options: rx.Var, *, required: bool = False) -> rx.Component:
    return _wrap(name, rx.el.select(
        rx.el.option(t("cf.choose"), value=""),
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"])),
        default_value=S.values[name], **_control_props(name)), required=required)


def _custom_input(c: rx.Var) -> rx.Component:
    name = "custom." + c.key
    common = dict(name=name, id="cf-custom-" + c.key, default_value=c.value, disabled=c.editable != "1",
                  class_name="field-input")
    control = rx.match(
        c.type,
        ("date", rx.el.input(type="date", **common)),
        ("number", rx.el.input(type="text", input_mode="decimal", max_length=24, auto_complete="off", **common)),
        ("money", rx.el.input(type="text", input_mode="decimal", max_length=24, auto_complete="off", **common)),
        ("choice", rx.el.select(rx.el.option(t("cf.none"), value=""),
                                rx.foreach(c.choices, lambda ch: rx.el.option(ch.label, value=ch.value)), **common)),
        ("multi_choice", rx.el.div(rx.foreach(c.choices, lambda ch: rx.el.label(
            rx.el.input(type="checkbox", name=name + "::" + ch.value, default_checked=ch.checked == "1",
                        disabled=c.editable != "1"), ch.label, class_name="check-chip")), class_name="check-chips")),
        rx.el.input(type="text", max_length=500, auto_complete="off", **common),
    )
    return rx.el.label(
        rx.el.span(c.label, rx.cond(c.required == "1", rx.el.span(" *", class_name="danger")), class_name="field-label"),
        control,
        rx.cond(S.field_errors[name], rx.el.span(S.field_errors[name], class_name="danger small", role="alert")),
        class_name="field",
    )


def _kind_switch() -> rx.Component:
    def button(kind: str, key: str) -> rx.Component:
        return rx.el.button(t(key), type="button", id=f"cf-kind-{kind}", on_click=S.set_kind(kind),
                            class_name=rx.cond(S.kind == kind, "lang-btn active", "lang-btn"),
                            aria_pressed=rx.cond(S.kind == kind, "true", "false"))

    return rx.el.div(
        rx.el.span(t("cf.kind"), class_name="field-label"),
        rx.el.div(button("individual", "kind.individual"), button("institution", "kind.institution"),
                  class_name="lang-switch cf-kind", role="group"),
        class_name="field",
    )


def _section(title_key: str, *children: rx.Component) -> rx.Component:
    return rx.el.fieldset(rx.el.legend(t(title_key), class_name="section-title"), rx.el.div(*children,
                                                                                             class_name="form-grid"),
                          class_name="card cf-section")


def conflict_panel() -> rx.Component:
    """What someone else changed while this person edited, beside his own changes, and his two ways on."""
    def row(c: rx.Var) -> rx.Component:
        return rx.el.tr(
            rx.el.td(c["field"], rx.cond(c["both"] == "1", rx.el.span(t("cf.conflict_both"), class_name="badge danger"))),
            rx.el.td(c["was"], class_name="muted"),
            rx.el.td(c["theirs"], class_name="cf-theirs"),
            rx.el.td(c["mine"]),
        )

    return rx.el.div(
        rx.el.div(icon("triangle-alert", size=18), rx.el.strong(t("cf.conflict_title")), class_name="cf-conflict-head"),
        rx.el.p(t("cf.conflict_hint"), class_name="muted"),
        rx.el.div(rx.el.table(
            rx.el.thead(rx.el.tr(rx.el.th(t("cf.conflict_field")), rx.el.th(t("cf.conflict_was")),
                                 rx.el.th(t("cf.conflict_theirs")), rx.el.th(t("cf.conflict_mine")))),
            rx.el.tbody(rx.foreach(S.conflict, row)),
            class_name="cf-conflict-table", id="conflict-table",
        ), class_name="cf-table-wrap"),
        rx.el.div(
            rx.el.button(t("cf.conflict_discard"), type="button", on_click=S.discard, class_name="btn",
                         id="conflict-discard"),
            rx.el.button(t("cf.conflict_apply"), type="button", on_click=S.save_over, class_name="btn-primary",
                         id="conflict-apply"),
            class_name="form-actions",
        ),
        id="conflict",
        role="alert",
        class_name="card cf-conflict",
    )


def customer_form() -> rx.Component:
    individual = S.kind == "individual"
    back = rx.cond(S.mode == "edit", "/customers/" + S.customer_id, "/customers")
    return rx.el.form(
        _section(
            "cf.section.identity",
            rx.cond(S.mode == "new", _kind_switch()),
            _text("name", required=True),
            rx.cond(individual, _select("gender", blank=True)),
            rx.cond(individual, _text("birth_date", kind="date")),
            _dynamic_select("id_type", S.id_types, required=True),
            _text("id_number", required=True, max_length=40),
        ),
        _section(
            "cf.section.contact",
            _text("phone", kind="tel", max_length=30, input_mode="tel"),
            _text("email", kind="email", max_length=254),
            _text("address", max_length=300),
            _text("occupation", max_length=100),
        ),
        _section(
            "cf.section.relationship",
            _select("segment"),
            _select("source_channel"),
            _select("status"),
            rx.cond(S.owner_options.length() > 0, _dynamic_select("owner_id", S.owner_options, required=True)),
        ),
        rx.cond(S.custom.length() > 0, rx.el.fieldset(
            rx.el.legend(t("cf.section.custom"), class_name="section-title"),
            rx.el.div(rx.foreach(S.custom, _custom_input), class_name="form-grid"),
            class_name="card cf-section", id="cf-custom",
        )),
        rx.cond(S.form_error != "", rx.el.div(S.form_error, id="cf-error", role="alert", class_name="alert")),
        rx.el.div(
            link(t("cf.cancel"), href=back, class_name="btn", id="cf-cancel"),
            rx.el.button(rx.cond(S.mode == "new", t("cf.save_new"), t("cf.save_edit")), type="submit",
                         id="cf-save", class_name="btn-primary"),
            class_name="form-actions cf-actions",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        key=S.form_key,
        id="customer-form",
        class_name="cf-form",
    )


def edit_link() -> rx.Component:
    """The 360 page's way to the customer's edit form (shown to those who may edit customers)."""
    return link(icon("pencil", size=16), t("cf.edit"), href=AppState.router.url.path + "/edit",
                   id="edit-customer", class_name="btn")
