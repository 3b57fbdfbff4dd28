"""The tag rule editor's page state: a rule the flat editor cannot hold whole (more conditions than its
rows) is shown as JSON and saved whole, never cut down."""
from __future__ import annotations

import pytest
from state_helpers import call_handler

from services.tags import service as tags

MANY = {"any": [{"field": "age", "op": ">=", "value": 20 + i} for i in range(25)]}


@pytest.fixture
def tags_state(page_state, actors):
    from state.tags import TagsAdminState

    return page_state(TagsAdminState, actors["admin"])


def _call(state, handler: str, *args):
    return call_handler(state, handler, *args)


def test_a_rule_with_more_conditions_than_editor_rows_is_saved_whole(tags_state, uow_factory, actors):
    from state.tags import MAX_ROWS

    assert len(MANY["any"]) > MAX_ROWS
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "many_ages", "name": "多条件", "name_en": "Many", "color": "blue"})
        tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "many_ages", "tag_code": "many_ages", "name": "多条件", "definition": MANY})
        uow.commit()
    st = tags_state
    _call(st, "load")
    _call(st, "edit", "many_ages")
    assert st.nested_json and st.rows == []
    _call(st, "set_form", "f_name", "多条件（改名）")
    _call(st, "save")
    assert st.form_error == ""
    with uow_factory() as uow:
        rule = tags.get_rule(uow=uow, actor=actors["admin"], rule_key="many_ages")
    assert rule.version == 2 and rule.name == "多条件（改名）" and rule.definition == MANY


# ---------------------------------------------------------------- nobody types a code (issue 9, point 7)

def _row(state, i=0):
    return state.rows[i]


def _load_in_chinese(state):
    _call(state, "change_locale", "zh_CN")  # the test session's default language is English
    _call(state, "load")


def test_each_field_offers_only_the_operators_its_type_supports(tags_state):
    st = tags_state
    _call(st, "load")
    _call(st, "new_rule")
    _call(st, "set_row", 0, "field", "segment")
    assert _row(st)["ops"] == "|==|!=|in|not_in|"
    _call(st, "set_row", 0, "op", ">=")  # not offered for a segment: refused, the row stays as it was
    assert _row(st)["op"] == "=="
    _call(st, "set_row", 0, "field", "aum")
    assert _row(st)["ops"] == "|>=|>|<=|<|==|!=|"
    _call(st, "set_row", 0, "field", "holdings_count")
    assert "|in|" not in _row(st)["ops"]


def test_branches_teams_and_rms_are_picked_by_name(tags_state, org):
    st = tags_state
    _load_in_chinese(st)
    assert {"value": str(org.branch_a), "label": "北京分行"} in st.choice_sets["branch_id"]
    assert {"value": str(org.team_b1), "label": "浦东组 · 上海分行"} in st.choice_sets["team_id"]
    rms = {o["label"] for o in st.choice_sets["owner_id"]}
    assert "RM_A1 (rm_a1)" in rms and not any("ADMIN" in r for r in rms)  # relationship managers only
    _call(st, "new_rule")
    _call(st, "set_row", 0, "field", "owner_id")
    assert _row(st)["input"] == "pick"
    _call(st, "set_row", 0, "op", "in")
    assert _row(st)["input"] == "picks"
    _call(st, "toggle_choice", 0, "value", str(org.users["rm_a1"]), True)
    _call(st, "toggle_choice", 0, "value", str(org.users["rm_b1"]), True)
    _call(st, "toggle_choice", 0, "value", "999999", True)  # no such RM on the list: not taken
    rid = _row(st)["rid"]
    assert [o["label"] for o in st.picked[rid]] == ["RM_A1 (rm_a1)", "RM_B1 (rm_b1)"]
    leaf = st._definition()["all"][0]
    assert leaf == {"field": "owner_id", "op": "in", "value": [org.users["rm_a1"], org.users["rm_b1"]]}
    _call(st, "toggle_choice", 0, "value", str(org.users["rm_a1"]), False)
    assert [o["label"] for o in st.picked[rid]] == ["RM_B1 (rm_b1)"]


