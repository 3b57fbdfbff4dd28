"""Shared by the approval-workflow tests: the head-office credit and underwriting people the org fixture lacks,
and items started on the shipped definitions without the loan or underwriting domains in the way."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import insert, text

from services.types import utcnow

# name -> (roles, branch, team); ids follow the org fixture's.
EXTRA_USERS = {
    "co": (["credit_officer"], None, None), "co2": (["credit_officer"], None, None),
    "cc": (["credit_committee"], None, None), "uw": (["underwriter"], None, None),
    "approver_a2": (["approver"], 1, None), "approver_b": (["approver"], 2, None),
    "bm_b": (["branch_manager"], 2, None),
}


@pytest.fixture
def wf_actors(connection, org, password_hash):
    """Every actor of the org fixture plus credit officers, the credit committee, an underwriter, a second
    approver in branch A, an approver and a branch manager in branch B."""
    from sqlmodel import Session

    from services.security.auth import actor_for_user
    from services.security.models import User

    start = max(org.users.values()) + 1
    for i, (name, (roles, branch, team)) in enumerate(EXTRA_USERS.items(), start=start):
        connection.execute(insert(User).values(id=i, username=name, display_name=name.upper(),
                                               password_hash=password_hash, roles=roles, branch_id=branch,
                                               team_id=team, is_active=True, is_demo=False, created_at=utcnow()))
        org.users[name] = i
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT setval(pg_get_serial_sequence('app_user', 'id'), (SELECT max(id) FROM app_user))"))
    with Session(connection) as s:
        return {name: actor_for_user(s.get(User, uid)) for name, uid in org.users.items()}


_refs = iter(range(1, 10**6))


def start_loan(uow_factory, actor, *, amount, grade="B", branch_id=1, owner_id=None, product="personal",
               aml="clear", fraud_flags=0, dti=0.3):
    """A loan approval instance for a made-up application (the loan domain's checks given as facts)."""
    from services.workflows import instances

    n = next(_refs)
    subject = instances.Subject(subject_type="loan_application", subject_id=n, subject_ref=f"LA-T{n:05d}",
                                customer_id=None, branch_id=branch_id, product_type=product, risk_grade=grade,
                                amount=Decimal(str(amount)), owner_id=owner_id if owner_id is not None else actor.id)
    with uow_factory() as uow:
        inst = instances.start(uow.session, actor, kind="loan", subject=subject,
                               data={"risk_grade": grade, "aml_status": aml, "fraud_flags": fraud_flags, "dti": dti,
                                     "term_months": 36})
        uow.commit()
        return inst.id


def open_tasks(uow_factory, instance_id):
    from sqlalchemy import select

    from services.workflows.models import ApprovalTask, TaskStatus

    with uow_factory() as uow:
        return {t.step_id: t.id for t in uow.session.execute(select(ApprovalTask).where(
            ApprovalTask.instance_id == instance_id, ApprovalTask.status == TaskStatus.OPEN)).scalars()}


def instance(uow_factory, instance_id):
    from services.workflows.models import WorkflowInstance

    with uow_factory() as uow:
        inst = uow.session.get(WorkflowInstance, instance_id)
        uow.session.expunge(inst)
        return inst


def decide(uow_factory, actor, task_id, decision="approve", comment=None):
    from services.workflows import instances

    with uow_factory() as uow:
        result = instances.decide(uow=uow, actor=actor, task_id=task_id, decision=decision, comment=comment)
        uow.commit()
        return result
