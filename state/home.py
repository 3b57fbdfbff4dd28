"""Where "/" (and signing in without a page to return to) leads: each role's home page (issue 13, point 7).

Team leads and branch managers land on their scope's dashboard, an RM on his book's key figures (the same page in
his scope: /dashboard says "My book"); everybody else on the customer list. Decided from the server-side session,
never from anything the browser sends.
"""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.errors import SessionInvalid
from services.security.actor import Actor
from services.security.policy import Permission as P, permissions_of
from state.session import AppState

DASHBOARD_ROLES = frozenset({"rm", "team_lead", "branch_manager"})


def home_of(actor: Actor) -> str:
    """The path of the actor's home page."""
    if DASHBOARD_ROLES & set(actor.roles) and P.METRICS_VIEW in permissions_of(actor):
        return "/dashboard"
    return "/customers"


class HomeState(AppState):
    @rx.event
    def go(self) -> Any:
        """on_load of /: on to the signed-in actor's home page (the login page when nobody is signed in)."""
        try:
            actor = self._require_actor()
        except SessionInvalid:
            return self._signed_out()
        return rx.redirect(home_of(actor), replace=True)
