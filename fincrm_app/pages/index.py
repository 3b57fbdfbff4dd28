"""/: on to the signed-in person's home page (state/home.py: a manager's dashboard, an RM's book, the customer
list for everyone else)."""
from __future__ import annotations

import reflex as rx

from fincrm_app.pages.registry import page
from state.home import HomeState


@page(route="/", title="app.name", framed=False, on_load=HomeState.go)
def index_page() -> rx.Component:
    return rx.el.div(class_name="redirecting")
