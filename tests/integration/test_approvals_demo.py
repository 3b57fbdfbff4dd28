"""The approvals demo data: loan applications and underwriting cases at every stage, so that `approver` and
`manager` find a full inbox right after seeding, and the head-office people theirs."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services import migrations
from services.db import UnitOfWork, make_engine
from services.demo.seed import seed_demo
from services.loans.models import LoanApplication
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings
from services.underwriting.models import UnderwritingCase
from services.workflows import engine as wf_engine
from services.workflows import inbox

ANCHOR = date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("approvals-demo")
    wf_engine.forget_compiled()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        result = seed_demo(customers=300, anchor=ANCHOR, engine=engine)
        assert result.features["loan_applications"] >= 15 and result.features["underwriting_cases"] >= 8
        yield engine
        engine.dispose()
    reset_settings()
    wf_engine.forget_compiled()


def _inbox(engine, username):
    with Session(engine) as s:
        actor = actor_for_user(s.execute(select(User).where(User.username == username)).scalar_one())
    with UnitOfWork(engine, readonly=True) as uow:
        return inbox.inbox(uow=uow, actor=actor, page_size=100)


def test_every_stage_is_there(demo_engine):
    with Session(demo_engine) as s:
        loans = {a for a in s.execute(select(LoanApplication.status)).scalars()}
        cases = {c for c in s.execute(select(UnderwritingCase.status)).scalars()}
    assert loans == {"in_review", "returned", "approved", "rejected", "withdrawn"}
    assert cases == {"referred", "returned", "accepted", "declined"}


def test_approver_and_manager_have_a_full_inbox(demo_engine):
    approver = _inbox(demo_engine, "approver")
    assert approver.total >= 6 and approver.overdue >= 1
    assert any(i.escalated for i in _inbox(demo_engine, "manager").items)
    manager = _inbox(demo_engine, "manager")
    steps = {i.step_id for i in manager.items}
    assert {"Task_ManagerSignoff", "Task_BranchApproval"} <= steps and manager.total >= 5
    assert any(i.round == 2 for i in approver.items)  # returned and resubmitted
    for head_office in ("credit", "committee", "underwriter"):
        assert _inbox(demo_engine, head_office).total >= 1


def test_head_office_people_sign_in_with_the_demo_password(demo_engine):
    from services.demo.seed import DEMO_PASSWORD
    from services.security.passwords import verify_password

    with Session(demo_engine) as s:
        for name in ("credit", "committee", "underwriter"):
            u = s.execute(select(User).where(User.username == name)).scalar_one()
            assert u.is_demo and verify_password(u.password_hash, DEMO_PASSWORD)
