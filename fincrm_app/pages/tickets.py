"""/tickets: complaints and service requests by queue; /tickets/[ticket_id]: one ticket, its history and next steps."""
from __future__ import annotations

import reflex as rx

from components.work import ticket_page_body, tickets_page_body
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.tickets import TicketsState, TicketState


@page(route="/tickets", title="tickets.title", permission=(P.TICKET_WORK, P.TICKET_ASSIGN, P.COMPLAINT_REPORT),
      menu=Menu("life-buoy", "nav.tickets", order=14), on_load=TicketsState.load,
      locale_handler=TicketsState.change_locale)
def tickets_page() -> rx.Component:
    return tickets_page_body()


@page(route="/tickets/[ticket_id]", title="ticket.title", permission=P.CUSTOMER_READ, on_load=TicketState.load,
      locale_handler=TicketState.change_locale)
def ticket_page() -> rx.Component:
    return ticket_page_body()
