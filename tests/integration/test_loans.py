"""Loan applications: validated input, the automatic checks attached on submit (scorecard, debt-to-income,
anti-fraud, AML), routing through the shipped definition, approval to a decision letter (PDF, Chinese text),
return and resubmission, withdrawal, scope."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from services import clock
from services.errors import NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.loans import service as loans
from services.loans.models import LoanApplication
from services.workflows import engine
from services.workflows.instances import MakerCannotApprove

from workflow_helpers import decide, open_tasks, wf_actors  # noqa: F401 - fixture

HIDDEN = (NotFound, OutOfScope)

GOOD = {"product_type": "personal", "purpose": "装修自住房", "amount": "300000", "term_months": 36,
        "monthly_income": "30000", "monthly_debt_payments": "2000", "credit_rating": "A"}


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def submit(uow_factory, actor, customer_id, **changes):
    with uow_factory() as uow:
        view = loans.submit_application(uow=uow, actor=actor, customer_id=customer_id, data={**GOOD, **changes})
        uow.commit()
        return view


def get(uow_factory, actor, app_id):
    with uow_factory() as uow:
        return loans.get_application(uow=uow, actor=actor, application_id=app_id)


def test_submit_runs_the_checks_and_routes_to_a_branch_approver(uow_factory, wf_actors, new_customer, connection):
    c = new_customer("rm_a1")
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    assert view.status == "in_review" and view.ref.startswith("LA-")
    ch = view.checks
    assert ch["score"] == view.score and ch["risk_grade"] == view.risk_grade
    assert view.score >= 640 and view.risk_grade in ("A", "B")
    # 300,000 over 36 months at 4.35%: about 8,882 a month; with 2,000 of other debts, 36% of 30,000.
    assert 8800 < float(ch["instalment"]) < 8950 and 0.35 < ch["dti"] < 0.37
    assert ch["fraud_flags"] == [] and ch["aml_status"] == "pending"  # no list loaded in this database
    assert [s.step_id for s in view.current_steps] == ["Task_BranchApproval"]
    assert view.current_steps[0].roles == ["approver"]
    # The approver decides; the application is approved and its letter is a PDF in Chinese.
    decide(uow_factory, wf_actors["approver_a"], view.current_steps[0].task_id, "approve", "同意，按期还款能力充足")
    done = get(uow_factory, wf_actors["rm_a1"], view.id)
    assert done.status == "approved" and done.decided_at is not None and done.letter_available
    assert [(d.decision, d.by, d.acted_as) for d in done.decisions] == [("approve", "APPROVER_A", "approver")]
    with uow_factory() as uow:
        name, pdf = loans.decision_letter(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id,
                                          locale="zh_CN")
    assert name == f"{view.ref}-approved.pdf" and pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "贷款审批决定通知书" in text and "张三" in text and "分行审批人" in text and view.ref in text
    with uow_factory() as uow:
        _, pdf_en = loans.decision_letter(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id, locale="en")
    text_en = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_en)).pages)
    assert "Loan decision letter" in text_en and "36 months" in text_en


def test_amounts_route_to_countersigning_and_the_committee(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    two_m = submit(uow_factory, wf_actors["rm_a1"], c.id, amount="2000000", product_type="mortgage",
                   term_months=240, collateral_type="property", collateral_value="4000000",
                   collateral_description="北京市朝阳区住宅", monthly_income="80000")
    assert {s.step_id for s in two_m.current_steps} == {"Task_ManagerSignoff", "Task_CreditSignoff"}
    assert {r for s in two_m.current_steps for r in s.roles} == {"branch_manager", "credit_officer"}
    assert two_m.checks["ltv"] == 0.5
    c2 = new_customer("rm_a1")
    big = submit(uow_factory, wf_actors["rm_a1"], c2.id, amount="8000000", product_type="business",
                 term_months=60, collateral_type="property", collateral_value="12000000",
                 monthly_income="500000")
    assert [s.step_id for s in big.current_steps] == ["Task_Committee"]


def test_a_rejection_gives_a_letter_with_the_reason(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    decide(uow_factory, wf_actors["approver_a"], view.current_steps[0].task_id, "reject", "收入来源无法核实")
    done = get(uow_factory, wf_actors["rm_a1"], view.id)
    assert done.status == "rejected"
    with uow_factory() as uow:
        _, pdf = loans.decision_letter(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id, locale="zh_CN")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "收入来源无法核实" in text and "未能批准" in text


def test_no_letter_before_a_decision(uow_factory, wf_actors, new_customer):
    view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id)
    with uow_factory() as uow, pytest.raises(loans.NoLetter):
        loans.decision_letter(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id)


def test_anti_fraud_several_applications_from_one_phone_or_id(uow_factory, wf_actors, new_customer):
    a = new_customer("rm_a1", phone="13900001111")
    b = new_customer("rm_a1", phone="13900001111")
    first = submit(uow_factory, wf_actors["rm_a1"], a.id, amount="100000")
    assert first.checks["fraud_flags"] == []
    # Another customer from the same phone within 30 days: flagged, and routed to the committee.
    second = submit(uow_factory, wf_actors["rm_a1"], b.id, amount="100000")
    assert second.checks["same_phone_30d"] == 1 and "same_phone" in second.checks["fraud_flags"]
    assert [s.step_id for s in second.current_steps] == ["Task_Committee"]
    # The same ID a third time in 30 days.
    submit(uow_factory, wf_actors["rm_a1"], a.id, amount="50000")
    third = submit(uow_factory, wf_actors["rm_a1"], a.id, amount="50000")
    assert third.checks["same_id_30d"] == 2 and "same_id" in third.checks["fraud_flags"]
    # More than ten times the annual income.
    c = new_customer("rm_a1")
    greedy = submit(uow_factory, wf_actors["rm_a1"], c.id, amount="500000", monthly_income="3000",
                    monthly_debt_payments="0")
    assert "amount_vs_income" in greedy.checks["fraud_flags"]
    # After 30 days the phone no longer counts.
    d = new_customer("rm_a1", phone="13900001111")
    with clock.fixed(clock.now() + timedelta(days=31)):
        later = submit(uow_factory, wf_actors["rm_a1"], d.id, amount="100000")
    assert later.checks["same_phone_30d"] == 0


def test_aml_screening_at_submission_refers_a_possible_match(uow_factory, wf_actors, new_customer):
    from aml_helpers import INTERNAL
    from services.aml import service as aml

    # The customer arrived before any list was loaded: never screened. Submitting screens him now.
    listed = new_customer("rm_a1", name="王建国")
    clean = new_customer("rm_a1", name="赵六")
    with uow_factory() as uow:
        aml.load_list(uow=uow, actor=wf_actors["compliance"], content=INTERNAL)
        uow.commit()
    view = submit(uow_factory, wf_actors["rm_a1"], listed.id, amount="100000")
    assert view.checks["aml_status"] == "refer" and view.checks["aml_open_hits"] == 1
    assert [s.step_id for s in view.current_steps] == ["Task_Committee"]
    ok = submit(uow_factory, wf_actors["rm_a1"], clean.id, amount="100000")
    assert (ok.checks["aml_status"], ok.checks["aml_rating"]) == ("clear", "low")
    assert [s.step_id for s in ok.current_steps] == ["Task_BranchApproval"]


@pytest.mark.parametrize("changes, field", [
    ({"amount": "0"}, "amount"), ({"amount": "-5"}, "amount"), ({"amount": "abc"}, "amount"),
    ({"amount": "200000000"}, "amount"), ({"term_months": 0}, "term_months"), ({"term_months": 500}, "term_months"),
    ({"term_months": 120}, "term_months"),  # a personal loan runs at most 60 months
    ({"purpose": ""}, "purpose"), ({"purpose": "x" * 501}, "purpose"), ({"product_type": "yacht"}, "product_type"),
    ({"collateral_type": "property"}, "collateral_value"), ({"monthly_income": "-1"}, "monthly_income"),
    ({"credit_rating": "Z"}, "credit_rating"), ({"bogus": 1}, "bogus"), ({"purpose": "装修\u202e"}, "purpose"),
])
def test_bad_input_is_refused_by_field(uow_factory, wf_actors, new_customer, connection, changes, field):
    c = new_customer("rm_a1")
    with pytest.raises(ValidationFailed) as err:
        submit(uow_factory, wf_actors["rm_a1"], c.id, **changes)
    assert field in [e.field for e in err.value.errors]
    assert connection.execute(select(LoanApplication.id)).first() is None


def test_scope_and_permissions(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    with pytest.raises(HIDDEN):  # another branch's RM cannot apply for this customer
        submit(uow_factory, wf_actors["rm_b1"], c.id)
    with pytest.raises(NotPermitted):  # an approver does not apply
        submit(uow_factory, wf_actors["approver_a"], c.id)
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    with pytest.raises(HIDDEN):
        get(uow_factory, wf_actors["rm_b1"], view.id)
    assert get(uow_factory, wf_actors["co"], view.id).id == view.id  # head office reads every branch
    with pytest.raises(NotPermitted):
        get(uow_factory, wf_actors["admin"], view.id)


def test_return_revise_resubmit_and_maker_checker(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    decide(uow_factory, wf_actors["approver_a"], view.current_steps[0].task_id, "return", "请补充抵押物信息")
    returned = get(uow_factory, wf_actors["rm_a1"], view.id)
    assert returned.status == "returned" and [s.step_id for s in returned.current_steps] == ["Task_Revise"]
    assert returned.current_steps[0].roles == []  # the RM's own step
    # A stale version is refused; the right one goes back to the approvers, checked again.
    from services.errors import ConcurrentModification

    with uow_factory() as uow, pytest.raises(ConcurrentModification):
        loans.resubmit_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id,
                                   version=returned.version + 1, data=GOOD)
    with uow_factory() as uow:
        again = loans.resubmit_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id,
                                           version=returned.version,
                                           data={**GOOD, "collateral_type": "deposit", "collateral_value": "400000"})
        uow.commit()
    assert again.status == "in_review" and again.version == 2 and again.checks["ltv"] == 0.75
    assert [s.step_id for s in again.current_steps] == ["Task_BranchApproval"]
    assert [d.decision for d in again.decisions] == ["return", "resubmit"]
    # Resubmitting an application that is not returned is refused.
    with uow_factory() as uow, pytest.raises(loans.NotReturned):
        loans.resubmit_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id, version=2, data=GOOD)
    decide(uow_factory, wf_actors["approver_a2"], again.current_steps[0].task_id)
    assert get(uow_factory, wf_actors["rm_a1"], view.id).status == "approved"


def test_a_branch_manager_who_applies_cannot_sign_it(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    view = submit(uow_factory, wf_actors["bm_a"], c.id, amount="2000000", product_type="business", term_months=60,
                  collateral_type="property", collateral_value="5000000", monthly_income="150000")
    task = next(s.task_id for s in view.current_steps if s.step_id == "Task_ManagerSignoff")
    with pytest.raises(MakerCannotApprove):
        decide(uow_factory, wf_actors["bm_a"], task)


def test_withdraw(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    with uow_factory() as uow:
        out = loans.withdraw_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id, reason="客户放弃")
        uow.commit()
    assert out.status == "withdrawn" and out.current_steps == []
    with uow_factory() as uow, pytest.raises(loans.LoanClosed):
        loans.withdraw_application(uow=uow, actor=wf_actors["rm_a1"], application_id=view.id)


def test_list_in_scope(uow_factory, wf_actors, new_customer):
    submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id)
    submit(uow_factory, wf_actors["rm_b1"], new_customer("rm_b1").id)
    with uow_factory() as uow:
        assert len(loans.list_applications(uow=uow, actor=wf_actors["rm_a1"])) == 1
        assert len(loans.list_applications(uow=uow, actor=wf_actors["co"])) == 2
