"""REST API v1 against the mounted app, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from api_helpers import count, customer_body, get_token


def _customer_with_account(http, auth, ext="C-1", acc="A-1", seq=1) -> None:
    r = http.put(f"/api/v1/customers/{ext}", json=customer_body(seq), headers=auth)
    assert r.status_code == 201, r.text
    r = http.put(f"/api/v1/customers/{ext}/accounts/{acc}", headers=auth, json={
        "kind": "deposit", "account_no": f"62148500000000{seq:05d}", "opened_on": "2020-01-02", "balance": "100.00"})
    assert r.status_code == 201, r.text


def _tx(i: int, ext="C-1", acc="A-1", **kw) -> dict:
    row = {"external_ref": f"T{i}", "customer_external_id": ext, "account_external_id": acc, "kind": "deposit",
           "amount": "1000.50", "booked_at": "2026-01-05T10:00:00+08:00", "channel": "counter"}
    row.update(kw)
    return row


# ---------------------------------------------------------------- tokens

def test_token_by_basic_and_by_post_and_it_opens_the_api(http, api_client):
    basic = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(api_client.client_id, api_client.secret))
    assert basic.status_code == 200
    assert basic.headers["cache-control"] == "no-store"
    body = basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) >= {"customers:read", "transactions:write"}
    post = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "scope": "customers:read",
                                                  "client_id": api_client.client_id,
                                                  "client_secret": api_client.secret})
    assert post.status_code == 200 and post.json()["scope"] == "customers:read"
    r = http.get("/api/v1/customers", headers={"Authorization": "Bearer " + post.json()["access_token"]})
    assert r.status_code == 200 and r.json()["items"] == []


def test_bad_secret_unknown_client_and_foreign_scope_get_no_token(http, api_client, app_db):
    wrong = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(api_client.client_id, "not-the-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "x"))
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    scope = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "scope": "admin:all"},
                      auth=(api_client.client_id, api_client.secret))
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    grant = http.post("/api/v1/oauth/token", data={"grant_type": "password"},
                      auth=(api_client.client_id, api_client.secret))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    assert count(app_db, "api_token") == 0


def test_repeated_bad_secrets_throttle_the_client_from_that_address(http, api_client):
    """From the address that sent them (other addresses: tests/security/test_credential_throttle.py)."""
    from services.settings import get_settings

    for _ in range(get_settings().lockout_threshold):
        http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(api_client.client_id, "x"))
    right = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(api_client.client_id, api_client.secret))
    assert right.status_code == 429 and right.json()["error"] == "temporarily_unavailable"
    assert int(right.headers["retry-after"]) > 0 and "access_token" not in right.json()


def test_missing_unknown_and_expired_tokens_get_401_with_a_challenge(http, api_client, app_db):
    none = http.get("/api/v1/customers")
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert none.json()["error"] == "missing_authorization" and none.json()["message"].startswith("需要访问令牌")
    bogus = http.get("/api/v1/customers", headers={"Authorization": "Bearer nonsense", "Accept-Language": "en"})
    assert bogus.status_code == 401 and 'error="invalid_token"' in bogus.headers["www-authenticate"]
    assert bogus.json()["message"] == "The access token is invalid or has expired."
    token = get_token(http, api_client)
    app_db.execute(text("UPDATE api_token SET expires_at = :t"),
                   {"t": datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)}
                   if app_db.dialect.name == "sqlite" else {"t": datetime.now(timezone.utc) - timedelta(seconds=1)})
    expired = http.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"


def test_wrong_scope_gets_403_and_nothing_is_written(http, api_client, app_db):
    token = get_token(http, api_client, scope="customers:read")
    r = http.put("/api/v1/customers/C-1", json=customer_body(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"
    assert 'scope="customers:write"' in r.headers["www-authenticate"]
    assert count(app_db, "customer") == 0


def test_disabled_client_tokens_stop_working(http, api_client, uow_factory, actors):
    from services.integration import clients

    token = get_token(http, api_client)
    with uow_factory() as uow:
        clients.disable_client(uow=uow, actor=actors["admin"], client_id=api_client.client_id)
        uow.commit()
    assert http.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# ---------------------------------------------------------------- customers

def test_put_creates_then_updates_by_external_id_and_a_replay_changes_nothing(http, auth, app_db, org):
    r = http.put("/api/v1/customers/CB-0001", json=customer_body(), headers=auth)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["owner_id"] == org.users["rm_a1"]
    assert "*" in created["id_number"] and "*" in created["phone"]  # masked for API clients
    again = http.put("/api/v1/customers/CB-0001", json=customer_body(), headers=auth)
    assert again.status_code == 200 and again.json()["version"] == created["version"]
    assert count(app_db, "customer") == 1
    outbox = count(app_db, "outbox_message")
    changed = http.put("/api/v1/customers/CB-0001", json=customer_body(segment="hnw", phone="13911112222"),
                       headers=auth)
    assert changed.status_code == 200
    assert changed.json()["segment"] == "hnw" and changed.json()["version"] == created["version"] + 1
    assert changed.json()["phone"].endswith("2222")
    assert count(app_db, "outbox_message") == outbox + 1
    got = http.get("/api/v1/customers/CB-0001", headers=auth)
    assert got.status_code == 200 and got.json()["profile"]["id"] == created["id"]
    found = http.get("/api/v1/customers", params={"q": "李"}, headers=auth)
    assert [c["id"] for c in found.json()["items"]] == [created["id"]]
    assert http.get("/api/v1/customers/nope", headers=auth).status_code == 404


@pytest.mark.parametrize("body, field, code", [
    ({"name": 123}, "name", "value.wrong_type"),
    ({"name": None}, "name", "value.wrong_type"),
    ({"id_number": "110105198003040011"}, "id_number", "id_number.checksum"),
    ({"name": "x" * 201}, "name", "value.too_long"),
    ({"segment": "vip"}, "segment", "value.invalid_choice"),
    ({"owner_id": 999999}, "owner_id", "value.not_an_rm"),
    ({"unexpected": 1}, "unexpected", "value.unknown_field"),
])
def test_bad_customer_input_names_the_field_and_writes_nothing(http, auth, app_db, body, field, code):
    r = http.put("/api/v1/customers/C-9", json=customer_body(**body), headers=auth)
    assert r.status_code == 422, r.text
    problems = r.json()["fields"]
    assert any(p["field"] == field and p["code"] == code for p in problems), problems
    assert count(app_db, "customer") == 0 and count(app_db, "external_ref") == 0


def test_missing_field_and_malformed_json_in_the_callers_language(http, auth, app_db):
    body = customer_body()
    del body["id_number"]
    r = http.put("/api/v1/customers/C-9", json=body, headers={**auth, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "id_number"
    assert "证件号码" in r.json()["message"] and "必填" in r.json()["message"]
    bad = http.put("/api/v1/customers/C-9", content=b"{not json", headers=auth)
    assert bad.status_code == 422 and bad.json()["fields"][0]["code"] == "api.invalid_json"
    assert count(app_db, "customer") == 0


# ---------------------------------------------------------------- transactions

def test_transactions_batch_idempotency_replay_conflict_and_duplicates(http, auth, app_db):
    _customer_with_account(http, auth)
    rows = [_tx(i) for i in range(3)]
    first = http.post("/api/v1/transactions", json={"rows": rows}, headers={**auth, "Idempotency-Key": "b-1"})
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 3, "accepted": 3, "duplicates": 0}
    replay = http.post("/api/v1/transactions", json={"rows": rows}, headers={**auth, "Idempotency-Key": "b-1"})
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    conflict = http.post("/api/v1/transactions", json={"rows": rows[:2]}, headers={**auth, "Idempotency-Key": "b-1"})
    assert conflict.status_code == 409 and conflict.json()["error"] == "api.idempotency_conflict"
    resent = http.post("/api/v1/transactions", json={"rows": rows + [_tx(3)]},
                       headers={**auth, "Idempotency-Key": "b-2"})
    assert resent.json() == {"received": 4, "accepted": 1, "duplicates": 3}
    assert count(app_db, "transaction") == 4
    balance = app_db.execute(text("SELECT balance FROM account")).scalar_one()
    assert Decimal(balance) / 100 == Decimal("100.00") + 4 * Decimal("1000.50")
    missing_key = http.post("/api/v1/transactions", json={"rows": [_tx(9)]}, headers=auth)
    assert missing_key.status_code == 422 and missing_key.json()["fields"][0]["field"] == "idempotency_key"


def test_one_bad_row_rejects_the_whole_batch_naming_row_and_field(http, auth, app_db):
    _customer_with_account(http, auth)
    rows = [_tx(0), _tx(1, amount="abc"), _tx(2, account_external_id="A-404"), _tx(3, booked_at="2026-01-05T10:00:00"),
            _tx(0), _tx(5, currency="USD")]
    r = http.post("/api/v1/transactions", json={"rows": rows}, headers={**auth, "Idempotency-Key": "bad-1"})
    assert r.status_code == 422, r.text
    fields = {(p["field"], p["code"]) for p in r.json()["fields"]}
    assert ("rows[1].amount", "value.not_a_number") in fields
    assert ("rows[2].account_external_id", "api.unknown_reference") in fields
    assert ("rows[3].booked_at", "value.needs_timezone") in fields
    assert ("rows[4].external_ref", "api.duplicate_in_batch") in fields
    assert ("rows[5].currency", "api.currency_mismatch") in fields
    assert "rows[2] Account external id" in r.json()["message"]
    assert count(app_db, "transaction") == 0 and count(app_db, "idempotency_record") == 0
    # The same key may be used again once the batch is fixed: nothing was remembered.
    ok = http.post("/api/v1/transactions", json={"rows": [_tx(0)]}, headers={**auth, "Idempotency-Key": "bad-1"})
    assert ok.status_code == 200


def test_batch_over_the_limit_is_refused_naming_the_limit(http, auth, app_db):
    rows = [_tx(i) for i in range(10_001)]
    r = http.post("/api/v1/transactions", json={"rows": rows}, headers={**auth, "Idempotency-Key": "big"})
    assert r.status_code == 413 and "10000" in r.json()["message"]
    assert count(app_db, "transaction") == 0


def test_events_batch_skips_replayed_events(http, auth, app_db, product):
    _customer_with_account(http, auth)
    rows = [{"external_id": f"E{i}", "customer_external_id": "C-1", "kind": "product_view",
             "occurred_at": "2026-01-05T10:00:00Z", "product_code": product, "attributes": {"screen": "detail"}}
            for i in range(3)]
    r = http.post("/api/v1/events", json={"rows": rows}, headers={**auth, "Idempotency-Key": "e-1"})
    assert r.status_code == 200 and r.json()["accepted"] == 3
    r = http.post("/api/v1/events", json={"rows": rows}, headers={**auth, "Idempotency-Key": "e-2"})
    assert r.json() == {"received": 3, "accepted": 0, "duplicates": 3}
    bad = http.post("/api/v1/events", json={"rows": [{**rows[0], "external_id": "E9", "kind": "dance"}]},
                    headers={**auth, "Idempotency-Key": "e-3"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "rows[0].kind"
    assert count(app_db, "behaviour_event") == 3


def test_holdings_and_interactions(http, auth, app_db, product):
    _customer_with_account(http, auth)
    r = http.put("/api/v1/customers/C-1/accounts/A-1/holdings", headers=auth, json={"holdings": [
        {"product_code": product, "quantity": "1000", "cost": "1000.00", "market_value": "1050.00",
         "as_of": "2026-01-05"}]})
    assert r.status_code == 200, r.text
    assert r.json()[0]["market_value"] == "1050.00"
    unknown = http.put("/api/v1/customers/C-1/accounts/A-1/holdings", headers=auth, json={"holdings": [
        {"product_code": "NOPE", "quantity": "1", "cost": "1", "market_value": "1", "as_of": "2026-01-05"}]})
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "holdings[0].product_code"
    i = http.post("/api/v1/customers/C-1/interactions", headers=auth,
                  json={"kind": "call", "subject": "来电咨询理财", "occurred_at": "2026-01-05T10:00:00+08:00"})
    assert i.status_code == 201, i.text
    assert count(app_db, "interaction") == 1 and count(app_db, "holding") == 1


# ---------------------------------------------------------------- OpenAPI

def test_openapi_declares_client_credentials_and_every_operations_scopes(http):
    doc = http.get("/api/v1/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/v1/oauth/token" and "transactions:write" in flow["scopes"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path == "/api/v1/oauth/token":
                continue
            assert op.get("security"), (method, path)
            assert list(op["security"][0]) == ["oauth2"] and op["security"][0]["oauth2"], (method, path)
    assert doc["paths"]["/api/v1/transactions"]["post"]["security"] == [{"oauth2": ["transactions:write"]}]
    assert "CustomerCreate" in doc["components"]["schemas"]
