"""Wiring the domains together, in one place: who reacts to which domain event, and the few hooks the
platform offers (the audit of refusals, the API clients' data scope).

Every entry point calls `configure()` once before it serves: the app (fincrm_app/app.py), the `fincrm`
command, the scheduler's process, the benchmarks and the tests. Publishing an event before that is an error
(services/events.py). A new domain adds its subscriptions here, and nowhere else.
"""
from __future__ import annotations

import threading

from services.events import bus

_lock = threading.Lock()
_MERGED: set[str] = set()  # message codes merged in by _hooks (a test may reset the bus and configure again)


def configure() -> None:
    """Subscribe every handler (idempotent)."""
    with _lock:
        if bus.configured:
            return
        _subscribe()
        _hooks()
        bus.configured = True


def _subscribe() -> None:
    from services.activities.events import BehaviourEventsIngested
    from services.aml import events as aml
    from services.customers.events import CustomerChanged, CustomerIdentityChanged, CustomersCreated
    from services.integration import outbox
    from services.portfolio.events import TransactionsIngested
    from services.tags import events as tags
    from services.tags.events import CustomerTagged

    # Tag rules read customer fields, holdings, transactions and behaviour: re-evaluate on every change of them.
    # Loans and underwriting hear how their approvals end and when they are returned.
    from services.loans import events as loans
    from services.underwriting import events as underwriting
    from services.workflows.events import WorkflowEnded, WorkflowReturned

    for domain in (loans, underwriting):
        bus.subscribe(WorkflowEnded, domain.on_workflow_ended)
        bus.subscribe(WorkflowReturned, domain.on_workflow_returned)
    bus.subscribe(CustomersCreated, tags.on_customers_created)
    bus.subscribe(CustomerChanged, tags.on_customer_changed)
    bus.subscribe(TransactionsIngested, tags.on_transactions_ingested)
    bus.subscribe(BehaviourEventsIngested, tags.on_behaviour_events_ingested)
    # Other systems hear of customers and tags through the transactional outbox (webhooks).
    bus.subscribe(CustomersCreated, outbox.on_customers_created)
    bus.subscribe(CustomerChanged, outbox.on_customer_changed)
    bus.subscribe(CustomerTagged, outbox.on_customer_tagged)
    # Suitability: a customer's new risk level re-checks their sales still waiting for a signature.
    from services.customers.events import RiskLevelChanged
    from services.suitability import events as suitability

    bus.subscribe(RiskLevelChanged, suitability.on_risk_level_changed)
    # AML: customers are screened at onboarding and when their identity changes; every batch of transactions
    # is monitored (and its counterparties screened).
    bus.subscribe(CustomersCreated, aml.on_customers_created)
    bus.subscribe(CustomerIdentityChanged, aml.on_customer_identity_changed)
    bus.subscribe(TransactionsIngested, aml.on_transactions_ingested)
    # The customer list keeps its sort keys from the values they come from (AUM, segment, risk, KYC); the 360
    # keeps every change of relationship manager for the customer's timeline.
    from services.customer360 import events as c360
    from services.customer_list import figures
    from services.customers.events import CustomerReassigned

    bus.subscribe(CustomersCreated, figures.on_customers_created)
    bus.subscribe(CustomerChanged, figures.on_customer_changed)
    bus.subscribe(TransactionsIngested, figures.on_transactions_ingested)
    bus.subscribe(CustomerReassigned, c360.on_customer_reassigned)
    # Decision support: the dashboards' rollup counts customers (published ones: an import's are counted when its
    # hold is published), their transactions, sales and opportunities, in the transaction that changed them.
    from services import holds
    from services.analytics import rollups
    from services.opportunities.events import OpportunityChanged
    from services.suitability.events import SaleStatusChanged

    bus.subscribe(CustomersCreated, rollups.on_customers_created)
    bus.subscribe(holds.HoldPublished, rollups.on_hold_published)
    bus.subscribe(CustomerChanged, rollups.on_customer_changed)
    bus.subscribe(CustomerReassigned, rollups.on_customer_reassigned)
    bus.subscribe(TransactionsIngested, rollups.on_transactions_ingested)
    bus.subscribe(SaleStatusChanged, rollups.on_sale_status_changed)
    bus.subscribe(OpportunityChanged, rollups.on_opportunity_changed)


def _hooks() -> None:
    from services import db, documents
    from services.imports import files as import_files
    from services.integration.access import client_customers
    from services.security import policy
    from services.security.refusals import record_refusal

    db.set_refusal_recorder(record_refusal)
    # The agenda's reminders are mailed through decision support's e-mail outbox.
    from services.agenda import delivery as agenda_delivery
    from services.analytics import mail as analytics_mail

    agenda_delivery.set_mail_outbox(analytics_mail.enqueue)
    policy.set_client_scope(client_customers)
    # Import files and error reports are read by the imports domain's rule (raw or masked), whatever the door.
    documents.register_reader(documents.IMPORT_KINDS, import_files.download)
    # Suitability: its messages join the platform's, and an API client's own customer ids resolve through
    # the integration domain.
    from services import i18n
    from services.integration.access import customer_by_external_id
    from services.suitability import messages as suitability_messages
    from services.suitability import service as suitability_service

    clash = set(suitability_messages.MESSAGES) & set(i18n.MESSAGES)
    if clash - _MERGED:
        raise RuntimeError(f"message codes defined twice: {sorted(clash - _MERGED)}")
    i18n.MESSAGES.update(suitability_messages.MESSAGES)
    _MERGED.update(suitability_messages.MESSAGES)
    suitability_service.set_external_id_resolver(customer_by_external_id)
    # The customer list: its messages, and its sort keys of interactions, tasks, accounts and holdings, which are
    # written without an event yet (services/customer_list/figures.py).
    from services.customer_list import figures
    from services.customer_list import messages as customer_list_messages

    clash = set(customer_list_messages.MESSAGES) & set(i18n.MESSAGES)
    if clash - _MERGED:
        raise RuntimeError(f"message codes defined twice: {sorted(clash - _MERGED)}")
    i18n.MESSAGES.update(customer_list_messages.MESSAGES)
    _MERGED.update(customer_list_messages.MESSAGES)
    figures.install()
    # Approval workflows: the workflow, loan and underwriting domains' messages.
    from services.loans import messages as loan_messages
    from services.underwriting import messages as underwriting_messages
    from services.workflows import messages as workflow_messages

    for extra in (workflow_messages.MESSAGES, loan_messages.MESSAGES, underwriting_messages.MESSAGES):
        clash = set(extra) & set(i18n.MESSAGES)
        if clash - _MERGED:
            raise RuntimeError(f"message codes defined twice: {sorted(clash - _MERGED)}")
        i18n.MESSAGES.update(extra)
        _MERGED.update(extra)
    # Opportunities' and decision support's messages; interactions counted for the RM leaderboard.
    from services.analytics import messages as analytics_messages
    from services.analytics import rollups
    from services.opportunities import messages as opportunity_messages

    for extra in (opportunity_messages.MESSAGES, analytics_messages.MESSAGES):
        clash = set(extra) & set(i18n.MESSAGES)
        if clash - _MERGED:
            raise RuntimeError(f"message codes defined twice: {sorted(clash - _MERGED)}")
        i18n.MESSAGES.update(extra)
        _MERGED.update(extra)
    rollups.install()
