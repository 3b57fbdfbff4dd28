"""/customers/[customer_id]: the customer 360 view, phone first.

One column of cards on a phone (header, charts, then the detail sections), a two-column grid
on desktop; the quick actions sit in a sticky bar above the tab bar on phones.
"""
from __future__ import annotations

import reflex as rx

from components import c360, c360_work, customer_records
from components.customer_form import edit_link
from components.i18n import t
from components.icons import icon
from components.links import link
from components.opportunities import opportunities_card
from components.suitability import suitability_card
from fincrm_app.pages.registry import page
from services.security.policy import Permission as P
from state.customer_work import CustomerWorkState
from state.customers import CustomerState
from state.opportunities import OpportunitiesState
from state.permissions import holds


@page(route="/customers/[customer_id]", title="c360.title", permission=P.CUSTOMER_READ,
      on_load=[CustomerState.load, CustomerWorkState.load, OpportunitiesState.load], locale_handler=CustomerState.change_locale)
def customer_page() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            link(icon("arrow-left", size=16), t("detail.back"), href="/customers", class_name="back-link",
                    id="back-to-customers"),
            rx.cond(holds(P.CUSTOMER_EDIT) & CustomerState.found, edit_link()),  # the customer form
            class_name="cf-360-top",
        ),
        rx.cond(
            CustomerState.page_error != "",
            rx.el.div(icon("circle-alert", size=16), rx.el.span(CustomerState.page_error),
                      id="page-error", role="alert", class_name="alert"),
        ),
        rx.cond(
            CustomerState.found,
            rx.el.div(
                c360.customer_header(),
                rx.cond(holds(P.RECORD_WRITE), c360.quick_actions()),  # an auditor only reads
                rx.cond(CustomerState.reveal_error != "",
                        rx.el.div(CustomerState.reveal_error, id="reveal-error", role="alert",
                                  class_name="alert")),
                c360.overview(),
                rx.el.div(
                    rx.el.div(
                        c360.timeline(),
                        c360.transactions(),
                        c360.list_section("detail.holdings", CustomerState.holdings, c360.holding_item,
                                          "holdings"),
                        c360.list_section("detail.accounts", CustomerState.accounts, c360.account_item,
                                          "accounts"),
                        class_name="c360-col",
                    ),
                    rx.el.div(
                        suitability_card(),
                        opportunities_card(),
                        c360.profile(),
                        c360.custom_fields(),
                        customer_records.consent_card(),
                        c360.household(),
                        c360_work.open_tasks(),
                        c360.tickets(),
                        c360.credit_ratings(),
                        customer_records.documents_card(),
                        class_name="c360-col",
                    ),
                    class_name="c360-grid",
                ),
                rx.cond(holds(P.RECORD_WRITE), c360.quick_action_dialogs()),
                c360.note_dialogs(),  # versions for every reader; Edit only where can_revise_notes
                class_name="detail c360",
            ),
        ),
        class_name="page",
    )
