"""Demo approvals (issue 11): loan applications and underwriting cases at every stage, gone through the real
use cases at past times of the anchor day, so that `approver` (Beijing's branch approver) and `manager`
(Beijing's branch manager) find a full inbox - due soon, overdue, escalated, countersigned halfway, returned
and resubmitted - and the history of decided, rejected and withdrawn items reads like a working week.

Three head-office people join the demo users (password demo1234): `credit` (credit officer), `committee`
(credit committee) and `underwriter`."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.demo.unit_of_work import SeedUnitOfWork
from services.loans import service as loans
from services.security.auth import actor_for_user
from services.security.models import User
from services.underwriting import service as underwriting
from services.workflows import instances, sla
from services.workflows.models import ApprovalTask, TaskStatus

HEAD_OFFICE = [("credit", "钱学敏", ["credit_officer"]), ("committee", "郑国华", ["credit_committee"]),
               ("underwriter", "冯雅琴", ["underwriter"])]


@dataclass(frozen=True)
class LoanCase:
    stage: str
    product: str
    amount: int
    term: int
    purpose: str
    income: int
    debts: int
    rating: str = "A"
    collateral: str = "none"
    collateral_value: int | None = None
    hours_ago: float = 4


# What each item went through; submitted `hours_ago` before the anchor (the start of the demo's day).
LOANS = [
    LoanCase("pending", "personal", 180_000, 36, "装修自住房", 28_000, 2_000, hours_ago=3),
    LoanCase("pending", "personal", 300_000, 48, "购买家用汽车", 35_000, 3_500, "AA", hours_ago=9),
    LoanCase("pending", "mortgage", 450_000, 240, "购买首套住房（补充贷款）", 40_000, 0, "A", "property", 2_600_000,
             hours_ago=20),
    LoanCase("pending", "personal", 80_000, 24, "子女留学学费", 22_000, 1_200, "BBB", hours_ago=1),
    LoanCase("overdue", "personal", 260_000, 36, "婚庆及家具购置", 30_000, 4_000, "A", hours_ago=30),
    LoanCase("overdue", "business", 500_000, 36, "门店装修及备货", 90_000, 8_000, "A", "deposit", 800_000,
             hours_ago=40),
    LoanCase("resubmitted", "personal", 220_000, 36, "医疗美容及康复费用", 26_000, 3_000, "A", hours_ago=50),
    LoanCase("countersign", "mortgage", 2_800_000, 300, "购买改善型住房", 120_000, 10_000, "AA", "property",
             5_200_000, hours_ago=6),
    LoanCase("countersign", "business", 1_500_000, 60, "扩大生产线", 260_000, 30_000, "A", "property", 3_000_000,
             hours_ago=26),
    LoanCase("credit_signed", "business", 3_200_000, 60, "采购冷链运输车辆", 380_000, 40_000, "A", "vehicle",
             4_100_000, hours_ago=30),
    LoanCase("manager_signed", "mortgage", 1_200_000, 240, "购买学区住房", 70_000, 6_000, "A", "property", 2_400_000,
             hours_ago=12),
    LoanCase("countersign_overdue", "business", 4_500_000, 84, "新建仓储中心", 600_000, 80_000, "A", "property",
             9_000_000, hours_ago=60),
    LoanCase("committee", "business", 12_000_000, 120, "并购同业企业", 1_500_000, 200_000, "AA", "property",
             25_000_000, hours_ago=20),
    LoanCase("returned", "personal", 350_000, 36, "装修自住房", 25_000, 1_500, "A", hours_ago=28),
    LoanCase("approved", "personal", 150_000, 24, "购车首付", 26_000, 1_500, "AA", hours_ago=70),
    LoanCase("approved_countersign", "mortgage", 1_800_000, 300, "购买首套住房", 90_000, 0, "AA", "property",
             3_500_000, hours_ago=96),
    LoanCase("rejected", "personal", 400_000, 60, "投资理财", 15_000, 7_000, "BB", hours_ago=80),
    LoanCase("withdrawn", "personal", 120_000, 24, "旅游消费", 20_000, 1_000, "A", hours_ago=48),
]

HEALTHY = {"height_cm": 172, "weight_kg": "66", "smoker": False, "conditions": [], "hospitalised": False}
# (stage, cover, sum insured, questionnaire changes, hours ago)
CASES = [
    ("auto", "health", 500_000, {}, 50),
    ("auto", "critical_illness", 800_000, {"height_cm": 160, "weight_kg": "55"}, 30),
    ("auto", "life", 3_000_000, {"weight_kg": "130", "height_cm": 170}, 20),  # BMI 45: declined
    ("referred", "critical_illness", 600_000, {"conditions": ["hypertension"]}, 5),
    ("referred", "health", 300_000, {"smoker": True}, 14),
    ("referred", "life", 2_000_000, {"hospitalised": True}, 30),
    ("referred", "critical_illness", 1_500_000, {"conditions": ["diabetes"], "smoker": True}, 60),  # escalated
    ("returned", "health", 400_000, {"hospitalised": True}, 40),
    ("uw_accepted", "health", 300_000, {"conditions": ["respiratory"]}, 72),
    ("uw_declined", "critical_illness", 1_000_000, {"conditions": ["heart", "hypertension"]}, 90),
]


def _people(session: Session) -> tuple[dict[str, User], int]:
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_(
        ("rm", "approver", "manager", *[h[0] for h in HEAD_OFFICE])))).scalars()}
    template = users["rm"]
    missing = [h for h in HEAD_OFFICE if h[0] not in users]
    if missing:
        next_id = (session.execute(select(User.id).order_by(User.id.desc()).limit(1)).scalar() or 0) + 1
        for i, (username, display, roles) in enumerate(missing):
            session.execute(insert(User).values(id=next_id + i, username=username, display_name=display,
                                                password_hash=template.password_hash, roles=roles, branch_id=None,
                                                team_id=None, is_active=True, is_demo=True,
                                                created_at=template.created_at))
        session.flush()
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy import text

            session.execute(text("SELECT setval(pg_get_serial_sequence('app_user', 'id'), "
                                 "(SELECT MAX(id) FROM app_user))"))
        users.update({u.username: u for u in session.execute(select(User).where(User.username.in_(
            [h[0] for h in missing]))).scalars()})
    return users, len(missing)


def _customers(session: Session, rm: User, anchor: datetime) -> tuple[list[Customer], list[Customer]]:
    """The demo RM's customers for the loans, and those aged 26 to 54 for the proposals (the triage table
    accepts 18 to 55 without referral, so each case's answers alone decide its stage)."""
    rows = list(session.execute(select(Customer).where(
        Customer.owner_id == rm.id, Customer.kind == "individual", Customer.birth_date.is_not(None),
        Customer.status == "active").order_by(Customer.id)).scalars())[1:]  # the walkthrough customer: as he is
    day = anchor.date()
    young = [c for c in rows if 26 <= (day.year - c.birth_date.year) <= 54]
    cases = young[:len(CASES)]
    taken = {c.id for c in cases}
    return [c for c in rows if c.id not in taken][:len(LOANS)], cases


