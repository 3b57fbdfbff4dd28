"""The facts about a customer that suitability decides on: investor class, the valid risk level (an expired
assessment counts as none), the latest assessment and its expiry, age, and what they bought before.

The risk level is the customer's own field, written only through the sanctioned writer
(services.customers.changes.set_risk_level) by suitability's assessments; the assessment rows say how it
was reached.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, bindparam, literal, select, true, union
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.portfolio.models import Holding, Product
from services.suitability.models import (ClassificationStatus, InvestorClassification, RiskAssessment, Sale,
                                         SaleStatus)
from services.suitability.rules import CustomerFacts, age_on

ORDINARY = "ordinary"
PROFESSIONAL = "professional"

def latest_assessment_id(s: Session, customer_id: int) -> int | None:
    return s.execute(select(RiskAssessment.id).where(RiskAssessment.customer_id == customer_id)
                     .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1)).scalar()


def current_classification(s: Session, customer_id: int, today: date) -> InvestorClassification | None:
    return s.execute(select(InvestorClassification).where(
        InvestorClassification.customer_id == customer_id,
        InvestorClassification.status == ClassificationStatus.APPROVED,
        InvestorClassification.valid_until >= today,
    ).order_by(InvestorClassification.valid_until.desc()).limit(1)).scalars().first()


# Built once (bind parameters), so each check sends the same cached statements: the latest assessment and the
# current classification in one, what the customer bought before (for first-purchase rules) in another.
_CUSTOMER_ID = bindparam("customer_id", type_=Integer)
_LATEST = (select(RiskAssessment.id).where(RiskAssessment.customer_id == _CUSTOMER_ID)
           .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1).scalar_subquery())
_CLASSIFIED = (select(InvestorClassification.id, InvestorClassification.valid_until).where(
    InvestorClassification.customer_id == _CUSTOMER_ID,
    InvestorClassification.status == ClassificationStatus.APPROVED,
    InvestorClassification.valid_until >= bindparam("today", type_=Date))
    .order_by(InvestorClassification.valid_until.desc()).limit(1).subquery())
_INVESTOR = select(_LATEST, _CLASSIFIED.c.id, _CLASSIFIED.c.valid_until).select_from(
    select(literal(1).label("one")).subquery()).outerjoin(_CLASSIFIED, true())
_BOUGHT = union(
    select(Product.product_type).join(Holding, Holding.product_id == Product.id).where(
        Holding.customer_id == _CUSTOMER_ID),
    select(Product.product_type).join(Sale, Sale.product_id == Product.id).where(
        Sale.customer_id == _CUSTOMER_ID, Sale.status.in_([SaleStatus.EFFECTIVE, SaleStatus.COOLING_OFF])))


def bought_types(s: Session, customer_id: int) -> frozenset[str]:
    """Product types the customer holds or bought through FinCRM (for first-purchase rules)."""
    return frozenset(s.execute(_BOUGHT, {"customer_id": customer_id}).scalars())


def customer_facts(s: Session, customer: Customer, *, with_purchases: bool = False,
                   today: date | None = None) -> CustomerFacts:
    today = today or clock.today()
    assessment_id, classification_id, classified_until = s.execute(
        _INVESTOR, {"customer_id": customer.id, "today": today}).one()
    valid = customer.risk_level is not None and customer.risk_valid_until is not None \
        and customer.risk_valid_until >= today
    return CustomerFacts(
        customer_id=customer.id, kind=customer.kind,
        investor_class=PROFESSIONAL if classification_id is not None else ORDINARY,
        risk_level=customer.risk_level if valid else None,
        assessment_id=assessment_id,
        assessment_expires=customer.risk_valid_until if customer.risk_level is not None else None,
        classification_id=classification_id,
        classification_until=classified_until,
        age=age_on(customer.birth_date, today) if customer.kind == "individual" else None,
        owner_id=customer.owner_id,
        bought_types=bought_types(s, customer.id) if with_purchases else frozenset(),
    )


def facts_dict(customer: CustomerFacts, product: Any) -> dict[str, Any]:
    """The facts a check rests on, as stored with it and answered by the API."""
    regime = product.regime
    return {
        "investor_class": customer.investor_class,
        "risk_level": customer.risk_level,
        "assessment_expires": customer.assessment_expires.isoformat() if customer.assessment_expires else None,
        "assessment_valid": customer.assessment_valid,
        "professional_until": customer.classification_until.isoformat() if customer.classification_until else None,
        "age": customer.age,
        "product_code": product.code,
        "product_risk_level": product.risk_level,
        "product_type": product.product_type,
        "regime": regime.code if regime else None,
    }
