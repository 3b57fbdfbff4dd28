"""The app's own 404: inside the frame (menu, language switch), in the user's language, with a way back.

Reflex serves any unknown path with the page registered at its "404" route (and runs its on_load), instead
of its bare English "404: Page not found". The app is for signed-in staff: a signed-out visitor goes to the
login page first, then comes back here."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from fincrm_app.pages.registry import page
from state.session import AppState


@page(route="404", title="notfound.title", on_load=AppState.require_login)
def not_found_page() -> rx.Component:
    return rx.el.div(
        rx.el.section(
            rx.el.div(icon("map-pin-off", size=36), class_name="nf-icon"),
            rx.el.h1(t("notfound.title"), class_name="page-title", id="not-found-title"),
            rx.el.p(t("notfound.body"), class_name="muted"),
            rx.el.div(
                link(icon("users", size=16), t("notfound.home"), href="/customers", id="not-found-home",
                        class_name="btn-primary"),
                class_name="form-actions nf-actions",
            ),
            class_name="card not-found",
            id="not-found",
        ),
        class_name="page",
    )
