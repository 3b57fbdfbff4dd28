"""Suitability's tables: questionnaires and criteria (versioned data), assessments, the customer's link and
its credentials, signatures, investor classification, the regimes and sale rules (data), suitability checks,
sales, recordings and reminders.

Rules are rows, not code: the two regulatory regimes, which product type falls under which, the extra sale
rules (recording, review, extra confirmation) and the recording checklist are data an administrator can
change, and every assessment, check and sale names the version of the data it was decided by.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime, utcnow


class Audience(StrEnum):
    INDIVIDUAL = "individual"
    INSTITUTION = "institution"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Questionnaire(SQLModel, table=True):
    """One version of a risk questionnaire: questions, options with points, knock-outs and the score bands
    that map a score to C1..C5 (`definition`, checked by services.suitability.definitions). A version is
    never changed once active; a change is a new version."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_questionnaire_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40))
    version: int
    audience: str = Field(sa_type=String(16))  # Audience
    status: str = Field(sa_type=String(16), default=VersionStatus.DRAFT)
    title: str = Field(sa_type=String(200))
    title_en: str = Field(sa_type=String(200))
    validity_months: int = 12  # how long an assessment by this version stays valid
    definition: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str | None = Field(default=None, sa_type=String(100))
    activated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class InvestorCriteria(SQLModel, table=True):
    """One version of the criteria for classifying a customer as a professional investor (per audience):
    which facts must hold and which evidence each needs (`definition`)."""

    __tablename__ = "investor_criteria"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_investor_criteria_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40))
    version: int
    audience: str = Field(sa_type=String(16))
    status: str = Field(sa_type=String(16), default=VersionStatus.DRAFT)
    title: str = Field(sa_type=String(200))
    title_en: str = Field(sa_type=String(200))
    validity_months: int = 24
    definition: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AssessmentChannel(StrEnum):
    ONLINE = "online"  # the customer on their own phone, from a link
    BRANCH = "branch"  # in the branch, on the RM's tablet, identity confirmed in person


class RiskAssessment(SQLModel, table=True):
    """A completed risk assessment: what the customer answered, the score and level it gave, until when it
    is valid, and the signature it was submitted with. Immutable once written."""

    __tablename__ = "risk_assessment"
    __table_args__ = (Index("ix_risk_assessment_customer_at", "customer_id", "assessed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    answers: dict = Field(sa_column=Column(JSON, nullable=False))
    score: int
    level: str = Field(sa_type=String(2))
    score_level: str = Field(sa_type=String(2))  # the band's level before knock-outs capped it
    caps: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # knock-outs that applied
    assessed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_until: date
    channel: str = Field(sa_type=String(16))
    link_id: int | None = Field(default=None, foreign_key="questionnaire_link.id")
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    recorded_by: str | None = Field(default=None, sa_type=String(100))  # the staff member in the branch


class LinkStatus(StrEnum):
    ISSUED = "issued"
    SUBMITTED = "submitted"  # used: a link answers once
    REVOKED = "revoked"
    LOCKED = "locked"  # too many failed identity checks


class QuestionnaireLink(SQLModel, table=True):
    """A customer's link to answer one questionnaire: single-use, expiring, holding the answers given so
    far (so the customer can leave and resume). Only the SHA-256 of the link's secret is stored."""

    __tablename__ = "questionnaire_link"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    secret_digest: str = Field(sa_type=String(64), unique=True)
    channel: str = Field(sa_type=String(16), default=AssessmentChannel.ONLINE)
    status: str = Field(sa_type=String(16), default=LinkStatus.ISSUED)
    issued_by: int = Field(foreign_key="app_user.id")
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    failed_identity: int = 0
    draft: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # question key -> answer
    draft_version: int = 0  # bumped on every saved answer: a stale tab cannot overwrite a newer draft
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    assessment_id: int | None = Field(default=None)


class IdentityChallenge(SQLModel, table=True):
    """A one-time code sent to the customer after the name and ID check; the browser that passed the check
    holds the challenge's own secret (a cookie), so a code alone opens nothing."""

    __tablename__ = "identity_challenge"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="questionnaire_link.id", index=True)
    secret_digest: str = Field(sa_type=String(64), unique=True)
    code_digest: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class QuestionnaireSession(SQLModel, table=True):
    """What the questionnaire pages know the customer by: a short-lived session for one link, behind its
    own HttpOnly cookie. It opens nothing but that link's questionnaire."""

    __tablename__ = "questionnaire_session"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="questionnaire_link.id", index=True)
    token_digest: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    confirmed_by: int | None = Field(default=None, foreign_key="app_user.id")  # in person, in the branch


