"""The loan applications page's state (/loans): an RM finds his customer, submits an application and sees where it
waits and who may act; a returned one is revised and resubmitted; the decision letter's link once decided; field
errors named; handlers take only what the page offers."""
from __future__ import annotations

import asyncio

import pytest

from services.workflows import engine
from state.loans import LoansState

from workflow_helpers import decide, wf_actors  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def _call(state, name: str, *args):
    out = getattr(LoansState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


FORM = {"product_type": "personal", "purpose": "购车", "amount": "200000", "term_months": "36",
        "collateral_type": "none", "monthly_income": "25000", "monthly_debt_payments": "1000", "credit_rating": "A"}


def test_an_rm_submits_and_follows_an_application(page_state, wf_actors, new_customer, uow_factory):
    c = new_customer("rm_a1", name="孙悟空")
    s = page_state(LoansState, wf_actors["rm_a1"])
    s.locale = "zh_CN"
    _call(s, "load")
    assert s.rows == []
    _call(s, "new_application")
    _call(s, "find_customer", "孙悟空")
    assert [f["name"] for f in s.found] == ["孙悟空"]
    _call(s, "submit", {**FORM, "amount": "-1"})  # no customer yet, and a bad amount
    assert "客户" in s.form_error
    _call(s, "choose_customer", s.found[0]["id"])
    assert s.customer_name == "孙悟空"
    _call(s, "submit", {**FORM, "amount": "-1"})
    assert "金额" in s.form_error
    _call(s, "submit", FORM)
    assert s.form == "" and s.notice.startswith("已提交：LA-") and "分行审批人" in s.notice
    assert s.waiting == "等待：分行审批（分行审批人）"
    assert len(s.rows) == 1 and s.rows[0]["status_text"] == "审批中" and s.can_withdraw and not s.can_revise
    from services.loans import service as loans

    with uow_factory() as uow:
        view = loans.get_application(uow=uow, actor=wf_actors["rm_a1"], application_id=int(s.selected))
    decide(uow_factory, wf_actors["approver_a"], view.current_steps[0].task_id, "return", "请补充收入证明")
    _call(s, "open_application", str(view.id))
    assert s.can_revise and s.decisions[0]["comment"] == "请补充收入证明"
    _call(s, "revise")
    assert s.form == "revise" and s.values["amount"] == "200000.00"
    _call(s, "submit", {**FORM, "monthly_income": "30000"})
    assert s.notice.startswith("已重新提交") and not s.can_revise
    with uow_factory() as uow:
        view = loans.get_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id)
    decide(uow_factory, wf_actors["approver_a2"], view.current_steps[0].task_id, "approve", "同意")
    _call(s, "open_application", str(view.id))
    assert s.letter_href == f"/documents/loan-letter/{view.id}" and not s.can_withdraw


def test_an_approver_reads_but_does_not_apply(page_state, wf_actors, new_customer, uow_factory):
    from services.loans import service as loans

    c = new_customer("rm_a1")
    with uow_factory() as uow:
        v = loans.submit_application(uow=uow, actor=wf_actors["rm_a1"], customer_id=c.id, data={
            k: (int(v) if k == "term_months" else v) for k, v in FORM.items()})
        uow.commit()
    s = page_state(LoansState, wf_actors["approver_a"])
    s.locale = "en"
    _call(s, "load")
    _call(s, "open_application", str(v.id))
    assert s.heading.startswith(v.ref) and not s.can_withdraw and not s.can_revise
    _call(s, "withdraw")
    assert s.notice == ""
    s.form, s.customer_id = "new", str(c.id)  # forged
    _call(s, "submit", FORM)
    assert "permission" in s.form_error.lower() or s.form_error


def test_handlers_take_only_what_the_page_offers(page_state, wf_actors):
    s = page_state(LoansState, wf_actors["rm_b1"])
    _call(s, "load")
    for bad in (None, "1; drop", 2**40, {"x": 1}):
        _call(s, "open_application", bad)
        _call(s, "choose_customer", bad)
        _call(s, "find_customer", bad)
        _call(s, "set_status", bad)
    assert s.selected == "" and s.customer_id == "" and s.status == ""
    _call(s, "submit", {"a": 1})  # no form open
    _call(s, "submit", ["not", "a", "dict"])
