"""The approval inbox's state (/approvals): what an approver sees in both languages (SLA countdown, the item's
facts, checks and history), deciding with a comment, a decision someone else made first said clearly, and
handlers that take only what the page offers (any socket client may call them with anything)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from services import clock
from services.loans import service as loans
from services.workflows import engine
from state.approvals import ApprovalsState

from workflow_helpers import decide, wf_actors  # noqa: F401 - fixture

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
APP = {"product_type": "personal", "purpose": "购车", "amount": "200000", "term_months": 36,
       "monthly_income": "25000", "monthly_debt_payments": "1000", "credit_rating": "A"}


@pytest.fixture(autouse=True)
def _clock():
    engine.forget_compiled()
    with clock.fixed(NOW):
        yield
    engine.forget_compiled()


def _call(state, name: str, *args):
    out = getattr(ApprovalsState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


@pytest.fixture
def loan(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1", name="钱多多")
    with uow_factory() as uow:
        view = loans.submit_application(uow=uow, actor=wf_actors["rm_a1"], customer_id=c.id, data=APP)
        uow.commit()
    return view


def test_the_inbox_lists_the_task_with_its_sla_and_opens_it(page_state, wf_actors, loan):
    s = page_state(ApprovalsState, wf_actors["approver_a"])
    s.locale = "zh_CN"
    with clock.fixed(NOW + timedelta(hours=5, minutes=30)):
        _call(s, "load")
    assert [r["ref"] for r in s.rows] == [loan.ref]
    row = s.rows[0]
    assert row["customer"] == "钱多多" and row["sla"] == "剩余 18 小时 30 分" and row["late"] == ""
    assert s.summary == "待处理 1 项，其中已超时 0 项"
    _call(s, "open_task", row["id"])
    assert s.selected == row["id"] and s.can_act
    assert s.heading == f"{loan.ref} · 钱多多"
    labels = {f["label"]: f["value"] for f in s.facts}
    assert labels["金额"] == "¥200,000.00" and labels["审批路径"] == "分行审批人"
    checks = {c["label"]: c for c in s.checks}
    assert checks["反欺诈"]["value"] == "未触发" and checks["负债收入比"]["flag"] == ""
    assert [h["text"] for h in s.history] == ["RM_A1 提交"]


def test_overdue_in_english(page_state, wf_actors, loan):
    s = page_state(ApprovalsState, wf_actors["approver_a"])
    s.locale = "en"
    with clock.fixed(NOW + timedelta(hours=26)):
        _call(s, "load")
    assert s.rows[0]["sla"] == "Overdue by 2 h 0 min" and s.rows[0]["late"] == "1"
    assert s.summary == "1 pending, 1 overdue"


def test_deciding_with_a_comment_and_the_history_after(page_state, wf_actors, loan, uow_factory):
    s = page_state(ApprovalsState, wf_actors["approver_a"])
    s.locale = "en"
    _call(s, "load")
    _call(s, "open_task", s.rows[0]["id"])
    _call(s, "decide", "reject")  # no comment: refused, said so
    assert "comment" in s.detail_error.lower() and s.selected
    _call(s, "set_comment", "Income not verified")
    _call(s, "decide", "reject")
    assert s.notice == "Rejected. The process ended: rejected"
    assert s.rows == [] and s.selected == ""
    with uow_factory() as uow:
        assert loans.get_application(uow=uow, actor=wf_actors["rm_a1"], application_id=loan.id).status == "rejected"


def test_someone_else_decided_first(page_state, wf_actors, loan, uow_factory):
    s = page_state(ApprovalsState, wf_actors["approver_a"])
    s.locale = "en"
    _call(s, "load")
    _call(s, "open_task", s.rows[0]["id"])
    decide(uow_factory, wf_actors["approver_a2"], int(s.selected), "approve", "OK")
    _call(s, "decide", "approve")
    assert "APPROVER_A2 already decided this task" in s.detail_error
    assert not s.can_act and s.rows == []
    assert [h["text"].split(" · ")[0] for h in s.history][:2] == ["Submitted by RM_A1", "APPROVER_A2: approved"]


def test_handlers_take_only_what_the_page_offers(page_state, wf_actors, loan):
    s = page_state(ApprovalsState, wf_actors["approver_b"])  # another branch: sees nothing
    _call(s, "load")
    assert s.rows == []
    for bad in ("1 or 1=1", None, -1, 2**40, {"a": 1}):
        _call(s, "open_task", bad)
        assert s.selected == ""
    _call(s, "open_task", str(loan.current_steps[0].task_id))  # exists, not his: answered as not found
    assert s.selected == "" and s.error
    s.selected = str(loan.current_steps[0].task_id)  # forged
    _call(s, "decide", "approve")
    assert s.detail_error == "" and "not" in s.error.lower()
    _call(s, "set_kind", "'; drop")
    assert s.kind == ""
    _call(s, "decide", "launch")


def test_delegating_while_away(page_state, wf_actors, new_customer, uow_factory):
    from services.loans import service as loans

    s = page_state(ApprovalsState, wf_actors["bm_b"])
    s.locale = "en"
    _call(s, "load")
    _call(s, "toggle_away")
    assert s.away_open and str(wf_actors["co"].id) in {c["id"] for c in s.candidates}
    _call(s, "delegate", {"delegate_id": str(wf_actors["co"].id), "starts_at": "2026-11-20T08:00",
                          "ends_at": "2026-11-10T08:00", "reason": "年假"})
    assert "not valid" in s.away_error
    _call(s, "delegate", {"delegate_id": str(wf_actors["co"].id), "starts_at": "2026-11-20T08:00",
                          "ends_at": "2026-11-25T18:00", "reason": "年假"})
    assert s.away_error == "" and s.notice == "Delegated to CO."
    assert s.delegations[0]["mine"] == "1" and s.delegations[0]["active"] == "Active"
    # The credit officer now sees the Shanghai branch manager's sign-off, marked as on his behalf.
    c = new_customer("rm_b1")
    with uow_factory() as uow:
        loans.submit_application(uow=uow, actor=wf_actors["rm_b1"], customer_id=c.id, data={
            **APP, "amount": "900000", "product_type": "mortgage", "term_months": 240, "collateral_type": "property",
            "collateral_value": "3000000", "monthly_income": "60000"})
        uow.commit()
    co = page_state(ApprovalsState, wf_actors["co"])
    co.locale = "en"
    _call(co, "load")
    assert {r["behalf"] for r in co.rows} == {"For BM_B", ""}
    assert co.delegations[0]["mine"] == ""  # received, not his to revoke
    _call(co, "revoke", co.delegations[0]["id"])
    assert co.away_error  # not found for him
    s = page_state(ApprovalsState, wf_actors["bm_b"])  # the fixture signs in one actor at a time
    s.locale = "en"
    _call(s, "load")
    _call(s, "revoke", s.delegations[0]["id"])
    assert s.away_error == "" and s.notice == "Delegation revoked." and s.delegations == []
