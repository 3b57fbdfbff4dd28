"""Approval tasks on the shipped loan and underwriting definitions: routing by amount per the DMN authority
table, parallel countersigning, maker-checker, authority limits, returns and resubmission, decisions on a
closed instance, two decisions at once, delegation while away, and every decision audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services import clock
from services.errors import ConcurrentModification, NotFound, OutOfScope, ValidationFailed

HIDDEN = (NotFound, OutOfScope)  # a task that is not his answers as one that does not exist
from services.security.models import AuditEvent
from services.workflows import delegation, engine, inbox, instances
from services.workflows.instances import AlreadyDecided, InstanceClosed, MakerCannotApprove, NoAuthority, SameSigner
from services.workflows.models import ApprovalTask, WorkflowInstance

from workflow_helpers import decide, instance, open_tasks, start_loan, wf_actors  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def _audits(connection, action: str) -> list[dict]:
    """The audit events of `action`, oldest first: who (actor_id) and what (the changes, decoded)."""
    import json

    rows = connection.execute(select(AuditEvent.actor_id, AuditEvent.changes).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).all()
    return [{"actor_id": a, **json.loads(c)} for a, c in rows]


# ---------------------------------------------------------------- routing per the DMN tables

@pytest.mark.parametrize("amount, steps, route", [
    (1, {"Task_BranchApproval"}, "branch"),
    (500_000, {"Task_BranchApproval"}, "branch"),
    (500_001, {"Task_ManagerSignoff", "Task_CreditSignoff"}, "countersign"),
    (5_000_000, {"Task_ManagerSignoff", "Task_CreditSignoff"}, "countersign"),
    (5_000_001, {"Task_Committee"}, "committee"),
])
def test_routing_by_amount(uow_factory, wf_actors, amount, steps, route):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=amount)
    assert set(open_tasks(uow_factory, inst)) == steps
    assert instance(uow_factory, inst).route == route


def test_the_checks_route_too(uow_factory, wf_actors):
    # A possible AML match, an anti-fraud flag, a weak grade or a high debt-to-income take a small loan higher.
    assert set(open_tasks(uow_factory, start_loan(uow_factory, wf_actors["rm_a1"], amount=100_000,
                                                  aml="refer"))) == {"Task_Committee"}
    assert set(open_tasks(uow_factory, start_loan(uow_factory, wf_actors["rm_a1"], amount=100_000,
                                                  fraud_flags=1))) == {"Task_Committee"}
    assert set(open_tasks(uow_factory, start_loan(uow_factory, wf_actors["rm_a1"], amount=100_000,
                                                  grade="D"))) == {"Task_ManagerSignoff", "Task_CreditSignoff"}
    assert set(open_tasks(uow_factory, start_loan(uow_factory, wf_actors["rm_a1"], amount=100_000,
                                                  dti=0.7))) == {"Task_ManagerSignoff", "Task_CreditSignoff"}


def test_a_branch_approval_ends_approved_and_is_audited(uow_factory, wf_actors, connection):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    result = decide(uow_factory, wf_actors["approver_a"], task, "approve", "收入证明齐全")
    assert (result.instance_status, result.outcome, result.next_steps) == ("ended", "approved", [])
    row = instance(uow_factory, inst)
    assert (row.status, row.outcome, row.revision) == ("ended", "approved", 2)
    decided = _audits(connection, "approval.decided")
    assert len(decided) == 1
    assert decided[0]["actor_id"] == str(wf_actors["approver_a"].id)
    assert decided[0]["decision"] == "approve" and decided[0]["comment"] == "收入证明齐全"
    assert decided[0]["acted_as"] == "approver"
    assert [e["outcome"] for e in _audits(connection, "workflow.ended")] == ["approved"]
    assert len(_audits(connection, "workflow.started")) == 1


def test_countersigning_needs_both_the_branch_manager_and_a_credit_officer(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    first = decide(uow_factory, wf_actors["bm_a"], tasks["Task_ManagerSignoff"])
    assert first.instance_status == "running"
    assert [s.step_id for s in first.next_steps] == ["Task_CreditSignoff"]
    second = decide(uow_factory, wf_actors["co"], tasks["Task_CreditSignoff"])
    assert (second.instance_status, second.outcome) == ("ended", "approved")


def test_one_countersigner_rejecting_rejects_and_withdraws_the_other(uow_factory, wf_actors, connection):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    result = decide(uow_factory, wf_actors["co"], tasks["Task_CreditSignoff"], "reject", "负债过高")
    assert (result.instance_status, result.outcome) == ("ended", "rejected")
    with uow_factory() as uow:
        other = uow.session.get(ApprovalTask, tasks["Task_ManagerSignoff"])
        assert (other.status, other.decision) == ("withdrawn", "withdrawn")


def test_the_committee_decides_above_five_million(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=8_000_000)
    task = open_tasks(uow_factory, inst)["Task_Committee"]
    # The branch's people cannot act on it at all: it is not theirs (answered as not found).
    with pytest.raises(HIDDEN):
        decide(uow_factory, wf_actors["bm_a"], task)
    assert decide(uow_factory, wf_actors["cc"], task).outcome == "approved"


def test_an_approver_without_authority_for_the_amount_is_refused(uow_factory, wf_actors, connection):
    # A business loan at grade C: a branch approver may approve up to 300,000 (the authority matrix).
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=400_000, grade="C", product="business")
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    with pytest.raises(NoAuthority) as err:
        decide(uow_factory, wf_actors["approver_a"], task)
    assert "300,000" in err.value.message("en")
    assert instance(uow_factory, inst).revision == 1
    # He may still reject or return it.
    assert decide(uow_factory, wf_actors["approver_a"], task, "reject", "超出权限且资料不足").outcome == "rejected"


def test_another_branchs_approver_cannot_see_or_decide(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    with pytest.raises(HIDDEN):
        decide(uow_factory, wf_actors["approver_b"], task)
    with uow_factory() as uow:
        assert inbox.inbox(uow=uow, actor=wf_actors["approver_b"]).total == 0
        assert [i.task_id for i in inbox.inbox(uow=uow, actor=wf_actors["approver_a"]).items] == [task]


# ---------------------------------------------------------------- maker-checker

def test_the_maker_can_never_approve(uow_factory, wf_actors, connection):
    # A branch manager who started an item cannot sign it, even though his role is asked to.
    inst = start_loan(uow_factory, wf_actors["bm_a"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    with pytest.raises(MakerCannotApprove) as err:
        decide(uow_factory, wf_actors["bm_a"], tasks["Task_ManagerSignoff"])
    assert "maker-checker" in err.value.message("en")
    assert instance(uow_factory, inst).revision == 1
    # Not listed in his inbox either.
    with uow_factory() as uow:
        assert inbox.inbox(uow=uow, actor=wf_actors["bm_a"]).total == 0


def test_the_last_editor_cannot_approve_after_resubmitting(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    result = decide(uow_factory, wf_actors["approver_a"], task, "return", "请补充收入证明")
    assert result.instance_status == "running"
    assert [s.step_id for s in result.next_steps] == ["Task_Revise"]
    # The branch manager revises it (as the RM's superior) and resubmits a larger amount...
    with uow_factory() as uow:
        instances.resubmit(uow.session, wf_actors["bm_a"], instance_id=inst,
                           data={"risk_grade": "B", "aml_status": "clear", "fraud_flags": 0, "dti": 0.3},
                           amount=__import__("decimal").Decimal("900000"), risk_grade="B")
        uow.commit()
    row = instance(uow_factory, inst)
    assert (row.round, row.route, row.last_edited_by) == (2, "countersign", wf_actors["bm_a"].id)
    tasks = open_tasks(uow_factory, inst)
    assert set(tasks) == {"Task_ManagerSignoff", "Task_CreditSignoff"}
    # ... so he, the last editor, may not sign it; the RM who started it may not either.
    with pytest.raises(MakerCannotApprove):
        decide(uow_factory, wf_actors["bm_a"], tasks["Task_ManagerSignoff"])


def test_one_person_signs_once_per_round(uow_factory, wf_actors, connection, org):
    # Someone holding both roles cannot countersign with himself.
    from sqlalchemy import update

    from services.security.auth import actor_for_user
    from services.security.models import User
    from sqlmodel import Session

    connection.execute(update(User).where(User.id == org.users["bm_a"]).values(
        roles=["branch_manager", "credit_officer"]))
    with Session(connection) as s:
        both = actor_for_user(s.get(User, org.users["bm_a"]))
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    decide(uow_factory, both, tasks["Task_ManagerSignoff"])
    with pytest.raises(SameSigner):
        decide(uow_factory, both, tasks["Task_CreditSignoff"])


# ---------------------------------------------------------------- bad input and closed instances

def test_reject_and_return_need_a_comment_and_decisions_are_checked(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    for decision, comment in (("reject", ""), ("return", "   "), ("approve_all", "x"), (None, None)):
        with pytest.raises(ValidationFailed):
            decide(uow_factory, wf_actors["approver_a"], task, decision, comment)
    with pytest.raises(ValidationFailed):
        decide(uow_factory, wf_actors["approver_a"], "1; drop table", "approve")
    assert instance(uow_factory, inst).revision == 1


def test_a_decision_on_a_closed_instance_is_refused(uow_factory, wf_actors, connection):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    decide(uow_factory, wf_actors["co"], tasks["Task_CreditSignoff"], "reject", "不符合条件")
    # The withdrawn countersign task: already closed, said so clearly.
    with pytest.raises(AlreadyDecided):
        decide(uow_factory, wf_actors["bm_a"], tasks["Task_ManagerSignoff"])
    # A cancelled item's task.
    other = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, other)["Task_BranchApproval"]
    with uow_factory() as uow:
        instances.cancel(uow.session, wf_actors["rm_a1"], instance_id=other, reason="客户撤回")
        uow.commit()
    with pytest.raises((AlreadyDecided, InstanceClosed)) as err:
        decide(uow_factory, wf_actors["approver_a"], task)
    before = instance(uow_factory, other)
    assert before.status == "cancelled"
    assert err.value.http_status == 409
    # An instance that ended while a task row was (wrongly) left open still refuses, as closed.
    third = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    t3 = open_tasks(uow_factory, third)["Task_BranchApproval"]
    from sqlalchemy import update

    connection.execute(update(WorkflowInstance).where(WorkflowInstance.id == third).values(
        status="ended", outcome="rejected"))
    with pytest.raises(InstanceClosed) as err:
        decide(uow_factory, wf_actors["approver_a"], t3)
    assert "has ended" in err.value.message("en")


def test_a_decided_task_is_refused_a_second_time_naming_who_decided(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    task = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    # Two approvers of the branch had the task open; the first approves.
    decide(uow_factory, wf_actors["approver_a"], task)
    revision = instance(uow_factory, inst).revision
    with pytest.raises(AlreadyDecided) as err:
        decide(uow_factory, wf_actors["approver_a2"], task, "reject", "太迟了")
    assert "APPROVER_A already decided this task" in err.value.message("en")
    assert instance(uow_factory, inst).revision == revision


def test_a_stale_engine_state_is_refused_by_the_revision(uow_factory, wf_actors, monkeypatch):
    """The optimistic revision is the backstop behind the row lock: a decision computed from a state that
    changed meanwhile is refused (409) and nothing it did is kept."""
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    real_store = instances._store

    def racing_store(session, row, wf, now):
        # Another countersigner's decision commits between this one's read and its write.
        from sqlalchemy import update

        session.execute(update(WorkflowInstance).where(WorkflowInstance.id == row.id).values(
            revision=WorkflowInstance.revision + 1).execution_options(synchronize_session=False))
        return real_store(session, row, wf, now)

    monkeypatch.setattr(instances, "_store", racing_store)
    with pytest.raises(ConcurrentModification) as err:
        decide(uow_factory, wf_actors["co"], tasks["Task_CreditSignoff"])
    assert "Someone else changed" in err.value.message("en")
    monkeypatch.setattr(instances, "_store", real_store)
    row = instance(uow_factory, inst)
    assert row.revision == 1
    with uow_factory() as uow:
        assert uow.session.get(ApprovalTask, tasks["Task_CreditSignoff"]).status == "open"


# ---------------------------------------------------------------- delegation

def test_a_delegate_acts_for_the_absent_approver_and_is_recorded_so(uow_factory, wf_actors, connection):
    # The branch manager of Shanghai is away; Beijing's branch manager... may not be his delegate (another
    # branch), but a head-office credit officer may, and then acts in the Shanghai branch manager's role.
    now = clock.now()
    with uow_factory() as uow:
        candidates = dict(delegation.delegate_candidates(uow=uow, actor=wf_actors["bm_b"]))
        assert wf_actors["co"].id in candidates and wf_actors["bm_a"].id not in candidates
        d = delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["co"].id,
                                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3), reason="年假")
        uow.commit()
    assert d.active
    inst = start_loan(uow_factory, wf_actors["rm_b1"], amount=300_000, branch_id=2, grade="D")
    tasks = open_tasks(uow_factory, inst)
    with uow_factory() as uow:
        listed = inbox.inbox(uow=uow, actor=wf_actors["co"]).items
    behalf = {i.task_id: i.on_behalf_of for i in listed}
    assert behalf[tasks["Task_ManagerSignoff"]] == "BM_B" and behalf[tasks["Task_CreditSignoff"]] == ""
    decide(uow_factory, wf_actors["co"], tasks["Task_ManagerSignoff"], "approve", "代行")
    with uow_factory() as uow:
        t = uow.session.get(ApprovalTask, tasks["Task_ManagerSignoff"])
        assert (t.decided_by, t.on_behalf_of, t.acted_as) == (wf_actors["co"].id, wf_actors["bm_b"].id,
                                                             "branch_manager")
    # He signed once this round: the credit officer's own task needs someone else.
    with pytest.raises(SameSigner):
        decide(uow_factory, wf_actors["co"], tasks["Task_CreditSignoff"])
    assert decide(uow_factory, wf_actors["co2"], tasks["Task_CreditSignoff"]).outcome == "approved"
    assert _audits(connection, "approval.delegated")[0]["delegate_id"] == wf_actors["co"].id


def test_a_revoked_or_ended_delegation_grants_nothing(uow_factory, wf_actors):
    now = clock.now()
    with uow_factory() as uow:
        d = delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["co"].id,
                                starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
        uow.commit()
    inst = start_loan(uow_factory, wf_actors["rm_b1"], amount=600_000, branch_id=2)
    task = open_tasks(uow_factory, inst)["Task_ManagerSignoff"]
    with uow_factory() as uow:
        delegation.revoke_delegation(uow=uow, actor=wf_actors["bm_b"], delegation_id=d.id)
        uow.commit()
    with pytest.raises(HIDDEN):
        decide(uow_factory, wf_actors["co"], task)
    with clock.fixed(now + timedelta(days=2)):
        with uow_factory() as uow:
            delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["co"].id,
                                starts_at=now, ends_at=now + timedelta(days=2, hours=1))
            uow.commit()
    with clock.fixed(now + timedelta(days=3)), pytest.raises(HIDDEN):
        decide(uow_factory, wf_actors["co"], task)


def test_a_delegation_cannot_get_round_maker_checker(uow_factory, wf_actors):
    # The Shanghai branch manager started the item; his delegate may not approve it for him.
    now = clock.now()
    with uow_factory() as uow:
        delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["co"].id,
                            starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
        uow.commit()
    inst = start_loan(uow_factory, wf_actors["bm_b"], amount=600_000, branch_id=2)
    with pytest.raises(MakerCannotApprove):
        decide(uow_factory, wf_actors["co"], open_tasks(uow_factory, inst)["Task_ManagerSignoff"])


def test_bad_delegations_are_refused(uow_factory, wf_actors):
    now = clock.now()
    with uow_factory() as uow:
        with pytest.raises(delegation.DelegationRefused):
            delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["bm_b"].id,
                                starts_at=now, ends_at=now + timedelta(days=1))
        with pytest.raises(delegation.DelegationRefused):
            delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["co"].id,
                                starts_at=now, ends_at=now + timedelta(days=200))
        with pytest.raises(delegation.DelegationRefused):  # not someone who approves
            delegation.delegate(uow=uow, actor=wf_actors["bm_b"], delegate_id=wf_actors["rm_b1"].id,
                                starts_at=now, ends_at=now + timedelta(days=1))


# ---------------------------------------------------------------- history

def test_the_instance_history_lists_every_step(uow_factory, wf_actors):
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, inst)
    decide(uow_factory, wf_actors["bm_a"], tasks["Task_ManagerSignoff"], "approve", "同意")
    with uow_factory() as uow:
        view = inbox.task_instance(uow=uow, actor=wf_actors["co"], task_id=tasks["Task_CreditSignoff"])
    assert view.my_task_id == tasks["Task_CreditSignoff"]
    assert [h.kind for h in view.history] == ["submitted", "decided"]
    assert view.history[1].comment == "同意" and view.history[1].who == "BM_A"
    assert [s.step_id for s in view.current] == ["Task_CreditSignoff"]
    # The maker sees it (his customer) but has no task to act on.
    with uow_factory() as uow, pytest.raises(HIDDEN):
        inbox.task_instance(uow=uow, actor=wf_actors["rm_b1"], task_id=tasks["Task_CreditSignoff"])


def test_refusals_are_audited(uow_factory, wf_actors, connection):
    inst = start_loan(uow_factory, wf_actors["bm_a"], amount=2_000_000)
    with pytest.raises(MakerCannotApprove):
        decide(uow_factory, wf_actors["bm_a"], open_tasks(uow_factory, inst)["Task_ManagerSignoff"])
    refused = connection.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "access.refused")).scalar()
    assert refused >= 1
