"""Custom fields through REST API v1 (SQLite, and PostgreSQL when FINCRM_TEST_DATABASE_URL is set):
PUT accepts `custom`, validated by the same rules and field permissions (role "api") as every door,
GET returns the values the client may see, and the OpenAPI document describes both."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api_helpers import count, customer_body

INCOME = {"key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money",
          "applies_to": "individual", "min_value": "0", "max_value": "100000000", "position": 1}
PRIVATE = {"key": "private_banking", "label": "是否私行客户", "label_en": "Private banking client",
           "field_type": "choice", "choices": [{"value": "yes", "label": "是", "label_en": "Yes"},
                                               {"value": "no", "label": "否", "label_en": "No"}], "position": 2}
HOBBIES = {"key": "hobbies", "label": "兴趣爱好", "label_en": "Interests", "field_type": "multi_choice",
           "choices": [{"value": "golf", "label": "高尔夫", "label_en": "Golf"},
                       {"value": "travel", "label": "旅行", "label_en": "Travel"}], "position": 3}
SINCE = {"key": "vip_since", "label": "贵宾起始日", "label_en": "VIP since", "field_type": "date", "position": 4}
RM_NOTE = {"key": "rm_note", "label": "客户经理备注", "label_en": "RM note", "field_type": "text",
           "visible_to": ["rm"], "editable_by": ["rm"], "position": 5}
RM_SCORE = {"key": "rm_score", "label": "客户经理评分", "label_en": "RM score", "field_type": "number",
            "editable_by": ["rm"], "position": 6}
CORE_ID = {"key": "core_segment", "label": "核心系统分层", "label_en": "Core segment", "field_type": "text",
           "visible_to": ["api", "compliance"], "editable_by": ["api"], "position": 7}


@pytest.fixture
def fields(uow_factory, actors):
    from services.customers import custom_fields as cf

    with uow_factory() as uow:
        for spec in (INCOME, PRIVATE, HOBBIES, SINCE, RM_NOTE, RM_SCORE, CORE_ID):
            cf.create_definition(uow=uow, actor=actors["admin"], data=dict(spec))
        uow.commit()


def _stored(app_db, customer_id: int) -> dict:
    from services.customers.models import Customer

    return app_db.execute(select(Customer.custom).where(Customer.id == customer_id)).scalar_one()


def _audits(app_db, action: str) -> int:
    from services.security.models import AuditEvent

    return app_db.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).scalar_one()


def test_put_stores_custom_values_in_canonical_form_and_get_returns_them(http, auth, fields, app_db):
    body = customer_body(1, custom={"annual_income": 1234567.5, "private_banking": "Yes",
                                    "hobbies": ["旅行", "golf"], "vip_since": "2024-03-01",
                                    "core_segment": "P1"})
    r = http.put("/api/v1/customers/C-1", json=body, headers=auth)
    assert r.status_code == 201, r.text
    want = {"annual_income": "1234567.50", "private_banking": "yes", "hobbies": ["golf", "travel"],
            "vip_since": "2024-03-01", "core_segment": "P1"}
    assert r.json()["custom"] == want
    cid = r.json()["id"]
    assert _stored(app_db, cid) == want
    got = http.get("/api/v1/customers/C-1", headers=auth)
    assert got.status_code == 200 and got.json()["profile"]["custom"] == want


def test_put_again_changes_only_what_differs(http, auth, fields, app_db):
    body = customer_body(2, custom={"annual_income": "500000", "private_banking": "no", "hobbies": ["golf"]})
    first = http.put("/api/v1/customers/C-2", json=body, headers=auth).json()
    updates = _audits(app_db, "customer.update")
    same = http.put("/api/v1/customers/C-2", json=customer_body(2, custom={"annual_income": "500,000.00",
                                                                           "private_banking": "否"}), headers=auth)
    assert same.status_code == 200 and same.json()["version"] == first["version"] == 1
    assert _audits(app_db, "customer.update") == updates
    changed = http.put("/api/v1/customers/C-2", json=customer_body(2, custom={"private_banking": "yes",
                                                                              "hobbies": None}), headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert changed.json()["custom"] == {"annual_income": "500000.00", "private_banking": "yes"}
    assert _stored(app_db, first["id"]) == {"annual_income": "500000.00", "private_banking": "yes"}
    assert _audits(app_db, "customer.update") == updates + 1


def test_bad_custom_values_get_422_naming_each_field_and_nothing_is_written(http, auth, fields, app_db):
    bad = {"annual_income": "12.345", "private_banking": "maybe", "vip_since": "2024-02-30", "nope": "x"}
    r = http.put("/api/v1/customers/C-3", json=customer_body(3, custom=bad), headers=auth)
    assert r.status_code == 422, r.text
    problems = {p["field"]: (p["code"], p["message"]) for p in r.json()["fields"]}
    assert problems == {
        "custom.annual_income": ("value.too_many_decimals", "Annual income: may have at most 2 decimal places"),
        "custom.private_banking": ("value.invalid_choice", "Private banking client: must be one of: yes, no"),
        "custom.vip_since": ("value.not_a_date", "VIP since: must be a date (YYYY-MM-DD)"),
        "custom.nope": ("value.unknown_field", "nope: is not a known field")}
    assert count(app_db, "customer") == 0 and count(app_db, "external_ref") == 0
    # On update too: the valid change in the same body is not written either.
    ok = http.put("/api/v1/customers/C-3", json=customer_body(3, custom={"annual_income": "1"}), headers=auth)
    assert ok.status_code == 201
    zh = {**auth, "Accept-Language": "zh-CN"}
    r = http.put("/api/v1/customers/C-3", json=customer_body(3, email="new@example.com",
                                                             custom={"annual_income": "-1"}), headers=zh)
    assert r.status_code == 422 and r.json()["fields"][0]["message"] == "年收入: 不能小于 0"
    got = http.get("/api/v1/customers/C-3", headers=auth).json()["profile"]
    assert got["custom"] == {"annual_income": "1.00"} and got["version"] == 1


def test_field_permissions_apply_to_api_clients(http, auth, fields, app_db, uow_factory, actors):
    from services.customers import service

    r = http.put("/api/v1/customers/C-4", json=customer_body(4, custom={"rm_score": "5"}), headers=auth)
    assert r.status_code == 422
    assert r.json()["fields"] == [{"field": "custom.rm_score", "code": "value.not_editable",
                                   "message": "RM score: may not be changed by you"}]
    hidden = http.put("/api/v1/customers/C-4", json=customer_body(4, custom={"rm_note": "x"}), headers=auth)
    assert hidden.status_code == 422 and hidden.json()["fields"][0]["code"] == "value.unknown_field"
    made = http.put("/api/v1/customers/C-4", json=customer_body(4), headers=auth).json()
    # The RM sets the fields only RMs may edit; the client never sees rm_note, and keeps rm_score's value.
    with uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=made["id"], version=made["version"],
                                changes={"custom": {"rm_note": "prefers mornings", "rm_score": "4.5"}})
        uow.commit()
    got = http.get("/api/v1/customers/C-4", headers=auth).json()["profile"]["custom"]
    assert got == {"rm_score": "4.5"}
    again = http.put("/api/v1/customers/C-4", json=customer_body(4, custom={"private_banking": "yes"}), headers=auth)
    assert again.status_code == 200 and again.json()["custom"] == {"private_banking": "yes", "rm_score": "4.5"}
    assert _stored(app_db, made["id"]) == {"rm_note": "prefers mornings", "rm_score": "4.5",
                                           "private_banking": "yes"}


def test_custom_fields_endpoint_lists_what_the_client_may_see_and_set(http, auth, fields):
    r = http.get("/api/v1/custom-fields", headers=auth)
    assert r.status_code == 200, r.text
    listed = {f["key"]: f["editable"] for f in r.json()}
    assert listed == {"annual_income": True, "private_banking": True, "hobbies": True, "vip_since": True,
                      "rm_score": False, "core_segment": True}
    choices = next(f for f in r.json() if f["key"] == "private_banking")["choices"]
    assert [c["value"] for c in choices] == ["yes", "no"]
    assert http.get("/api/v1/custom-fields").status_code == 401


def test_openapi_documents_custom_values_in_and_out(http):
    doc = http.get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    body = schemas["CustomerCreate"]["properties"]["custom"]
    assert "custom-fields" in body["description"]
    assert {"type": "array", "items": {"type": "string"}} in body["anyOf"][0]["additionalProperties"]["anyOf"]
    put = doc["paths"]["/api/v1/customers/{external_id}"]["put"]["responses"]["201"]
    ref = put["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "custom" in schemas[ref]["properties"]
    get = doc["paths"]["/api/v1/customers/{external_id}"]["get"]["responses"]["200"]
    detail = get["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    profile = schemas[detail]["properties"]["profile"]["$ref"].rsplit("/", 1)[-1]
    assert profile == ref
    assert doc["paths"]["/api/v1/custom-fields"]["get"]["security"] == [{"oauth2": ["customers:read"]}]
