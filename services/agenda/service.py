"""The RM's day on a phone: `my_day` (tasks and the open reminders of the actor's own book, which the reminders
engine makes from rules as data: services/agenda/jobs.py), `dismiss_reminder`, and `dial` (the number behind the
agenda's call button, for the phone's dialler only, audited).

The agenda is the actor's own book: customers they own (`owner_id`), within their data scope as always. A team
lead's or branch manager's wider scope is their lists' business, not their day's.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from services import clock
from services.activities import tasks as task_service
from services.activities.models import Interaction
from services.agenda.models import Reminder as ReminderRow
from services.agenda.models import ReminderRule
from services.agenda.sources import birthday_in  # noqa: F401  (re-exported)
from services.agenda.views import Agenda, Reminder, ReminderKind
from services.customers import consent
from services.customers.access import list_value, load_customer
from services.customers.models import Customer, CustomerStatus
from services.customers.pii import stored_phone
from services.portfolio.models import Holding, Product
from services.workflows.models import ApprovalTask
from services.customers.search import PHONE_CONTEXT
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, OutOfScope, Refusal, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.masking import mask_phone
from services.security.policy import Permission, customer_scope_filter, field_access, requires

REMINDER_LIMIT = 100
TASK_LIMIT = 50


class DoNotContact(Refusal):
    code = "agenda.do_not_contact"
    http_status = 409


def _book(actor: Actor):
    """The actor's own customers, within their scope (nobody's book for systems and API clients)."""
    if actor.kind != "user" or actor.id is None:
        return Customer.id.is_(None)
    return and_(Customer.owner_id == actor.id, customer_scope_filter(actor, Customer),
                Customer.status != CustomerStatus.CLOSED)


def _open_reminders(actor: Actor):
    """The open reminders the actor is shown: of active rules, neither resolved nor dismissed; about a customer of
    their book, or (approval SLAs) addressed to them."""
    mine = ReminderRow.owner_id == actor.id if actor.kind == "user" and actor.id is not None else ReminderRow.id.is_(None)
    return and_(ReminderRule.active.is_(True), ReminderRow.resolved_at.is_(None), ReminderRow.dismissed_at.is_(None),
                or_(_book(actor), and_(ReminderRow.customer_id.is_(None), mine)))


def _reminders(s: Session, actor: Actor, today: date) -> list[Reminder]:
    """The open reminders of the actor's book, made by the scheduled pass (services/agenda/jobs.py)."""
    rows = s.execute(
        select(ReminderRow.id, ReminderRow.kind, ReminderRow.due_on, ReminderRow.rule_code, Customer.id,
               Customer.name, Customer.segment, Customer.birth_date, Product.name, Product.name_en,
               ApprovalTask.step_name)
        .outerjoin(Customer, Customer.id == ReminderRow.customer_id)
        .join(ReminderRule, ReminderRule.code == ReminderRow.rule_code)
        .outerjoin(Holding, Holding.id == ReminderRow.holding_id)
        .outerjoin(Product, Product.id == Holding.product_id)
        .outerjoin(ApprovalTask, ApprovalTask.id == ReminderRow.approval_task_id)
        .where(_open_reminders(actor))
        .order_by(ReminderRow.due_on, ReminderRow.id).limit(REMINDER_LIMIT)).all()
    follow_ups = [row[4] for row in rows if row[1] == ReminderKind.FOLLOW_UP]
    last = dict(s.execute(select(Interaction.customer_id, func.max(Interaction.occurred_at))
                          .where(Interaction.customer_id.in_(follow_ups))
                          .group_by(Interaction.customer_id)).all()) if follow_ups else {}
    cadences = {code: (params or {}).get("cadence_days", {}) for code, params in s.execute(
        select(ReminderRule.code, ReminderRule.params).where(ReminderRule.source == ReminderKind.FOLLOW_UP))}
    out = []
    for rid, kind, due, rule, cid, name, segment, born, product, product_en, step in rows:
        out.append(Reminder(
            id=rid, kind=kind, customer_id=cid, customer_name=name or "", due_on=due, days=(due - today).days,
            segment=segment or "", age=due.year - born.year if kind == ReminderKind.BIRTHDAY and born else None,
            last_contact=clock.local_date(last[cid]) if cid in last else None,
            cadence_days=cadences.get(rule, {}).get(segment) if kind == ReminderKind.FOLLOW_UP else None,
            product=product or "", product_en=product_en or "", step=step or ""))
    return out


@requires(Permission.CUSTOMER_READ)
def open_reminders_count(*, uow: UnitOfWork, actor: Actor) -> int:
    """How many open reminders the actor's agenda holds (the menu's badge)."""
    return uow.session.execute(
        select(func.count()).select_from(ReminderRow)
        .outerjoin(Customer, Customer.id == ReminderRow.customer_id)
        .join(ReminderRule, ReminderRule.code == ReminderRow.rule_code)
        .where(_open_reminders(actor))).scalar_one()


