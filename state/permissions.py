"""What the signed-in actor may do, for components: `holds(P.RECORD_WRITE)` is true in the browser when the
actor holds that permission (AppState.permissions). It decides what is shown, never what is allowed: the
services check every permission on every call, whatever the page shows or a socket client sends."""
from __future__ import annotations

import reflex as rx

from services.security.policy import Permission as P  # noqa: F401 - re-exported for components
from state.session import AppState


def holds(permission: str, *alternatives: str) -> rx.Var:
    """True when the actor holds `permission` or any of the alternatives."""
    held = AppState.permissions.contains(str(permission))
    for other in alternatives:
        held = held | AppState.permissions.contains(str(other))
    return held
