"""Suitability through the REST API: the check other systems ask (by their own customer id or FinCRM's), the
products, the customer's investor facts, and a sale proposed by API without a valid assessment (refused:
nothing recorded, 422 with reasons in both languages, an audit event)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api_helpers import customer_body, get_token
from services import clock
from services.suitability.models import Sale, SuitabilityCheck
from suitability_helpers import add_products, audit_rows, set_level


@pytest.fixture
def products(connection):
    return add_products(connection)


@pytest.fixture
def customer(http, auth, uow_factory):
    """A customer the API client created under its own id CB-1, assessed C3 until 200 days from now."""
    r = http.put("/api/v1/customers/CB-1", json=customer_body(1), headers=auth)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    set_level(uow_factory, cid, "C3", clock.today() + timedelta(days=200))
    return cid


def test_the_check_answers_verdict_reasons_and_facts(http, auth, products, customer, connection):
    r = http.post("/api/v1/suitability/check", json={"external_id": "CB-1", "product_code": "SF-R4"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "warning_required"
    assert body["facts"] == {**body["facts"], "investor_class": "ordinary", "risk_level": "C3",
                             "assessment_expires": (clock.today() + timedelta(days=200)).isoformat(),
                             "product_risk_level": "R4", "regime": "securities_funds"}
    assert body["reasons"][0]["zh_CN"] and "risk-mismatch warning" in body["reasons"][0]["en"]
    by_id = http.post("/api/v1/suitability/check", json={"customer_id": customer, "product_code": "BW-R4"},
                      headers=auth).json()
    assert by_id["verdict"] == "refused" and by_id["facts"]["regime"] == "bank_wealth"
    ok = http.post("/api/v1/suitability/check", json={"external_id": "CB-1", "product_code": "SF-R2"},
                   headers=auth).json()
    assert ok["verdict"] == "allowed"
    assert connection.execute(select(func.count()).select_from(SuitabilityCheck)).scalar_one() == 3
    assert len(audit_rows(connection, "suitability.check")) == 3


def test_bad_questions_get_422_naming_the_field(http, auth, products, customer):
    for body, field in (({"external_id": "CB-1"}, "product_code"), ({"product_code": "SF-R1"}, "customer"),
                        ({"external_id": "CB-1", "product_code": "SF-R1", "x": 1}, "x"),
                        ({"customer_id": 2**40, "product_code": "SF-R1"}, "customer_id"),
                        ({"external_id": "CB-1", "product_code": "SF\u202eR1"}, "product_code")):
        r = http.post("/api/v1/suitability/check", json=body, headers=auth)
        assert r.status_code == 422, (body, r.text)
        assert field in {f["field"] for f in r.json()["fields"]}, r.json()
    missing = http.post("/api/v1/suitability/check", json={"external_id": "NOPE", "product_code": "SF-R1"},
                        headers=auth)
    assert missing.status_code == 404
    assert http.post("/api/v1/suitability/check", json={"external_id": "CB-1", "product_code": "NOPE"},
                     headers=auth).status_code == 404


def test_another_clients_customer_is_not_found(http, make_client, products, customer):
    other = make_client("other-system", ["suitability:read"])
    headers = {"Authorization": f"Bearer {get_token(http, other)}"}
    for body in ({"external_id": "CB-1", "product_code": "SF-R1"}, {"customer_id": customer, "product_code": "SF-R1"}):
        assert http.post("/api/v1/suitability/check", json=body, headers=headers).status_code == 404


def test_scopes_are_needed(http, make_client, products, customer):
    reader = make_client("reader", ["customers:read"])
    headers = {"Authorization": f"Bearer {get_token(http, reader)}"}
    assert http.post("/api/v1/suitability/check", json={"external_id": "CB-1", "product_code": "SF-R1"},
                     headers=headers).status_code == 403
    assert http.get("/api/v1/products", headers=headers).status_code == 403
    assert http.post("/api/v1/sales", json={"external_id": "CB-1", "product_code": "SF-R1", "amount": "1"},
                     headers=headers).status_code == 403


def test_products_are_listed(http, auth, products):
    r = http.get("/api/v1/products?page_size=100", headers=auth)
    assert r.status_code == 200
    items = {p["code"]: p for p in r.json()["items"]}
    assert items["BW-R5"]["regime"] == "bank_wealth" and items["SF-R5"]["risk_level"] == "R5"
    assert items["SF-R1"]["issuer"] == "演示基金管理有限公司" and "LN-1" not in items
    assert http.get("/api/v1/products?page_size=100000", headers=auth).status_code == 422


def test_the_customer_carries_investor_class_risk_level_and_expiry(http, auth, customer, uow_factory):
    body = http.get("/api/v1/customers/CB-1", headers=auth).json()
    assert body["investor"] == {"investor_class": "ordinary", "risk_level": "C3",
                                "assessment_expires": (clock.today() + timedelta(days=200)).isoformat(),
                                "assessment_valid": True, "professional_until": None}
    set_level(uow_factory, customer, "C3", clock.today() - timedelta(days=1))
    expired = http.get("/api/v1/customers/CB-1", headers=auth).json()["investor"]
    assert expired["risk_level"] is None and expired["assessment_valid"] is False  # expired counts as none
    assert expired["assessment_expires"] == (clock.today() - timedelta(days=1)).isoformat()


def test_a_sale_without_a_valid_assessment_is_refused_records_nothing_and_is_audited(http, auth, products,
                                                                                     customer, uow_factory,
                                                                                     connection):
    set_level(uow_factory, customer, "C3", clock.today() - timedelta(days=1))
    r = http.post("/api/v1/sales", json={"external_id": "CB-1", "product_code": "SF-R1", "amount": "10000"},
                  headers=auth)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "suitability.refused" and body["verdict"] == "refused"
    assert body["reasons"][0]["code"] == "suitability.assessment_expired" and body["reasons"][0]["zh_CN"]
    assert body["facts"]["assessment_valid"] is False
    assert connection.execute(select(func.count()).select_from(Sale)).scalar_one() == 0
    refused = audit_rows(connection, "access.refused")[-1]
    assert refused.actor_kind == "api_client" and "suitability.assessment_expired" in refused.changes


def test_an_allowed_sale_is_proposed_and_waits_for_the_signature(http, auth, products, customer, connection):
    r = http.post("/api/v1/sales", json={"external_id": "CB-1", "product_code": "SF-R3", "amount": 25000.5,
                                         "locale": "en"}, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "awaiting_signature" and r.json()["amount"] == "25000.50"
    for bad in ({"external_id": "CB-1", "product_code": "SF-R3", "amount": "-1"},
                {"external_id": "CB-1", "product_code": "SF-R3", "amount": "1.001"},
                {"external_id": "CB-1", "product_code": "SF-R3", "amount": "1", "currency": "cny"},
                {"external_id": "CB-1", "product_code": "SF-R3", "amount": "1", "locale": "fr"}):
        assert http.post("/api/v1/sales", json=bad, headers=auth).status_code == 422, bad


def test_the_openapi_document_describes_the_new_operations(http):
    doc = http.get("/api/v1/openapi.json").json()
    assert {"/api/v1/suitability/check", "/api/v1/products", "/api/v1/sales"} <= set(doc["paths"])
    assert "CheckQuestion" in doc["components"]["schemas"] and "SaleProposal" in doc["components"]["schemas"]
    scopes = doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["scopes"]
    assert {"products:read", "suitability:read", "sales:write"} <= set(scopes)
