"""Finding 7 of the hostile review, from outside: refused access left no trace. `rm` fetching a document of
another branch's customer, a foreign customer over the websocket, and admin pages' handlers called by an RM
are refused and each refusal is an `access.refused` event in the hash chain."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest
from socket_client import DETAIL_STATE, HYDRATE, SESSION_COOKIE, RawSocket, customer_facts, run, sign_in
from sqlalchemy import create_engine, text

from state.custom_fields import FieldsAdminState
from state.tags import TagsAdminState
from state.webhooks import WebhooksState

pytestmark = pytest.mark.browser


def _rows(live_app, sql: str, **params):
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _refusals_since(live_app, seq: int) -> list[dict]:
    rows = _rows(live_app, "SELECT actor_name, entity_type, entity_id, changes FROM audit_event "
                           "WHERE action = 'access.refused' AND seq > :s ORDER BY seq", s=seq)
    return [{"actor": r.actor_name, "entity": r.entity_type, "id": r.entity_id, **json.loads(r.changes)}
            for r in rows]


def test_refusals_through_every_door_are_audited(live_app) -> None:
    facts = customer_facts(live_app.db_url)
    foreign = facts["foreign"]
    seq = _rows(live_app, "SELECT coalesce(max(seq), 0) FROM audit_event")[0][0]
    doc = _rows(live_app, "SELECT id FROM document WHERE customer_id = :c", c=foreign.id)
    rm = sign_in(live_app.url)

    # HTTP: a document of a customer outside the RM's book (seed one if the demo gave none).
    if doc:
        r = httpx.get(f"{live_app.url}/documents/{doc[0][0]}", headers={"Cookie": f"{SESSION_COOKIE}={rm}"},
                      timeout=30)
        assert r.status_code in (403, 404)

    # Websocket: the foreign customer's 360, and three admin pages' loaders.
    async def scenario():
        async with RawSocket(live_app.url, token=str(uuid.uuid4()), session=rm) as s:
            await s.call(HYDRATE)
            await s.call(f"{DETAIL_STATE}.load", path=f"/customers/{foreign.id}")
            for state in (TagsAdminState, FieldsAdminState, WebhooksState):
                await s.call(f"{state.get_full_name()}.load", path="/admin")

    run(scenario())
    refused = _refusals_since(live_app, seq)
    assert all(r["actor"] == "rm" for r in refused)
    customer = [r for r in refused if r["entity"] == "customer" and r["id"] == str(foreign.id)]
    assert customer and customer[0]["operation"].startswith("services.customer360.service.")
    operations = {r.get("operation", "") for r in refused}
    assert any(op.startswith("services.tags.") for op in operations), operations
    assert any(op.startswith("services.customers.custom_fields.") for op in operations), operations
    assert any(op.startswith("services.integration.webhooks.") for op in operations), operations
    if doc:
        assert any(r["entity"] == "document" for r in refused)