def test_transaction_kinds_and_product_types_are_ticked_from_their_names(tags_state):
    st = tags_state
    _load_in_chinese(st)
    kinds = {o["value"]: o["label"] for o in st.choice_sets["param.tx_kinds"]}
    assert kinds["card_repayment"] == "信用卡还款" and kinds["premium"] == "保费"
    assert {o["label"] for o in st.choice_sets["param.product_types"]} >= {"基金", "理财"}
    _call(st, "new_rule")
    _call(st, "set_row", 0, "field", "tx_sum")
    assert _row(st)["kset"] == "param.tx_kinds" and _row(st)["shape"] == "window"
    for kind in ("transfer_in", "deposit", "not_a_kind"):
        _call(st, "toggle_choice", 0, "kinds", kind)
    _call(st, "set_row", 0, "days", "30")
    _call(st, "set_row", 0, "value", "500000")
    assert _row(st)["kinds_sel"] == "|deposit|transfer_in|"  # in the list's order, unknown codes dropped
    assert st._definition() == {"all": [{"field": "tx_sum", "op": ">=", "value": "500000", "days": 30,
                                         "kinds": ["deposit", "transfer_in"]}]}
    _call(st, "set_row", 0, "field", "holdings_value")
    _call(st, "toggle_choice", 0, "product_types", "fund")
    _call(st, "toggle_choice", 0, "product_types", "wealth")
    _call(st, "toggle_choice", 0, "product_types", "fund")  # ticked twice: off again
    _call(st, "set_row", 0, "value", "1")
    assert st._definition()["all"][0]["product_types"] == ["wealth"]


def test_a_refused_condition_is_told_in_the_editors_words_in_both_languages(tags_state, uow_factory, actors):
    st = tags_state
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "big", "name": "大额", "name_en": "Big", "color": "blue"})
        uow.commit()
    _load_in_chinese(st)
    _call(st, "new_rule")
    _call(st, "set_form", "f_rule_key", "Big AUM")
    _call(st, "set_form", "f_name", "大额")
    _call(st, "set_row", 0, "value", "一百万")
    _call(st, "add_row")
    _call(st, "set_row", 1, "field", "tx_count")
    _call(st, "set_row", 1, "value", "3")
    _call(st, "save")
    zh = st.form_error
    assert "条件 1（资产管理规模 (AUM)）：取值须为金额" in zh
    assert "条件 2（交易笔数（N天））" in zh and "最近天数" in zh
    assert "规则代码: 须为 2 至 40 位小写字母" in zh
    for code in (">=", "tag_rule", "tx_count", "days", "kinds", "{"):
        assert code not in zh, code
    _call(st, "change_locale", "en")
    en = st.form_error
    assert "Condition 1 (AUM): the value must be an amount" in en and "Rule key: must be 2 to 40" in en
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.replace("一百万", "")), en


def test_switching_language_rewords_the_rule_list_and_notices(tags_state, uow_factory, actors):
    st = tags_state
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "seniors", "name": "老年客户", "name_en": "Seniors", "color": "blue"})
        tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "seniors", "tag_code": "seniors", "name": "65岁以上",
            "definition": {"field": "age", "op": ">=", "value": 65}})
        uow.commit()
    _load_in_chinese(st)
    _call(st, "toggle", "seniors", False)
    assert st.notice.startswith("规则 seniors 已停用")
    _call(st, "change_locale", "en")
    assert st.notice.startswith("Rule seniors is inactive")
    assert st.rules[0]["tag"] == "Seniors" and st.rules[0]["version"] == "version 1"
    assert {o["label"] for o in st.field_options} >= {"Branch", "Relationship manager", "AUM"}
