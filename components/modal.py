"""The app's modal dialog: Radix's unstyled Dialog primitive (focus kept inside while open, Escape and a tap
outside close it, the title names it for screen readers, the page behind is inert), styled by
assets/fincrm.css (.modal-overlay, .qa-dialog). Its open state belongs to the page's state."""
from __future__ import annotations

from typing import Any

import reflex as rx
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