def _callable(s: Session, actor: Actor, customer_ids: set[int]) -> dict[int, str]:
    """Which of these customers the agenda may offer to call, with the phone as the actor may see it."""
    if not customer_ids:
        return {}
    show = list_value(field_access(actor, "phone"), PHONE_CONTEXT)
    rows = s.execute(select(Customer.id, Customer.phone_masked, Customer.phone_enc)
                     .where(Customer.id.in_(customer_ids), customer_scope_filter(actor, Customer),
                            Customer.phone_enc.is_not(None))).all()
    out = {}
    for cid, masked, token in rows:
        if "contact" in consent.withdrawn_purposes(s, cid):
            continue
        out[cid] = show(masked, token) or masked or ""
    return out


@requires(Permission.CUSTOMER_READ)
def my_day(*, uow: UnitOfWork, actor: Actor) -> Agenda:
    """The actor's day: open tasks overdue and due today, and the reminders of their own book."""
    s = uow.session
    today = clock.today()
    overdue = task_service.list_tasks(uow=uow, actor=actor, query={"bucket": "overdue", "page_size": TASK_LIMIT})
    due_today = task_service.list_tasks(uow=uow, actor=actor, query={"bucket": "today", "page_size": TASK_LIMIT})
    reminders = _reminders(s, actor, today)
    order = {ReminderKind.APPROVAL_SLA: 0, ReminderKind.ASSESSMENT_EXPIRY: 1, ReminderKind.KYC_REVIEW: 2,
             ReminderKind.PRODUCT_MATURITY: 3, ReminderKind.BIRTHDAY: 4, ReminderKind.FOLLOW_UP: 5}
    reminders.sort(key=lambda r: (max(r.days, 0), order.get(r.kind, 9), r.days, r.customer_id or 0, r.id))
    items = overdue.items + due_today.items
    customers = ({t.customer_id for t in items if t.customer_id is not None}
                 | {r.customer_id for r in reminders if r.customer_id is not None})
    return Agenda(day=today, tasks=items, overdue=overdue.counts.get("overdue", 0), reminders=reminders,
                  callable=_callable(s, actor, customers))


def dial_uri(number: str) -> str:
    """A tel: URI for a stored phone number (digits and a leading +; spaces, dashes and brackets dropped)."""
    digits = re.sub(r"[^\d+]", "", number)
    digits = digits[0] + digits[1:].replace("+", "") if digits else digits
    if not re.fullmatch(r"\+?\d{3,20}", digits):
        raise DomainError("agenda.no_phone")
    return f"tel:{digits}"


@requires(Permission.RECORD_WRITE)
def dial(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> str:
    """The tel: URI that calls the customer, for the phone's dialler only (never shown in a page: an RM sees phones
    masked). Refused outside the actor's scope and for customers who asked not to be contacted; audited."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    number = stored_phone(c)
    if not number:
        raise NotFound("agenda.no_phone")
    if "contact" in consent.withdrawn_purposes(s, c.id):
        raise DoNotContact(actor=actor, entity_type="customer", entity_id=c.id)
    uri = dial_uri(number)
    audit.record(s, actor, "customer.dial", entity_type="customer", entity_id=c.id,
                 changes={"phone": mask_phone(number)})
    return uri


@requires(Permission.RECORD_WRITE)
def dismiss_reminder(*, uow: UnitOfWork, actor: Actor, reminder_id: Any) -> None:
    """The RM has dealt with it: an open reminder of a customer of the actor's book leaves the agenda (audited)."""
    s = uow.session
    if isinstance(reminder_id, bool) or not isinstance(reminder_id, int) or not 0 < reminder_id < 2**62:
        raise ValidationFailed([FieldError("reminder_id", "value.invalid")])
    row = s.get(ReminderRow, reminder_id)
    if row is None:
        raise NotFound(what="reminder", id=reminder_id)
    if row.customer_id is None:  # an approval's reminder: addressed to one person
        if row.owner_id != actor.id:
            raise OutOfScope(actor=actor, entity_type="reminder", entity_id=reminder_id, what="reminder",
                             id=reminder_id)
        entity_type, entity_id = "reminder", row.id
    else:
        customer = load_customer(s, actor, row.customer_id)  # out of scope answers as not found, audited
        if customer.owner_id != actor.id:
            raise OutOfScope(actor=actor, entity_type="reminder", entity_id=reminder_id, what="reminder",
                             id=reminder_id)
        entity_type, entity_id = "customer", customer.id
    if row.dismissed_at is not None or row.resolved_at is not None:
        return
    s.execute(update(ReminderRow).where(ReminderRow.id == row.id).values(dismissed_at=clock.now()))
    audit.record(s, actor, "reminder.dismiss", entity_type=entity_type, entity_id=entity_id,
                 changes={"reminder_id": row.id, "kind": row.kind, "due_on": row.due_on.isoformat()})
