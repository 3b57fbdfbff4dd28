"""Complaint statistics as a regulator asks for them: complaints received in a period (by the firm's calendar),
counted by channel, business category, reason and resolution, how many are still open, how many missed their
SLA, and how long resolution took (the regulator expects a decision within 15 days). Limited to the customers in
the actor's scope: a branch manager reports their branch."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import model_validator
from sqlalchemy import and_, case, func, or_, select

from services import clock
from services.activities.models import OPEN_TICKET_STATUSES, Ticket, TicketKind
from services.activities.views import ComplaintStatistics
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.security.actor import Actor
from services.security.policy import Permission, customer_scope_filter, requires
from services.validation.dates import BusinessDate
from services.validation.input import StrictInput, parse

DECISION_DAYS = 15
MAX_PERIOD_DAYS = 366 * 5


class Period(StrictInput):
    date_from: BusinessDate
    date_to: BusinessDate

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.date_to < self.date_from or (self.date_to - self.date_from).days > MAX_PERIOD_DAYS:
            raise ValidationFailed([FieldError("date_to", "value.invalid")])
        return self


@requires(Permission.COMPLAINT_REPORT)
def complaint_statistics(*, uow: UnitOfWork, actor: Actor, period: Any) -> ComplaintStatistics:
    p = parse(Period, period)
    s = uow.session
    start, end = clock.start_of_day(p.date_from), clock.start_of_day(p.date_to + timedelta(days=1))
    where = and_(Ticket.kind == TicketKind.COMPLAINT, Ticket.opened_at >= start, Ticket.opened_at < end,
                 customer_scope_filter(actor, Customer))

    def by(column) -> dict[str, int]:
        rows = s.execute(select(column, func.count()).select_from(Ticket)
                         .join(Customer, Customer.id == Ticket.customer_id).where(where)
                         .group_by(column).order_by(column)).all()
        return {str(k): int(n) for k, n in rows if k is not None}

    now = clock.now()
    is_open = Ticket.status.in_([str(x) for x in OPEN_TICKET_STATUSES])
    missed = or_(and_(is_open, Ticket.sla_due_at < now), Ticket.resolved_at > Ticket.sla_due_at)
    def count_of(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    received, still_open, breached, resolved, avg_days, within = s.execute(
        select(func.count(), count_of(is_open), count_of(missed), func.count(Ticket.days_to_resolve),
               func.avg(Ticket.days_to_resolve), count_of(Ticket.days_to_resolve <= DECISION_DAYS))
        .select_from(Ticket).join(Customer, Customer.id == Ticket.customer_id).where(where)).one()
    return ComplaintStatistics(
        date_from=p.date_from, date_to=p.date_to, received=int(received), resolved=int(resolved),
        open=int(still_open), breached=int(breached), by_channel=by(Ticket.channel), by_category=by(Ticket.category),
        by_reason=by(Ticket.complaint_reason), by_resolution=by(Ticket.resolution),
        average_days_to_resolve=None if avg_days is None else round(float(avg_days), 1),
        resolved_within_15_days=int(within))
