"""Links inside the app: React Router's <Link>, so moving between pages keeps the page's websocket and state
(no document reload), rendered as a plain <a> styled by assets/fincrm.css. Radix Themes' link did the same
wrapped in its own typography; FinCRM does not ship Radix Themes (its stylesheet was most of the CSS a phone
downloaded before the first paint)."""
from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink


def link(*children: Any, href: Any, **props: Any) -> rx.Component:
    """A link to `href` (a path of this app, or a Var holding one)."""
    props.pop("underline", None)  # Radix Themes' prop: underlines are the stylesheet's business here
    return ReactRouterLink.create(*children, to=href, **props)
