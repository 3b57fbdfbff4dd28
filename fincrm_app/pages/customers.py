"""/customers: search and a paginated list (cards on phones, a table on desktop, one DOM)."""
from __future__ import annotations

import reflex as rx

from components.filters import filter_bar, filter_panel
from components.i18n import t
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.customer_list import CustomersState


def _row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.el.span(
            rx.el.span(row["name"], class_name="c-name"),
            rx.el.span(row["customer_no"], class_name="c-no"),
            class_name="cell cell-name",
        ),
        rx.el.span(rx.el.span(row["segment"], class_name="badge"), class_name="cell cell-segment"),
        rx.el.span(row["status"], class_name="cell cell-status"),
        rx.el.span(row["phone"], class_name="cell cell-phone mono"),
        rx.el.span(row["owner"], class_name="cell cell-owner"),
        rx.el.span(row["branch"], class_name="cell cell-branch"),
        href="/customers/" + row["id"],
        id="customer-row-" + row["id"],
        class_name="customer-row",
        data_customer_id=row["id"],
        underline="none",
    )


def _header() -> rx.Component:
    return rx.el.div(
        rx.el.span(t("col.name"), class_name="cell cell-name"),
        rx.el.span(t("col.segment"), class_name="cell cell-segment"),
        rx.el.span(t("col.status"), class_name="cell cell-status"),
        rx.el.span(t("col.phone"), class_name="cell cell-phone"),
        rx.el.span(t("col.owner"), class_name="cell cell-owner"),
        rx.el.span(t("col.branch"), class_name="cell cell-branch"),
        class_name="customer-head",
        aria_hidden="true",
    )


def _search() -> rx.Component:
    return rx.form(
        rx.el.div(
            rx.icon("search", size=16, class_name="search-icon"),
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
        rx.el.button(rx.icon("chevron-left", size=16), t("customers.prev"), id="page-prev", type="button",
                     disabled=~CustomersState.has_prev, on_click=CustomersState.prev_page, class_name="btn"),
        rx.el.span(CustomersState.page_info, id="page-info", class_name="page-info"),
        rx.el.button(t("customers.next"), rx.icon("chevron-right", size=16), id="page-next", type="button",
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
    return rx.el.div(
        rx.el.h1(t("customers.title"), class_name="page-title"),
        _search(),
        _filters(),
        rx.cond(CustomersState.list_error != "",
                rx.el.div(CustomersState.list_error, id="list-error", role="alert", class_name="alert")),
        rx.el.div(
            _header(),
            rx.foreach(CustomersState.rows, _row),
            class_name="customer-list",
            id="customer-list",
        ),
        rx.cond(
            CustomersState.loaded & (CustomersState.rows.length() == 0),
            rx.el.div(t("customers.empty"), class_name="empty", id="customers-empty"),
        ),
        _pager(),
        class_name="page",
    )
