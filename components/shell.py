"""The page frame: a sidebar on desktop, a bottom tab bar on phones, a top bar with the
language switch and sign-out on both. Layout switches by CSS media queries (assets/fincrm.css).

The menu is not kept here: pages declare their entries where they are registered (fincrm_app/pages/registry.py)
and the frame shows those the signed-in actor's permissions allow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import reflex as rx

from components.header_search import header_search
from components.i18n import t
from components.icons import icon
from components.links import link
from state.agenda import ReminderBadgeState
from state.permissions import holds
from state.session import AppState


@dataclass(frozen=True)
class MenuItem:
    """One menu entry. `permissions`: codes of which the actor must hold one (empty: every signed-in user).
    Showing a link is convenience only: the page's services refuse whoever lacks the permission."""

    href: str
    icon: str
    label: str  # label key
    id: str
    permissions: tuple[str, ...] = ()


def plain_form(*children: rx.Component, action: str, **props: Any) -> rx.Component:
    """A native HTML form posting to our own route (no Reflex submit handler)."""
    return rx.el.form(*children, action=action, method="post", on_submit=None, **props)


def brand() -> rx.Component:
    return rx.el.div(
        rx.el.div(icon("landmark", size=18), class_name="brand-mark"),
        rx.el.span("FinCRM", class_name="brand-name"),
        class_name="brand",
    )


def language_switch(handler: Any = None, id_prefix: str = "lang") -> rx.Component:
    """Two buttons, 中文 / English; `handler(locale)` is the page's locale event."""
    handler = handler or AppState.set_locale

    def _button(code: str, text: str) -> rx.Component:
        return rx.el.button(
            text,
            type="button",
            id=f"{id_prefix}-{code}",
            class_name=rx.cond(AppState.lang == code, "lang-btn active", "lang-btn"),
            aria_pressed=rx.cond(AppState.lang == code, "true", "false"),
            on_click=handler(code),
        )

    return rx.el.div(
        _button("zh_CN", "中文"),
        _button("en", "EN"),
        class_name="lang-switch",
        role="group",
        aria_label="Language",
    )


def logout_button() -> rx.Component:
    return plain_form(
        rx.el.button(
            icon("log-out", size=16),
            rx.el.span(t("nav.logout"), class_name="logout-label"),
            type="submit",
            id="logout-button",
            aria_label=t("nav.logout"),  # its words are hidden on phones (axe: button-name)
            class_name="logout-btn",
        ),
        action="/auth/logout",
        class_name="logout-form",
    )


def _nav_link(item: MenuItem, suffix: str, cls: str) -> rx.Component:
    entry = _link(item.href, item.icon, item.label, f"{item.id}-{suffix}", cls)
    return rx.cond(holds(*item.permissions), entry) if item.permissions else entry


def _badge(href: str, id_: str) -> rx.Component:
    """The count of open reminders on the agenda's entry (none elsewhere, none at zero)."""
    if href != "/agenda":
        return rx.fragment()
    return rx.cond(ReminderBadgeState.badge != "",
                   rx.el.span(ReminderBadgeState.badge, class_name="nav-badge", id=f"{id_}-badge", aria_hidden="true"))


def _badge_words(href: str) -> rx.Component:
    """What a screen reader says after the entry's name: "Agenda, 12 open reminders"."""
    if href != "/agenda":
        return rx.fragment()
    return rx.cond(ReminderBadgeState.badge != "",
                   rx.el.span(", ", ReminderBadgeState.badge, " ", t("agenda.badge_words"), class_name="sr-only"))


def _link(href: str, glyph: str, key: str, id_: str, cls: str) -> rx.Component:
    return link(
        rx.el.span(icon(glyph, size=18), _badge(href, id_), class_name="nav-icon"),
        rx.el.span(t(key)),
        _badge_words(href),
        href=href,
        id=id_,
        class_name=rx.cond(AppState.router.url.path.startswith(href), f"{cls} active", cls),
    )


def sidebar(menu: Sequence[MenuItem] = ()) -> rx.Component:
    return rx.el.nav(
        brand(),
        rx.el.div(
            *[_nav_link(item, "side", "side-link") for item in menu],
            class_name="side-links",
        ),
        rx.el.div(class_name="grow"),
        rx.el.div(t("app.tagline"), class_name="side-foot"),
        class_name="sidebar",
        aria_label="Main",
    )


# The phone's tab bar holds what an RM or a manager opens all day; everything else the actor may use is one tap
# further, under "More" (a dozen tabs of 30 px each were neither readable nor touchable).
PHONE_TABS = ("/agenda", "/customers", "/dashboard", "/approvals")


def tabbar(menu: Sequence[MenuItem] = ()) -> rx.Component:
    primary = [item for item in menu if item.href in PHONE_TABS]
    rest = [item for item in menu if item.href not in PHONE_TABS]
    more = rx.el.details(
        rx.el.summary(icon("ellipsis", size=18), rx.el.span(t("nav.more")), class_name="tab-link tab-more",
                      id="nav-more"),
        rx.el.div(*[_nav_link(item, "tab", "more-link") for item in rest], class_name="more-sheet", id="nav-more-sheet"),
        class_name="tab-more-wrap",
    ) if rest else rx.fragment()
    return rx.el.nav(
        *[_nav_link(item, "tab", "tab-link") for item in primary],
        more,
        class_name="tabbar",
        aria_label="Main",
    )


def topbar(locale_handler: Any = None) -> rx.Component:
    return rx.el.header(
        rx.el.div(brand(), class_name="topbar-brand"),
        header_search(),  # customers by name, pinyin, phone or ID last 4, from every page
        rx.cond(
            AppState.user_name != "",
            rx.el.span(icon("circle-user", size=16), AppState.user_name, class_name="user-chip",
                       id="current-user"),
        ),
        language_switch(locale_handler),
        logout_button(),
        class_name="topbar",
    )


def shell(*children: rx.Component, locale_handler: Any = None, menu: Sequence[MenuItem] = ()) -> rx.Component:
    """Wrap page content in the app frame, with the menu entries the actor may use."""
    return rx.el.div(
        sidebar(menu),
        rx.el.div(
            topbar(locale_handler),
            rx.el.main(*children, class_name="content"),
            class_name="main-col",
        ),
        tabbar(menu),
        class_name="app-shell",
        on_mount=ReminderBadgeState.refresh,  # the agenda entry's count, on every page of the frame
    )
