"""Professional investors: classified by compliance under the active criteria for the customer's kind, with
the documents that prove each criterion met (documents already attached to the customer). A classification
is valid for the criteria's period, can be revoked, and while it holds the customer is a professional investor
for every suitability check.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update

from services import clock
from services.customers.access import load_customer
from services.customers.models import Document
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.suitability.definitions import CriteriaDefinition
from services.suitability.events import InvestorClassified
from services.suitability.links import add_months
from services.suitability.models import ClassificationStatus, InvestorClassification, InvestorCriteria, VersionStatus
from services.security.policy import Permission as P, requires
from services.validation.text import text_problem

MAX_EVIDENCE = 20


class CriterionView(BaseModel):
    key: str
    text: str
    text_en: str
    evidence: str
    evidence_en: str


class CriteriaView(BaseModel):
    id: int
    title: str
    title_en: str
    version: int
    validity_months: int
    criteria: list[CriterionView]
    groups: list[list[str]]


class ClassificationView(BaseModel):
    id: int
    customer_id: int
    status: str
    met: list[str]
    evidence: dict[str, list[int]]
    decided_by: str
    decided_at: Any
    valid_until: Any
    note: str | None


def _active(s, audience: str) -> InvestorCriteria:
    row = s.execute(select(InvestorCriteria).where(InvestorCriteria.audience == audience,
                                                   InvestorCriteria.status == VersionStatus.ACTIVE)
                    .order_by(InvestorCriteria.version.desc()).limit(1)).scalars().first()
    if row is None:
        raise NotFound(what="investor_criteria", id=audience)
    return row


def _view(c: InvestorClassification) -> ClassificationView:
    return ClassificationView(id=c.id, customer_id=c.customer_id, status=c.status, met=list(c.met),
                              evidence={k: list(v) for k, v in (c.evidence or {}).items()}, decided_by=c.decided_by,
                              decided_at=c.decided_at, valid_until=c.valid_until, note=c.note)


@requires(P.INVESTOR_CLASSIFY, P.CUSTOMER_READ)
def criteria_for(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CriteriaView:
    """The criteria a customer of this kind is classified by."""
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    row = _active(s, customer.kind)
    d = CriteriaDefinition.model_validate(row.definition)
    return CriteriaView(id=row.id, title=row.title, title_en=row.title_en, version=row.version,
                        validity_months=row.validity_months,
                        criteria=[CriterionView(key=c.key, text=c.text.zh_CN, text_en=c.text.en,
                                                evidence=c.evidence.zh_CN, evidence_en=c.evidence.en)
                                  for c in d.criteria],
                        groups=[g.any_of for g in d.groups])


@requires(P.INVESTOR_CLASSIFY)
def classify_professional(*, uow: UnitOfWork, actor: Actor, customer_id: Any, met: Any, evidence: Any,
                          note: Any = None) -> ClassificationView:
    """Classify the customer as a professional investor: the criteria met must satisfy every group of the
    active criteria, and each criterion met needs at least one of the customer's own documents as proof."""
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    criteria = _active(s, customer.kind)
    d = CriteriaDefinition.model_validate(criteria.definition)
    keys = {c.key for c in d.criteria}
    errors: list[FieldError] = []
    if not isinstance(met, list) or not met or not all(isinstance(k, str) and k in keys for k in met):
        raise ValidationFailed([FieldError("met", "classification.unknown_criterion")])
    met_set = set(met)
    if not d.satisfied_by(met_set):
        errors.append(FieldError("met", "classification.criteria_not_met"))
    if not isinstance(evidence, dict) or set(evidence) - met_set:
        raise ValidationFailed(errors + [FieldError("evidence", "value.invalid")])
    wanted: dict[str, list[int]] = {}
    for key in sorted(met_set):
        ids = evidence.get(key)
        if not isinstance(ids, list) or not ids or len(ids) > MAX_EVIDENCE or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in ids):
            errors.append(FieldError(f"evidence.{key}", "classification.evidence_missing"))
            continue
        wanted[key] = sorted(set(ids))
    all_ids = {i for ids in wanted.values() for i in ids}
    if all_ids:
        own = set(s.execute(select(Document.id).where(Document.id.in_(all_ids),
                                                      Document.customer_id == customer.id)).scalars())
        for key, ids in wanted.items():
            if not set(ids) <= own:
                errors.append(FieldError(f"evidence.{key}", "classification.evidence_not_customers"))
    text = None
    if note not in (None, ""):
        if not isinstance(note, str) or len(note) > 500 or text_problem(note):
            errors.append(FieldError("note", "value.invalid"))
        else:
            text = note.strip()
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    s.execute(update(InvestorClassification).where(
        InvestorClassification.customer_id == customer.id,
        InvestorClassification.status == ClassificationStatus.APPROVED).values(
        status=ClassificationStatus.REVOKED, revoked_at=now))
    row = InvestorClassification(customer_id=customer.id, criteria_id=criteria.id, met=sorted(met_set),
                                 evidence=wanted, status=ClassificationStatus.APPROVED,
                                 decided_by=actor.audit_id or actor.name, decided_at=now,
                                 valid_until=add_months(clock.today(), criteria.validity_months), note=text)
    s.add(row)
    s.flush()
    audit.record(s, actor, "investor.classify", entity_type="customer", entity_id=customer.id,
                 changes={"classification_id": row.id, "criteria_id": criteria.id, "met": row.met,
                          "evidence": wanted, "valid_until": row.valid_until.isoformat()})
    uow.publish(InvestorClassified(customer_id=customer.id, investor_class="professional",
                                   valid_until=row.valid_until))
    return _view(row)


@requires(P.INVESTOR_CLASSIFY)
def revoke_classification(*, uow: UnitOfWork, actor: Actor, customer_id: Any, note: Any) -> None:
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    if not isinstance(note, str) or not 1 <= len(note.strip()) <= 500 or text_problem(note):
        raise ValidationFailed([FieldError("note", "value.invalid")])
    result = s.execute(update(InvestorClassification).where(
        InvestorClassification.customer_id == customer.id,
        InvestorClassification.status == ClassificationStatus.APPROVED).values(
        status=ClassificationStatus.REVOKED, revoked_at=clock.now(), note=note.strip()))
    if result.rowcount == 0:
        raise NotFound(what="classification", id=customer.id)
    audit.record(s, actor, "investor.revoke", entity_type="customer", entity_id=customer.id,
                 changes={"note": note.strip()})
    uow.publish(InvestorClassified(customer_id=customer.id, investor_class="ordinary", valid_until=None))


@requires(P.CUSTOMER_READ)
def classifications(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list[ClassificationView]:
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    rows = s.execute(select(InvestorClassification).where(InvestorClassification.customer_id == customer.id)
                     .order_by(InvestorClassification.decided_at.desc())).scalars()
    return [_view(r) for r in rows]
