"""The architecture's contracts, checked by a maintained tool (import-linter; contracts in pyproject.toml):
the app's layers, components that never reach the domain, production code that never imports the demo
data, and the domain's own layers in which sibling domains do not import each other (they talk through
domain events, services/events.py, wired in services/bootstrap.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def test_every_event_a_domain_publishes_has_its_subscribers_wired_in_bootstrap():
    """Subscriptions live in one place; a handler written but never subscribed would silently not run."""
    from services import bootstrap
    from services.activities.events import BehaviourEventsIngested
    from services.customers.events import CustomerChanged, CustomersCreated
    from services.events import bus
    from services.portfolio.events import TransactionsIngested
    from services.tags.events import CustomerTagged

    bootstrap.configure()
    wired = {t: [f"{h.__module__}.{h.__name__}" for h in hs] for t, hs in bus.subscriptions().items()}
    assert "services.tags.events.on_customers_created" in wired[CustomersCreated]
    assert "services.integration.outbox.on_customers_created" in wired[CustomersCreated]
    assert "services.tags.events.on_customer_changed" in wired[CustomerChanged]
    assert "services.integration.outbox.on_customer_changed" in wired[CustomerChanged]
    assert wired[TransactionsIngested] == ["services.tags.events.on_transactions_ingested",
                                          "services.aml.events.on_transactions_ingested",
                                          "services.customer_list.figures.on_transactions_ingested",
                                          "services.analytics.rollups.on_transactions_ingested"]
    # The customer list's sort keys and the 360's history of relationship managers follow the customers.
    from services.customers.events import CustomerReassigned

    assert "services.customer_list.figures.on_customers_created" in wired[CustomersCreated]
    assert "services.customer_list.figures.on_customer_changed" in wired[CustomerChanged]
    assert wired[CustomerReassigned] == ["services.customer360.events.on_customer_reassigned",
                                         "services.analytics.rollups.on_customer_reassigned"]
    # The dashboards' rollup counts customers (an import's once published), sales and opportunities.
    from services.holds import HoldPublished
    from services.opportunities.events import OpportunityChanged
    from services.suitability.events import SaleStatusChanged

    assert "services.analytics.rollups.on_customers_created" in wired[CustomersCreated]
    assert wired[HoldPublished] == ["services.analytics.rollups.on_hold_published"]
    assert wired[SaleStatusChanged] == ["services.analytics.rollups.on_sale_status_changed"]
    assert wired[OpportunityChanged] == ["services.analytics.rollups.on_opportunity_changed"]
    assert "services.aml.events.on_customers_created" in wired[CustomersCreated]
    assert wired[BehaviourEventsIngested] == ["services.tags.events.on_behaviour_events_ingested"]
    assert wired[CustomerTagged] == ["services.integration.outbox.on_customer_tagged"]