BY_ROLE = {"approver": "approver", "branch_manager": "manager", "credit_officer": "credit",
           "credit_committee": "committee", "underwriter": "underwriter"}


def _open_task(session: Session, instance_id: int, step: str | None = None) -> tuple[int, str]:
    """An open task of the instance (of `step`, if given) and the demo user whose role decides it."""
    q = select(ApprovalTask.id, ApprovalTask.role).where(ApprovalTask.instance_id == instance_id,
                                                         ApprovalTask.status == TaskStatus.OPEN)
    if step:
        q = q.where(ApprovalTask.step_id == step)
    tid, role = session.execute(q.order_by(ApprovalTask.id).limit(1)).one()
    return tid, BY_ROLE[role]


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict:
    rm = session.execute(select(User).where(User.username == "rm")).scalar_one_or_none()
    if rm is None:
        return {}
    for_loans, for_cases = _customers(session, rm, anchor)
    if len(for_loans) < len(LOANS) or len(for_cases) < len(CASES):
        return {}
    people, added = _people(session)
    if "approver" not in people or "manager" not in people:
        return {"demo_users_added": added}
    actor = {name: actor_for_user(u) for name, u in people.items()}
    uow = SeedUnitOfWork(session)
    cust = iter(for_loans)

    def at(hours_ago: float) -> datetime:
        return anchor - timedelta(hours=hours_ago)

    def decide(task: tuple[int, str], decision: str, comment: str, when: datetime) -> None:
        """The task decided by the demo user of its role (routing, not the seed, says whose it is)."""
        with clock.fixed(when):
            instances.decide(uow=uow, actor=actor[task[1]], task_id=task[0], decision=decision, comment=comment)

    loans_made = 0
    for case in LOANS:
        c = next(cust)
        data = {"product_type": case.product, "purpose": case.purpose, "amount": str(case.amount),
                "term_months": case.term, "collateral_type": case.collateral,
                "collateral_value": str(case.collateral_value) if case.collateral_value else None,
                "collateral_description": {"property": "自有住宅一套", "vehicle": "新购车辆", "deposit": "本行定期存单"}.get(
                    case.collateral), "monthly_income": str(case.income), "monthly_debt_payments": str(case.debts),
                "credit_rating": case.rating}
        submitted = at(case.hours_ago)
        with clock.fixed(submitted):
            view = loans.submit_application(uow=uow, actor=actor["rm"], customer_id=c.id, data=data)
        loans_made += 1
        inst, h = view.instance_id, case.hours_ago
        later = lambda hours: at(max(h - hours, 0.2))  # noqa: E731 - a moment after submission
        if case.stage == "resubmitted":
            decide(_open_task(session, inst), "return", "请补充近六个月的工资流水。", later(20))
            with clock.fixed(later(30)):
                loans.resubmit_application(uow=uow, actor=actor["rm"], application_id=view.id, version=view.version,
                                           data={**data, "monthly_income": str(case.income + 4_000)})
        elif case.stage == "returned":
            decide(_open_task(session, inst), "return",
                   "月收入与申请金额不匹配，请核实收入证明或降低申请金额。", later(6))
        elif case.stage == "credit_signed":
            decide(_open_task(session, inst, "Task_CreditSignoff"), "approve",
                   "经营现金流稳定，抵押充足，同意。", later(8))
        elif case.stage == "manager_signed":
            decide(_open_task(session, inst, "Task_ManagerSignoff"), "approve",
                   "客户为我行代发工资客户，同意。", later(3))
        elif case.stage == "approved":
            decide(_open_task(session, inst), "approve", "收入稳定，负债率低，同意。", later(5))
        elif case.stage == "approved_countersign":
            decide(_open_task(session, inst, "Task_ManagerSignoff"), "approve", "同意。", later(10))
            decide(_open_task(session, inst, "Task_CreditSignoff"), "approve", "首套住房，首付比例合规，同意。",
                   later(30))
        elif case.stage == "rejected":
            decide(_open_task(session, inst), "reject",
                   "贷款用途为投资理财，不符合个人消费贷款用途规定。", later(7))
        elif case.stage == "withdrawn":
            with clock.fixed(later(5)):
                loans.withdraw_application(uow=uow, actor=actor["rm"], application_id=view.id, reason="客户已通过其他渠道解决资金需求")

    cases_made = 0
    for (stage, cover, amount, changes, hours), c in zip(CASES, for_cases):
        with clock.fixed(at(hours)):
            view = underwriting.submit_case(uow=uow, actor=actor["rm"], customer_id=c.id, data={
                **HEALTHY, **changes, "product_type": cover, "sum_insured": str(amount)})
        cases_made += 1
        if view.status != "referred":
            continue
        task = _open_task(session, view.instance_id)
        when = at(max(hours - 6, 0.2))
        if stage == "returned":
            decide(task, "return", "请补充住院病历及出院小结。", when)
        elif stage == "uw_accepted":
            decide(task, "approve", "既往症已治愈，标准体承保。", when)
        elif stage == "uw_declined":
            decide(task, "reject", "心血管疾病风险较高，暂不予承保。", when)

    # The SLA job's pass at the start of the day: reminders and escalations of what is late by then.
    with clock.fixed(anchor):
        reminded = sum(sla.remind(session, t) for t in sla.due_for_reminder(session))
        escalated = sum(sla.escalate(session, t) for t in sla.due_for_escalation(session))
    session.flush()
    return {"demo_users_added": added, "loan_applications": loans_made, "underwriting_cases": cases_made,
            "approvals_reminded": reminded, "approvals_escalated": escalated}
