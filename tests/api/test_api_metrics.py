"""The figures through the REST API (GET /api/v1/metrics, /api/v1/metrics/{figure}): the metrics:read scope, the
organisation an administrator granted the client (nothing without a grant), the dashboard's filters with the same
refusals, the same numbers as the dashboard's use case, a figure changing as soon as a transaction lands through the
API, and both listed in the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

import pytest

from api_helpers import customer_body, get_token
from services import clock
from services.analytics import figures, grants
from services.security.actor import SYSTEM


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def bi(make_client):
    return make_client("bi-tool", ["metrics:read"])


def _grant(uow_factory, client_id: str, **kw) -> None:
    from sqlalchemy import select

    from services.integration.models import ApiClient

    with uow_factory() as uow:
        pk = uow.session.execute(select(ApiClient.id).where(ApiClient.client_id == client_id)).scalar_one()
        grants.grant(uow=uow, actor=SYSTEM, client_pk=pk, **kw)
        uow.commit()


def _headers(http, info, scope=None):
    return {"Authorization": f"Bearer {get_token(http, info, scope)}", "Accept-Language": "en"}


@pytest.fixture
def book(http, auth, org):
    """Customers of rm_a1 (Beijing) and rm_b1 (Shanghai) sent by the core-banking client, with balances."""
    for i, (owner, balance) in enumerate((("rm_a1", "1000.00"), ("rm_a1", "2500.50"), ("rm_b1", "7000.00"))):
        r = http.put(f"/api/v1/customers/M-{i}", json=customer_body(40 + i, owner_id=org.users[owner],
                                                                     segment="affluent"), headers=auth)
        assert r.status_code == 201, r.text
        r = http.put(f"/api/v1/customers/M-{i}/accounts/D-{i}", json={
            "kind": "deposit", "account_no": f"6222000{i:05d}", "opened_on": str(clock.today()),
            "balance": balance}, headers=auth)
        assert r.status_code == 201, r.text


def test_the_list_names_every_figure_and_the_clients_organisation(http, bi, uow_factory, org):
    h = _headers(http, bi)
    r = http.get("/api/v1/metrics", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["name"] for f in body["figures"]] == list(figures.FIGURES)
    assert body["scope"] == "none" and "date_from" in body["filters"]
    _grant(uow_factory, "bi-tool", branch_code="SH")
    body = http.get("/api/v1/metrics", headers=h).json()
    assert body["scope"] == "branch" and body["branch_id"] == org.branch_b


def test_a_figure_is_the_dashboards_within_the_grant(http, bi, book, uow_factory, org, actors):
    h = _headers(http, bi)
    r = http.get("/api/v1/metrics/aum_by_segment", headers=h)
    assert r.status_code == 422 and "no organisation granted for figures" in r.json()["message"]
    _grant(uow_factory, "bi-tool", branch_code="BJ")
    r = http.get("/api/v1/metrics/aum_by_segment", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [{"segment": "affluent", "aum": 3500.5, "growth": 3500.5}]
    with uow_factory() as uow:
        page = figures.figure(uow=uow, actor=actors["bm_a"], figure="aum_by_segment", filters={})
    assert r.json() == page.model_dump(mode="json")
    # Another branch, or an RM of it, is refused, naming the field; the firm's figures are never answered.
    for query, field in (("branch_id=2", "branch_id"), (f"rm_id={org.users['rm_b1']}", "branch_id"),
                         ("date_from=2026-13-01", "date_from"), ("branch_id=abc", "branch_id"),
                         ("branch_id=999", "branch_id"), ("product_type=lottery", "product_type"),
                         ("brnach_id=2", "brnach_id")):
        r = http.get(f"/api/v1/metrics/aum_by_segment?{query}", headers=h)
        assert r.status_code == 422, (query, r.text)
        assert field in {f["field"] for f in r.json()["fields"]}, (query, r.json())
    today = clock.today()
    r = http.get(f"/api/v1/metrics/customers_new_lost?date_from={today - timedelta(days=6)}&date_to={today}",
                 headers=h)
    assert r.status_code == 200 and sum(row["new"] for row in r.json()["rows"]) == 2
    r = http.get("/api/v1/metrics/no_such_figure", headers=h)
    assert r.status_code == 422 and "aum_trend" in r.json()["message"]


def test_a_transaction_sent_by_api_shows_in_the_figure_at_once(http, auth, bi, book, uow_factory):
    _grant(uow_factory, "bi-tool", everything=True)
    h = _headers(http, bi)
    before = http.get("/api/v1/metrics/aum_by_segment", headers=h).json()["rows"][0]["aum"]
    r = http.post("/api/v1/transactions", json={"rows": [{
        "external_ref": "T-1", "customer_external_id": "M-2", "account_external_id": "D-2", "kind": "deposit",
        "amount": "499.50", "booked_at": clock.now().isoformat()}]}, headers={**auth, "Idempotency-Key": "k-1"})
    assert r.status_code in (200, 201), r.text
    after = http.get("/api/v1/metrics/aum_by_segment", headers=h).json()["rows"][0]["aum"]
    assert after == before + 499.5


def test_scopes_and_the_openapi_document(http, auth, bi, api_client):
    # Without a token, or with a token lacking metrics:read: refused by the door.
    assert http.get("/api/v1/metrics").status_code == 401
    h = _headers(http, api_client, "customers:read")
    r = http.get("/api/v1/metrics/aum_trend", headers=h)
    assert r.status_code == 403, r.text
    doc = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/metrics" in doc["paths"] and "/api/v1/metrics/{figure}" in doc["paths"]
    op = doc["paths"]["/api/v1/metrics/{figure}"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"figure", "date_from", "date_to", "branch_id", "team_id",
                                                      "rm_id", "product_type"}
    assert op["security"] == [{"oauth2": ["metrics:read"]}]
