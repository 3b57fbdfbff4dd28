"""Suitability's core use cases: "may this customer buy this product?" (for the UI, the API and the sale
itself), what the customer is as an investor, and the products a check is asked about.

The check is enforced here, once, for every door: the 360 page and the sale use cases call it, the REST API's
`POST /api/v1/suitability/check` calls it, and a sale can only be proposed or signed through it
(services/suitability/sales.py). Every answer is stored (suitability_check) and audited.
"""
from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, Field

from sqlalchemy import func, insert, select
from sqlmodel import Session

from services import clock
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, Refusal, ValidationFailed
from services.portfolio.models import Product
from services.security import audit
from services.security.actor import Actor
from services.suitability import catalogue, facts as facts_mod
from services.suitability.models import (LinkStatus, Questionnaire, QuestionnaireLink, RiskAssessment,
                                         SuitabilityCheck, Verdict)
from services.security.policy import Permission as P, requires
from services.suitability.rules import CustomerFacts, Decision, ProductFacts, Requirement, decide, requirements
from services.validation.input import ID_LIMIT, RowId, StrictInput, parse
from services.suitability.views import (ApiInvestorFacts, AssessmentSummary, CheckFacts, CheckResult,
                                        InvestorProfile, LinkSummary, StepView, reason_view)

REMINDER_DAYS = 30  # the RM is reminded this many days before an assessment expires


class SuitabilityRefused(Refusal):
    """A sale that the suitability rules refuse: rolled back, and audited as a refusal (access.refused with the
    reasons and facts), so every refused attempt leaves its trace and nothing half-recorded."""

    code = "suitability.refused"
    http_status = 422

    def __init__(self, *, actor: Actor, customer_id: int, reasons: list[dict[str, Any]], facts: dict[str, Any]):
        super().__init__(actor=actor, entity_type="customer", entity_id=customer_id,
                         audit_details={"reasons": reasons, "facts": facts})
        self.reasons = reasons
        self.facts = facts

    def message(self, locale: str) -> str:
        from services.i18n import translate

        key = "en" if locale == "en" else "zh_CN"
        words = "; ".join(getattr(reason_view(r["code"], r.get("params", {})), key) for r in self.reasons)
        return translate(self.code, locale, reasons=words)


# ---------------------------------------------------------------- which customer (UI: id; API: id or yours)

_external_resolver: Callable[[Session, Actor, str], int | None] | None = None


def set_external_id_resolver(resolver: Callable[[Session, Actor, str], int | None]) -> None:
    """Install how an API client's own customer ids are resolved (services.integration, by bootstrap)."""
    global _external_resolver
    _external_resolver = resolver


def resolve_customer(s: Session, actor: Actor, *, customer_id: Any = None, external_id: Any = None) -> Customer:
    """The customer named by FinCRM's id, or by the API client's own id; exactly one of them."""
    if (customer_id is None) == (external_id is None):
        raise ValidationFailed([FieldError("customer", "suitability.customer_ref")])
    if external_id is not None:
        if actor.kind != "api_client" or _external_resolver is None:
            raise ValidationFailed([FieldError("external_id", "value.invalid")])
        if not isinstance(external_id, str) or not 1 <= len(external_id) <= 100:
            raise ValidationFailed([FieldError("external_id", "value.invalid")])
        found = _external_resolver(s, actor, external_id)
        if found is None:
            raise NotFound(what="customer", id=external_id)
        customer_id = found
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not 0 < customer_id < ID_LIMIT:
        raise ValidationFailed([FieldError("customer_id", "value.invalid")])  # ids are 32-bit on PostgreSQL
    return load_customer(s, actor, customer_id)


# ---------------------------------------------------------------- the check

def evaluate(s: Session, customer: Customer, product: ProductFacts) -> tuple[CustomerFacts, Decision, list[Requirement]]:
    """The decision and the steps it adds, on the facts as they are now (no permission check, no write:
    the use cases below and the sale's own steps call this)."""
    rules = catalogue.active_rules(s)
    needs_purchases = any(r.conditions.first_purchase_of_type and (
        not r.conditions.product_types or product.product_type in r.conditions.product_types) for r in rules)
    cf = facts_mod.customer_facts(s, customer, with_purchases=needs_purchases)
    decision = decide(cf, product)
    return cf, decision, requirements(rules, cf, product, decision.verdict)


_INSERT_CHECK = insert(SuitabilityCheck).returning(SuitabilityCheck.id)  # built once; values bound per call


