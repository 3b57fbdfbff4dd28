"""What the 360 page's header must warn of before anyone acts on the customer: do not contact, withdrawn marketing
consent, an expired (or rejected) KYC, an expired or missing risk assessment, open complaints and tickets past
their SLA. Read from the domains that decide each (consent, the customer's KYC and risk validity, tickets)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from services import clock
from services.activities import contact
from services.activities.models import OPEN_TICKET_STATUSES, Ticket
from services.activities.tickets import open_complaints
from services.customers.access import load_customer
from services.customers.models import KycStatus
from services.db import UnitOfWork
from services.security.actor import Actor
from services.security.policy import Permission, requires


@dataclass(frozen=True)
class CustomerWarnings:
    do_not_contact: bool
    marketing_withdrawn: bool
    kyc_status: str
    kyc_lapsed: bool  # expired or rejected: the customer may not transact until KYC is redone
    risk_valid_until: date | None
    risk_expired: bool
    risk_missing: bool  # an individual without any risk assessment
    open_complaints: int
    breached_tickets: int  # open tickets past their SLA

    @property
    def any(self) -> bool:
        return (self.do_not_contact or self.marketing_withdrawn or self.kyc_lapsed or self.risk_expired
                or self.risk_missing or self.open_complaints > 0 or self.breached_tickets > 0)


@requires(Permission.CUSTOMER_READ)
def customer_warnings(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CustomerWarnings:
    s = uow.session
    c = load_customer(s, actor, customer_id)
    limits = contact.restrictions(s, c.id)
    breached = s.execute(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == c.id, Ticket.status.in_([str(x) for x in OPEN_TICKET_STATUSES]),
        Ticket.sla_due_at < clock.now())).scalar_one()
    return CustomerWarnings(
        do_not_contact=limits.do_not_contact, marketing_withdrawn=limits.marketing_withdrawn,
        kyc_status=c.kyc_status, kyc_lapsed=c.kyc_status in (KycStatus.EXPIRED, KycStatus.REJECTED),
        risk_valid_until=c.risk_valid_until,
        risk_expired=c.risk_valid_until is not None and c.risk_valid_until < clock.today(),
        risk_missing=c.kind == "individual" and c.risk_level is None,
        open_complaints=open_complaints(s, c.id), breached_tickets=int(breached))
