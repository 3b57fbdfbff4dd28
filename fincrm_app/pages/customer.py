"""/customers/[customer_id]: the customer 360 view."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.shell import shell
from state.customers import CustomerState


def _section(title_key: str, body: rx.Component, id_: str) -> rx.Component:
    return rx.el.section(rx.el.h2(t(title_key), class_name="section-title"), body, class_name="card", id=id_)


def _empty_or(items: rx.Var, body: rx.Component) -> rx.Component:
    return rx.cond(items.length() > 0, body, rx.el.p(t("detail.none"), class_name="muted"))


def _kv(label: rx.Var | str, value: rx.Component | rx.Var | str, **props) -> rx.Component:
    return rx.el.div(rx.el.dt(label), rx.el.dd(value, **props), class_name="kv")


def _header() -> rx.Component:
    h = CustomerState.header
    return rx.el.section(
        rx.el.div(
            rx.el.div(
                rx.el.h1(h["name"], class_name="customer-name", id="customer-name"),
                rx.el.div(
                    rx.el.span(h["customer_no"], class_name="mono", id="customer-no"),
                    rx.el.span(h["kind"], class_name="badge neutral"),
                    rx.el.span(h["segment"], class_name="badge", id="customer-segment"),
                    rx.el.span(h["status"], class_name="badge neutral", id="customer-status"),
                    class_name="chips",
                ),
            ),
            class_name="header-main",
        ),
        rx.el.div(
            rx.el.div(rx.el.div(t("detail.aum"), class_name="stat-label"),
                      rx.el.div(h["aum"], class_name="stat-value", id="customer-aum"), class_name="stat"),
            rx.el.div(rx.el.div(t("detail.liabilities"), class_name="stat-label"),
                      rx.el.div(h["liabilities"], class_name="stat-value", id="customer-liabilities"),
                      class_name="stat"),
            class_name="stats",
        ),
        class_name="card customer-header",
    )


def _masked(label_key: str, value: rx.Var, can_reveal: rx.Var, field: str, id_: str) -> rx.Component:
    return _kv(
        t(label_key),
        rx.el.span(
            rx.el.span(value, id=id_, class_name="mono"),
            rx.cond(can_reveal, rx.el.button(rx.icon("eye", size=14), t("detail.reveal"), type="button",
                                             id=f"reveal-{field}", class_name="btn small",
                                             on_click=CustomerState.reveal(field))),
            class_name="masked",
        ),
    )


def _profile() -> rx.Component:
    return _section("detail.profile", rx.el.dl(
        _masked("detail.id_number", CustomerState.id_number, CustomerState.can_reveal_id_number, "id_number",
                "profile-id-number"),
        _masked("detail.phone", CustomerState.phone, CustomerState.can_reveal_phone, "phone", "profile-phone"),
        rx.foreach(CustomerState.profile_items, lambda item: _kv(item["label"], item["value"])),
        class_name="kv-grid",
    ), "profile")


def _list_section(title_key: str, items: rx.Var, render, id_: str) -> rx.Component:
    return _section(title_key, _empty_or(items, rx.el.ul(rx.foreach(items, render), class_name="item-list")), id_)


def _account(a: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(a["kind"], class_name="item-title"), rx.el.span(a["account_no"], class_name="mono muted")),
        rx.el.div(rx.el.span(a["balance"], class_name=rx.cond(a["liability"] != "", "amount neg", "amount")),
                  rx.el.span(a["status"] + " · " + a["opened"], class_name="muted small")),
        class_name="item",
    )


def _holding(h: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(h["product"], class_name="item-title"),
                  rx.el.span(h["code"] + " · " + h["type"] + " · " + h["risk"], class_name="muted small")),
        rx.el.div(rx.el.span(h["market_value"], class_name="amount"),
                  rx.el.span(h["quantity"] + " · " + h["as_of"], class_name="muted small")),
        class_name="item",
    )


def _transaction(x: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(x["kind"], class_name="item-title"),
                  rx.el.span(x["description"], class_name="muted small")),
        rx.el.div(rx.el.span(x["amount"], class_name="amount"),
                  rx.el.span(x["when"] + " · " + x["channel"], class_name="muted small")),
        class_name="item",
    )


def _relationship(r: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.cond(r["href"] != "",
                          rx.link(r["name"], href=r["href"], class_name="item-title link"),
                          rx.el.span(r["name"], class_name="item-title")),
                  rx.el.span(r["kind"], class_name="muted small")),
        class_name="item",
    )


def _interaction(i: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(i["subject"], class_name="item-title"),
                  rx.el.span(i["notes"], class_name="muted small notes")),
        rx.el.div(rx.el.span(i["kind"], class_name="badge neutral"),
                  rx.el.span(i["when"] + " · " + i["user"], class_name="muted small")),
        class_name="item",
    )


def customer_page() -> rx.Component:
    return shell(
        rx.el.div(
            rx.link(rx.icon("arrow-left", size=16), t("detail.back"), href="/customers", class_name="back-link",
                    id="back-to-customers", underline="none"),
            rx.cond(
                CustomerState.page_error != "",
                rx.el.div(rx.icon("circle-alert", size=16), rx.el.span(CustomerState.page_error),
                          id="page-error", role="alert", class_name="alert"),
            ),
            rx.cond(
                CustomerState.found,
                rx.el.div(
                    _header(),
                    rx.cond(CustomerState.reveal_error != "",
                            rx.el.div(CustomerState.reveal_error, id="reveal-error", role="alert",
                                      class_name="alert")),
                    rx.el.div(
                        _profile(),
                        _list_section("detail.accounts", CustomerState.accounts, _account, "accounts"),
                        _list_section("detail.holdings", CustomerState.holdings, _holding, "holdings"),
                        _list_section("detail.transactions", CustomerState.transactions, _transaction,
                                      "transactions"),
                        _list_section("detail.relationships", CustomerState.relationships, _relationship,
                                      "relationships"),
                        _list_section("detail.interactions", CustomerState.interactions, _interaction,
                                      "interactions"),
                        class_name="detail-grid",
                    ),
                    class_name="detail",
                ),
            ),
            class_name="page",
        ),
        locale_handler=CustomerState.change_locale,
    )
