"""OAuth2 scopes are enforced by the services, not only by the HTTP door: an API actor can do only what
its token grants, whichever door calls the use case."""
from __future__ import annotations

import pytest

from services.customers import service as customers
from services.errors import Refusal
from services.integration import clients, ingest
from services.integration.models import ApiClient


def test_a_token_without_a_scope_cannot_reach_the_use_case_through_any_door(uow_factory, api_client):
    with uow_factory() as uow:
        client = uow.session.get(ApiClient, api_client.pk)
        reader = clients.actor_for_client(client, ["customers:read"])
        writer = clients.actor_for_client(client, ["transactions:write"])
        inflated = clients.actor_for_client(client, ["customers:read", "admin:everything"])
    assert inflated.scopes == frozenset({"customers:read"})  # never more than the client was given
    with uow_factory() as uow:
        customers.search_customers(uow=uow, actor=reader, query="")
        ingest.list_custom_fields(uow=uow, actor=reader)
    calls = [
        lambda uow, a: customers.search_customers(uow=uow, actor=a, query=""),
        lambda uow, a: ingest.get_customer(uow=uow, actor=a, external_id="CB-1"),
        lambda uow, a: ingest.upsert_customer(uow=uow, actor=a, external_id="CB-1", data={}),
        lambda uow, a: ingest.ingest_events(uow=uow, actor=a, data={"rows": []}),
        lambda uow, a: ingest.add_interaction(uow=uow, actor=a, customer_external_id="CB-1", data={}),
    ]
    for call in calls:
        with uow_factory() as uow, pytest.raises(Refusal):
            call(uow, writer)
    with uow_factory() as uow, pytest.raises(Refusal):
        ingest.ingest_transactions(uow=uow, actor=reader, data={"rows": []})
