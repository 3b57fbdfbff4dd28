"""The suitability decision and the extra steps of a sale, as pure functions of facts and rules-as-data.

C1 may buy only R1, C2 up to R2, ... C5 up to R5; professional investors anything (where the regime says so).
No valid assessment, no purchase. Above the customer's level, the product's regime decides: a warning the
customer must read and sign (securities and funds), except for the levels that may never buy above
themselves (C1), or a refusal (bank wealth management). Configurable sale rules then add steps.

Reasons are message codes with parameters (services/suitability/messages.py renders them in both languages),
so what was decided is stored once and read in any language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from services.suitability.definitions import SaleRuleConditions, level_rank
from services.suitability.models import MismatchPolicy, Verdict


@dataclass(frozen=True)
class RegimeFacts:
    code: str
    name: str
    name_en: str
    on_mismatch: str
    never_above: tuple[str, ...]
    professional_any: bool
    cooling_off_hours: int


@dataclass(frozen=True)
class ProductFacts:
    product_id: int
    code: str
    name: str
    name_en: str
    product_type: str
    risk_level: str
    is_active: bool
    issuer: str | None
    regime: RegimeFacts | None


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: int
    kind: str
    investor_class: str  # ordinary | professional
    risk_level: str | None  # the level of a valid assessment, else None (an expired one counts as none)
    assessment_id: int | None  # the latest assessment, valid or not
    assessment_expires: date | None  # its valid_until, even when past
    classification_id: int | None
    classification_until: date | None
    age: int | None
    owner_id: int
    bought_types: frozenset[str] = frozenset()  # product types held or bought before (first-purchase rules)

    @property
    def assessment_valid(self) -> bool:
        return self.risk_level is not None


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class Decision:
    verdict: str
    reasons: tuple[Reason, ...]


def _regime_params(regime: RegimeFacts) -> dict[str, Any]:
    return {"regime": regime.name, "regime_en": regime.name_en}


def decide(customer: CustomerFacts, product: ProductFacts) -> Decision:
    """May this customer buy this product, on these facts?"""
    levels = {"product_level": product.risk_level, "level": customer.risk_level}
    if not product.is_active:
        return Decision(Verdict.REFUSED, (Reason("suitability.product_inactive", {"product": product.code}),))
    regime = product.regime
    if regime is None:
        return Decision(Verdict.REFUSED, (Reason("suitability.no_regime", {"product_type": product.product_type}),))
    if customer.investor_class == "professional" and regime.professional_any:
        return Decision(Verdict.ALLOWED, (Reason("suitability.professional", {
            "until": customer.classification_until.isoformat() if customer.classification_until else ""}),))
    if customer.risk_level is None:
        if customer.assessment_expires is not None:
            return Decision(Verdict.REFUSED, (Reason("suitability.assessment_expired", {
                "date": customer.assessment_expires.isoformat()}),))
        return Decision(Verdict.REFUSED, (Reason("suitability.no_assessment"),))
    if level_rank(product.risk_level) <= level_rank(customer.risk_level):
        return Decision(Verdict.ALLOWED, (Reason("suitability.within_level", levels),))
    if customer.risk_level in regime.never_above:
        return Decision(Verdict.REFUSED, (Reason("suitability.never_above", {**levels, **_regime_params(regime)}),))
    if regime.on_mismatch == MismatchPolicy.WARN:
        return Decision(Verdict.WARNING_REQUIRED,
                        (Reason("suitability.mismatch_warning", {**levels, **_regime_params(regime)}),))
    return Decision(Verdict.REFUSED, (Reason("suitability.mismatch_refused", {**levels, **_regime_params(regime)}),))


@dataclass(frozen=True)
class RuleFacts:
    code: str
    name: str
    name_en: str
    requirement: str
    conditions: SaleRuleConditions
    statement: str | None = None
    statement_en: str | None = None


@dataclass(frozen=True)
class Requirement:
    requirement: str
    rule: str
    name: str
    name_en: str
    statement: str | None = None
    statement_en: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "rule": self.rule, "name": self.name, "name_en": self.name_en,
                "statement": self.statement, "statement_en": self.statement_en}


def _holds(c: SaleRuleConditions, customer: CustomerFacts, product: ProductFacts, verdict: str) -> bool:
    if c.min_product_risk is not None and level_rank(product.risk_level) < level_rank(c.min_product_risk):
        return False
    if c.min_age is not None and (customer.age is None or customer.age < c.min_age):
        return False
    if c.product_types and product.product_type not in c.product_types:
        return False
    if c.first_purchase_of_type and product.product_type in customer.bought_types:
        return False
    if c.verdicts and verdict not in c.verdicts:
        return False
    if c.investor_classes and customer.investor_class not in c.investor_classes:
        return False
    return True


def requirements(rules: Iterable[RuleFacts], customer: CustomerFacts, product: ProductFacts,
                 verdict: str) -> list[Requirement]:
    """The extra steps the active rules add to a sale that is allowed or needs a warning."""
    if verdict == Verdict.REFUSED:
        return []
    return [Requirement(r.requirement, r.code, r.name, r.name_en, r.statement, r.statement_en)
            for r in rules if _holds(r.conditions, customer, product, verdict)]


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
