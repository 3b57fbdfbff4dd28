"""Where reminders come from: each source answers, for a rule (its lead days and parameters) and a day, which
(customer, RM, due day) pairs are live - whose reminder window (due day minus lead days, up to the due day; for
follow-ups, until the customer is contacted) contains that day. The scheduled pass (services/agenda/jobs.py) makes a
reminder for every live pair that has none, and resolves the open reminders that are no longer live (the
assessment was renewed, the customer contacted, the birthday passed)."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.orm import Session

from services import clock
from services.activities.models import Interaction
from services.agenda.models import ReminderRule
from services.customers.models import ConsentRecord, Customer, CustomerStatus
from services.portfolio.models import Holding, Product
from services.security.models import User
from services.workflows import instances as workflow_instances
from services.workflows import validation as workflow_validation
from services.workflows.models import ApprovalTask, InstanceStatus, TaskStatus, WorkflowInstance

MAX_LEAD_DAYS = 366


@dataclass(frozen=True, order=True)
class Due:
    """One live reminder: what it is about (`subject_key`, unique with the rule and the due day), who is reminded."""

    subject_key: str
    owner_id: int
    due_on: date
    customer_id: int | None = None
    holding_id: int | None = None
    approval_task_id: int | None = None


Live = set[Due]


def _customer_due(cid: int, owner: int, due: date) -> Due:
    return Due(subject_key=f"customer:{cid}", owner_id=owner, due_on=due, customer_id=cid)


def birthday_in(year: int, born: date) -> date:
    """The day a birthday is kept in `year` (29 February on the 28th in a common year)."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, born.month, born.day)


def _lead(rule: ReminderRule) -> int:
    return min(max(int(rule.lead_days or 0), 0), MAX_LEAD_DAYS)


def _open_customers():
    return Customer.status != CustomerStatus.CLOSED


def birthdays(s: Session, rule: ReminderRule, today: date) -> Live:
    window = [today + timedelta(days=i) for i in range(_lead(rule) + 1)]
    month_days = {(d.month, d.day) for d in window}
    if any(d.month == 2 and d.day == 28 and not calendar.isleap(d.year) for d in window):
        month_days.add((2, 29))
    if len(month_days) >= 366:
        born_on = Customer.birth_date.is_not(None)
    else:
        born_on = or_(*[and_(extract("month", Customer.birth_date) == m, extract("day", Customer.birth_date) == d)
                        for m, d in sorted(month_days)])
    live: Live = set()
    for cid, owner, born in s.execute(select(Customer.id, Customer.owner_id, Customer.birth_date)
                                      .where(_open_customers(), Customer.birth_date.is_not(None), born_on)):
        day = next((d for d in window if birthday_in(d.year, born) == d), None)
        if day is not None:
            live.add(_customer_due(cid, owner, day))
    return live


def assessment_expiry(s: Session, rule: ReminderRule, today: date) -> Live:
    rows = s.execute(select(Customer.id, Customer.owner_id, Customer.risk_valid_until).where(
        _open_customers(), Customer.risk_level.is_not(None), Customer.risk_valid_until >= today,
        Customer.risk_valid_until <= today + timedelta(days=_lead(rule))))
    return {_customer_due(cid, owner, until) for cid, owner, until in rows}


def _do_not_contact(s: Session) -> set[int]:
    latest: dict[int, bool] = {}
    for cid, granted in s.execute(select(ConsentRecord.customer_id, ConsentRecord.granted)
                                  .where(ConsentRecord.purpose == "contact")
                                  .order_by(ConsentRecord.customer_id, ConsentRecord.recorded_at, ConsentRecord.id)):
        latest[cid] = granted
    return {cid for cid, granted in latest.items() if not granted}


