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
