"""/admin/webhooks: webhook endpoints (admins create and disable them) and the delivery log with a status filter."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from fincrm_app.pages.registry import Menu, page
from services.integration.outbox import EVENT_TYPES
from services.security.policy import Permission as P
from state.webhooks import WebhooksState


def _endpoint(row: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.span(row["name"], class_name="item-title"),
            rx.el.span(row["url"], class_name="mono small wrap-anywhere"),
            rx.el.span(row["events"], class_name="muted small"),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.span(row["state"], class_name="badge"),
            rx.cond(
                WebhooksState.can_manage,
                rx.el.button(rx.cond(row["active"] == "1", t("webhooks.disable"), t("webhooks.enable")),
                             type="button", class_name="btn", id="endpoint-toggle-" + row["id"],
                             on_click=WebhooksState.toggle_endpoint(row["id"], row["active"] != "1")),
            ),
            class_name="form-actions",
        ),
        class_name="item", id="endpoint-" + row["id"],
    )


def _labelled(key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(key), class_name="field-label"), control, class_name="field")


def _new_endpoint() -> rx.Component:
    return rx.form(
        rx.el.h3(t("webhooks.new_endpoint"), class_name="section-title"),
        rx.el.div(
            _labelled("webhooks.name", rx.el.input(name="name", max_length=100, id="endpoint-name",
                                                   class_name="field-input", auto_complete="off")),
            _labelled("webhooks.url", rx.el.input(name="url", placeholder="https://…", max_length=500,
                                                  id="endpoint-url", type="url", class_name="field-input",
                                                  auto_complete="off")),
            class_name="form-grid",
        ),
        rx.el.fieldset(
            rx.el.legend(t("webhooks.events"), class_name="field-label"),
            *[rx.el.label(rx.el.input(type="checkbox", name=f"event_{e}", default_checked=True), e,
                          class_name="check-chip") for e in EVENT_TYPES],
            class_name="check-chips",
        ),
        rx.el.div(rx.el.button(t("webhooks.create"), type="submit", id="endpoint-create", class_name="btn-primary"),
                  class_name="form-actions"),
        on_submit=WebhooksState.create_endpoint,
        reset_on_submit=True,
        class_name="card form-stack",
    )


def _delivery(row: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.span(rx.el.span(row["event"], class_name="c-name"), rx.el.span(row["created"], class_name="c-no"),
                   class_name="cell cell-name"),
        rx.el.span(row["endpoint"], class_name="cell"),
        rx.el.span(row["status_label"], class_name="cell badge", data_status=row["status"]),
        rx.el.span(row["attempts"], class_name="cell"),
        rx.el.span(row["last"], class_name="cell mono"),
        rx.el.span(row["next"], class_name="cell"),
        class_name="customer-row", id="delivery-" + row["id"],
    )


def _filter() -> rx.Component:
    def option(value: str, key: str) -> rx.Component:
        return rx.el.button(t(key), type="button", id=f"filter-{value or 'all'}",
                            class_name=rx.cond(WebhooksState.status_filter == value, "lang-btn active", "lang-btn"),
                            on_click=WebhooksState.set_filter(value))

    return rx.el.div(
        option("", "webhooks.all"), option("pending", "webhooks.status.pending"),
        option("delivered", "webhooks.status.delivered"), option("failed", "webhooks.status.failed"),
        class_name="lang-switch", role="group", aria_label="Status",
    )


@page(route="/admin/webhooks", title="nav.admin_webhooks", permission=P.WEBHOOK_VIEW,
      menu=Menu("webhook", "nav.admin_webhooks", order=82), on_load=WebhooksState.load,
      locale_handler=WebhooksState.change_locale)
def admin_webhooks_page() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("webhooks.title"), class_name="page-title"),
        rx.cond(WebhooksState.error != "",
                rx.el.div(WebhooksState.error, id="webhooks-error", role="alert", class_name="alert")),
        rx.el.h2(t("webhooks.endpoints"), class_name="section-title"),
        rx.el.div(rx.foreach(WebhooksState.endpoints, _endpoint), class_name="card item-card", id="endpoint-list"),
        rx.cond(WebhooksState.loaded & (WebhooksState.endpoints.length() == 0),
                rx.el.div(t("webhooks.no_endpoints"), class_name="empty")),
        rx.cond(WebhooksState.new_secret != "",
                rx.el.div(t("webhooks.secret_once"), rx.el.code(WebhooksState.new_secret, id="endpoint-secret"),
                          class_name="alert", role="status")),
        rx.cond(WebhooksState.can_manage, _new_endpoint()),
        rx.el.h2(t("webhooks.title"), class_name="section-title"),
        _filter(),
        rx.el.div(
            rx.el.div(
                rx.el.span(t("webhooks.col.event"), class_name="cell cell-name"),
                rx.el.span(t("webhooks.col.endpoint"), class_name="cell"),
                rx.el.span(t("webhooks.col.status"), class_name="cell"),
                rx.el.span(t("webhooks.col.attempts"), class_name="cell"),
                rx.el.span(t("webhooks.col.last"), class_name="cell"),
                rx.el.span(t("webhooks.col.next"), class_name="cell"),
                class_name="customer-head", aria_hidden="true"),
            rx.foreach(WebhooksState.rows, _delivery),
            class_name="customer-list", id="delivery-list",
        ),
        rx.cond(WebhooksState.loaded & (WebhooksState.rows.length() == 0),
                rx.el.div(t("webhooks.empty"), class_name="empty", id="deliveries-empty")),
        rx.el.div(
            rx.el.button(icon("chevron-left", size=16), t("customers.prev"), id="deliveries-prev",
                         type="button", disabled=~WebhooksState.has_prev, on_click=WebhooksState.prev_page,
                         class_name="btn"),
            rx.el.span(WebhooksState.page_info, class_name="page-info", id="deliveries-info"),
            rx.el.button(t("customers.next"), icon("chevron-right", size=16), id="deliveries-next",
                         type="button", disabled=~WebhooksState.has_next, on_click=WebhooksState.next_page,
                         class_name="btn"),
            class_name="pager",
        ),
        class_name="page",
    )
