"""Products as suitability sees them (code, name, type, risk level, regime, issuer), and the rules-as-data a
check reads: the regimes, which product type falls under which, and the active sale rules.

Reading these is on the path of every suitability check: the product comes with its regime in one statement,
the rules in another, both built once; nothing is cached, so an administrator's change holds for the very
next check.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Integer, String, bindparam, select
from sqlmodel import Session

from services.errors import FieldError, NotFound, ValidationFailed
from services.portfolio.models import Product
from services.suitability.definitions import SaleRuleConditions
from services.suitability.models import RegimeAssignment, SaleRule, SuitabilityRegime
from services.suitability.rules import ProductFacts, RegimeFacts, RuleFacts


# Built once: the compiled-statement cache then serves every check the same statement with new values.
_REGIME_COLUMNS = (SuitabilityRegime.code, SuitabilityRegime.name, SuitabilityRegime.name_en,
                   SuitabilityRegime.on_mismatch, SuitabilityRegime.never_above, SuitabilityRegime.professional_any,
                   SuitabilityRegime.cooling_off_hours)
_REGIMES = select(RegimeAssignment.product_type, *_REGIME_COLUMNS).join(
    SuitabilityRegime, SuitabilityRegime.code == RegimeAssignment.regime_code)
_PRODUCT = (select(Product.id, Product.code, Product.name, Product.name_en, Product.product_type, Product.risk_level,
                   Product.is_active, Product.issuer, *_REGIME_COLUMNS)
            .outerjoin(RegimeAssignment, RegimeAssignment.product_type == Product.product_type)
            .outerjoin(SuitabilityRegime, SuitabilityRegime.code == RegimeAssignment.regime_code))
_PRODUCT_BY_CODE = _PRODUCT.where(Product.code == bindparam("code", type_=String))
_PRODUCT_BY_ID = _PRODUCT.where(Product.id == bindparam("product_id", type_=Integer))
_RULES = (select(SaleRule.code, SaleRule.name, SaleRule.name_en, SaleRule.requirement, SaleRule.conditions,
                 SaleRule.statement, SaleRule.statement_en)
          .where(SaleRule.is_active.is_(True)).order_by(SaleRule.id))


def _regime(code, name, name_en, on_mismatch, never_above, professional_any, cooling_off_hours) -> RegimeFacts | None:
    if code is None:
        return None
    return RegimeFacts(code=code, name=name, name_en=name_en, on_mismatch=on_mismatch,
                       never_above=tuple(never_above or ()), professional_any=bool(professional_any),
                       cooling_off_hours=cooling_off_hours)


def regime_by_type(s: Session) -> dict[str, RegimeFacts]:
    return {row[0]: _regime(*row[1:]) for row in s.execute(_REGIMES)}


@lru_cache(maxsize=256)
def _conditions(canonical: str) -> SaleRuleConditions:
    """A rule's conditions, checked once per distinct content (they are re-read on every check)."""
    return SaleRuleConditions.model_validate_json(canonical)


def active_rules(s: Session) -> tuple[RuleFacts, ...]:
    """The active sale rules, read fresh (an administrator's change holds for the very next check)."""
    return tuple(RuleFacts(code=code, name=name, name_en=name_en, requirement=requirement,
                           conditions=_conditions(json.dumps(conditions, sort_keys=True)), statement=statement,
                           statement_en=statement_en)
                 for code, name, name_en, requirement, conditions, statement, statement_en in s.execute(_RULES))


def _facts(row: Any) -> ProductFacts:
    return ProductFacts(product_id=row[0], code=row[1], name=row[2], name_en=row[3], product_type=row[4],
                        risk_level=row[5], is_active=bool(row[6]), issuer=row[7], regime=_regime(*row[8:]))


def check_product_code(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 32 or not value.isascii() or not value.isprintable():
        raise ValidationFailed([FieldError("product_code", "value.invalid")])
    return value


def product_by_code(s: Session, code: Any) -> ProductFacts:
    """The product with its regime (one statement)."""
    code = check_product_code(code)
    row = s.execute(_PRODUCT_BY_CODE, {"code": code}).first()
    if row is None:
        raise NotFound(what="product", id=code)
    return _facts(row)


def product_by_id(s: Session, product_id: int) -> ProductFacts:
    row = s.execute(_PRODUCT_BY_ID, {"product_id": product_id}).first()
    if row is None:
        raise NotFound(what="product", id=product_id)
    return _facts(row)


class ProductView(BaseModel):
    code: str
    name: str
    name_en: str
    product_type: str
    risk_level: str
    regime: str | None
    regime_name: str | None
    regime_name_en: str | None
    issuer: str | None
    currency: str
    term_days: int | None
    is_active: bool


class ProductPage(BaseModel):
    items: list[ProductView]
    page: int
    page_size: int
    total: int


def product_view(p: ProductFacts, currency: str, term_days: int | None) -> ProductView:
    r = p.regime
    return ProductView(code=p.code, name=p.name, name_en=p.name_en, product_type=p.product_type,
                       risk_level=p.risk_level, regime=r.code if r else None, regime_name=r.name if r else None,
                       regime_name_en=r.name_en if r else None, issuer=p.issuer, currency=currency,
                       term_days=term_days, is_active=p.is_active)
