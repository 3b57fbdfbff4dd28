"""Custom fields on a real database: definitions by admins, values through create/update, field
permissions, list filters (JSON paths on SQLite and PostgreSQL) and presentation."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.customers import custom_fields as cf
from services.customers import service
from services.customers.models import Customer, CustomFieldDefinition
from services.errors import Refusal, ValidationFailed
from services.security.models import AuditEvent

INCOME = {"key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money",
          "applies_to": "individual", "min_value": "0", "max_value": "100000000", "position": 2}
PRIVATE = {"key": "private_banking", "label": "是否私行客户", "label_en": "Private banking client",
           "field_type": "choice", "choices": [{"value": "yes", "label": "是", "label_en": "Yes"},
                                               {"value": "no", "label": "否", "label_en": "No"}], "position": 1}
HOBBIES = {"key": "hobbies", "label": "兴趣爱好", "label_en": "Interests", "field_type": "multi_choice",
           "choices": [{"value": "golf", "label": "高尔夫", "label_en": "Golf"},
                       {"value": "travel", "label": "旅行", "label_en": "Travel"},
                       {"value": "art", "label": "艺术收藏", "label_en": "Art"}], "position": 3}
NOTE = {"key": "risk_note", "label": "风险偏好备注", "label_en": "Risk preference note", "field_type": "text",
        "max_length": 20, "visible_to": ["rm", "compliance"], "editable_by": ["rm"], "position": 4}
SINCE = {"key": "vip_since", "label": "贵宾起始日", "label_en": "VIP since", "field_type": "date", "position": 5}


def _define(uow_factory, actors, *specs):
    out = []
    with uow_factory() as uow:
        for spec in specs:
            out.append(cf.create_definition(uow=uow, actor=actors["admin"], data=dict(spec)))
        uow.commit()
    return out


def _fields(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: e.code for e in exc.errors}


def test_admin_defines_fields_and_only_admin_may(uow_factory, actors, connection):
    income, = _define(uow_factory, actors, INCOME)
    assert income.key == "annual_income" and income.field_type == "money" and income.active
    ev = connection.execute(select(AuditEvent).where(AuditEvent.action == "custom_field.create")).one()
    assert json.loads(ev.changes)["key"] == "annual_income"
    for who in ("rm_a1", "compliance", "ops_a"):
        with uow_factory() as uow, pytest.raises(Refusal):
            cf.create_definition(uow=uow, actor=actors[who], data=dict(PRIVATE))


@pytest.mark.parametrize("spec, field, code", [
    ({**INCOME, "key": "Income"}, "key", "value.invalid"),
    ({**INCOME, "key": "x"}, "key", "value.invalid"),
    ({**INCOME, "min_value": "10", "max_value": "5"}, "max_value", "custom_field.min_above_max"),
    ({**INCOME, "min_value": "0.001"}, "min_value", "value.too_many_decimals"),
    ({**PRIVATE, "choices": []}, "choices", "custom_field.choices_required"),
    ({**PRIVATE, "choices": PRIVATE["choices"] * 2}, "choices", "custom_field.duplicate_choice"),
    ({**NOTE, "choices": PRIVATE["choices"]}, "choices", "custom_field.not_for_type"),
    ({**INCOME, "max_length": 5}, "max_length", "custom_field.not_for_type"),
    ({**NOTE, "editable_by": ["ops"]}, "editable_by", "custom_field.editable_not_visible"),
    ({**NOTE, "visible_to": ["superuser"]}, "visible_to", "value.invalid_choice"),
    ({**INCOME, "field_type": "blob"}, "field_type", "value.invalid_choice"),
    ({**NOTE, "label": "坏\x00"}, "label", "value.control_characters"),
])
def test_bad_definitions_name_the_field(uow_factory, actors, connection, spec, field, code):
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        cf.create_definition(uow=uow, actor=actors["admin"], data=spec)
    assert _fields(exc.value).get(field) == code, exc.value.errors
    assert connection.execute(select(func.count()).select_from(CustomFieldDefinition)).scalar_one() == 0


def test_duplicate_key_is_refused_and_choices_in_use_cannot_be_removed(uow_factory, actors):
    private, = _define(uow_factory, actors, PRIVATE)
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        cf.create_definition(uow=uow, actor=actors["admin"], data=dict(PRIVATE))
    assert _fields(exc.value) == {"key": "value.taken"}
    update = {k: v for k, v in PRIVATE.items() if k not in ("key", "field_type")}
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        cf.update_definition(uow=uow, actor=actors["admin"], field_id=private.id,
                             data={**update, "choices": PRIVATE["choices"][:1]})
    assert _fields(exc.value) == {"choices": "custom_field.choice_removed"}
    relabelled = [{"value": "yes", "label": "是的", "label_en": "Yes"}, PRIVATE["choices"][1],
                  {"value": "pending", "label": "待定", "label_en": "Pending"}]
    with uow_factory() as uow:
        v = cf.update_definition(uow=uow, actor=actors["admin"], field_id=private.id,
                                 data={**update, "choices": relabelled, "required": True})
        uow.commit()
    assert [c.value for c in v.choices] == ["yes", "no", "pending"] and v.required
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:  # key and type never change
        cf.update_definition(uow=uow, actor=actors["admin"], field_id=private.id,
                             data={**update, "field_type": "text"})
    assert _fields(exc.value) == {"field_type": "value.unknown_field"}


def test_values_are_validated_and_stored_canonically_through_create_and_update(
        uow_factory, actors, new_customer, connection):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE)
    p = new_customer(custom={"annual_income": "1,250,000.5", "private_banking": "是",
                             "hobbies": "travel;golf", "vip_since": "2024/3/1"})
    stored = connection.execute(select(Customer.custom).where(Customer.id == p.id)).scalar_one()
    assert stored == {"annual_income": "1250000.50", "private_banking": "yes", "hobbies": ["golf", "travel"],
                      "vip_since": "2024-03-01"}
    assert cf.typed_value("money", stored["annual_income"]) == Decimal("1250000.50")
    ev = connection.execute(select(AuditEvent).where(AuditEvent.action == "customer.create")).one()
    assert json.loads(ev.changes)["custom.annual_income"] == [None, "1250000.50"]

    with uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=p.id, version=p.version,
                                changes={"custom": {"annual_income": 2000000, "hobbies": None}})
        uow.commit()
    stored = connection.execute(select(Customer.custom, Customer.version).where(Customer.id == p.id)).one()
    assert stored.custom == {"annual_income": "2000000.00", "private_banking": "yes", "vip_since": "2024-03-01"}
    assert stored.version == p.version + 1


@pytest.mark.parametrize("values, field, code", [
    ({"annual_income": "abc"}, "custom.annual_income", "value.not_a_number"),
    ({"annual_income": "-1"}, "custom.annual_income", "value.below_min"),
    ({"annual_income": "1.234"}, "custom.annual_income", "value.too_many_decimals"),
    ({"annual_income": True}, "custom.annual_income", "value.not_a_number"),
    ({"annual_income": "NaN"}, "custom.annual_income", "value.not_a_number"),
    ({"private_banking": "maybe"}, "custom.private_banking", "value.invalid_choice"),
    ({"hobbies": ["golf", "chess"]}, "custom.hobbies", "value.invalid_choice"),
    ({"vip_since": "2024-02-30"}, "custom.vip_since", "value.not_a_date"),
    ({"nonexistent": "x"}, "custom.nonexistent", "value.unknown_field"),
    ({"Bad Key!": "x"}, "custom", "value.unknown_field"),
])
def test_bad_values_name_the_custom_field_and_nothing_is_written(
        uow_factory, actors, new_customer, connection, values, field, code):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE)
    before = connection.execute(select(func.count()).select_from(Customer)).scalar_one()
    with pytest.raises(ValidationFailed) as exc:
        new_customer(custom=values)
    assert _fields(exc.value) == {field: code}
    assert connection.execute(select(func.count()).select_from(Customer)).scalar_one() == before


def test_error_messages_name_the_field_by_its_label_in_the_users_language(uow_factory, actors, new_customer):
    _define(uow_factory, actors, INCOME)
    with pytest.raises(ValidationFailed) as exc:
        new_customer(custom={"annual_income": "-5"})
    assert exc.value.message("zh_CN") == "年收入: 不能小于 0"
    assert exc.value.message("en") == "Annual income: must be at least 0"


def test_required_field_must_be_given_on_create_and_cannot_be_cleared(uow_factory, actors, new_customer):
    _define(uow_factory, actors, {**PRIVATE, "required": True})
    with pytest.raises(ValidationFailed) as exc:
        new_customer()
    assert _fields(exc.value) == {"custom.private_banking": "value.required"}
    p = new_customer(custom={"private_banking": "no"})
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=p.id, version=p.version,
                                changes={"custom": {"private_banking": ""}})
    assert _fields(exc.value) == {"custom.private_banking": "value.required"}


def test_field_permissions_are_enforced_in_services(uow_factory, actors, new_customer, connection):
    _define(uow_factory, actors, NOTE, INCOME)
    p = new_customer(custom={"risk_note": "稳健，不碰股票"})
    # The team lead may not see risk_note: for them it does not exist (no leak of its existence).
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        service.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=p.id, version=p.version,
                                changes={"custom": {"risk_note": "改掉"}})
    assert _fields(exc.value) == {"custom.risk_note": "value.unknown_field"}
    # Compliance sees it but may not edit it.
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        service.update_customer(uow=uow, actor=actors["compliance"], customer_id=p.id, version=p.version,
                                changes={"custom": {"risk_note": "改掉"}})
    assert _fields(exc.value) == {"custom.risk_note": "value.not_editable"}
    # A team lead's edit of another field leaves the hidden one untouched.
    with uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=p.id, version=p.version,
                                changes={"custom": {"annual_income": "100"}})
        uow.commit()
    stored = connection.execute(select(Customer.custom).where(Customer.id == p.id)).scalar_one()
    assert stored == {"risk_note": "稳健，不碰股票", "annual_income": "100.00"}
    # The audit trail records that the restricted field changed, not its text.
    ev = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "customer.create")).scalar_one()
    assert json.loads(ev)["custom.risk_note"] == "changed" and "稳健" not in ev
    # Presentation leaves out what the actor may not see.
    with uow_factory() as uow:
        lead = cf.present_custom_values(uow.session, actors["lead_a1"], "individual", stored)
        rm = cf.present_custom_values(uow.session, actors["rm_a1"], "individual", stored)
    assert [v.key for v in lead] == ["annual_income"]
    assert [(v.key, v.display_zh, v.display_en, v.editable) for v in rm] == [
        ("annual_income", "¥100.00", "CN¥100.00", True), ("risk_note", "稳健，不碰股票", "稳健，不碰股票", True)]


def test_presentation_formats_each_type_in_both_languages(uow_factory, actors):
    _define(uow_factory, actors, PRIVATE, HOBBIES, SINCE)
    with uow_factory() as uow:
        views = cf.present_custom_values(uow.session, actors["rm_a1"], "institution",
                                         {"private_banking": "yes", "hobbies": ["golf", "art"],
                                          "vip_since": "2024-03-01"})
    shown = {v.key: (v.display_zh, v.display_en) for v in views}
    assert shown == {"private_banking": ("是", "Yes"), "hobbies": ("高尔夫、艺术收藏", "Golf, Art"),
                     "vip_since": ("2024年3月1日", "Mar 1, 2024")}


def test_institution_only_and_inactive_fields(uow_factory, actors, new_customer):
    income, = _define(uow_factory, actors, INCOME)  # individuals only
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        cf.clean_custom_values(uow.session, actors["rm_a1"], kind="institution",
                               values={"annual_income": "1"}, current={})
    assert _fields(exc.value) == {"custom.annual_income": "value.unknown_field"}
    p = new_customer(custom={"annual_income": "10"})
    with uow_factory() as uow:
        cf.set_definition_active(uow=uow, actor=actors["admin"], field_id=income.id, active=False)
        uow.commit()
    with uow_factory() as uow:
        assert cf.present_custom_values(uow.session, actors["rm_a1"], "individual", {"annual_income": "10"}) == []
        assert cf.list_definitions(uow=uow, actor=actors["rm_a1"]) == []
        assert [d.active for d in cf.list_definitions(uow=uow, actor=actors["admin"], include_inactive=True)] == [
            False]
        # the stored value survives deactivation
        kept = cf.clean_custom_values(uow.session, actors["rm_a1"], kind="individual", values={},
                                      current={"annual_income": "10"})
    assert kept == {"annual_income": "10"} and p.id


def _search(uow_factory, actor, filters, query=""):
    with uow_factory() as uow:
        page = service.search_customers(uow=uow, actor=actor, query=query, page_size=100, filters=filters)
    return {c.name for c in page.items}


def test_list_filters_on_custom_and_core_fields(uow_factory, actors, new_customer):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, NOTE, SINCE)
    new_customer(name="甲", segment="hnw", custom={"annual_income": "900000", "private_banking": "yes",
                                                   "hobbies": ["golf"], "risk_note": "保守型", "vip_since": "2020-01-01"})
    new_customer(name="乙", custom={"annual_income": "120000.5", "private_banking": "no",
                                    "hobbies": ["golf", "travel"], "vip_since": "2023-06-30"})
    new_customer(name="丙", custom={"hobbies": ["art"]})
    new_customer(owner="rm_b1", name="丁", custom={"annual_income": "5000000", "private_banking": "yes"})
    rm = actors["rm_a1"]
    assert _search(uow_factory, rm, [{"field": "custom.annual_income", "op": "gte", "value": "500000"}]) == {"甲"}
    assert _search(uow_factory, rm, [{"field": "custom.annual_income", "op": "lt", "value": 900000}]) == {"乙"}
    assert _search(uow_factory, rm, [{"field": "custom.private_banking", "op": "eq", "value": "yes"}]) == {"甲"}
    assert _search(uow_factory, rm, [{"field": "custom.private_banking", "op": "ne", "value": "yes"}]) == {"乙", "丙"}
    assert _search(uow_factory, rm, [{"field": "custom.hobbies", "op": "contains", "value": "golf"}]) == {"甲", "乙"}
    assert _search(uow_factory, rm, [{"field": "custom.hobbies", "op": "contains", "value": "旅行"}]) == {"乙"}
    assert _search(uow_factory, rm, [{"field": "custom.risk_note", "op": "contains", "value": "保守"}]) == {"甲"}
    assert _search(uow_factory, rm, [{"field": "custom.vip_since", "op": "gt", "value": "2021-01-01"}]) == {"乙"}
    assert _search(uow_factory, rm, [{"field": "custom.annual_income", "op": "is_set", "value": False}]) == {"丙"}
    assert _search(uow_factory, rm, [{"field": "segment", "op": "eq", "value": "hnw"},
                                     {"field": "custom.hobbies", "op": "contains", "value": "golf"}]) == {"甲"}
    assert _search(uow_factory, rm, [{"field": "custom.hobbies", "op": "contains", "value": "golf"}],
                   query="乙") == {"乙"}
    # scope still applies: compliance sees 丁 in the other branch, the RM never does
    assert _search(uow_factory, actors["compliance"],
                   [{"field": "custom.private_banking", "op": "eq", "value": "yes"}]) == {"甲", "丁"}


def test_filters_on_hidden_or_bad_fields_are_refused(uow_factory, actors):
    _define(uow_factory, actors, INCOME, NOTE)
    cases = [
        (actors["lead_a1"], [{"field": "custom.risk_note", "op": "contains", "value": "保守"}], "filters",
         "filter.unknown_field"),
        (actors["rm_a1"], [{"field": "custom.annual_income", "op": "contains", "value": "1"}],
         "custom.annual_income", "filter.bad_op"),
        (actors["rm_a1"], [{"field": "custom.annual_income", "op": "gt", "value": "lots"}],
         "custom.annual_income", "value.not_a_number"),
        (actors["rm_a1"], [{"field": "segment", "op": "eq", "value": "royalty"}], "segment", "value.invalid_choice"),
        (actors["rm_a1"], [{"field": "custom.annual_income", "op": "gt", "value": 1, "sql": "1=1"}], "filters",
         "value.wrong_type"),
        (actors["rm_a1"], [{"field": "segment", "value": "hnw"}] * 11, "filters", "filter.too_many"),
        (actors["rm_a1"], "segment=hnw", "filters", "filter.too_many"),
    ]
    for actor, filters, field, code in cases:
        with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
            service.search_customers(uow=uow, actor=actor, filters=filters)
        assert _fields(exc.value) == {field: code}, (filters, exc.value.errors)
