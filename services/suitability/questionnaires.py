"""Administering suitability's rules-as-data: questionnaire versions, professional-investor criteria versions,
the regimes, which product type falls under which, and the sale rules.

A questionnaire (or criteria set) version is a draft until activated; activating retires the version it
replaces; an active or retired version never changes (assessments name the version they were scored by).
A change is a new version. Every change is audited.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from services import clock
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.suitability.definitions import CriteriaDefinition, QuestionnaireDefinition, SaleRuleConditions
from services.suitability.models import (Audience, InvestorCriteria, MismatchPolicy, Questionnaire,
                                         RegimeAssignment, SaleRequirement, SaleRule, SuitabilityRegime,
                                         VersionStatus)
from services.security.policy import Permission as P, requires
from services.validation.input import StrictInput, parse


class VersionSummary(BaseModel):
    id: int
    code: str
    version: int
    audience: str
    status: str
    title: str
    title_en: str
    validity_months: int
    questions: int
    created_at: Any
    activated_at: Any | None = None


class QuestionnaireDraft(StrictInput):
    code: str = Field(pattern=r"^[a-z0-9_]{3,40}$")
    audience: Audience
    title: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    validity_months: int = Field(default=12, ge=1, le=60)
    definition: QuestionnaireDefinition


class CriteriaDraft(StrictInput):
    code: str = Field(pattern=r"^[a-z0-9_]{3,40}$")
    audience: Audience
    title: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    validity_months: int = Field(default=24, ge=1, le=120)
    definition: CriteriaDefinition


def _who(actor: Actor) -> str:
    return actor.audit_id if actor.kind == "user" and actor.audit_id else f"{actor.kind}:{actor.name}"


def _summary(q: Any, questions: int) -> VersionSummary:
    return VersionSummary(id=q.id, code=q.code, version=q.version, audience=q.audience, status=q.status,
                          title=q.title, title_en=q.title_en, validity_months=q.validity_months, questions=questions,
                          created_at=q.created_at, activated_at=getattr(q, "activated_at", None))


@requires(P.QUESTIONNAIRE_MANAGE)
def list_questionnaires(*, uow: UnitOfWork, actor: Actor) -> list[VersionSummary]:
    rows = uow.session.execute(select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version.desc())
                               ).scalars().all()
    return [_summary(q, len((q.definition or {}).get("questions", []))) for q in rows]


@requires(P.QUESTIONNAIRE_MANAGE)
def questionnaire_definition(*, uow: UnitOfWork, actor: Actor, questionnaire_id: Any) -> dict[str, Any]:
    """One version as an administrator edits it (the draft's JSON)."""
    q = _questionnaire(uow, questionnaire_id)
    return {"code": q.code, "audience": q.audience, "title": q.title, "title_en": q.title_en,
            "validity_months": q.validity_months, "definition": q.definition}


def _questionnaire(uow: UnitOfWork, questionnaire_id: Any) -> Questionnaire:
    if isinstance(questionnaire_id, bool) or not isinstance(questionnaire_id, int) or not 0 < questionnaire_id < 2**31:
        raise ValidationFailed([FieldError("questionnaire_id", "value.invalid")])
    q = uow.session.get(Questionnaire, questionnaire_id)
    if q is None:
        raise NotFound(what="questionnaire", id=questionnaire_id)
    return q


@requires(P.QUESTIONNAIRE_MANAGE)
def save_questionnaire_draft(*, uow: UnitOfWork, actor: Actor, data: Any) -> VersionSummary:
    """A new draft version of a questionnaire (the next version number of its code), checked whole."""
    req = parse(QuestionnaireDraft, data)
    s = uow.session
    existing = s.execute(select(Questionnaire.audience).where(Questionnaire.code == req.code).limit(1)).scalar()
    if existing is not None and existing != req.audience:
        raise ValidationFailed([FieldError("audience", "questionnaire.audience_fixed")])
    version = (s.execute(select(func.max(Questionnaire.version)).where(Questionnaire.code == req.code)).scalar() or 0) + 1
    q = Questionnaire(code=req.code, version=version, audience=req.audience, status=VersionStatus.DRAFT,
                      title=req.title, title_en=req.title_en, validity_months=req.validity_months,
                      definition=req.definition.model_dump(mode="json", exclude_none=True), created_at=clock.now(),
                      created_by=_who(actor))
    s.add(q)
    s.flush()
    audit.record(s, actor, "questionnaire.draft", entity_type="questionnaire", entity_id=q.id,
                 changes={"code": q.code, "version": version, "questions": len(req.definition.questions),
                          "max_score": req.definition.max_score})
    return _summary(q, len(req.definition.questions))


@requires(P.QUESTIONNAIRE_MANAGE)
def activate_questionnaire(*, uow: UnitOfWork, actor: Actor, questionnaire_id: Any) -> VersionSummary:
    """Make a draft the version customers answer from now on; the active version of its audience retires
    (links already issued keep the version they were issued with)."""
    q = _questionnaire(uow, questionnaire_id)
    if q.status != VersionStatus.DRAFT:
        raise ValidationFailed([FieldError("questionnaire_id", "questionnaire.not_draft")])
    s = uow.session
    QuestionnaireDefinition.model_validate(q.definition)  # stored drafts are checked again before they go live
    retired = s.execute(select(Questionnaire.id).where(Questionnaire.audience == q.audience,
                                                       Questionnaire.status == VersionStatus.ACTIVE)).scalars().all()
    s.execute(update(Questionnaire).where(Questionnaire.id.in_(retired)).values(status=VersionStatus.RETIRED))
    q.status, q.activated_at = VersionStatus.ACTIVE, clock.now()
    s.add(q)
    s.flush()
    audit.record(s, actor, "questionnaire.activate", entity_type="questionnaire", entity_id=q.id,
                 changes={"code": q.code, "version": q.version, "retired": list(retired)})
    return _summary(q, len(q.definition.get("questions", [])))


@requires(P.QUESTIONNAIRE_MANAGE, P.INVESTOR_CLASSIFY)
def list_criteria(*, uow: UnitOfWork, actor: Actor) -> list[VersionSummary]:
    rows = uow.session.execute(select(InvestorCriteria).order_by(InvestorCriteria.code,
                                                                 InvestorCriteria.version.desc())).scalars().all()
    return [_summary(c, len((c.definition or {}).get("criteria", []))) for c in rows]


@requires(P.QUESTIONNAIRE_MANAGE)
def save_criteria_version(*, uow: UnitOfWork, actor: Actor, data: Any, activate: bool = True) -> VersionSummary:
    """A new version of the professional-investor criteria for an audience (active at once by default)."""
    req = parse(CriteriaDraft, data)
    s = uow.session
    version = (s.execute(select(func.max(InvestorCriteria.version)).where(InvestorCriteria.code == req.code)
                         ).scalar() or 0) + 1
    if activate:
        s.execute(update(InvestorCriteria).where(InvestorCriteria.audience == req.audience,
                                                 InvestorCriteria.status == VersionStatus.ACTIVE)
                  .values(status=VersionStatus.RETIRED))
    row = InvestorCriteria(code=req.code, version=version, audience=req.audience,
                           status=VersionStatus.ACTIVE if activate else VersionStatus.DRAFT, title=req.title,
                           title_en=req.title_en, validity_months=req.validity_months,
                           definition=req.definition.model_dump(mode="json"), created_at=clock.now())
    s.add(row)
    s.flush()
    audit.record(s, actor, "investor_criteria.save", entity_type="investor_criteria", entity_id=row.id,
                 changes={"code": row.code, "version": version, "active": activate})
    return _summary(row, len(req.definition.criteria))


# ---------------------------------------------------------------- regimes and sale rules

class RegimeChange(StrictInput):
    on_mismatch: MismatchPolicy
    never_above: list[str] = Field(default_factory=list, max_length=5)
    professional_any: bool = True
    cooling_off_hours: int = Field(ge=0, le=24 * 30)


class RegimeView(BaseModel):
    code: str
    name: str
    name_en: str
    on_mismatch: str
    never_above: list[str]
    professional_any: bool
    cooling_off_hours: int
    product_types: list[str]


@requires(P.QUESTIONNAIRE_MANAGE, P.SUITABILITY_CHECK)
def list_regimes(*, uow: UnitOfWork, actor: Actor) -> list[RegimeView]:
    s = uow.session
    assigned: dict[str, list[str]] = {}
    for a in s.execute(select(RegimeAssignment).order_by(RegimeAssignment.product_type)).scalars():
        assigned.setdefault(a.regime_code, []).append(a.product_type)
    return [RegimeView(code=r.code, name=r.name, name_en=r.name_en, on_mismatch=r.on_mismatch,
                       never_above=list(r.never_above or []), professional_any=r.professional_any,
                       cooling_off_hours=r.cooling_off_hours, product_types=assigned.get(r.code, []))
            for r in s.execute(select(SuitabilityRegime).order_by(SuitabilityRegime.code)).scalars()]


@requires(P.QUESTIONNAIRE_MANAGE)
def change_regime(*, uow: UnitOfWork, actor: Actor, code: Any, data: Any) -> None:
    req = parse(RegimeChange, data)
    if any(level not in ("C1", "C2", "C3", "C4", "C5") for level in req.never_above):
        raise ValidationFailed([FieldError("never_above", "value.invalid")])
    s = uow.session
    row = s.get(SuitabilityRegime, code) if isinstance(code, str) and len(code) <= 32 else None
    if row is None:
        raise NotFound(what="regime", id=str(code)[:32])
    before = {"on_mismatch": row.on_mismatch, "never_above": row.never_above,
              "professional_any": row.professional_any, "cooling_off_hours": row.cooling_off_hours}
    row.on_mismatch, row.never_above = req.on_mismatch, sorted(set(req.never_above))
    row.professional_any, row.cooling_off_hours = req.professional_any, req.cooling_off_hours
    row.updated_at = clock.now()
    s.add(row)
    s.flush()
    audit.record(s, actor, "regime.change", entity_type="suitability_regime", entity_id=row.code,
                 changes={"before": before, "after": req.model_dump(mode="json")})


PRODUCT_TYPES = ("deposit", "wealth", "fund", "bond", "equity", "insurance")


@requires(P.QUESTIONNAIRE_MANAGE)
def assign_regime(*, uow: UnitOfWork, actor: Actor, product_type: Any, regime_code: Any) -> None:
    """Sell a product type under a regime."""
    s = uow.session
    if product_type not in PRODUCT_TYPES:
        raise ValidationFailed([FieldError("product_type", "value.invalid_choice",
                                           {"choices": ", ".join(PRODUCT_TYPES)})])
    if not isinstance(regime_code, str) or s.get(SuitabilityRegime, regime_code) is None:
        raise ValidationFailed([FieldError("regime", "value.invalid")])
    row = s.get(RegimeAssignment, product_type)
    old = row.regime_code if row else None
    if row is None:
        row = RegimeAssignment(product_type=product_type, regime_code=regime_code)
    row.regime_code = regime_code
    s.add(row)
    s.flush()
    audit.record(s, actor, "regime.assign", entity_type="regime_assignment", entity_id=product_type,
                 changes={"regime": [old, regime_code]})


class SaleRuleInput(StrictInput):
    code: str = Field(pattern=r"^[a-z0-9_]{3,40}$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    requirement: SaleRequirement
    conditions: SaleRuleConditions
    statement: str | None = Field(default=None, max_length=500)
    statement_en: str | None = Field(default=None, max_length=500)
    is_active: bool = True


class SaleRuleView(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    requirement: str
    conditions: dict
    statement: str | None
    statement_en: str | None
    is_active: bool


def _rule_view(r: SaleRule) -> SaleRuleView:
    return SaleRuleView(id=r.id, code=r.code, name=r.name, name_en=r.name_en, requirement=r.requirement,
                        conditions=r.conditions, statement=r.statement, statement_en=r.statement_en,
                        is_active=r.is_active)


@requires(P.QUESTIONNAIRE_MANAGE, P.SUITABILITY_CHECK)
def list_sale_rules(*, uow: UnitOfWork, actor: Actor) -> list[SaleRuleView]:
    return [_rule_view(r) for r in uow.session.execute(select(SaleRule).order_by(SaleRule.id)).scalars()]


@requires(P.QUESTIONNAIRE_MANAGE)
def save_sale_rule(*, uow: UnitOfWork, actor: Actor, data: Any) -> SaleRuleView:
    """Create or change a sale rule by its code (an extra confirmation needs its statement in both languages)."""
    req = parse(SaleRuleInput, data)
    if req.requirement == SaleRequirement.EXTRA_CONFIRMATION and not (req.statement and req.statement_en):
        raise ValidationFailed([FieldError("statement", "value.required")])
    s = uow.session
    row = s.execute(select(SaleRule).where(SaleRule.code == req.code)).scalars().first()
    before = _rule_view(row).model_dump(mode="json") if row else None
    row = row or SaleRule(code=req.code, name=req.name, name_en=req.name_en, requirement=req.requirement,
                          conditions={})
    row.name, row.name_en, row.requirement = req.name, req.name_en, req.requirement
    row.conditions = req.conditions.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    row.statement, row.statement_en, row.is_active = req.statement, req.statement_en, req.is_active
    s.add(row)
    s.flush()
    audit.record(s, actor, "sale_rule.save", entity_type="sale_rule", entity_id=row.id,
                 changes={"before": before, "after": _rule_view(row).model_dump(mode="json")})
    return _rule_view(row)
