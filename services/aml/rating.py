"""Each customer's AML risk rating (low, medium, high) from explainable factors.

Every factor that applies adds its points and says why; the sum decides the rating (MEDIUM_FROM, HIGH_FROM).
The rating is written to the customer only through the sanctioned writer (services/customers/changes.py
`set_aml_risk`), by the AML domain's own actor, and only when it changes; the factors are kept beside it
(aml_risk_assessment) so the 360 view and an examiner can read why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from services import clock
from services.aml.models import Alert, Case, CaseStatus, HitStatus, RiskAssessment, ScreeningHit
from services.customers.models import Customer

MEDIUM_FROM = 25
HIGH_FROM = 60
ALERT_WINDOW = timedelta(days=90)
REPORT_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class Factor:
    code: str  # message key aml.factor.<code>
    points: int
    detail: dict

    def as_dict(self) -> dict:
        return {"code": self.code, "points": self.points, "detail": self.detail}


def factors(session: Session, customer: Customer) -> list[Factor]:
    cid = customer.id
    out: list[Factor] = []
    hits = session.execute(select(ScreeningHit.status, ScreeningHit.verdict, func.count()).where(
        ScreeningHit.customer_id == cid).group_by(ScreeningHit.status, ScreeningHit.verdict)).all()
    confirmed = sum(n for status, _, n in hits if status == HitStatus.TRUE_POSITIVE)
    open_hit = sum(n for status, verdict, n in hits if status == HitStatus.OPEN and verdict == "hit")
    open_possible = sum(n for status, verdict, n in hits if status == HitStatus.OPEN and verdict == "possible")
    if confirmed:
        out.append(Factor("confirmed_hit", 100, {"count": confirmed}))
    if open_hit:
        out.append(Factor("open_hit", 60, {"count": open_hit}))
    elif open_possible:
        out.append(Factor("open_possible", 25, {"count": open_possible}))
    now = clock.now()
    reported = session.execute(select(func.count()).select_from(Case).where(
        Case.customer_id == cid, Case.status == CaseStatus.REPORTED, Case.closed_at >= now - REPORT_WINDOW)).scalar()
    if reported:
        out.append(Factor("reported_case", 60, {"count": reported}))
    open_cases = session.execute(select(func.count()).select_from(Case).where(
        Case.customer_id == cid, Case.status == CaseStatus.OPEN)).scalar()
    if open_cases:
        out.append(Factor("open_case", 25, {"count": open_cases}))
    alerts = session.execute(select(func.count()).select_from(Alert).where(
        Alert.customer_id == cid, Alert.raised_at >= now - ALERT_WINDOW)).scalar()
    if alerts:
        out.append(Factor("recent_alerts", min(30, 10 * alerts), {"count": alerts, "days": ALERT_WINDOW.days}))
    if customer.kind == "institution":
        out.append(Factor("institution", 10, {}))
    if customer.id_type in ("passport",):
        out.append(Factor("foreign_document", 10, {"id_type": customer.id_type}))
    return out


def rating_of(points: int) -> str:
    return "high" if points >= HIGH_FROM else "medium" if points >= MEDIUM_FROM else "low"


def assess(session: Session, customer: Customer, *, pending: bool = False) -> RiskAssessment:
    """Compute and keep the customer's assessment (the caller writes the rating through set_aml_risk)."""
    found = factors(session, customer)
    points = sum(f.points for f in found)
    row = session.get(RiskAssessment, customer.id) or RiskAssessment(customer_id=customer.id, rating="low", score=0)
    row.rating, row.score, row.factors = rating_of(points), points, [f.as_dict() for f in found]
    row.assessed_at, row.pending = clock.now(), pending
    session.add(row)
    session.flush()
    return row
