"""Static UI labels that follow the locale without a round trip to the server."""
from __future__ import annotations

import reflex as rx

from state.i18n import LABELS
from state.session import AppState


def t(key: str) -> rx.Var:
    """The label for `key` in the current UI language (a client-side conditional)."""
    zh, en = LABELS[key]
    if zh == en:
        return rx.Var.create(zh)
    return rx.cond(AppState.lang == "en", en, zh)
