"""Hostile input through the services and the 360 page's quick actions (issue 7 findings 8 and 9, issue 8
"bad input"): display-spoofing text, dates whose UTC conversion overflows, integers beyond a column's
range. Each is refused naming the field, in both languages, and writes nothing; none is a server error.
Raw HTTP attacks on the REST API and the export are in tests/api/test_api_hostile_input.py."""
from __future__ import annotations

import asyncio
import inspect
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.activities import service as activities
from services.activities.models import Interaction, Task, Ticket
from services.customers import consent, custom_fields as cf
from services.customers import service as customers
from services.customers.models import ConsentRecord, Customer, CustomFieldDefinition
from services.errors import ValidationFailed
from services.integration import clients
from services.security import users
from services.tags import service as tags

SPOOFS = ["张三\u202e四", "张\u200b三", "李\u2066四\u2069", "\ufeff王五", "赵\u200f六", "a\ud800b"]
YEAR_ONE_EAST = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))


def _refused(uow_factory, fn, **kwargs) -> list[tuple[str, str]]:
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        fn(uow=uow, **kwargs)
    return [(e.field, e.code) for e in exc.value.errors]


def _count(connection, model) -> int:
    return connection.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- display spoofing (finding 9)

@pytest.mark.parametrize("value", SPOOFS)
def test_names_and_other_customer_text_refuse_invisible_and_direction_characters(uow_factory, actors, connection,
                                                                                 new_customer, value):
    with pytest.raises(ValidationFailed) as exc:
        new_customer(name=value)
    [error] = exc.value.errors
    assert error.field == "name"
    assert error.code in ("value.invisible_characters", "value.invalid_encoding")
    assert "名" in exc.value.message("zh_CN") or "姓名" in exc.value.message("zh_CN")
    p = new_customer()
    assert _refused(uow_factory, customers.update_customer, actor=actors["rm_a1"], customer_id=p.id,
                    version=p.version, changes={"address": value})[0][0] == "address"
    assert _count(connection, Customer) == 1


def test_custom_field_values_and_labels_refuse_spoofing_text(uow_factory, actors, new_customer, connection):
    with uow_factory() as uow:
        cf.create_definition(uow=uow, actor=actors["admin"], data={
            "key": "hobby", "label": "爱好", "label_en": "Hobby", "field_type": "text", "applies_to": "both"})
        uow.commit()
    with pytest.raises(ValidationFailed) as exc:
        new_customer(custom={"hobby": "高尔夫\u202e球"})
    assert [(e.field, e.code) for e in exc.value.errors] == [("custom.hobby", "value.invisible_characters")]
    assert "爱好" in exc.value.message("zh_CN") and "Hobby" in exc.value.message("en")
    assert _refused(uow_factory, cf.create_definition, actor=actors["admin"], data={
        "key": "note2", "label": "备\u200d注", "label_en": "Note", "field_type": "text",
        "applies_to": "both"}) == [("label", "value.invisible_characters")]
    assert _count(connection, Customer) == 0 and _count(connection, CustomFieldDefinition) == 1


def test_consent_evidence_tag_names_and_interaction_text_refuse_spoofing_text(uow_factory, actors, new_customer,
                                                                              connection):
    p = new_customer()
    rm = actors["rm_a1"]
    assert _refused(uow_factory, consent.record_consent, actor=rm, customer_id=p.id, data={
        "purpose": "marketing", "granted": True, "channel": "app", "evidence": "表单\u202e001"}) == [
        ("evidence", "value.invisible_characters")]
    assert _refused(uow_factory, tags.create_tag, actor=actors["admin"], data={
        "code": "vip", "name": "贵宾\u200b", "name_en": "VIP"}) == [("name", "value.invisible_characters")]
    assert _refused(uow_factory, activities.log_interaction, actor=rm, customer_id=p.id, data={
        "kind": "call", "subject": "来电\u2067", "notes": "ok"}) == [("subject", "value.invisible_characters")]
    assert _refused(uow_factory, activities.open_ticket, actor=rm, customer_id=p.id, data={
        "kind": "complaint", "subject": "投诉", "description": "\u202e见附件"}) == [
        ("description", "value.invisible_characters")]
    assert _count(connection, ConsentRecord) == _count(connection, Interaction) == _count(connection, Ticket) == 0


# ---------------------------------------------------------------- dates (findings 8 and 9)

@pytest.mark.parametrize("when", [YEAR_ONE_EAST, datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-8))),
                                  datetime(1899, 12, 31, tzinfo=timezone.utc)])