def record_check(s: Session, actor: Actor, customer: Customer, product: ProductFacts, cf: CustomerFacts,
                 decision: Decision, steps: list[Requirement], *, purpose: str,
                 sale_id: int | None = None) -> int:
    """Keep the answer (with the sale it was asked for) and audit it; returns the stored check's id."""
    facts = facts_mod.facts_dict(cf, product)
    reasons = [r.as_dict() for r in decision.reasons]
    check_id = s.execute(_INSERT_CHECK, {
        "customer_id": customer.id, "product_id": product.product_id, "sale_id": sale_id, "verdict": decision.verdict,
        "reasons": reasons, "facts": facts, "requirements": [r.as_dict() for r in steps], "checked_at": clock.now(),
        "checked_by": _who(actor), "purpose": purpose}).scalar_one()
    audit.record(s, actor, "suitability.check", entity_type="customer", entity_id=customer.id,
                 changes={"check_id": check_id, "product": product.code, "verdict": decision.verdict,
                          "reasons": [r["code"] for r in reasons], "sale_id": sale_id, "purpose": purpose,
                          "risk_level": facts["risk_level"], "investor_class": facts["investor_class"]})
    return check_id


def result_view(cf: CustomerFacts, product: ProductFacts, decision: Decision, steps: list[Requirement],
                check_id: int | None) -> CheckResult:
    f = facts_mod.facts_dict(cf, product)
    return CheckResult(
        verdict=decision.verdict, reasons=[reason_view(r.code, r.params) for r in decision.reasons],
        facts=CheckFacts(**{**f, "assessment_expires": cf.assessment_expires,
                            "professional_until": cf.classification_until}),
        required_steps=[StepView(**r.as_dict()) for r in steps], check_id=check_id)


class CheckQuestion(StrictInput):
    """The question other systems ask (POST /api/v1/suitability/check): a customer, by FinCRM's id or the
    caller's own, and a product code."""

    customer_id: RowId | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    product_code: str = Field(min_length=1, max_length=32)


@requires(P.SUITABILITY_CHECK)
def answer_check(*, uow: UnitOfWork, actor: Actor, data: Any) -> CheckResult:
    """`check_suitability` for a request body (every field checked, unknown ones refused)."""
    req = parse(CheckQuestion, data)
    return check_suitability(uow=uow, actor=actor, product_code=req.product_code, customer_id=req.customer_id,
                             external_id=req.external_id)


@requires(P.SUITABILITY_CHECK)
def check_suitability(*, uow: UnitOfWork, actor: Actor, product_code: Any, customer_id: Any = None,
                      external_id: Any = None) -> CheckResult:
    """May the customer buy the product? `allowed`, `warning_required` (a signed mismatch warning first) or
    `refused`, with the reasons and the facts; stored and audited. The caller commits."""
    s = uow.session
    product = catalogue.product_by_code(s, product_code)
    customer = resolve_customer(s, actor, customer_id=customer_id, external_id=external_id)
    cf, decision, steps = evaluate(s, customer, product)
    check_id = record_check(s, actor, customer, product, cf, decision, steps, purpose="inquiry")
    return result_view(cf, product, decision, steps, check_id)


def refuse_if_refused(actor: Actor, customer: Customer, product: ProductFacts, cf: CustomerFacts,
                      decision: Decision) -> None:
    if decision.verdict == Verdict.REFUSED:
        raise SuitabilityRefused(actor=actor, customer_id=customer.id,
                                 reasons=[r.as_dict() for r in decision.reasons],
                                 facts=facts_mod.facts_dict(cf, product))


# ---------------------------------------------------------------- the investor

def _summary(s: Session, assessment_id: int | None) -> AssessmentSummary | None:
    if assessment_id is None:
        return None
    row = s.execute(select(RiskAssessment, Questionnaire).join(
        Questionnaire, Questionnaire.id == RiskAssessment.questionnaire_id).where(
        RiskAssessment.id == assessment_id)).first()
    if row is None:
        return None
    a, q = row
    return AssessmentSummary(id=a.id, questionnaire=q.title, questionnaire_en=q.title_en, version=q.version,
                             score=a.score, level=a.level, assessed_at=a.assessed_at, valid_until=a.valid_until,
                             channel=a.channel)


def _open_link(s: Session, customer_id: int) -> LinkSummary | None:
    link = s.execute(select(QuestionnaireLink).where(QuestionnaireLink.customer_id == customer_id)
                     .order_by(QuestionnaireLink.issued_at.desc(), QuestionnaireLink.id.desc()).limit(1)
                     ).scalars().first()
    if link is None:
        return None
    q = s.get(Questionnaire, link.questionnaire_id)
    status = link.status
    if status == LinkStatus.ISSUED and link.expires_at <= clock.now():
        status = "expired"
    return LinkSummary(id=link.id, status=status, channel=link.channel, issued_at=link.issued_at,
                       expires_at=link.expires_at, answered=len(link.draft or {}),
                       questions=len((q.definition or {}).get("questions", [])) if q else 0)


