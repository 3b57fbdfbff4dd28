"""The automatic checks run when a loan application is submitted (and again when it is resubmitted), all
read from the loan definition's current version, so the firm changes them like any other parameter:

- the credit scorecard (DMN `loan_scorecard`, COLLECT: the points of every matching row add up) and the grade
  it gives (DMN `loan_grade`);
- debt-to-income: existing monthly debt payments plus this loan's instalment (an annuity at the reference
  rate) over monthly income;
- anti-fraud (DMN `loan_fraud`, COLLECT: one flag per rule that fires): other customers' applications from the
  same phone in the last 30 days, earlier applications with the same ID number in 30 days, the amount against
  annual income;
- AML: the customer is screened against the lists in force now (services/aml), then "refer" when a possible
  match is open or confirmed or the customer's AML rating is high, "pending" when never screened, else "clear".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from services import clock
from services.aml.models import HitStatus, ScreeningHit
from services.customers.models import Customer
from services.loans.models import LoanApplication
from services.workflows import definitions, engine

REFERENCE_RATE = {"personal": Decimal("0.0435"), "mortgage": Decimal("0.0390"), "business": Decimal("0.0450")}
FRAUD_WINDOW_DAYS = 30


@dataclass
class Checks:
    score: int
    risk_grade: str
    points: list[int]
    instalment: Decimal
    dti: float
    ltv: float | None
    fraud_flags: list[str]
    same_phone_30d: int
    same_id_30d: int
    amount_to_annual_income: float
    aml_status: str  # clear | refer | pending
    aml_open_hits: int
    aml_rating: str
    definition_version: int
    checked_at: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["instalment"] = str(self.instalment)
        return d

    def engine_facts(self) -> dict:
        """What the approval instance carries (its routing decision reads these)."""
        return {"risk_grade": self.risk_grade, "score": self.score, "dti": self.dti, "aml_status": self.aml_status,
                "fraud_flags": len(self.fraud_flags), "ltv": self.ltv if self.ltv is not None else 1.0}


def instalment(amount: Decimal, term_months: int, product_type: str) -> Decimal:
    """The monthly payment of an annuity loan at the product's reference rate."""
    r = REFERENCE_RATE.get(product_type, Decimal("0.0435")) / 12
    n = term_months
    if r == 0:
        value = amount / n
    else:
        value = amount * r / (1 - (1 + r) ** -n)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _age(birth: date | None, today: date) -> int:
    if birth is None:
        return 0
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def run(s: Session, app: LoanApplication, customer: Customer, *, screen: bool = True) -> Checks:
    """Every check for `app` (not yet flushed, or being resubmitted), on the current loan definition."""
    version = definitions.current_version(s, "loan_approval")
    c = definitions.compiled_version(version)
    now = clock.now()
    pay = instalment(app.amount, app.term_months, app.product_type)
    income = app.monthly_income or Decimal(0)
    notes = [] if income > 0 else ["income_missing"]
    dti = float(((app.monthly_debt_payments + pay) / income).quantize(Decimal("0.0001"))) if income > 0 else 9.99
    ltv = (float((app.amount / app.collateral_value).quantize(Decimal("0.0001")))
           if app.collateral_value and app.collateral_value > 0 and app.collateral_type != "none" else None)
    today = clock.today()
    facts = {"dti": dti, "monthly_income": float(income), "credit_rating": app.credit_rating or "none",
             "ltv": ltv if ltv is not None else 1.0, "age": _age(customer.birth_date, today),
             "relationship_years": max(0, (now - customer.created_at).days // 365) if customer.created_at else 0,
             "amount": float(app.amount), "term_months": app.term_months, "product_type": app.product_type,
             "has_collateral": ltv is not None}
    points = [int(r.get("points") or 0) for r in engine.decide(c, "loan_scorecard", facts)]
    score = sum(points)
    graded = engine.decide(c, "loan_grade", {"score": score})
    grade = str(graded[0].get("risk_grade")) if graded else "E"

    since = now - timedelta(days=FRAUD_WINDOW_DAYS)
    mine = [LoanApplication.id != app.id] if app.id is not None else []
    same_phone = 0
    if app.phone_bidx:
        same_phone = s.execute(select(func.count()).select_from(LoanApplication).where(
            LoanApplication.phone_bidx == app.phone_bidx, LoanApplication.submitted_at >= since,
            LoanApplication.customer_id != customer.id, *mine)).scalar()
    same_id = s.execute(select(func.count()).select_from(LoanApplication).where(
        LoanApplication.id_number_bidx == app.id_number_bidx, LoanApplication.submitted_at >= since,
        *mine)).scalar()
    ratio = float((app.amount / (income * 12)).quantize(Decimal("0.01"))) if income > 0 else 999.0
    flags = [str(r.get("flag")) for r in engine.decide(c, "loan_fraud", {
        "same_phone_30d": same_phone, "same_id_30d": same_id, "amount_to_annual_income": ratio,
        "amount": float(app.amount)}) if r.get("flag")]

    if screen:
        from services.aml import service as aml

        aml.screen_customers(s, [customer.id])
        s.refresh(customer)
    hits = s.execute(select(func.count()).select_from(ScreeningHit).where(
        ScreeningHit.customer_id == customer.id,
        ScreeningHit.status.in_((HitStatus.OPEN, HitStatus.TRUE_POSITIVE)))).scalar()
    rating = customer.aml_risk or "pending"
    aml_status = "refer" if hits or rating == "high" else "pending" if rating == "pending" else "clear"
    return Checks(score=score, risk_grade=grade, points=points, instalment=pay, dti=dti, ltv=ltv, fraud_flags=flags,
                  same_phone_30d=same_phone, same_id_30d=same_id, amount_to_annual_income=ratio,
                  aml_status=aml_status, aml_open_hits=hits, aml_rating=rating, definition_version=version.version,
                  checked_at=now.isoformat(), notes=notes)
