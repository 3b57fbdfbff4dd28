"""Suitability's scheduled work: reminding RMs of assessments about to expire (daily, 07:30), making sales
effective when their cooling-off period ends (every minute), and closing abandoned recording uploads and
used-up questionnaire credentials (hourly). Each job is idempotent: a run missed or repeated changes
nothing twice."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from services import clock
from services.customers.models import Customer, CustomerStatus
from services.db import UnitOfWork, unit_of_work
from services.scheduler import Job
from services.security import audit
from services.suitability import recordings, sales
from services.suitability.access import ASSESSOR
from services.suitability.events import AssessmentExpiring
from services.suitability.models import AssessmentReminder, IdentityChallenge, QuestionnaireSession, RiskAssessment
from services.suitability.service import REMINDER_DAYS

log = logging.getLogger(__name__)
BATCH = 1000


def remind_expiring(uow: UnitOfWork) -> int:
    """One reminder per customer and expiry date, to the customer's RM, for assessments expiring within
    REMINDER_DAYS (today included); announced as AssessmentExpiring. Returns how many were created."""
    s = uow.session
    today = clock.today()
    horizon = today + timedelta(days=REMINDER_DAYS)
    due = s.execute(
        select(Customer.id, Customer.owner_id, Customer.risk_valid_until)
        .outerjoin(AssessmentReminder, and_(AssessmentReminder.customer_id == Customer.id,
                                            AssessmentReminder.expires_on == Customer.risk_valid_until))
        .where(Customer.risk_level.is_not(None), Customer.risk_valid_until >= today,
               Customer.risk_valid_until <= horizon, Customer.status != CustomerStatus.CLOSED,
               AssessmentReminder.id.is_(None))
        .order_by(Customer.id).limit(BATCH)).all()
    if not due:
        return 0
    latest = dict(s.execute(select(RiskAssessment.customer_id, RiskAssessment.id).where(
        RiskAssessment.customer_id.in_([d[0] for d in due]), RiskAssessment.valid_until.in_({d[2] for d in due}))).all())
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = clock.now()
    made = 0
    for customer_id, owner_id, expires in due:
        # ON CONFLICT: two schedulers (a failover) may find the same reminder due at once.
        row = s.execute(insert(AssessmentReminder).values(
            customer_id=customer_id, owner_id=owner_id, assessment_id=latest.get(customer_id), expires_on=expires,
            created_at=now).on_conflict_do_nothing().returning(AssessmentReminder.id)).scalar()
        if row is None:
            continue
        made += 1
        uow.publish(AssessmentExpiring(customer_id=customer_id, owner_id=owner_id, expires_on=expires,
                                       reminder_id=row))
    audit.record(s, ASSESSOR, "assessment.reminders", entity_type="job", entity_id="suitability.reminders",
                 changes={"created": made, "horizon": horizon.isoformat()})
    return made


def expiry_reminders() -> None:
    made, total = BATCH, 0
    while made >= BATCH:  # a first run on a large book finds more than one batch due
        with unit_of_work() as uow:
            made = remind_expiring(uow)
            uow.commit()
        total += made
    if total:
        log.info("assessment expiry reminders: %d", total)


def cooling_off() -> None:
    with unit_of_work() as uow:
        done = sales.complete_cooling_off(uow)
        uow.commit()
    if done:
        log.info("sales effective after cooling-off: %d", done)


def clean_up() -> None:
    """Close uploads abandoned for a day; forget questionnaire sessions and codes a day past their end."""
    with unit_of_work() as uow:
        closed = recordings.abandon_stale(uow, ASSESSOR)
        cutoff = clock.now() - timedelta(days=1)
        s = uow.session
        sessions = s.execute(delete(QuestionnaireSession).where(QuestionnaireSession.expires_at < cutoff)).rowcount
        codes = s.execute(delete(IdentityChallenge).where(IdentityChallenge.expires_at < cutoff)).rowcount
        if closed or sessions or codes:
            audit.record(s, ASSESSOR, "suitability.clean_up", entity_type="job", entity_id="suitability.clean_up",
                         changes={"uploads_closed": closed, "sessions": sessions, "codes": codes})
        uow.commit()


JOBS = [
    Job(id="suitability.reminders", func=expiry_reminders, trigger="cron", trigger_args={"hour": 7, "minute": 30}),
    Job(id="suitability.cooling_off", func=cooling_off, trigger="interval", trigger_args={"minutes": 1}),
    Job(id="suitability.clean_up", func=clean_up, trigger="interval", trigger_args={"hours": 1}),
]
