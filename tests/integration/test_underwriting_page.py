"""The underwriting page's state (/underwriting): an RM submits a proposal with its health questionnaire and reads
the triage; a referred case returned by the underwriter is completed and resubmitted; handlers take only what the
page offers."""
from __future__ import annotations

import asyncio

import pytest

from services.workflows import engine
from state.underwriting import UnderwritingState

from workflow_helpers import decide, wf_actors  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def _call(state, name: str, *args):
    out = getattr(UnderwritingState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


FORM = {"product_type": "health", "sum_insured": "300000", "height_cm": "175", "weight_kg": "70"}


def test_an_rm_submits_a_proposal_and_completes_a_returned_one(page_state, wf_actors, new_customer, uow_factory):
    new_customer("rm_a1", name="猪八戒")
    s = page_state(UnderwritingState, wf_actors["rm_a1"])
    s.locale = "zh_CN"
    _call(s, "load")
    _call(s, "new_case")
    _call(s, "find_customer", "猪八戒")
    _call(s, "choose_customer", s.found[0]["id"])
    _call(s, "submit", {**FORM, "height_cm": "20"})
    assert "身高" in s.form_error
    _call(s, "submit", FORM)
    assert s.notice.startswith("已提交：UW-") and "自动承保" in s.notice and s.rows[0]["status_text"] == "已承保"
    _call(s, "new_case")
    _call(s, "find_customer", "猪八戒")
    _call(s, "choose_customer", s.found[0]["id"])
    _call(s, "submit", {**FORM, "smoker": "on", "cond_hypertension": "on"})
    assert "转人工核保" in s.notice and s.waiting == "人工核保（核保人）" and s.can_withdraw
    from services.underwriting import service as uw

    with uow_factory() as uow:
        case = uw.get_case(uow=uow, actor=wf_actors["rm_a1"], case_id=int(s.selected))
    assert case.questionnaire["conditions"] == ["hypertension"] and case.questionnaire["smoker"] is True
    decide(uow_factory, wf_actors["uw"], case.current_steps[0]["task_id"], "return", "请提供血压记录")
    _call(s, "open_case", s.selected)
    assert s.can_revise and s.values["cond_hypertension"] == "1" and s.decisions[0]["comment"] == "请提供血压记录"
    _call(s, "revise")
    _call(s, "submit", FORM)  # the condition turned out to be cured: accepted
    assert s.notice.startswith("已重新提交") and "自动承保" in s.notice


def test_handlers_take_only_what_the_page_offers(page_state, wf_actors):
    s = page_state(UnderwritingState, wf_actors["approver_a"])  # reads nothing of underwriting
    _call(s, "load")
    assert s.rows == [] and s.error
    for bad in (None, "1; drop", 2**40, {"x": 1}):
        _call(s, "open_case", bad)
        _call(s, "choose_customer", bad)
        _call(s, "set_status", bad)
    assert s.selected == "" and s.customer_id == "" and s.status == ""
    _call(s, "submit", {"a": 1})