class CustomerMessage(SQLModel, table=True):
    """A message sent to a customer (a one-time code, a link), as the pluggable sender recorded it. The
    default sender only writes here: the outbox staff read to pass a code on when no gateway is set up."""

    __tablename__ = "customer_message"
    __table_args__ = (Index("ix_customer_message_customer_at", "customer_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(sa_type=String(16))  # sms
    recipient_masked: str = Field(sa_type=String(40))
    purpose: str = Field(sa_type=String(32))  # identity_code
    body: str = Field(sa_type=String(500))
    body_en: str = Field(sa_type=String(500))
    sender: str = Field(sa_type=String(40))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class SignaturePurpose(StrEnum):
    ASSESSMENT = "assessment"
    DISCLOSURE = "disclosure"


class Signature(SQLModel, table=True):
    """A finger signature: the stroke data as signature_pad gave it (points with times and pressure) and
    the image, kept in the document store by its SHA-256."""

    __tablename__ = "signature"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    purpose: str = Field(sa_type=String(16))
    strokes: list = Field(sa_column=Column(JSON, nullable=False))
    image_sha256: str = Field(sa_type=String(64))
    image_size: int
    signed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source_ip: str | None = Field(default=None, sa_type=String(64))


class ClassificationStatus(StrEnum):
    APPROVED = "approved"
    REVOKED = "revoked"


class InvestorClassification(SQLModel, table=True):
    """A customer classified as a professional investor under one version of the criteria, with the
    criteria met and the documents that prove them. Valid until `valid_until` unless revoked."""

    __tablename__ = "investor_classification"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    criteria_id: int = Field(foreign_key="investor_criteria.id")
    met: list = Field(sa_column=Column(JSON, nullable=False))  # criterion keys
    evidence: dict = Field(sa_column=Column(JSON, nullable=False))  # criterion key -> [document ids]
    status: str = Field(sa_type=String(16), default=ClassificationStatus.APPROVED)
    decided_by: str = Field(sa_type=String(100))
    decided_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_until: date
    note: str | None = Field(default=None, sa_type=String(500))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class MismatchPolicy(StrEnum):
    WARN = "warn"  # an ordinary investor may buy above their level after signing a mismatch warning
    REFUSE = "refuse"


class SuitabilityRegime(SQLModel, table=True):
    """The rules of one regulator, as data: what a level mismatch leads to, which levels may never buy
    above themselves, whether professional investors may buy anything, and the cooling-off period."""

    __tablename__ = "suitability_regime"

    code: str = Field(sa_type=String(32), primary_key=True)
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    on_mismatch: str = Field(sa_type=String(8))  # MismatchPolicy
    never_above: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # e.g. ["C1"]
    professional_any: bool = True
    cooling_off_hours: int = 24
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RegimeAssignment(SQLModel, table=True):
    """Which regime a product type is sold under."""

    __tablename__ = "regime_assignment"

    product_type: str = Field(sa_type=String(16), primary_key=True)
    regime_code: str = Field(sa_type=String(32), foreign_key="suitability_regime.code")


class SaleRequirement(StrEnum):
    RECORDING = "recording"  # an audio/video recording, approved by compliance
    COMPLIANCE_REVIEW = "compliance_review"
    EXTRA_CONFIRMATION = "extra_confirmation"  # the customer confirms an extra statement before signing


class SaleRule(SQLModel, table=True):
    """A configurable rule that adds a step to a sale when its conditions all hold (`conditions`, checked by
    services.suitability.definitions.SaleRuleConditions): e.g. product R4 and above -> recording."""

    __tablename__ = "sale_rule"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)
    name: str = Field(sa_type=String(200))
    name_en: str = Field(sa_type=String(200))
    requirement: str = Field(sa_type=String(24))  # SaleRequirement
    conditions: dict = Field(sa_column=Column(JSON, nullable=False))
    statement: str | None = Field(default=None, sa_type=String(500))  # extra confirmation text
    statement_en: str | None = Field(default=None, sa_type=String(500))
    is_active: bool = True


class Verdict(StrEnum):
    ALLOWED = "allowed"
    WARNING_REQUIRED = "warning_required"
    REFUSED = "refused"


class SuitabilityCheck(SQLModel, table=True):
    """One answer to "may this customer buy this product?": the verdict, its reasons (message codes with
    their parameters) and the facts it rested on, kept with the sale it was asked for."""

    __tablename__ = "suitability_check"
    __table_args__ = (Index("ix_suitability_check_customer_at", "customer_id", "checked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    product_id: int = Field(foreign_key="product.id")
    sale_id: int | None = Field(default=None, foreign_key="sale.id", index=True)
    verdict: str = Field(sa_type=String(20))
    reasons: list = Field(sa_column=Column(JSON, nullable=False))
    facts: dict = Field(sa_column=Column(JSON, nullable=False))
    requirements: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    checked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    checked_by: str = Field(sa_type=String(100))
    purpose: str = Field(sa_type=String(16))  # proposal, signature


class SaleStatus(StrEnum):
    AWAITING_SIGNATURE = "awaiting_signature"
    RECORDING_PENDING = "recording_pending"
    REVIEW_PENDING = "review_pending"
    COOLING_OFF = "cooling_off"
    EFFECTIVE = "effective"
    CANCELLED = "cancelled"  # by the customer, in the cooling-off period (or before signing)
    REJECTED = "rejected"  # by compliance


OPEN_SALE_STATUSES = (SaleStatus.AWAITING_SIGNATURE, SaleStatus.RECORDING_PENDING, SaleStatus.REVIEW_PENDING,
                      SaleStatus.COOLING_OFF)


class Sale(SQLModel, table=True):
    """A proposed sale of a product to a customer and the steps it must pass to become effective."""

    __tablename__ = "sale"
    __table_args__ = (Index("ix_sale_customer_created", "customer_id", "created_at"),
                      Index("ix_sale_status", "status", "cooling_off_until"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    product_id: int = Field(foreign_key="product.id")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(sa_type=String(3), default="CNY")
    regime_code: str = Field(sa_type=String(32))
    verdict: str = Field(sa_type=String(20))  # of the proposal's check
    requirements: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    statements: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # extra confirmations
    status: str = Field(sa_type=String(20), default=SaleStatus.AWAITING_SIGNATURE)
    locale: str = Field(sa_type=String(8), default="zh_CN")  # the customer's language for the disclosure
    assessment_id: int | None = Field(default=None, foreign_key="risk_assessment.id")
    classification_id: int | None = Field(default=None, foreign_key="investor_classification.id")
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    signed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    signature_id: int | None = Field(default=None, foreign_key="signature.id")
    warning_signed: bool = False
    disclosure_document_id: int | None = Field(default=None, foreign_key="document.id")
    disclosure_sha256: str | None = Field(default=None, sa_type=String(64))
    cooling_off_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    reviewed_by: str | None = Field(default=None, sa_type=String(100))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_note: str | None = Field(default=None, sa_type=String(500))
    effective_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancel_reason: str | None = Field(default=None, sa_type=String(300))
    version: int = 1


class RecordingStatus(StrEnum):
    UPLOADING = "uploading"
    SUBMITTED = "submitted"  # complete, type checked, SHA-256 stored; waiting for compliance
    APPROVED = "approved"
    REJECTED = "rejected"
    ABANDONED = "abandoned"


class Recording(SQLModel, table=True):
    """The audio/video recording of a sale: uploaded in chunks (resumable: `received` is how far it got),
    checked from its own bytes, kept in the document store by SHA-256, reviewed by compliance."""

    __tablename__ = "recording"

    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    upload_key: str = Field(sa_type=String(64), unique=True)  # names the partial file while uploading
    filename: str = Field(sa_type=String(255))
    declared_size: int = Field(sa_type=BigInteger)
    received: int = Field(default=0, sa_type=BigInteger)
    media_type: str | None = Field(default=None, sa_type=String(40))
    sha256: str | None = Field(default=None, sa_type=String(64))
    status: str = Field(sa_type=String(16), default=RecordingStatus.UPLOADING)
    uploaded_by: str = Field(sa_type=String(100))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    checklist_id: int | None = Field(default=None, foreign_key="review_checklist.id")
    checklist: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # item -> bool
    reviewed_by: str | None = Field(default=None, sa_type=String(100))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    review_note: str | None = Field(default=None, sa_type=String(500))


class ReviewChecklist(SQLModel, table=True):
    """What compliance checks a recording against (versioned data): items in both languages."""

    __tablename__ = "review_checklist"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_review_checklist_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(40))
    version: int
    status: str = Field(sa_type=String(16), default=VersionStatus.ACTIVE)
    items: list = Field(sa_column=Column(JSON, nullable=False))  # [{key, text, text_en}]


class AssessmentReminder(SQLModel, table=True):
    """The RM was reminded that a customer's assessment expires on `expires_on` (once per expiry date: a new
    assessment has a new date and gets its own reminder)."""

    __tablename__ = "assessment_reminder"
    __table_args__ = (UniqueConstraint("customer_id", "expires_on", name="uq_assessment_reminder_customer_day"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    assessment_id: int | None = Field(default=None, foreign_key="risk_assessment.id")
    expires_on: date
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    dismissed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
