"""/agenda: the RM's day on a phone (issue 14), the installed app's start page."""
from __future__ import annotations

import reflex as rx

from components.agenda import agenda_page_body
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.agenda import AgendaState


@page(route="/agenda", title="agenda.title", permission=P.RECORD_WRITE, menu=Menu("calendar-check", "nav.agenda", order=11),
      on_load=AgendaState.load, locale_handler=AgendaState.change_locale)
def agenda_page() -> rx.Component:
    return agenda_page_body()
