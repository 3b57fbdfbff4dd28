"""Products as suitability sees them (code, name, type, risk level, regime, issuer), and the rules-as-data a
check reads: the regimes, which product type falls under which, and the active sale rules.

Reading these is on the path of every suitability check, so they are loaded with a few small statements and
nothing is cached: an administrator's change holds for the very next check.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from services.errors import FieldError, NotFound, ValidationFailed
from services.portfolio.models import Product
from services.suitability.definitions import SaleRuleConditions
from services.suitability.models import RegimeAssignment, SaleRule, SuitabilityRegime
from services.suitability.rules import ProductFacts, RegimeFacts, RuleFacts


def _load_regimes(s: Session) -> dict[str, RegimeFacts]:
    regimes = {r.code: RegimeFacts(code=r.code, name=r.name, name_en=r.name_en, on_mismatch=r.on_mismatch,
                                   never_above=tuple(r.never_above or ()), professional_any=r.professional_any,
                                   cooling_off_hours=r.cooling_off_hours)
               for r in s.execute(select(SuitabilityRegime)).scalars()}
    return {a.product_type: regimes[a.regime_code]
            for a in s.execute(select(RegimeAssignment)).scalars() if a.regime_code in regimes}


def regime_by_type(s: Session) -> dict[str, RegimeFacts]:
    return _load_regimes(s)


def _load_rules(s: Session) -> tuple[RuleFacts, ...]:
    rows = s.execute(select(SaleRule).where(SaleRule.is_active.is_(True)).order_by(SaleRule.id)).scalars()
    return tuple(RuleFacts(code=r.code, name=r.name, name_en=r.name_en, requirement=r.requirement,
                           conditions=SaleRuleConditions.model_validate(r.conditions), statement=r.statement,
                           statement_en=r.statement_en) for r in rows)


def active_rules(s: Session) -> tuple[RuleFacts, ...]:
    return _load_rules(s)


_PRODUCT_COLUMNS = (Product.id, Product.code, Product.name, Product.name_en, Product.product_type,
                    Product.risk_level, Product.is_active, Product.issuer)


def _facts(s: Session, row: Any) -> ProductFacts:
    return ProductFacts(product_id=row.id, code=row.code, name=row.name, name_en=row.name_en,
                        product_type=row.product_type, risk_level=row.risk_level, is_active=row.is_active,
                        issuer=row.issuer, regime=regime_by_type(s).get(row.product_type))


def check_product_code(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 32 or not value.isascii() or not value.isprintable():
        raise ValidationFailed([FieldError("product_code", "value.invalid")])
    return value


def product_by_code(s: Session, code: Any) -> ProductFacts:
    code = check_product_code(code)
    row = s.execute(select(*_PRODUCT_COLUMNS).where(Product.code == code)).first()
    if row is None:
        raise NotFound(what="product", id=code)
    return _facts(s, row)


def product_by_id(s: Session, product_id: int) -> ProductFacts:
    row = s.execute(select(*_PRODUCT_COLUMNS).where(Product.id == product_id)).first()
    if row is None:
        raise NotFound(what="product", id=product_id)
    return _facts(s, row)


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
