"""The app's modal dialog: Radix's unstyled Dialog primitive (focus kept inside while open, Escape and a tap
outside close it, the title names it for screen readers, the page behind is inert), styled by
assets/fincrm.css (.modal-overlay, .qa-dialog). Its open state belongs to the page's state."""
from __future__ import annotations

from typing import Any

import reflex as rx

from components.icons import icon
from reflex_components_radix.primitives.dialog import dialog


def modal(title: Any, *children: rx.Component, open: Any, on_open_change: Any, id: str) -> rx.Component:
    return dialog.root(
        dialog.portal(
            dialog.overlay(class_name="modal-overlay"),
            dialog.content(
                dialog.title(title, class_name="modal-title"),
                *children,
                class_name="qa-dialog", id=id,
            ),
        ),
        open=open, on_open_change=on_open_change,
    )


def modal_close(button: rx.Component) -> rx.Component:
    """A button that closes the modal (the button itself, not a button inside another)."""
    return dialog.close(button, as_child=True)


def modal_form(title: Any, *fields: rx.Component, id_prefix: str, error: Any, on_submit: Any, open: Any,
               on_open_change: Any, cancel: Any, save: Any, button_class: str = "") -> rx.Component:
    """A modal holding one form: its fields, the server's refusal in words (`error`), Cancel and Save. Ids:
    <id_prefix>-dialog, -form, -error, -cancel, -submit. What was typed stays after a refusal."""
    extra = f" {button_class}" if button_class else ""
    return modal(
        title,
        rx.form(
            *fields,
            rx.cond(error != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(error),
                                           id=f"{id_prefix}-error", role="alert", class_name="alert")),
            rx.el.div(
                modal_close(rx.el.button(cancel, type="button", class_name="btn" + extra, id=f"{id_prefix}-cancel")),
                rx.el.button(save, type="submit", class_name="btn-primary" + extra, id=f"{id_prefix}-submit"),
                class_name="form-actions",
            ),
            on_submit=on_submit, reset_on_submit=False, class_name="qa-form", id=f"{id_prefix}-form",
        ),
        id=f"{id_prefix}-dialog", open=open, on_open_change=on_open_change,
    )
