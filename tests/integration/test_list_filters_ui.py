"""The customer list's filter panel (state/list_filters.py): which fields and operators an actor is
offered, how panel rows become the service's filter list (errors naming the row in the user's
language), and that those filters narrow the real search on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from state_helpers import call_handler

from services.customers import custom_fields as cf
from services.customers import service
from services.errors import ValidationFailed
from state import list_filters as lf

PRIVATE = {"key": "private_banking", "label": "是否私行客户", "label_en": "Private banking client",
           "field_type": "choice", "applies_to": "individual", "position": 1,
           "choices": [{"value": "yes", "label": "是", "label_en": "Yes"},
                       {"value": "no", "label": "否", "label_en": "No"}]}
INCOME = {"key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money",
          "position": 2, "visible_to": ["rm", "compliance"]}
HOBBIES = {"key": "hobbies", "label": "兴趣爱好", "label_en": "Interests", "field_type": "multi_choice", "position": 3,
           "choices": [{"value": "golf", "label": "高尔夫", "label_en": "Golf"},
                       {"value": "art", "label": "艺术收藏", "label_en": "Art"}]}
SINCE = {"key": "vip_since", "label": "贵宾起始日", "label_en": "VIP since", "field_type": "date", "position": 4}


@pytest.fixture
def defined(uow_factory, actors):
    with uow_factory() as uow:
        for spec in (PRIVATE, INCOME, HOBBIES, SINCE):
            cf.create_definition(uow=uow, actor=actors["admin"], data=dict(spec))
        uow.commit()


def _specs(uow_factory, actor):
    with uow_factory() as uow:
        return lf.field_specs(cf.list_definitions(uow=uow, actor=actor))


def _search(uow_factory, actor, filters, query=""):
    with uow_factory() as uow:
        page = service.search_customers(uow=uow, actor=actor, query=query, page=1, page_size=50, filters=filters)
    return sorted(c.name for c in page.items)


def test_offered_fields_follow_field_permissions_and_types(uow_factory, actors, defined):
    rm = _specs(uow_factory, actors["rm_a1"])
    lead = _specs(uow_factory, actors["lead_a1"])
    assert list(rm)[:7] == list(lf.CORE_ORDER)
    assert {"custom.private_banking", "custom.annual_income", "custom.hobbies", "custom.vip_since"} <= set(rm)
    assert "custom.annual_income" not in lead  # visible to rm and compliance only
    assert rm["custom.annual_income"].ops[:2] == ("gte", "lte") and "contains" not in rm["custom.annual_income"].ops
    assert rm["custom.hobbies"].ops == ("contains", "is_set", "not_set")
    assert rm["segment"].ops == ("eq", "ne")
    # Labels in both languages: the core ones from the UI labels, the custom ones as the admin wrote them.
    options = lf.field_options(rm, "en", custom=True)
    assert [o.label for o in options] == ["Private banking client", "Annual income", "Interests", "VIP since"]
    assert lf.field_options(rm, "zh_CN", custom=False)[0].label == "客户分层"
    assert [o.label for o in lf.choice_options(rm["segment"], "zh_CN")][:2] == ["大众客户", "富裕客户"]
    assert [o.label for o in lf.op_options(rm["custom.vip_since"], "en")][:2] == ["at least", "at most"]
    # Every operator offered has a label in both languages, and the service accepts it.
    for spec in rm.values():
        for op in spec.ops:
            assert lf.label(f"lf.op.{op}", "zh_CN") != lf.label(f"lf.op.{op}", "en")
            service_op = "is_set" if op == "not_set" else op
            allowed = lf.service_filters.CORE_OPS if not spec.custom else \
                lf.service_filters.OPS_BY_TYPE[spec.field_type]
            assert service_op in allowed


def test_rows_become_the_services_filter_list(uow_factory, actors, defined):
    specs = _specs(uow_factory, actors["rm_a1"])
    rows = [
        {"field": "segment", "op": "eq", "value": "affluent"},
        {"field": "custom.annual_income", "op": "gte", "value": " ¥500,000 "},
        {"field": "custom.private_banking", "op": "not_set", "value": "ignored"},
        {"field": "custom.hobbies", "op": "contains", "value": "golf"},
        {"field": "custom.vip_since", "op": "lt", "value": "2024/01/31"},
        {"field": "risk_level", "op": "is_set", "value": ""},
    ]
    assert lf.build_filters(rows, specs) == [
        {"field": "segment", "op": "eq", "value": "affluent"},
        {"field": "custom.annual_income", "op": "gte", "value": "500000"},
        {"field": "custom.private_banking", "op": "is_set", "value": False},
        {"field": "custom.hobbies", "op": "contains", "value": "golf"},
        {"field": "custom.vip_since", "op": "lt", "value": "2024-01-31"},
        {"field": "risk_level", "op": "is_set", "value": True},
    ]
    assert lf.build_filters([], specs) == []


def test_bad_rows_are_named_by_number_and_field_in_the_users_language(uow_factory, actors, defined):
    specs = _specs(uow_factory, actors["lead_a1"])
    rows = [
        {"field": "segment", "op": "eq", "value": "affluent"},  # fine
        {"field": "segment", "op": "eq", "value": "gold"},  # not a segment
        {"field": "custom.annual_income", "op": "gte", "value": "1"},  # hidden from a team lead
        {"field": "custom.private_banking", "op": "gt", "value": "yes"},  # no order on a choice
        {"field": "custom.vip_since", "op": "eq", "value": ""},  # value missing
        {"field": "custom.vip_since", "op": "eq", "value": "31.01.2024"},
        "not a row",
    ]
    with pytest.raises(ValidationFailed) as caught:
        lf.build_filters(rows, specs)
    codes = [e.code for e in caught.value.errors]
    assert codes == ["value.invalid_choice", "filter.unknown_field", "filter.bad_op", "value.required",
                     "value.not_a_date", "value.wrong_type"]
    zh = lf.error_message(caught.value, "zh_CN")
    en = lf.error_message(caught.value, "en")
    assert "筛选条件 2（客户分层）: 必须为以下之一：大众客户" in zh
    assert "Filter 3: custom.annual_income is not a field you can filter on" in en
    assert "Filter 4 (Private banking client): supports only: is, is not, is set, is not set" in en
    assert "筛选条件 4（是否私行客户）: 仅支持：等于, 不等于, 已填写, 未填写" in zh
    assert "Filter 5 (VIP since): is required" in en and "Filter 7: has the wrong type" in en
    with pytest.raises(ValidationFailed) as caught:
        lf.build_filters([{"field": "segment", "op": "eq", "value": "mass"}] * (lf.MAX_ROWS + 1), specs)
    assert caught.value.errors[0].code == "filter.too_many"
    with pytest.raises(ValidationFailed):
        lf.build_filters({"field": "segment"}, specs)


@pytest.mark.parametrize("value, ok", [("12.5", True), ("-3", True), ("1e9", False), ("12.34567", False),
                                       ("NaN", False), ("1" * 17, False), ("=1+1", False)])
def test_number_values_are_checked_before_the_search(uow_factory, actors, defined, value, ok):
    specs = _specs(uow_factory, actors["rm_a1"])
    row = [{"field": "custom.annual_income", "op": "gt", "value": value}]
    if ok:
        assert lf.build_filters(row, specs)[0]["value"] == value
    else:
        with pytest.raises(ValidationFailed):
            lf.build_filters(row, specs)


def test_built_filters_narrow_the_real_search_and_chips_read_well(uow_factory, actors, defined, new_customer):
    new_customer(name="富一", segment="affluent", custom={"private_banking": "yes", "annual_income": "800000",
                                                         "hobbies": ["golf"]})
    new_customer(name="富二", segment="affluent", custom={"annual_income": "100000", "hobbies": ["art"]})
    new_customer(name="大众", segment="mass", custom={"private_banking": "no"})
    new_customer(owner="rm_b1", name="别人的富", segment="affluent", custom={"private_banking": "yes"})
    rm = actors["rm_a1"]
    specs = _specs(uow_factory, rm)

    def names(rows):
        return _search(uow_factory, rm, lf.build_filters(rows, specs))

    assert names([]) == ["大众", "富一", "富二"]  # rm_b1's customer is outside the scope
    assert names([{"field": "segment", "op": "eq", "value": "affluent"}]) == ["富一", "富二"]
    assert names([{"field": "segment", "op": "eq", "value": "affluent"},
                  {"field": "custom.annual_income", "op": "gte", "value": "500,000"}]) == ["富一"]
    assert names([{"field": "custom.private_banking", "op": "not_set", "value": ""}]) == ["富二"]
    assert names([{"field": "custom.private_banking", "op": "ne", "value": "yes"}]) == ["大众", "富二"]
    assert names([{"field": "custom.hobbies", "op": "contains", "value": "art"}]) == ["富二"]

    applied = lf.build_filters([{"field": "segment", "op": "eq", "value": "affluent"},
                                {"field": "custom.private_banking", "op": "not_set", "value": ""},
                                {"field": "custom.annual_income", "op": "gte", "value": "500000"}], specs)
    assert [lf.chip_text(f, specs, "zh_CN") for f in applied] == [
        "客户分层 等于 富裕客户", "是否私行客户 未填写", "年收入 大于等于 500,000"]
    assert [lf.chip_text(f, specs, "en") for f in applied][0] == "Segment is Affluent"
    # A chip's filter goes back into the panel as the row it came from.
    assert [lf.ui_row(f) for f in applied][1] == ("custom.private_banking", "not_set", "")
    row = lf.make_row("r1", "custom.private_banking", "gt", "yes", specs, "en")
    assert row.op == "eq" and row.input == "select" and [c.label for c in row.choices] == ["Yes", "No"]
    assert lf.make_row("r2", "custom.annual_income", "gte", "", specs, "en").input == "number"
    assert lf.make_row("r3", "custom.annual_income", "is_set", "", specs, "en").input == "none"
    # The export link carries the same search and filters.
    params = parse_qs(lf.export_query("富", applied))
    assert params["q"] == ["富"] and json.loads(params["filters"][0]) == applied


# ---------------------------------------------------------------- the page state's handlers


@pytest.fixture
def list_state(page_state, actors):
    """CustomersState signed in as rm_a1."""
    from state.customer_list import CustomersState

    return page_state(CustomersState, actors["rm_a1"])


def _call(state, handler: str, *args):
    return call_handler(state, handler, *args)


def test_handlers_apply_filters_and_refuse_anything_the_panel_never_sends(list_state, defined, new_customer):
    new_customer(name="富一", segment="affluent", custom={"private_banking": "yes"})
    new_customer(name="富二", segment="affluent", custom={"private_banking": "no"})
    new_customer(name="大众", segment="mass")
    st = list_state
    _call(st, "load")
    assert sorted(r["name"] for r in st.rows) == ["大众", "富一", "富二"] and st.export_params == "q="
    assert [o.value for o in st.filter_custom_fields][:2] == ["custom.private_banking", "custom.annual_income"]
    _call(st, "toggle_filters")
    assert st.filters_open and [r.key for r in st.filter_rows] == ["r1"] and st.filter_rows[0].field == "segment"

    # Whatever a socket client sends, nothing is applied and the page keeps working.
    for handler, args in [("set_filter_field", ("r1", "custom.nope")), ("set_filter_field", (["r1"], 5)),
                          ("set_filter_field", ("r9", "segment")), ("set_filter_op", ("r1", "gt")),
                          ("set_filter_op", (None, "eq")), ("apply_filters", ("not a form",)),
                          ("apply_filters", ({"value-r1": {"$ne": 1}},)), ("apply_filters", ({"value-r1": "gold"},)),
                          ("apply_filters", ({f"x{i}": "" for i in range(100)},))]:
        st.filter_error = ""
        _call(st, handler, *args)
        assert st.filter_error, (handler, args)
        assert st.filter_chips == [] and len(st.rows) == 3
    for handler, args in [("remove_filter_row", (None,)), ("remove_filter", ({"a": 1},)), ("remove_filter", (-1,)),
                          ("remove_filter", (True,)), ("remove_filter", ("99",))]:
        _call(st, handler, *args)
        assert st.filter_chips == [] and len(st.rows) == 3 and len(st.filter_rows) == 1
    _call(st, "apply_filters", {"value-r1": "gold"})
    assert st.filter_error.startswith("Filter 1 (Segment): must be one of: Mass, Affluent")

    _call(st, "set_filter_field", "r1", "custom.private_banking")
    assert st.filter_rows[0].input == "select" and [c.value for c in st.filter_rows[0].choices] == ["yes", "no"]
    _call(st, "add_filter_row")
    _call(st, "set_filter_field", "r2", "segment")
    _call(st, "apply_filters", {"value-r1": "yes", "value-r2": "affluent"})
    assert st.filter_error == "" and not st.filters_open
    assert [r["name"] for r in st.rows] == ["富一"]
    assert [c["text"] for c in st.filter_chips] == ["Private banking client is Yes", "Segment is Affluent"]
    assert json.loads(parse_qs(st.export_params)["filters"][0]) == [
        {"field": "custom.private_banking", "op": "eq", "value": "yes"},
        {"field": "segment", "op": "eq", "value": "affluent"}]

    _call(st, "remove_filter", "0")  # the chip's ×
    assert sorted(r["name"] for r in st.rows) == ["富一", "富二"] and len(st.filter_chips) == 1
    assert [(r.field, r.value) for r in st.filter_rows] == [("segment", "affluent")]
    _call(st, "clear_filters")
    assert len(st.rows) == 3 and st.filter_chips == [] and st.filter_rows == []
