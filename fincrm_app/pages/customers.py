"""/customers: the list people work from — search, filters, sortable columns, saved views, a selection with bulk
actions, and pages (cards on phones, a table on desktop, one DOM). Its URL holds what it shows."""
from __future__ import annotations

import reflex as rx

from components.customer_list import list_head, list_row, selection_bar, view_form, views_bar
from components.filters import filter_bar, filter_panel
from components.i18n import t
from components.icons import icon
from components.links import link
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.customer_list import CustomersState
from state.permissions import holds


def _search() -> rx.Component:
    return rx.form(
        rx.el.div(
            icon("search", size=16, class_name="search-icon"),
            rx.debounce_input(
                rx.el.input(
                    id="customer-search",
                    name="q",
                    type="search",
                    value=CustomersState.query,
                    on_change=CustomersState.search_as_typed,
                    placeholder=t("customers.search_placeholder"),
                    max_length=100,
                    auto_complete="off",
                    class_name="search-input",
                ),
                debounce_timeout=400,
            ),
            class_name="search-box",
        ),
        rx.el.button(t("customers.search"), type="submit", id="customer-search-submit", class_name="btn-primary"),
        on_submit=CustomersState.search,
        reset_on_submit=False,
        class_name="search-form",
    )


def _pager() -> rx.Component:
    return rx.el.div(
        rx.el.button(icon("chevron-left", size=16), t("customers.prev"), id="page-prev", type="button",
                     disabled=~CustomersState.has_prev, on_click=CustomersState.prev_page, class_name="btn"),
        rx.el.span(CustomersState.page_info, id="page-info", class_name="page-info"),
        rx.el.button(t("customers.next"), icon("chevron-right", size=16), id="page-next", type="button",
                     disabled=~CustomersState.has_next, on_click=CustomersState.next_page, class_name="btn"),
        class_name="pager",
    )


def _filters() -> rx.Component:
    return rx.el.div(
        filter_bar(is_open=CustomersState.filters_open, count=CustomersState.filter_chips.length(),
                   chips=CustomersState.filter_chips, export_params=CustomersState.export_params,
                   on_toggle=CustomersState.toggle_filters, on_remove_chip=CustomersState.remove_filter),
        rx.cond(
            CustomersState.filters_open,
            filter_panel(rows=CustomersState.filter_rows, core_fields=CustomersState.filter_core_fields,
                         custom_fields=CustomersState.filter_custom_fields, error=CustomersState.filter_error,
                         on_submit=CustomersState.apply_filters, on_add=CustomersState.add_filter_row,
                         on_clear=CustomersState.clear_filters, on_field=CustomersState.set_filter_field,
                         on_op=CustomersState.set_filter_op, on_remove=CustomersState.remove_filter_row),
        ),
        style={"display": "flex", "flex_direction": "column", "gap": "8px"},
        id="customer-filters",
    )


@page(route="/customers", title="customers.title", permission=P.CUSTOMER_READ,
      menu=Menu("users", "nav.customers", order=10), on_load=CustomersState.load,
      locale_handler=CustomersState.change_locale)
def customers_page() -> rx.Component:
    S = CustomersState
    return rx.el.div(
        rx.el.div(
            rx.el.h1(t("customers.title"), class_name="page-title"),
            rx.cond(holds(P.CUSTOMER_CREATE),
                    link(icon("user-plus", size=16), t("cl.new_customer"), href="/customers/new",
                            id="new-customer", class_name="btn-primary")),
            class_name="cl-title",
        ),
        _search(),
        views_bar(),
        rx.cond(S.view_form_open, view_form()),
        rx.cond(S.view_error != "", rx.cond(~S.view_form_open,
                                            rx.el.div(S.view_error, role="alert", class_name="alert"))),
        _filters(),
        rx.cond(S.list_error != "", rx.el.div(S.list_error, id="list-error", role="alert", class_name="alert")),
        rx.cond((S.selected_count > 0) | S.all_matching | S.bulk_running, selection_bar()),
        rx.cond((S.bulk_message != "") & ~S.bulk_running,
                rx.el.div(icon("circle-check", size=16), S.bulk_message, id="bulk-result", role="status",
                          class_name="cl-note ok")),
        rx.el.div(
            list_head(),
            rx.foreach(S.rows, list_row),
            class_name="customer-list",
            id="customer-list",
            aria_busy=rx.cond(S.loaded, "false", "true"),  # until the first answer of this page arrives
        ),
        rx.cond(
            S.loaded & (S.rows.length() == 0),
            rx.el.div(t("customers.empty"), class_name="empty", id="customers-empty"),
        ),
        rx.cond(S.loaded, _pager()),  # under the rows: drawn before them, the rows would push it down (layout shift)
        class_name="page",
    )
