"""Loan applications through the REST API: another system submits one for its customer (by its own id) and
reads where it stands - status, the steps waiting with the roles that may act, the checks, the decisions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api_helpers import customer_body, get_token
from services.loans.models import LoanApplication
from services.workflows.models import ApprovalTask
from services.workflows import engine
from workflow_helpers import decide, wf_actors  # noqa: F401 - fixture

BODY = {"external_id": "CB-1", "amount": "300000", "term_months": 36, "purpose": "装修自住房",
        "monthly_income": "30000", "monthly_debt_payments": "1000"}


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


@pytest.fixture
def customer(http, auth):
    r = http.put("/api/v1/customers/CB-1", json=customer_body(1), headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_submit_and_read_through_to_the_decision(http, auth, customer, uow_factory, wf_actors, connection):
    r = http.post("/api/v1/loan-applications", json=BODY, headers=auth)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "in_review" and app["status_text"] == "in review" and app["customer_id"] == customer
    assert app["route"] == "branch" and app["amount"] == "300000.00"
    assert [(s["step_id"], s["roles"]) for s in app["current_steps"]] == [("Task_BranchApproval", ["approver"])]
    assert {"score", "risk_grade", "dti", "fraud_flags", "aml_status"} <= set(app["checks"])
    got = http.get(f"/api/v1/loan-applications/{app['id']}", headers=auth)
    assert got.status_code == 200 and got.json()["ref"] == app["ref"]
    # The customer's RM is the application's owner; a branch approver decides it.
    task = connection.execute(select(func.min(ApprovalTask.id))).scalar()
    decide(uow_factory, wf_actors["approver_a"], task, "approve", "同意")
    done = http.get(f"/api/v1/loan-applications/{app['id']}", headers={**auth, "Accept-Language": "zh-CN"}).json()
    assert done["status"] == "approved" and done["status_text"] == "已批准" and done["current_steps"] == []
    assert [(d["decision"], d["role"], d["comment"]) for d in done["decisions"]] == [("approve", "approver", "同意")]
    assert done["decided_at"]


def test_large_amounts_show_both_countersigners(http, auth, customer):
    r = http.post("/api/v1/loan-applications", json={**BODY, "amount": "2000000", "product_type": "mortgage",
                                                      "term_months": 240, "collateral_type": "property",
                                                      "collateral_value": "5000000", "monthly_income": "90000"},
                  headers=auth)
    assert r.status_code == 201, r.text
    assert sorted(r.json()["current_steps"][i]["roles"][0] for i in range(2)) == ["branch_manager", "credit_officer"]


def test_bad_input_is_422_naming_the_field(http, auth, customer, connection):
    for body, field in (({**BODY, "amount": "-1"}, "amount"), ({**BODY, "term_months": 0}, "term_months"),
                        ({k: v for k, v in BODY.items() if k != "purpose"}, "purpose"),
                        ({**BODY, "extra": 1}, "extra"), ({**BODY, "amount": "1e12"}, "amount"),
                        ({**BODY, "collateral_type": "property"}, "collateral_value")):
        r = http.post("/api/v1/loan-applications", json=body, headers=auth)
        assert r.status_code == 422, (body, r.text)
        assert field in {f["field"] for f in r.json()["fields"]}, r.json()
    assert http.post("/api/v1/loan-applications", json={**BODY, "external_id": "NOPE"},
                     headers=auth).status_code == 404
    assert connection.execute(select(func.count()).select_from(LoanApplication)).scalar() == 0
    assert http.get("/api/v1/loan-applications/abc", headers=auth).status_code == 422
    assert http.get("/api/v1/loan-applications/999999", headers=auth).status_code == 404


def test_scopes_and_the_clients_data_scope(http, auth, customer, make_client):
    app = http.post("/api/v1/loan-applications", json=BODY, headers=auth).json()
    reader = make_client("reader", ["loans:read"])
    h = {"Authorization": f"Bearer {get_token(http, reader)}"}
    assert http.post("/api/v1/loan-applications", json=BODY, headers=h).status_code == 403
    # Another system does not hold this customer: the application does not exist for it.
    assert http.get(f"/api/v1/loan-applications/{app['id']}", headers=h).status_code == 404
    writer = make_client("writer", ["loans:write"])
    hw = {"Authorization": f"Bearer {get_token(http, writer)}"}
    assert http.get(f"/api/v1/loan-applications/{app['id']}", headers=hw).status_code == 403
    assert http.post("/api/v1/loan-applications", json=BODY, headers=hw).status_code == 404  # not its CB-1
