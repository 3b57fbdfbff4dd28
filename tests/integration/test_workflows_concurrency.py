"""Two approvers decide the same task at the same moment, each in his own transaction on its own connection:
exactly one decision is recorded; the other is told who decided (409) and changes nothing."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from services import migrations
from services.db import UnitOfWork, make_engine
from services.security.models import AuditEvent
from services.workflows import engine as wf_engine
from services.workflows import instances
from services.workflows.models import ApprovalTask, WorkflowInstance


@pytest.fixture
def own_database(empty_database_url, password_hash):
    from services.org.models import Branch
    from services.security.models import User
    from services.types import utcnow

    migrations.upgrade(empty_database_url)
    eng = make_engine(empty_database_url)
    with eng.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        for i, (name, roles) in enumerate((("rm", ["rm"]), ("approver_1", ["approver"]), ("approver_2", ["approver"]),
                                           ("bm", ["branch_manager"]), ("co", ["credit_officer"])), start=1):
            c.execute(insert(User).values(id=i, username=name, display_name=name, password_hash=password_hash,
                                          roles=roles, branch_id=None if name == "co" else 1, is_active=True,
                                          is_demo=False, created_at=utcnow()))
    wf_engine.forget_compiled()
    yield eng
    wf_engine.forget_compiled()
    eng.dispose()


def _actor(eng, uid):
    from sqlmodel import Session

    from services.security.auth import actor_for_user
    from services.security.models import User

    with Session(eng) as s:
        return actor_for_user(s.get(User, uid))


def _race(eng, attempts):
    """Run the (actor, task_id, decision, comment) attempts at once; their results or errors, in order."""
    barrier = threading.Barrier(len(attempts))
    out: list = [None] * len(attempts)

    def run(i, actor, task_id, decision, comment):
        try:
            barrier.wait(30)
            with UnitOfWork(eng) as uow:
                out[i] = instances.decide(uow=uow, actor=actor, task_id=task_id, decision=decision, comment=comment)
                uow.commit()
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _start(eng, maker, amount):
    subject = instances.Subject(subject_type="loan_application", subject_id=int(amount), subject_ref="LA-RACE",
                                customer_id=None, branch_id=1, product_type="personal", risk_grade="A",
                                amount=Decimal(amount), owner_id=maker.id)
    with UnitOfWork(eng) as uow:
        inst = instances.start(uow.session, maker, kind="loan", subject=subject,
                               data={"risk_grade": "A", "aml_status": "clear", "fraud_flags": 0, "dti": 0.2})
        uow.commit()
        tasks = {t.step_id: t.id for t in uow.session.execute(select(ApprovalTask).where(
            ApprovalTask.instance_id == inst.id)).scalars()}
        return inst.id, tasks


def test_two_approvers_at_once_exactly_one_succeeds(own_database):
    eng = own_database
    rm, a1, a2 = (_actor(eng, i) for i in (1, 2, 3))
    inst_id, tasks = _start(eng, rm, "300000")
    results = _race(eng, [(a1, tasks["Task_BranchApproval"], "approve", "同意"),
                          (a2, tasks["Task_BranchApproval"], "reject", "不同意")])
    won = [r for r in results if isinstance(r, instances.DecisionResult)]
    lost = [r for r in results if isinstance(r, instances.AlreadyDecided)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].http_status == 409 and "already decided this task" in lost[0].message("en")
    with UnitOfWork(eng, readonly=True) as uow:
        s = uow.session
        inst = s.get(WorkflowInstance, inst_id)
        assert inst.revision == 2 and inst.outcome == ("approved" if won[0].decision == "approve" else "rejected")
        assert s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "approval.decided")).scalar() == 1
        task = s.get(ApprovalTask, tasks["Task_BranchApproval"])
        assert task.decision == won[0].decision


def test_two_countersigners_at_once_both_count(own_database):
    """Different tasks of one instance: the second waits for the first's lock and then builds on its state."""
    eng = own_database
    rm, bm, co = _actor(eng, 1), _actor(eng, 4), _actor(eng, 5)
    inst_id, tasks = _start(eng, rm, "2000000")
    results = _race(eng, [(bm, tasks["Task_ManagerSignoff"], "approve", ""),
                          (co, tasks["Task_CreditSignoff"], "approve", "")])
    assert all(isinstance(r, instances.DecisionResult) for r in results), results
    with UnitOfWork(eng, readonly=True) as uow:
        inst = uow.session.get(WorkflowInstance, inst_id)
        assert (inst.status, inst.outcome, inst.revision) == ("ended", "approved", 3)