def test_dates_that_overflow_or_predate_the_business_are_refused_by_every_use_case(uow_factory, actors, new_customer,
                                                                                  connection, when):
    p = new_customer()
    rm = actors["rm_a1"]
    out_of_range = "value.date_out_of_range"
    assert _refused(uow_factory, activities.log_interaction, actor=rm, customer_id=p.id,
                    data={"kind": "call", "subject": "来电", "occurred_at": when}) == [("occurred_at", out_of_range)]
    assert _refused(uow_factory, activities.add_task, actor=rm, customer_id=p.id,
                    data={"title": "回访", "due_at": when}) == [("due_at", out_of_range)]
    assert _refused(uow_factory, consent.record_consent, actor=rm, customer_id=p.id, data={
        "purpose": "marketing", "granted": True, "channel": "app", "recorded_at": when}) == [
        ("recorded_at", out_of_range)]
    assert _count(connection, Interaction) == _count(connection, Task) == _count(connection, ConsentRecord) == 0


def test_a_birth_date_before_1900_is_refused(new_customer):
    with pytest.raises(ValidationFailed) as exc:
        new_customer(birth_date="0001-01-01")
    assert [(e.field, e.code) for e in exc.value.errors] == [("birth_date", "value.date_out_of_range")]
    assert exc.value.message("en") == "Birth date: must be between 1900-01-01 and 2200-12-31"


# ---------------------------------------------------------------- the 360 page's quick actions

@pytest.fixture
def customer_page(page_state, actors, new_customer):
    """The 360 page's state, signed in as rm_a1, with one of their customers loaded."""
    from state.customers import CustomerState

    st = page_state(CustomerState, actors["rm_a1"])
    st.found, st._customer_id = True, new_customer().id
    return st


def _submit(st, handler: str, form: dict):
    """Call the handler as Reflex does (a handler may be a coroutine function: plain ones run off the loop)."""
    out = getattr(type(st), handler).fn(st, form)
    return asyncio.run(out) if inspect.iscoroutine(out) else out


@pytest.mark.parametrize("locale, expected", [("en", "When: must be between 1900-01-01 and 2200-12-31"),
                                              ("zh_CN", "发生时间: 必须在 1900-01-01 至 2200-12-31 之间")])
def test_the_log_a_call_form_with_year_one_says_which_field_instead_of_an_error(customer_page, connection, locale,
                                                                                expected):
    st = customer_page
    st._apply_locale(locale)
    _submit(st, "log_interaction", {"kind": "call", "subject": "来电", "occurred_at": "0001-01-01T00:00"})
    assert st.qa_error == expected
    _submit(st, "add_task", {"title": "回访", "due_at": "0001-01-01T00:00", "priority": "normal"})
    assert st.qa_error.startswith("Due: " if locale == "en" else "截止时间: ")
    _submit(st, "open_ticket", {"kind": "complaint", "subject": "投诉\u202e", "priority": "high"})
    assert "invisible" in st.qa_error or "不可见" in st.qa_error
    assert _count(connection, Interaction) == _count(connection, Task) == _count(connection, Ticket) == 0
    _submit(st, "log_interaction", {"kind": "call", "subject": "来电", "occurred_at": "2026-01-05T10:00"})
    assert st.qa_error == "" and _count(connection, Interaction) == 1


@pytest.mark.parametrize("form", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}])
def test_the_transaction_filter_form_with_dates_out_of_range_says_so(customer_page, form):
    st = customer_page
    _submit(st, "filter_transactions", form)
    assert "must be between 1900-01-01 and 2200-12-31" in st.tx_error


# ---------------------------------------------------------------- integer ranges (issue 8)

@pytest.mark.parametrize("value", [2100960357689305825655222435840, 2**63, 2**31, -(2**70)])
def test_ids_beyond_a_column_are_refused_by_every_use_case_that_takes_one(uow_factory, actors, new_customer, value):
    code = "value.above_max" if value > 0 else "value.below_min"
    with pytest.raises(ValidationFailed) as exc:
        new_customer(owner_id=value)
    assert [(e.field, e.code) for e in exc.value.errors] == [("owner_id", code)]
    p = new_customer()
    assert _refused(uow_factory, customers.update_customer, actor=actors["rm_a1"], customer_id=p.id,
                    version=p.version, changes={"owner_id": value}) == [("owner_id", code)]
    assert _refused(uow_factory, clients.create_client, actor=actors["admin"], data={
        "client_id": "feed-x", "name": "Feed", "scopes": ["customers:read"], "default_owner_id": value}) == [
        ("default_owner_id", code)]
    assert _refused(uow_factory, users.create_user, actor=actors["admin"], data={
        "username": "newbie", "display_name": "New", "password": "correct horse 2", "roles": ["rm"],
        "team_id": value}) == [("team_id", code)]


@pytest.mark.parametrize("bound", ["922337203685477.5808", "920000000000000", "-999999999999999.9999"])
def test_a_custom_field_bound_beyond_its_column_is_refused_not_an_overflow(uow_factory, actors, connection, bound):
    errors = _refused(uow_factory, cf.create_definition, actor=actors["admin"], data={
        "key": "income", "label": "年收入", "label_en": "Income", "field_type": "number", "applies_to": "both",
        "max_value" if not bound.startswith("-") else "min_value": bound})
    assert len(errors) == 1 and errors[0][0] in ("max_value", "min_value")
    assert _count(connection, CustomFieldDefinition) == 0
