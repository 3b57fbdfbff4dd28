"""The customer search in every page's header (`/` or Ctrl+K focuses it: assets/hotkeys.js). Its panel lists the
customers found, or the recently viewed ones before anything is typed; it shows while the box or the panel has
the focus (CSS :focus-within), so a click on a result lands before it closes."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from state.header_search import HeaderSearchState as S


def _item(row: rx.Var, detail: rx.Var, prefix: str) -> rx.Component:
    return link(
        rx.el.span(row["name"], class_name="hs-name"),
        rx.el.span(row["customer_no"], rx.cond(detail != "", " · " + detail, ""), class_name="hs-detail"),
        href="/customers/" + row["id"],
        id=prefix + row["id"],
        class_name="hs-item",
    )


def _results() -> rx.Component:
    return rx.el.div(
        rx.el.div(t("hs.results"), class_name="hs-title"),
        rx.foreach(S.results, lambda r: _item(r, r["detail"], "hs-result-")),
        rx.cond(S.searched & (S.results.length() == 0), rx.el.div(t("hs.none"), class_name="hs-empty")),
        rx.cond(S.error != "", rx.el.div(S.error, class_name="hs-empty danger", role="alert")),
        link(icon("list", size=14), t("hs.all"), href=S.all_results_href, id="hs-all", class_name="hs-all"),
        id="hs-results",
    )


def _recent() -> rx.Component:
    return rx.el.div(
        rx.el.div(t("hs.recent"), class_name="hs-title"),
        rx.foreach(S.recent, lambda r: _item(r, r["when"], "hs-recent-")),
        rx.cond(S.recent.length() == 0, rx.el.div(t("hs.no_recent"), class_name="hs-empty")),
        rx.el.div(t("hs.hint"), class_name="hs-hint"),
        id="hs-recent",
    )


def header_search() -> rx.Component:
    return rx.el.div(
        rx.el.form(
            icon("search", size=16, class_name="hs-icon"),
            rx.debounce_input(
                rx.el.input(id="global-search", name="hq", type="search", value=S.query, on_change=S.search,
                            on_focus=S.opened, placeholder=t("hs.placeholder"), aria_label=t("hs.label"),
                            auto_complete="off", max_length=100, class_name="hs-input"),
                debounce_timeout=300,
            ),
            on_submit=S.submit,
            reset_on_submit=False,
            role="search",
            class_name="hs-form",
        ),
        rx.el.div(rx.cond(S.query != "", _results(), _recent()), class_name="hs-panel", id="global-search-panel",
                  tab_index=-1),
        class_name="hs-box",
        id="global-search-box",
    )
