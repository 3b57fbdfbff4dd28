"""What the AML domain reacts to (subscribed in services/bootstrap.py), in the publisher's transaction:

- customers created: screened at onboarding (and rated; a bulk import's ratings wait for the rating job);
- a customer's identity changed (name, ID): screened again, since whatever matched the old name must look again;
- transactions ingested: the monitoring rules run over the new bookings, and their counterparties are screened.

A failing screening rolls the change back with it: a customer is never onboarded unscreened while lists are
in force. With no list loaded, onboarding leaves the customer "not yet screened".
"""
from __future__ import annotations

from sqlmodel import Session

from services.customers.events import CustomerIdentityChanged, CustomersCreated
from services.portfolio.events import TransactionsIngested


def on_customers_created(session: Session, event: CustomersCreated) -> None:
    from services.aml.service import screen_customers

    screen_customers(session, event.customer_ids)


def on_customer_identity_changed(session: Session, event: CustomerIdentityChanged) -> None:
    from services.aml.service import screen_customers

    if {"name", "id_type", "id_number"} & set(event.fields):
        screen_customers(session, [event.customer_id])


def on_transactions_ingested(session: Session, event: TransactionsIngested) -> None:
    from services.aml.service import monitor_customers

    monitor_customers(session, event.customer_ids)