def follow_up(s: Session, rule: ReminderRule, today: date) -> Live:
    """Customers of the segments in the rule's `cadence_days` whose last interaction (or, never contacted, whose
    file) is older than their cadence less the lead days; due on the day the cadence runs out. Customers who asked
    not to be contacted are left out."""
    cadence: dict[str, int] = {str(k): int(v) for k, v in (rule.params or {}).get("cadence_days", {}).items()
                               if isinstance(v, int) and 0 < v <= 3660}
    if not cadence:
        return set()
    last = (select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
            .group_by(Interaction.customer_id).subquery())
    since = func.coalesce(last.c.at, Customer.created_at)
    horizon = clock.start_of_day(today + timedelta(days=1))
    due_condition = or_(*[and_(Customer.segment == seg, since < horizon - timedelta(days=days - _lead(rule)))
                          for seg, days in cadence.items()])
    quiet = _do_not_contact(s)
    live: Live = set()
    for cid, owner, segment, at, created in s.execute(
            select(Customer.id, Customer.owner_id, Customer.segment, last.c.at, Customer.created_at)
            .outerjoin(last, last.c.customer_id == Customer.id).where(_open_customers(), due_condition)):
        if cid in quiet:
            continue
        live.add(_customer_due(cid, owner, clock.local_date(at or created) + timedelta(days=cadence[segment])))
    return live


def product_maturity(s: Session, rule: ReminderRule, today: date) -> Live:
    """Holdings of fixed-term products that mature within the lead days (a holding sold off, value nil, is not).
    Parameter `product_types` (optional): only these product types."""
    types = [str(t) for t in (rule.params or {}).get("product_types", []) if isinstance(t, str)]
    q = (select(Holding.id, Customer.id, Customer.owner_id, Holding.maturity_on)
         .join(Customer, Customer.id == Holding.customer_id)
         .where(_open_customers(), Holding.maturity_on.is_not(None), Holding.maturity_on >= today,
                Holding.maturity_on <= today + timedelta(days=_lead(rule)), Holding.quantity > 0))
    if types:
        q = q.join(Product, Product.id == Holding.product_id).where(Product.product_type.in_(types))
    return {Due(subject_key=f"holding:{hid}", owner_id=owner, due_on=due, customer_id=cid, holding_id=hid)
            for hid, cid, owner, due in s.execute(q)}


def kyc_review(s: Session, rule: ReminderRule, today: date) -> Live:
    """Customers whose periodic KYC review falls due within the lead days, or is overdue (kept until it is done:
    the review date moves on)."""
    rows = s.execute(select(Customer.id, Customer.owner_id, Customer.kyc_review_due).where(
        _open_customers(), Customer.kyc_review_due.is_not(None),
        Customer.kyc_review_due <= today + timedelta(days=_lead(rule))))
    return {_customer_due(cid, owner, due) for cid, owner, due in rows}


def approval_sla(s: Session, rule: ReminderRule, today: date) -> Live:
    """Open approval tasks whose SLA is mostly spent (the SLA job marked them reminded: services/workflows/sla.py) or
    whose due day is within the lead days: one reminder for each person who may decide it now (the assignee, or every
    active user whose role and branch the task's role, or its escalation, admits; never the instance's maker)."""
    horizon = clock.start_of_day(today + timedelta(days=_lead(rule) + 1))
    tasks = s.execute(select(ApprovalTask, WorkflowInstance)
                      .join(WorkflowInstance, WorkflowInstance.id == ApprovalTask.instance_id)
                      .where(ApprovalTask.status == TaskStatus.OPEN, ApprovalTask.due_at.is_not(None),
                             WorkflowInstance.status == InstanceStatus.RUNNING,
                             or_(ApprovalTask.reminded_at.is_not(None), ApprovalTask.due_at < horizon))
                      .order_by(ApprovalTask.id)).all()
    if not tasks:
        return set()
    approvers = workflow_validation.approver_roles()
    users = s.execute(select(User.id, User.roles, User.branch_id).where(User.is_active.is_(True))).all()
    live: Live = set()
    for task, inst in tasks:
        due = clock.local_date(task.due_at)
        makers = workflow_instances.makers(inst)
        if task.assignee_id is not None:
            people = {task.assignee_id}
        elif task.role is None:
            people = makers  # the maker's own task (revise a returned application)
            makers = set()
        else:
            people = {uid for uid, roles, branch in users
                      if workflow_instances.grant_for(
                          workflow_instances._role_grants(roles or [], branch, approvers), task, inst) is not None}
        for uid in sorted(people - makers):
            live.add(Due(subject_key=f"approval_task:{task.id}:user:{uid}", owner_id=uid, due_on=due,
                         approval_task_id=task.id))
    return live


SOURCES: dict[str, Callable[[Session, ReminderRule, date], Live]] = {
    "birthday": birthdays, "assessment_expiry": assessment_expiry, "follow_up": follow_up,
    "product_maturity": product_maturity, "kyc_review": kyc_review, "approval_sla": approval_sla}
