"""Each customer's AML risk rating (low, medium, high) from explainable factors.

Every factor that applies adds its points and says why; the sum decides the rating (MEDIUM_FROM, HIGH_FROM).
The rating is written to the customer only through the sanctioned writer (services/customers/changes.py
`set_aml_risk`), by the AML domain's own actor, and only when it changes; the factors are kept beside it
(aml_risk_assessment) so the 360 view and an examiner can read why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, func, insert, select, update
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


@dataclass
class _Facts:
    """What the factors are read from, for one customer."""

    confirmed: int = 0
    open_hit: int = 0
    open_possible: int = 0
    reported: int = 0
    open_cases: int = 0
    alerts: int = 0


def _facts(session: Session, ids: list[int]) -> dict[int, _Facts]:
    """The facts of many customers in four statements (bulk screening: an import's thousands)."""
    out = {cid: _Facts() for cid in ids}
    now = clock.now()
    for cid, status, verdict, n in session.execute(
            select(ScreeningHit.customer_id, ScreeningHit.status, ScreeningHit.verdict, func.count())
            .where(ScreeningHit.customer_id.in_(ids))
            .group_by(ScreeningHit.customer_id, ScreeningHit.status, ScreeningHit.verdict)).all():
        f = out[cid]
        if status == HitStatus.TRUE_POSITIVE:
            f.confirmed += n
        elif status == HitStatus.OPEN and verdict == "hit":
            f.open_hit += n
        elif status == HitStatus.OPEN and verdict == "possible":
            f.open_possible += n
    for cid, status, n in session.execute(
            select(Case.customer_id, Case.status, func.count()).where(
                Case.customer_id.in_(ids),
                ((Case.status == CaseStatus.OPEN)
                 | ((Case.status == CaseStatus.REPORTED) & (Case.closed_at >= now - REPORT_WINDOW))))
            .group_by(Case.customer_id, Case.status)).all():
        if status == CaseStatus.OPEN:
            out[cid].open_cases = n
        else:
            out[cid].reported = n
    for cid, n in session.execute(select(Alert.customer_id, func.count()).where(
            Alert.customer_id.in_(ids), Alert.raised_at >= now - ALERT_WINDOW).group_by(Alert.customer_id)).all():
        out[cid].alerts = n
    return out


def _factors(customer: Customer, f: _Facts) -> list[Factor]:
    out: list[Factor] = []
    if f.confirmed:
        out.append(Factor("confirmed_hit", 100, {"count": f.confirmed}))
    if f.open_hit:
        out.append(Factor("open_hit", 60, {"count": f.open_hit}))
    elif f.open_possible:
        out.append(Factor("open_possible", 25, {"count": f.open_possible}))
    if f.reported:
        out.append(Factor("reported_case", 60, {"count": f.reported}))
    if f.open_cases:
        out.append(Factor("open_case", 25, {"count": f.open_cases}))
    if f.alerts:
        out.append(Factor("recent_alerts", min(30, 10 * f.alerts), {"count": f.alerts, "days": ALERT_WINDOW.days}))
    if customer.kind == "institution":
        out.append(Factor("institution", 10, {}))
    if customer.id_type in ("passport",):
        out.append(Factor("foreign_document", 10, {"id_type": customer.id_type}))
    return out


def factors(session: Session, customer: Customer) -> list[Factor]:
    return _factors(customer, _facts(session, [customer.id])[customer.id])


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


def assess_many(session: Session, customers: list[Customer], *, pending: bool) -> dict[int, str]:
    """Assess many customers at once (a bulk import's): a handful of statements per chunk, not per customer.
    Returns customer id -> rating."""
    out: dict[int, str] = {}
    now = clock.now()
    table = RiskAssessment.__table__
    for i in range(0, len(customers), 500):
        chunk = customers[i:i + 500]
        ids = [c.id for c in chunk]
        facts = _facts(session, ids)
        existing = set(session.execute(select(RiskAssessment.customer_id)
                                       .where(RiskAssessment.customer_id.in_(ids))).scalars())
        fresh, known = [], []
        for c in chunk:
            found = _factors(c, facts[c.id])
            points = sum(f.points for f in found)
            out[c.id] = rating_of(points)
            row = {"customer_id": c.id, "rating": out[c.id], "score": points,
                   "factors": [f.as_dict() for f in found], "assessed_at": now, "pending": pending}
            (known if c.id in existing else fresh).append(row)
        if fresh:
            session.execute(insert(table), fresh)
        if known:
            session.connection().execute(
                update(table).where(table.c.customer_id == bindparam("b_id")).values(
                    rating=bindparam("rating"), score=bindparam("score"), factors=bindparam("factors"),
                    assessed_at=bindparam("assessed_at"), pending=bindparam("pending")),
                [{**r, "b_id": r["customer_id"]} for r in known])
            _expire_loaded(session, set(existing))
    return out


def _expire_loaded(session: Session, ids: set[int]) -> None:
    """Assessments this session had loaded were just rewritten with Core: read them again when next used."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, RiskAssessment) and obj.customer_id in ids:
            session.expire(obj)
