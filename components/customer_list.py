"""The customer list's pieces: the saved-views bar, sortable column heads, rows with a selection box, the selection
bar with its bulk actions. One DOM for both sizes: a table-like grid on desktop, cards on phones (assets/fincrm.css,
"customer list"). Bulk actions show only to actors holding their permission; the services check it again."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from state.customer_list import SORT_CHOICES, CustomersState as S
from state.permissions import P, holds

# (sort key or None, label key, cell class) in display order, after the name.
COLUMNS = (("segment", "col.segment", "cell-segment"), ("aum", "cl.col.aum", "cell-aum"),
           ("risk", "cl.col.risk", "cell-risk"), ("kyc", "cl.col.kyc", "cell-kyc"),
           ("last_contact", "cl.col.last_contact", "cell-contact"), ("next_task", "cl.col.next_task", "cell-task"),
           (None, "col.owner", "cell-owner"))


def _sort_head(key: str | None, label_key: str, cls: str) -> rx.Component:
    if key is None:
        return rx.el.span(t(label_key), class_name=f"cell {cls}")
    active = S.sort == key
    return rx.el.button(
        t(label_key),
        rx.el.span(rx.cond(active, rx.cond(S.direction == "desc", "↓", "↑"), "↕"),
                   class_name=rx.cond(active, "sort-arrow active", "sort-arrow"), aria_hidden="true"),
        type="button",
        on_click=S.sort_by(key),
        id=f"sort-{key}",
        class_name=f"cell {cls} sort-head",
        aria_pressed=rx.cond(active, "true", "false"),
        title=t(label_key),
    )


def list_head() -> rx.Component:
    """The column heads: a box that ticks the page, then sortable headings (desktop only)."""
    return rx.el.div(
        rx.el.label(
            rx.el.input(type="checkbox", checked=S.page_selected, on_change=S.toggle_page, id="select-page",
                        aria_label=t("cl.select_page")),
            class_name="cl-check",
        ),
        rx.el.span(t("cl.select_page"), class_name="cl-head-label"),
        rx.el.div(
            rx.el.span(t("col.name"), class_name="cell cell-name"),
            *[_sort_head(key, label_key, cls) for key, label_key, cls in COLUMNS],
            class_name="customer-head",
        ),
        class_name="cl-item cl-head",
    )


def list_row(row: rx.Var) -> rx.Component:
    """One customer: the selection box, and the row itself (a link to the customer's 360 page)."""
    return rx.el.div(
        rx.el.label(
            rx.el.input(type="checkbox", checked=row["selected"] == "1", on_change=S.toggle_row(row["id"]),
                        id="select-customer-" + row["id"], aria_label=t("cl.col.select")),
            class_name="cl-check",
        ),
        link(
            rx.el.span(
                rx.el.span(row["name"], class_name="c-name"),
                rx.el.span(row["customer_no"], rx.cond(row["phone"] != "", " · " + row["phone"], ""), class_name="c-no"),
                class_name="cell cell-name",
            ),
            rx.el.span(rx.el.span(row["segment"], class_name="badge"), class_name="cell cell-segment"),
            rx.el.span(row["aum"], class_name="cell cell-aum amount"),
            rx.el.span(
                rx.el.span(row["risk"], class_name=row["risk_class"]),
                rx.cond(row["risk_valid"] != "", rx.el.span(row["risk_valid"], class_name="c-sub " + row["risk_class"])),
                class_name="cell cell-risk",
            ),
            rx.el.span(row["kyc"], class_name="cell cell-kyc " + row["kyc_class"]),
            rx.el.span(rx.el.span(t("cl.col.last_contact"), class_name="c-label"), row["last_contact"],
                       class_name="cell cell-contact"),
            rx.el.span(rx.el.span(t("cl.col.next_task"), class_name="c-label"), row["next_task"],
                       class_name="cell cell-task"),
            rx.el.span(row["owner"], class_name="cell cell-owner"),
            href="/customers/" + row["id"],
            id="customer-row-" + row["id"],
            class_name="customer-row",
            data_customer_id=row["id"],
        ),
        class_name=rx.cond(row["selected"] == "1", "cl-item selected", "cl-item"),
        id="customer-item-" + row["id"],
    )


def _option(opt: rx.Var) -> rx.Component:
    return rx.el.option(opt["label"], value=opt["value"])


def sort_select() -> rx.Component:
    """The sort as a select (the only way to sort on a phone, where the column heads are hidden)."""
    return rx.el.label(
        rx.el.span(t("cl.sort"), class_name="field-label"),
        rx.el.select(
            rx.el.option(t("cl.sort.none"), value=""),
            *[rx.el.option(t(f"cl.sort.{c}"), value=c) for c in SORT_CHOICES],
            value=S.sort_choice,
            on_change=S.choose_sort,
            id="sort-select",
            class_name="cl-select",
        ),
        class_name="cl-control",
    )


def views_bar() -> rx.Component:
    """The saved views: choose one, save the list as a view, delete the one shown (if it is the actor's)."""
    return rx.el.div(
        rx.el.label(
            rx.el.span(t("cl.views"), class_name="field-label"),
            rx.el.select(
                rx.el.option(t("cl.view.all"), value=""),
                rx.foreach(S.views, lambda v: rx.el.option(v["label"], value=v["id"])),
                value=S.current_view,
                on_change=S.choose_view,
                id="view-select",
                class_name="cl-select",
            ),
            class_name="cl-control",
        ),
        sort_select(),
        rx.el.div(
            rx.el.button(icon("bookmark-plus", size=16), t("cl.view.save"), type="button",
                         on_click=S.toggle_view_form, id="view-save-open", class_name="btn"),
            rx.cond(S.current_view_mine,
                    rx.el.button(icon("trash-2", size=16), t("cl.view.delete"), type="button",
                                 on_click=S.delete_view, id="view-delete", class_name="btn")),
            class_name="cl-actions",
        ),
        class_name="cl-toolbar",
    )


def view_form() -> rx.Component:
    return rx.el.form(
        rx.el.label(
            rx.el.span(t("cl.view.name"), class_name="field-label"),
            rx.el.input(name="name", id="view-name", max_length=60, required=True, auto_complete="off",
                        class_name="field-input"),
            class_name="field cl-grow",
        ),
        rx.cond(S.can_share,
                rx.el.label(rx.el.input(type="checkbox", name="shared", id="view-shared"), t("cl.view.share"),
                            class_name="check-chip")),
        rx.el.div(
            rx.el.button(t("cl.view.cancel"), type="button", on_click=S.toggle_view_form, class_name="btn"),
            rx.el.button(t("cl.view.save"), type="submit", id="view-save", class_name="btn-primary"),
            class_name="cl-actions",
        ),
        rx.cond(S.view_error != "", rx.el.div(S.view_error, id="view-error", role="alert", class_name="alert")),
        on_submit=S.save_view,
        reset_on_submit=True,
        id="view-form",
        class_name="card cl-view-form",
    )


def _bulk_form() -> rx.Component:
    return rx.el.form(
        rx.el.select(
            rx.el.option(rx.cond(S.bulk_open == "reassign", t("cl.bulk.choose_rm"), t("cl.bulk.choose_tag")),
                         value=""),
            rx.foreach(S.bulk_options, _option),
            name="choice",
            id="bulk-choice",
            required=True,
            class_name="cl-select",
        ),
        rx.el.button(t("cl.bulk.apply"), type="submit", id="bulk-apply", class_name="btn-primary",
                     disabled=S.bulk_running | S.too_many),
        rx.el.button(t("cl.bulk.cancel"), type="button", on_click=S.close_bulk, class_name="btn", id="bulk-cancel"),
        on_submit=S.run_bulk,
        reset_on_submit=False,
        id="bulk-form",
        class_name="cl-bulk-form",
    )


def selection_bar() -> rx.Component:
    """What is selected, "select all matching", and the bulk actions the actor may take."""
    blocked = S.bulk_running | S.too_many
    return rx.el.div(
        rx.el.div(
            rx.el.span(S.selection_text, id="selection-info", class_name=rx.cond(S.too_many, "danger", "")),
            rx.cond(~S.all_matching,
                    rx.el.button(t("cl.select_all_matching"), type="button", on_click=S.select_all_matching,
                                 id="select-all-matching", class_name="btn small")),
            rx.el.button(t("cl.clear_selection"), type="button", on_click=S.clear_selection, id="clear-selection",
                         class_name="btn small"),
            class_name="cl-selection-info",
        ),
        rx.el.div(
            rx.cond(holds(P.CUSTOMER_REASSIGN),
                    rx.el.button(icon("user-round-cog", size=16), t("cl.bulk.reassign"), type="button",
                                 on_click=S.open_bulk("reassign"), id="bulk-reassign", class_name="btn",
                                 disabled=blocked)),
            rx.cond(holds(P.CUSTOMER_EDIT),
                    rx.el.button(icon("tag", size=16), t("cl.bulk.tag"), type="button", on_click=S.open_bulk("tag"),
                                 id="bulk-tag", class_name="btn", disabled=blocked)),
            rx.cond(holds(P.CUSTOMER_EXPORT),
                    rx.el.button(icon("download", size=16), t("cl.bulk.export"), " CSV", type="button",
                                 on_click=S.export_selected("csv"), id="bulk-export-csv", class_name="btn",
                                 disabled=blocked)),
            class_name="cl-actions",
        ),
        rx.cond((S.bulk_open != "") & (S.bulk_options.length() > 0), _bulk_form()),
        rx.cond(S.bulk_error != "", rx.el.div(S.bulk_error, id="bulk-error", role="alert", class_name="alert")),
        rx.cond(S.bulk_running,
                rx.el.div(rx.el.span(class_name="spinner", aria_hidden="true"), t("cl.bulk.running"), id="bulk-running", role="status",
                          class_name="cl-note")),
        id="selection-bar",
        class_name="card cl-selection",
    )
