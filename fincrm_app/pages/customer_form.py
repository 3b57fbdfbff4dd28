"""/customers/new and /customers/<id>/edit: create a customer (individual or institution) or change one, through
the one create and the one change use case; a change someone else made meanwhile is shown, never overwritten."""
from __future__ import annotations

import reflex as rx

from components.customer_form import conflict_panel, customer_form
from components.i18n import t
from components.icons import icon
from components.links import link
from fincrm_app.pages.registry import page
from services.security.policy import Permission as P
from state.customer_form import CustomerFormState as S


def _frame(title_key: str) -> rx.Component:
    return rx.el.div(
        link(icon("arrow-left", size=16), t("detail.back"), href="/customers", class_name="back-link"),
        rx.el.h1(t(title_key), rx.cond(S.mode == "edit", rx.el.span(" · " + S.values["name"], class_name="muted")),
                 class_name="page-title"),
        rx.cond(S.page_error != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(S.page_error),
                                              id="page-error", role="alert", class_name="alert")),
        rx.cond(S.conflict.length() > 0, conflict_panel()),
        rx.cond(S.found, customer_form()),
        class_name="page cf-page",
    )


@page(route="/customers/new", title="cf.title_new", permission=P.CUSTOMER_CREATE, on_load=S.load_new,
      locale_handler=S.change_locale)
def new_customer_page() -> rx.Component:
    return _frame("cf.title_new")


@page(route="/customers/[customer_id]/edit", title="cf.title_edit", permission=P.CUSTOMER_EDIT, on_load=S.load_edit,
      locale_handler=S.change_locale)
def edit_customer_page() -> rx.Component:
    return _frame("cf.title_edit")
