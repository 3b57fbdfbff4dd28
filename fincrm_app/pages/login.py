"""/login: a plain HTML form posting to /auth/login, so the session cookie is set HttpOnly by our route."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.shell import brand, language_switch, plain_form
from fincrm_app.pages.registry import page
from state.login import LoginState


def _field(label_key: str, **props) -> rx.Component:
    return rx.el.label(
        rx.el.span(t(label_key), class_name="field-label"),
        rx.el.input(class_name="field-input", **props),
        class_name="field",
    )


def _stay_signed_in() -> rx.Component:
    """Unticked (the default), the session cookie ends with the browser session."""
    return rx.el.label(
        rx.el.input(type="checkbox", id="login-remember", name="remember", value="1",
                    style={"width": "20px", "height": "20px", "margin": "0", "accent_color": "var(--accent)"}),
        rx.el.span(t("login.stay_signed_in")),
        # A whole-row tap target of 44 px, as the other controls on a phone.
        style={"display": "flex", "align_items": "center", "gap": "10px", "min_height": "44px",
               "font_size": "15px", "cursor": "pointer", "user_select": "none"},
    )


@page(route="/login", title="login.title", framed=False, on_load=LoginState.load)
def login_page() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.div(brand(), rx.el.div(class_name="grow"), language_switch(), class_name="login-top"),
            rx.el.h1(t("login.title"), class_name="login-title"),
            rx.el.p(t("login.subtitle"), class_name="login-subtitle"),
            rx.cond(
                LoginState.error_message != "",
                rx.el.div(icon("circle-alert", size=16), rx.el.span(LoginState.error_message),
                          id="login-error", role="alert", class_name="alert"),
            ),
            plain_form(
                _field("login.username", id="login-username", name="username", type="text",
                       auto_complete="username", max_length=64, required=True, auto_capitalize="none",
                       spell_check=False),
                _field("login.password", id="login-password", name="password", type="password",
                       auto_complete="current-password", max_length=256, required=True),
                _stay_signed_in(),
                rx.el.input(type="hidden", name="next", value=LoginState.next_path, read_only=True),
                rx.el.button(t("login.submit"), type="submit", id="login-submit", class_name="btn-primary wide"),
                action="/auth/login",
                class_name="login-form",
            ),
            class_name="login-card",
        ),
        class_name="login-page",
    )
