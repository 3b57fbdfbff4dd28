"""The RM's day on a phone: `my_day` (tasks and reminders for the actor's own book) and `dial` (the number behind
the agenda's call button, for the phone's dialler only, audited).

The agenda is the actor's own book: customers they own (`owner_id`), within their data scope as always. A team
lead's or branch manager's wider scope is their lists' business, not their day's.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.orm import Session

from services import clock
from services.activities import tasks as task_service
from services.activities.models import Interaction
from services.agenda.views import Agenda, Reminder, ReminderKind
from services.customers import consent
from services.customers.access import list_value, load_customer
from services.customers.models import Customer, CustomerStatus, Segment
from services.customers.pii import stored_phone
from services.customers.search import PHONE_CONTEXT
from services.db import UnitOfWork
from services.errors import DomainError, NotFound, Refusal
from services.security import audit
from services.security.actor import Actor
from services.security.masking import mask_phone
from services.security.policy import Permission, customer_scope_filter, field_access, requires
from services.suitability.models import AssessmentReminder
from services.suitability.service import REMINDER_DAYS

BIRTHDAY_DAYS = 7  # birthdays today and in the next six days
# How often a customer of each segment expects to hear from their RM (days); segments not named are not chased.
FOLLOW_UP_CADENCE: dict[str, int] = {Segment.UHNW: 30, Segment.HNW: 30, Segment.AFFLUENT: 90}
FOLLOW_UP_LIMIT = 10  # the longest-waiting few: a reminder list, not a report
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


def _assessments(s: Session, actor: Actor, today: date) -> list[Reminder]:
    """Suitability's reminders (made daily by its job) still open: not dismissed, not renewed meanwhile."""
    rows = s.execute(
        select(Customer.id, Customer.name, Customer.segment, AssessmentReminder.expires_on)
        .join(Customer, Customer.id == AssessmentReminder.customer_id)
        .where(_book(actor), AssessmentReminder.dismissed_at.is_(None), AssessmentReminder.expires_on >= today,
               AssessmentReminder.expires_on <= today + timedelta(days=REMINDER_DAYS),
               Customer.risk_valid_until == AssessmentReminder.expires_on)
        .order_by(AssessmentReminder.expires_on, Customer.id).limit(100)).all()
    return [Reminder(kind=ReminderKind.ASSESSMENT_EXPIRY, customer_id=cid, customer_name=name, due_on=expires,
                     days=(expires - today).days, segment=segment) for cid, name, segment, expires in rows]


def birthday_in(year: int, born: date) -> date:
    """The day a birthday is kept in `year` (29 February on the 28th in a common year)."""
    if born.month == 2 and born.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, born.month, born.day)


def _birthdays(s: Session, actor: Actor, today: date) -> list[Reminder]:
    window = [today + timedelta(days=i) for i in range(BIRTHDAY_DAYS)]
    month_days = {(d.month, d.day) for d in window}
    if any(d.month == 2 and d.day == 28 and not calendar.isleap(d.year) for d in window):
        month_days.add((2, 29))
    born_on = or_(*[and_(extract("month", Customer.birth_date) == m, extract("day", Customer.birth_date) == d)
                    for m, d in sorted(month_days)])
    rows = s.execute(select(Customer.id, Customer.name, Customer.segment, Customer.birth_date)
                     .where(_book(actor), Customer.birth_date.is_not(None), born_on).limit(200)).all()
    out = []
    for cid, name, segment, born in rows:
        day = next((d for d in window if birthday_in(d.year, born) == d), None)
        if day is None:
            continue
        out.append(Reminder(kind=ReminderKind.BIRTHDAY, customer_id=cid, customer_name=name, due_on=day,
                            days=(day - today).days, segment=segment, age=day.year - born.year))
    return out


def _follow_ups(s: Session, actor: Actor, today: date) -> list[Reminder]:
    """The customers of the chased segments whose last interaction (or, never contacted, whose file) is older
    than their segment's cadence, longest waiting first; customers who asked not to be contacted left out."""
    last = (select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
            .group_by(Interaction.customer_id).subquery())
    now = clock.start_of_day(today)
    due_conditions = [and_(Customer.segment == seg, func.coalesce(last.c.at, Customer.created_at) < now - timedelta(days=days))
                      for seg, days in FOLLOW_UP_CADENCE.items()]
    rows = s.execute(
        select(Customer.id, Customer.name, Customer.segment, last.c.at, Customer.created_at)
        .outerjoin(last, last.c.customer_id == Customer.id)
        .where(_book(actor), or_(*due_conditions))
        .order_by(func.coalesce(last.c.at, Customer.created_at).asc(), Customer.id)
        .limit(FOLLOW_UP_LIMIT * 2)).all()
    out = []
    for cid, name, segment, at, created in rows:
        if consent.withdrawn_purposes(s, cid) & {"contact"}:
            continue
        since = clock.local_date(at or created)
        due = since + timedelta(days=FOLLOW_UP_CADENCE[segment])
        out.append(Reminder(kind=ReminderKind.FOLLOW_UP, customer_id=cid, customer_name=name, due_on=due,
                            days=(due - today).days, segment=segment,
                            last_contact=clock.local_date(at) if at is not None else None))
        if len(out) == FOLLOW_UP_LIMIT:
            break
    return out


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
    reminders = _assessments(s, actor, today) + _birthdays(s, actor, today) + _follow_ups(s, actor, today)
    order = {ReminderKind.ASSESSMENT_EXPIRY: 0, ReminderKind.BIRTHDAY: 1, ReminderKind.FOLLOW_UP: 2}
    reminders.sort(key=lambda r: (max(r.days, 0), order[r.kind], r.days, r.customer_id))
    items = overdue.items + due_today.items
    customers = {t.customer_id for t in items if t.customer_id is not None} | {r.customer_id for r in reminders}
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
