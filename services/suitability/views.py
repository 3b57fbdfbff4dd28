"""What suitability's use cases return: plain data, in both languages where a person reads it."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.i18n import translate


class ReasonView(BaseModel):
    code: str
    zh_CN: str
    en: str


def reason_view(code: str, params: dict[str, Any]) -> ReasonView:
    """A stored reason in both languages ({regime} is the regime's Chinese name, {regime_en} its English one)."""
    zh = dict(params)
    en = dict(params)
    if "regime_en" in params:
        en["regime"] = params["regime_en"]
    return ReasonView(code=code, zh_CN=translate(code, "zh_CN", **zh), en=translate(code, "en", **en))


class CheckFacts(BaseModel):
    investor_class: str
    risk_level: str | None
    assessment_expires: date | None
    assessment_valid: bool
    professional_until: date | None
    age: int | None
    product_code: str
    product_risk_level: str
    product_type: str
    regime: str | None


class StepView(BaseModel):
    requirement: str  # recording | compliance_review | extra_confirmation
    rule: str
    name: str
    name_en: str
    statement: str | None = None
    statement_en: str | None = None


class CheckResult(BaseModel):
    verdict: str  # allowed | warning_required | refused
    reasons: list[ReasonView]
    facts: CheckFacts
    required_steps: list[StepView]
    check_id: int | None = None


class AssessmentSummary(BaseModel):
    id: int
    questionnaire: str
    questionnaire_en: str
    version: int
    score: int
    level: str
    assessed_at: datetime
    valid_until: date
    channel: str


class LinkSummary(BaseModel):
    id: int
    status: str  # issued | submitted | revoked | locked | expired
    channel: str
    issued_at: datetime
    expires_at: datetime
    answered: int
    questions: int


class InvestorProfile(BaseModel):
    customer_id: int
    name: str
    investor_class: str  # ordinary | professional
    risk_level: str | None  # valid level only; an expired assessment counts as none
    assessed_level: str | None  # the level last assessed, even if expired
    assessment_expires: date | None
    assessment_valid: bool
    professional_until: date | None
    latest: AssessmentSummary | None
    open_link: LinkSummary | None
    reminder_due: bool  # the assessment expires within the reminder window


class ApiInvestorFacts(BaseModel):
    """What GET /api/v1/customers/{external_id} adds: the investor class, the risk level and its expiry."""

    investor_class: str
    risk_level: str | None
    assessment_expires: date | None
    assessment_valid: bool
    professional_until: date | None


class SaleView(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    product_code: str
    product_name: str
    product_name_en: str
    product_risk_level: str
    amount: Decimal
    currency: str
    regime: str
    verdict: str
    status: str
    requirements: list[StepView]
    created_at: datetime
    created_by: str
    signed_at: datetime | None
    cooling_off_until: datetime | None
    effective_at: datetime | None
    cancelled_at: datetime | None
    disclosure_document_id: int | None
    disclosure_sha256: str | None
    recording_status: str | None
    warning_signed: bool
    review_note: str | None
    version: int
    can_cancel: bool


class RecordingView(BaseModel):
    id: int
    sale_id: int
    filename: str
    declared_size: int
    received: int
    media_type: str | None
    sha256: str | None
    status: str
    uploaded_by: str
    started_at: datetime
    completed_at: datetime | None
    checklist: dict[str, bool]
    review_note: str | None
