"""The facts about a customer that suitability decides on: investor class, the valid risk level (an expired
assessment counts as none), the latest assessment and its expiry, age, and what they bought before.

The risk level is the customer's own field, written only through the sanctioned writer
(services.customers.changes.set_risk_level) by suitability's assessments; the assessment rows say how it
was reached.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, union
from sqlmodel import Session

from services import clock
from services.customers.models import Customer
from services.portfolio.models import Holding, Product
from services.suitability.models import (ClassificationStatus, InvestorClassification, RiskAssessment, Sale,
                                         SaleStatus)
from services.suitability.rules import CustomerFacts, age_on

ORDINARY = "ordinary"
PROFESSIONAL = "professional"

_LATEST_ASSESSMENT = (select(RiskAssessment.id).where(RiskAssessment.customer_id == 0)
                      .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1))


def latest_assessment_id(s: Session, customer_id: int) -> int | None:
    return s.execute(select(RiskAssessment.id).where(RiskAssessment.customer_id == customer_id)
                     .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1)).scalar()


def current_classification(s: Session, customer_id: int, today: date) -> InvestorClassification | None:
    return s.execute(select(InvestorClassification).where(
        InvestorClassification.customer_id == customer_id,
        InvestorClassification.status == ClassificationStatus.APPROVED,
        InvestorClassification.valid_until >= today,
    ).order_by(InvestorClassification.valid_until.desc()).limit(1)).scalars().first()


def bought_types(s: Session, customer_id: int) -> frozenset[str]:
    """Product types the customer holds or bought through FinCRM (for first-purchase rules)."""
    held = select(Product.product_type).join(Holding, Holding.product_id == Product.id).where(
        Holding.customer_id == customer_id)
    sold = select(Product.product_type).join(Sale, Sale.product_id == Product.id).where(
        Sale.customer_id == customer_id, Sale.status.in_([SaleStatus.EFFECTIVE, SaleStatus.COOLING_OFF]))
    return frozenset(s.execute(union(held, sold)).scalars())


def customer_facts(s: Session, customer: Customer, *, with_purchases: bool = False,
                   today: date | None = None) -> CustomerFacts:
    today = today or clock.today()
    classification = current_classification(s, customer.id, today)
    valid = customer.risk_level is not None and customer.risk_valid_until is not None \
        and customer.risk_valid_until >= today
    return CustomerFacts(
        customer_id=customer.id, kind=customer.kind,
        investor_class=PROFESSIONAL if classification is not None else ORDINARY,
        risk_level=customer.risk_level if valid else None,
        assessment_id=latest_assessment_id(s, customer.id),
        assessment_expires=customer.risk_valid_until if customer.risk_level is not None else None,
        classification_id=classification.id if classification is not None else None,
        classification_until=classification.valid_until if classification is not None else None,
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
