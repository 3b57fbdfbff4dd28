"""The workflow definitions page's state (/admin/workflows): the definitions, the diagram a draft until saved,
the plain parameters form saving a new version, every problem of a bad draft shown, nothing saved; only admins."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from services.workflows import engine
from services.workflows.models import WorkflowVersion
from state.workflow_admin import WorkflowAdminState


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def _call(state, name: str, *args):
    out = getattr(WorkflowAdminState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


def _versions(connection) -> int:
    return connection.execute(select(func.count()).select_from(WorkflowVersion)).scalar()


def test_the_page_shows_both_definitions_and_the_loan_parameters(page_state, actors):
    s = page_state(WorkflowAdminState, actors["admin"])
    s.locale = "zh_CN"
    _call(s, "load")
    assert [d["key"] for d in s.definitions] == ["loan_approval", "underwriting"]
    assert s.definitions[0]["name"] == "贷款审批" and s.definitions[0]["current"] == "当前版本 1"
    assert "<bpmn:definitions" in s.diagram_xml and not s.draft_dirty
    assert {st["id"]: st["role"] for st in s.steps}["Task_BranchApproval"] == "approver"
    ids = [m["id"] for m in s.table_meta]
    assert ids[:2] == ["loan_routing", "loan_authority"]
    assert s.table_rows[0][2][0] == "<= 500000"
    _call(s, "select_definition", "underwriting")
    assert {st["id"] for st in s.steps} == {"Task_Underwriter", "Task_Complete"}


def test_the_parameters_form_saves_a_new_version(page_state, actors, connection):
    s = page_state(WorkflowAdminState, actors["admin"])
    s.locale = "en"
    _call(s, "load")
    form = {"note": "lower branch limit", "sla-0": "12", "c-0-2-0": "<= 300000"}
    _call(s, "save_parameters", form)
    assert s.notice == "Saved as version 2." and s.problems == []
    assert s.table_rows[0][2][0] == "<= 300000" and s.steps[0]["sla_hours"] == "12"
    assert s.versions[0]["current"] == "1" and s.versions[0]["note"] == "lower branch limit"
    # A role that cannot approve is refused with the problem named; nothing saved.
    _call(s, "save_parameters", {"role-0": "rm"})
    assert s.error == "Not saved. Please fix:" and any("rm" in p for p in s.problems)
    assert _versions(connection) == 3  # loan 1 and 2, underwriting 1


def test_a_diagram_draft_is_checked_and_saved(page_state, actors, connection):
    s = page_state(WorkflowAdminState, actors["admin"])
    s.locale = "en"
    _call(s, "load")
    _call(s, "check_diagram")
    assert s.notice == "The diagram has not changed."
    broken = s.diagram_xml.replace('targetRef="End_Approved"', 'targetRef="Task_Revise"').replace(
        'targetRef="End_Rejected"', 'targetRef="Task_Revise"')
    _call(s, "diagram_changed", broken)
    assert s.draft_dirty
    _call(s, "check_diagram")
    assert any("cycle with no exit" in p for p in s.problems)
    _call(s, "save_diagram", {"note": "x"})
    assert any("cycle with no exit" in p for p in s.problems) and _versions(connection) == 2
    better = s.diagram_xml.replace('name="Branch approval"', 'name="Branch approval (fast)"')
    _call(s, "diagram_changed", better)
    _call(s, "save_diagram", {"note": "renamed"})
    assert s.notice == "Saved as version 2." and not s.draft_dirty and "(fast)" in s.diagram_xml
    # What the browser sends that the page never would is ignored.
    for bad in (None, 5, "x" * 3_000_000):
        _call(s, "diagram_changed", bad)
    assert not s.draft_dirty
    _call(s, "add_row", "0; drop")
    _call(s, "remove_row", 99, 0)
    _call(s, "select_definition", "../etc")
    assert s.key == "loan_approval"


def test_only_admins(page_state, actors):
    s = page_state(WorkflowAdminState, actors["approver_a"])
    s.locale = "en"
    _call(s, "load")
    assert s.definitions == [] and s.error


def test_a_decision_table_edited_in_the_table_editor_is_saved(page_state, actors, connection):
    s = page_state(WorkflowAdminState, actors["admin"])
    s.locale = "en"
    _call(s, "load")
    assert [d["id"] for d in s.dmn_tabs][:2] == ["loan_routing", "loan_authority"]
    assert 'id="loan_routing"' in s.table_xml
    _call(s, "select_table", "1")
    assert s.dmn_index == 1 and 'id="loan_authority"' in s.table_xml
    edited = s.table_xml.replace("<text>500000</text>", "<text>400000</text>", 1)
    assert edited != s.table_xml
    _call(s, "table_changed", edited)
    _call(s, "save_table", {"note": "approvers up to 400,000"})
    assert s.notice == "Saved as version 2." and "<text>400000</text>" in s.table_xml and not s.table_dirty
    # A table that breaks the services' contract (its output renamed) is refused, the problem named.
    _call(s, "table_changed", s.table_xml.replace('name="max_amount"', 'name="limit"'))
    _call(s, "save_table", {})
    assert any("max_amount" in p for p in s.problems) and _versions(connection) == 3  # loan 1, 2; underwriting 1
    _call(s, "select_table", "99")
    assert s.dmn_index == 1
