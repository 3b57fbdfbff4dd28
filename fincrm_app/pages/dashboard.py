"""/dashboard: the figures of the reader's scope (an RM's book, a team, a branch, the firm) as charts, with filters
and drill-down to the customers behind a bar (issue 13). Managers land here after signing in (fincrm_app/pages/index.py)."""
from __future__ import annotations

import reflex as rx

from components.dashboard import dashboard_page_body
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.dashboard import DashboardState


@page(route="/dashboard", title="dash.title", permission=P.METRICS_VIEW,
      menu=Menu("layout-dashboard", "nav.dashboard", order=15), on_load=DashboardState.load,
      locale_handler=DashboardState.change_locale)
def dashboard_page() -> rx.Component:
    return dashboard_page_body()
