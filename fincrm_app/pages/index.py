"""/: straight on to the customers."""
from __future__ import annotations

import reflex as rx

from fincrm_app.pages.registry import page


@page(route="/", title="app.name", framed=False, on_load=rx.redirect("/customers", replace=True))
def index_page() -> rx.Component:
    return rx.el.div(class_name="redirecting")