def profile_of(s: Session, customer: Customer) -> InvestorProfile:
    cf = facts_mod.customer_facts(s, customer)
    today = clock.today()
    expires = cf.assessment_expires
    return InvestorProfile(
        customer_id=customer.id, name=customer.name, investor_class=cf.investor_class, risk_level=cf.risk_level,
        assessed_level=customer.risk_level, assessment_expires=expires, assessment_valid=cf.assessment_valid,
        professional_until=cf.classification_until, latest=_summary(s, cf.assessment_id),
        open_link=_open_link(s, customer.id),
        reminder_due=expires is not None and (expires - today).days <= REMINDER_DAYS)


@requires(P.CUSTOMER_READ)
def investor_profile(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> InvestorProfile:
    """The customer as an investor: class, valid level, the latest assessment and the open link."""
    s = uow.session
    return profile_of(s, load_customer(s, actor, customer_id))


@requires(P.CUSTOMER_READ)
def api_investor_facts(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> ApiInvestorFacts:
    s = uow.session
    cf = facts_mod.customer_facts(s, load_customer(s, actor, customer_id))
    return ApiInvestorFacts(investor_class=cf.investor_class, risk_level=cf.risk_level,
                            assessment_expires=cf.assessment_expires, assessment_valid=cf.assessment_valid,
                            professional_until=cf.classification_until)


# ---------------------------------------------------------------- products

MAX_PAGE_SIZE = 200


@requires(P.PRODUCT_READ)
def list_products(*, uow: UnitOfWork, actor: Actor, page: Any = 1, page_size: Any = 50,
                  include_inactive: bool = False) -> catalogue.ProductPage:
    """Products with their risk level, regime and issuer, by code; paged."""
    from services.validation.input import whole_number

    number = whole_number(page, low=1, high=100_000)
    size = whole_number(page_size, low=1, high=MAX_PAGE_SIZE + 1)
    errors = []
    if number is None:
        errors.append(FieldError("page", "value.invalid"))
    if size is None:
        errors.append(FieldError("page_size", "value.invalid"))
    if errors:
        raise ValidationFailed(errors)
    s = uow.session
    where = [Product.product_type != "loan"]
    if not include_inactive:
        where.append(Product.is_active.is_(True))
    total = s.execute(select(func.count()).select_from(Product).where(*where)).scalar_one()
    rows = s.execute(select(Product).where(*where).order_by(Product.code).offset((number - 1) * size).limit(size)
                     ).scalars().all()
    regimes = catalogue.regime_by_type(s)
    items = [catalogue.product_view(
        ProductFacts(product_id=p.id, code=p.code, name=p.name, name_en=p.name_en, product_type=p.product_type,
                     risk_level=p.risk_level, is_active=p.is_active, issuer=p.issuer,
                     regime=regimes.get(p.product_type)), p.currency, p.term_days) for p in rows]
    return catalogue.ProductPage(items=items, page=number, page_size=size, total=total)


def _who(actor: Actor) -> str:
    return actor.audit_id if actor.kind == "user" and actor.audit_id else f"{actor.kind}:{actor.name}"


class ReminderView(BaseModel):
    customer_id: int
    customer_name: str
    expires_on: Any
    days_left: int


@requires(P.CUSTOMER_READ)
def expiring_assessments(*, uow: UnitOfWork, actor: Actor, limit: int = 50) -> list[ReminderView]:
    """The reminders the scheduler made (suitability.reminders) for the customers in the actor's scope whose
    assessment has not been renewed since: soonest first."""
    from services.security.policy import customer_scope_filter
    from services.suitability.models import AssessmentReminder

    s = uow.session
    today = clock.today()
    rows = s.execute(
        select(AssessmentReminder.customer_id, Customer.name, AssessmentReminder.expires_on)
        .join(Customer, Customer.id == AssessmentReminder.customer_id)
        .where(customer_scope_filter(actor, Customer), AssessmentReminder.dismissed_at.is_(None),
               AssessmentReminder.expires_on >= today, Customer.risk_valid_until == AssessmentReminder.expires_on)
        .order_by(AssessmentReminder.expires_on, Customer.id).limit(min(max(limit, 1), 200))).all()
    return [ReminderView(customer_id=cid, customer_name=name, expires_on=day, days_left=(day - today).days)
            for cid, name, day in rows]
