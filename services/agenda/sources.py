"""Where reminders come from: each source answers, for a rule (its lead days and parameters) and a day, which
(customer, RM, due day) pairs are live - whose reminder window (due day minus lead days, up to the due day; for
follow-ups, until the customer is contacted) contains that day. The scheduled pass (services/agenda/jobs.py) makes a
reminder for every live pair that has none, and resolves the open reminders that are no longer live (the
assessment was renewed, the customer contacted, the birthday passed)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Callable

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.orm import Session

from services import clock
from services.activities.models import Interaction
from services.agenda.models import ReminderRule
from services.customers.models import ConsentRecord, Customer, CustomerStatus

Live = set[tuple[int, int, date]]  # (customer_id, owner_id, due_on)
MAX_LEAD_DAYS = 366


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
            live.add((cid, owner, day))
    return live


def assessment_expiry(s: Session, rule: ReminderRule, today: date) -> Live:
    rows = s.execute(select(Customer.id, Customer.owner_id, Customer.risk_valid_until).where(
        _open_customers(), Customer.risk_level.is_not(None), Customer.risk_valid_until >= today,
        Customer.risk_valid_until <= today + timedelta(days=_lead(rule))))
    return {(cid, owner, until) for cid, owner, until in rows}


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
        live.add((cid, owner, clock.local_date(at or created) + timedelta(days=cadence[segment])))
    return live


SOURCES: dict[str, Callable[[Session, ReminderRule, date], Live]] = {
    "birthday": birthdays, "assessment_expiry": assessment_expiry, "follow_up": follow_up}
