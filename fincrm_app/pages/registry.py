"""Pages register themselves: one decorator states a page's route, title, permission, menu entry and loader.

    @page(route="/imports", title="title.imports", permission=(P.IMPORT_RUN, P.IMPORT_OVERSEE),
          menu=Menu("file-up", "nav.imports", order=20), on_load=ImportsState.load,
          locale_handler=ImportsState.change_locale)
    def imports_page() -> rx.Component:
        return rx.el.div(...)  # the page's content; the decorator adds the frame with the menu

`install(app)` (fincrm_app/app.py) imports every module of this package and adds every page declared in them;
the menu (a sidebar on desktop, a bottom bar on phones: components/shell.py) lists the declared entries in
their order, each shown only to an actor holding its page's permission. A new page is one decorated function
in a module here: no list to edit elsewhere.

The permission decides what the menu shows, never what is allowed: every page's data comes from services
that check the actor's permission on every call, so a page opened by its address shows their refusal.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import reflex as rx

from components.shell import MenuItem, shell
from services.security.policy import Permission
from state.i18n import LABELS
from state.session import AppState

APP_NAME = "FinCRM"


@dataclass(frozen=True)
class Menu:
    """A page's menu entry: a lucide icon name, a label key (state/labels) and its place (lower first)."""

    icon: str
    label: str
    order: int


@dataclass(frozen=True)
class Page:
    route: str
    title: str  # label key: the browser tab reads "<title> · FinCRM" in the user's language
    content: Callable[[], rx.Component]
    permissions: tuple[Permission, ...]  # one of them admits; () for pages without sign-in (login)
    menu: Menu | None
    on_load: Any
    locale_handler: Any
    framed: bool  # in the app frame (menu, top bar); the login page is not


_PAGES: dict[str, Page] = {}


def page(*, route: str, title: str, permission: Permission | tuple[Permission, ...] | None = None,
         menu: Menu | None = None, on_load: Any = None, locale_handler: Any = None,
         framed: bool = True) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Declare a page. `permission`: what the actor needs for the menu to offer it (a tuple: any one of them).
    `locale_handler`: the page's language-switch event (default: AppState.set_locale)."""
    if title not in LABELS:
        raise ValueError(f"page {route}: title {title!r} is not a label key")
    if menu is not None and menu.label not in LABELS:
        raise ValueError(f"page {route}: menu label {menu.label!r} is not a label key")
    needed = () if permission is None else (permission,) if isinstance(permission, Permission) else tuple(permission)
    if menu is not None and not needed:
        raise ValueError(f"page {route}: a menu entry needs the permission that shows it")

    def declare(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        if route in _PAGES and _PAGES[route].content is not content:
            raise ValueError(f"two pages declare the route {route}")
        _PAGES[route] = Page(route=route, title=title, content=content, permissions=needed, menu=menu,
                             on_load=on_load, locale_handler=locale_handler, framed=framed)
        return content

    return declare


def discover() -> list[Page]:
    """Every page declared in this package's modules, by route."""
    import fincrm_app.pages as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return [_PAGES[route] for route in sorted(_PAGES)]


def menu() -> list[MenuItem]:
    """The menu: every declared entry in its order, each with the permissions that show it."""
    entries = sorted((p for p in _PAGES.values() if p.menu is not None), key=lambda p: (p.menu.order, p.route))
    return [MenuItem(href=p.route, icon=p.menu.icon, label=p.menu.label, id=_menu_id(p.route),
                     permissions=tuple(str(x) for x in p.permissions)) for p in entries]


def _menu_id(route: str) -> str:
    return "nav-" + route.rstrip("/").rsplit("/", 1)[-1]


def title(key: str) -> rx.Var | str:
    """The browser tab's title in the user's language."""
    zh, en = LABELS[key]
    if key == "app.name":
        return APP_NAME
    return rx.cond(AppState.lang == "en", f"{en} · {APP_NAME}", f"{zh} · {APP_NAME}")


def _rendered(p: Page) -> Callable[[], rx.Component]:
    if not p.framed:
        return p.content

    @functools.wraps(p.content)
    def framed() -> rx.Component:
        return shell(p.content(), locale_handler=p.locale_handler, menu=menu())

    return framed


def install(app: rx.App) -> list[Page]:
    """Add every declared page to the app."""
    pages = discover()
    for p in pages:
        app.add_page(_rendered(p), route=p.route, title=title(p.title), on_load=p.on_load)
    return pages
