"""Sales: proposal, suitability check, disclosure, signature, dual recording where required, compliance review
where required, cooling-off, effective.

    propose  --(check: refused? nothing is recorded, the refusal is audited)-->  awaiting_signature
    sign     --(check again; mismatch warning and extra statements confirmed; signed disclosure PDF stored)-->
             recording_pending (a rule asks for a recording, none approved yet)
             review_pending    (a rule asks for compliance review)
             cooling_off       (until signed_at + the regime's cooling-off hours)
             effective         (every step done and the cooling-off period over: the scheduler, or the last step)
    cancel   the customer may cancel before signing and within the cooling-off period
    reject   compliance may reject in review

Every step re-reads the sale under optimistic concurrency (its version), is audited, and announces
SaleStatusChanged. Each suitability check is stored with the sale.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, Field

from sqlalchemy import select, update
from sqlmodel import Session

from services import clock
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import ConcurrentModification, DomainError, FieldError, NotFound, ValidationFailed
from services.i18n import LOCALES
from services.portfolio.models import Product
from services.security import audit
from services.security.actor import Actor
from services.suitability import catalogue, signatures
from services.suitability.access import ASSESSOR
from services.suitability.events import SaleStatusChanged
from services.suitability.models import (OPEN_SALE_STATUSES, Recording, RecordingStatus, Sale, SaleRequirement,
                                         SaleStatus, SignaturePurpose, Verdict)
from services.security.policy import Permission as P, requires
from services.suitability.service import evaluate, record_check, refuse_if_refused, resolve_customer
from services.suitability.views import ReasonView, RecordingView, SaleView, StepView, reason_view
from services.validation.input import RowId, StrictInput, parse
from services.validation.text import text_problem

MAX_AMOUNT = Decimal("1000000000000")


class SaleStepRefused(DomainError):
    """The sale is not at a step where this can be done (or the step's conditions are not met)."""

    code = "sale.wrong_status"
    http_status = 409


def _who(actor: Actor) -> str:
    return actor.audit_id if actor.kind == "user" and actor.audit_id else f"{actor.kind}:{actor.name}"


def _check_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if isinstance(value, (int, str, Decimal)) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed([FieldError("amount", "sale.amount_invalid")])
    return amount.quantize(Decimal("0.01"))


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 2**31:
        raise ValidationFailed([FieldError("version", "value.wrong_type")])
    return version


def _announce(uow: UnitOfWork, sale: Sale, old: str | None) -> None:
    uow.publish(SaleStatusChanged(sale_id=sale.id, customer_id=sale.customer_id, product_id=sale.product_id,
                                  old_status=old, new_status=sale.status))


def _has(sale: Sale, requirement: str) -> bool:
    return any(r.get("requirement") == requirement for r in sale.requirements or [])


def approved_recording(s: Session, sale_id: int) -> bool:
    return s.execute(select(Recording.id).where(Recording.sale_id == sale_id,
                                                Recording.status == RecordingStatus.APPROVED).limit(1)).first() is not None


def next_status(s: Session, sale: Sale, now: datetime) -> str:
    """Where a signed sale stands: the first step still missing, else cooling off, else effective."""
    if _has(sale, SaleRequirement.RECORDING) and not approved_recording(s, sale.id):
        return SaleStatus.RECORDING_PENDING
    if _has(sale, SaleRequirement.COMPLIANCE_REVIEW) and sale.reviewed_at is None:
        return SaleStatus.REVIEW_PENDING
    if sale.cooling_off_until is not None and now < sale.cooling_off_until:
        return SaleStatus.COOLING_OFF
    return SaleStatus.EFFECTIVE


def _move(uow: UnitOfWork, actor: Actor, sale: Sale, new: str, *, action: str, version: int,
          values: dict | None = None, details: dict | None = None) -> Sale:
    """Write a step under optimistic concurrency, audit it and announce it."""
    s = uow.session
    old = sale.status
    now = clock.now()
    extra = dict(values or {})
    if new == SaleStatus.EFFECTIVE:
        extra.setdefault("effective_at", now)
    result = s.execute(update(Sale).where(Sale.id == sale.id, Sale.version == version)
                       .values(status=new, version=Sale.version + 1, **extra))
    if result.rowcount != 1:
        raise ConcurrentModification()
    s.expire(sale)
    sale = s.get(Sale, sale.id)
    audit.record(s, actor, action, entity_type="sale", entity_id=sale.id,
                 changes={"customer_id": sale.customer_id, "from": old, "to": new, **(details or {})})
    if new != old:
        _announce(uow, sale, old)
    return sale


def _load(s: Session, actor: Actor, sale_id: Any) -> tuple[Sale, Customer]:
    if isinstance(sale_id, bool) or not isinstance(sale_id, int) or not 0 < sale_id < 2**31:
        raise ValidationFailed([FieldError("sale_id", "value.invalid")])
    sale = s.get(Sale, sale_id)
    if sale is None:
        raise NotFound(what="sale", id=sale_id)
    customer = load_customer(s, actor, sale.customer_id)  # out of scope answers as not found, audited
    return sale, customer


# ---------------------------------------------------------------- views

def sale_view(s: Session, sale: Sale, customer: Customer | None = None) -> SaleView:
    customer = customer or s.get(Customer, sale.customer_id)
    product = s.get(Product, sale.product_id)
    rec = s.execute(select(Recording.status).where(Recording.sale_id == sale.id)
                    .order_by(Recording.id.desc()).limit(1)).scalar()
    return SaleView(
        id=sale.id, customer_id=sale.customer_id, customer_name=customer.name, product_code=product.code,
        product_name=product.name, product_name_en=product.name_en, product_risk_level=product.risk_level,
        amount=sale.amount, currency=sale.currency, regime=sale.regime_code, verdict=sale.verdict,
        status=sale.status, requirements=[StepView(**r) for r in sale.requirements or []],
        created_at=sale.created_at, created_by=sale.created_by, signed_at=sale.signed_at,
        cooling_off_until=sale.cooling_off_until, effective_at=sale.effective_at, cancelled_at=sale.cancelled_at,
        disclosure_document_id=sale.disclosure_document_id, disclosure_sha256=sale.disclosure_sha256,
        recording_status=rec, warning_signed=sale.warning_signed, review_note=sale.review_note,
        version=sale.version, can_cancel=may_cancel(sale, clock.now()))


def may_cancel(sale: Sale, now: datetime) -> bool:
    if sale.status not in OPEN_SALE_STATUSES:
        return False
    return sale.signed_at is None or (sale.cooling_off_until is not None and now < sale.cooling_off_until)


# ---------------------------------------------------------------- propose

@requires(P.SALE_PROPOSE)
def propose_sale(*, uow: UnitOfWork, actor: Actor, product_code: Any, amount: Any, customer_id: Any = None,
                 external_id: Any = None, currency: Any = "CNY", locale: Any = None) -> SaleView:
    """Propose a sale. The suitability check decides first: refused means no sale at all (the refusal is
    audited with its reasons and facts, SuitabilityRefused); otherwise the sale waits for the customer's
    signature, with the steps the sale rules add."""
    s = uow.session
    value = _check_amount(amount)
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise ValidationFailed([FieldError("currency", "value.invalid")])
    language = locale if locale in LOCALES else actor.locale if actor.locale in LOCALES else "zh_CN"
    product = catalogue.product_by_code(s, product_code)
    customer = resolve_customer(s, actor, customer_id=customer_id, external_id=external_id)
    cf, decision, steps = evaluate(s, customer, product)
    refuse_if_refused(actor, customer, product, cf, decision)
    now = clock.now()
    sale = Sale(customer_id=customer.id, product_id=product.product_id, amount=value, currency=currency,
                regime_code=product.regime.code, verdict=decision.verdict, requirements=[r.as_dict() for r in steps],
                statements=[r.rule for r in steps if r.requirement == SaleRequirement.EXTRA_CONFIRMATION],
                status=SaleStatus.AWAITING_SIGNATURE, locale=language, assessment_id=cf.assessment_id,
                classification_id=cf.classification_id, created_by=_who(actor), created_at=now)
    s.add(sale)
    s.flush()
    check_id = record_check(s, actor, customer, product, cf, decision, steps, purpose="proposal", sale_id=sale.id)
    audit.record(s, actor, "sale.propose", entity_type="sale", entity_id=sale.id,
                 changes={"customer_id": customer.id, "product": product.code, "amount": str(value),
                          "currency": currency, "verdict": decision.verdict, "check_id": check_id,
                          "requirements": [r.requirement for r in steps]})
    _announce(uow, sale, None)
    return sale_view(s, sale, customer)


class SaleProposal(StrictInput):
    """A sale as other systems propose it (POST /api/v1/sales)."""

    customer_id: RowId | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    product_code: str = Field(min_length=1, max_length=32)
    amount: Decimal = Field(gt=0, lt=MAX_AMOUNT, max_digits=15, decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    locale: Literal["zh_CN", "en"] = "zh_CN"  # the customer's language: the disclosure is written in it


@requires(P.SALE_PROPOSE)
def propose_sale_request(*, uow: UnitOfWork, actor: Actor, data: Any) -> SaleView:
    """`propose_sale` for a request body (every field checked, unknown ones refused)."""
    req = parse(SaleProposal, data)
    return propose_sale(uow=uow, actor=actor, product_code=req.product_code, amount=req.amount,
                        customer_id=req.customer_id, external_id=req.external_id, currency=req.currency,
                        locale=req.locale)


# ---------------------------------------------------------------- sign

@requires(P.SALE_PROPOSE)
def sign_sale(*, uow: UnitOfWork, actor: Actor, sale_id: Any, version: Any, signature: Any,
              warning_acknowledged: Any = False, statements_confirmed: Any = (), ip: str | None = None) -> SaleView:
    """The customer signs the disclosure (on the RM's device). The suitability check runs again on today's
    facts; a mismatch needs the customer's acknowledged warning, extra statements must each be confirmed.
    The signed disclosure PDF (PAdES, PDF/A-3b) is stored and its SHA-256 audited. All or nothing."""
    from services.suitability import disclosures

    s = uow.session
    version = _check_version(version)
    sale, customer = _load(s, actor, sale_id)
    if sale.status != SaleStatus.AWAITING_SIGNATURE:
        raise SaleStepRefused(status=sale.status)
    product = catalogue.product_by_id(s, sale.product_id)
    cf, decision, steps = evaluate(s, customer, product)
    refuse_if_refused(actor, customer, product, cf, decision)
    errors = []
    if decision.verdict == Verdict.WARNING_REQUIRED and warning_acknowledged is not True:
        errors.append(FieldError("warning_acknowledged", "sale.warning_not_acknowledged"))
    statements = [r.rule for r in steps if r.requirement == SaleRequirement.EXTRA_CONFIRMATION]
    confirmed = statements_confirmed if isinstance(statements_confirmed, (list, tuple)) else ()
    if any(rule not in confirmed for rule in statements):
        errors.append(FieldError("statements_confirmed", "sale.statement_not_confirmed"))
    try:
        strokes, image = signatures.check_signature(signature)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    check_id = record_check(s, actor, customer, product, cf, decision, steps, purpose="signature", sale_id=sale.id)
    sig = signatures.keep(s, customer_id=customer.id, purpose=SignaturePurpose.DISCLOSURE, strokes=strokes,
                          image=image, ip=ip)
    now = clock.now()
    cooling = now + timedelta(hours=product.regime.cooling_off_hours)
    sale.signed_at, sale.signature_id, sale.cooling_off_until = now, sig.id, cooling
    sale.requirements = [r.as_dict() for r in steps]
    sale.statements = statements
    sale.verdict = decision.verdict
    sale.warning_signed = decision.verdict == Verdict.WARNING_REQUIRED
    sale.assessment_id, sale.classification_id = cf.assessment_id, cf.classification_id
    document = disclosures.create_disclosure(s, actor, sale=sale, customer=customer, product=product,
                                             facts=cf, decision=decision, signature=sig, image=image, check_id=check_id)
    new = next_status(s, sale, now)
    return sale_view(s, _move(
        uow, actor, sale, new, action="sale.sign", version=version,
        values={"signed_at": now, "signature_id": sig.id, "cooling_off_until": cooling,
                "requirements": sale.requirements, "statements": statements, "verdict": decision.verdict,
                "warning_signed": sale.warning_signed, "assessment_id": cf.assessment_id,
                "classification_id": cf.classification_id, "disclosure_document_id": document.id,
                "disclosure_sha256": document.sha256},
        details={"check_id": check_id, "verdict": decision.verdict, "signature_id": sig.id,
                 "disclosure_document_id": document.id, "disclosure_sha256": document.sha256,
                 "cooling_off_until": cooling.isoformat()}), customer)


# ---------------------------------------------------------------- review, cancel, move on

def _note(value: Any, field: str = "note", required: bool = False) -> str | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 500 or text_problem(value):
        raise ValidationFailed([FieldError(field, "value.invalid")])
    return value.strip()


@requires(P.SALE_REVIEW)
def review_sale(*, uow: UnitOfWork, actor: Actor, sale_id: Any, version: Any, approve: Any,
                note: Any = None) -> SaleView:
    """Compliance approves the sale (it moves on) or rejects it (it ends)."""
    s = uow.session
    version = _check_version(version)
    if not isinstance(approve, bool):
        raise ValidationFailed([FieldError("approve", "value.wrong_type")])
    text = _note(note, required=not approve)
    sale, customer = _load(s, actor, sale_id)
    if sale.status != SaleStatus.REVIEW_PENDING:
        raise SaleStepRefused(status=sale.status)
    now = clock.now()
    values = {"reviewed_by": _who(actor), "reviewed_at": now, "review_note": text}
    if approve:
        sale.reviewed_at = now
        new = next_status(s, sale, now)
    else:
        new = SaleStatus.REJECTED
    return sale_view(s, _move(uow, actor, sale, new, action="sale.review", version=version, values=values,
                              details={"approved": approve, "note": text}), customer)


@requires(P.SALE_PROPOSE)
def cancel_sale(*, uow: UnitOfWork, actor: Actor, sale_id: Any, version: Any, reason: Any) -> SaleView:
    """The customer cancels: before signing, or within the cooling-off period."""
    s = uow.session
    version = _check_version(version)
    text = _note(reason, "reason", required=True)
    sale, customer = _load(s, actor, sale_id)
    now = clock.now()
    if not may_cancel(sale, now):
        raise SaleStepRefused("sale.cooling_off_over" if sale.signed_at and sale.status in OPEN_SALE_STATUSES
                              else "sale.wrong_status", status=sale.status)
    return sale_view(s, _move(uow, actor, sale, SaleStatus.CANCELLED, action="sale.cancel", version=version,
                              values={"cancelled_at": now, "cancel_reason": text}, details={"reason": text}),
                     customer)


def advance(uow: UnitOfWork, actor: Actor, sale: Sale) -> Sale:
    """After a step outside the sale (a recording approved): move it on if it can."""
    if sale.status not in (SaleStatus.RECORDING_PENDING, SaleStatus.REVIEW_PENDING, SaleStatus.COOLING_OFF):
        return sale
    new = next_status(uow.session, sale, clock.now())
    if new == sale.status:
        return sale
    return _move(uow, actor, sale, new, action="sale.advance", version=sale.version)


def complete_cooling_off(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Scheduler: sales whose cooling-off period ended become effective. Returns how many."""
    s = uow.session
    due = s.execute(select(Sale).where(Sale.status == SaleStatus.COOLING_OFF,
                                       Sale.cooling_off_until <= clock.now()).order_by(Sale.id).limit(limit)
                    ).scalars().all()
    for sale in due:
        _move(uow, ASSESSOR, sale, SaleStatus.EFFECTIVE, action="sale.effective", version=sale.version)
    return len(due)


def recheck_unsigned(s: Session, customer_id: int) -> None:
    """RiskLevelChanged: the customer's sales waiting for a signature get a fresh check, kept with them."""
    sales = s.execute(select(Sale).where(Sale.customer_id == customer_id,
                                         Sale.status == SaleStatus.AWAITING_SIGNATURE)).scalars().all()
    if not sales:
        return
    customer = s.get(Customer, customer_id)
    for sale in sales:
        product = catalogue.product_by_id(s, sale.product_id)
        cf, decision, steps = evaluate(s, customer, product)
        record_check(s, ASSESSOR, customer, product, cf, decision, steps, purpose="recheck", sale_id=sale.id)
        s.execute(update(Sale).where(Sale.id == sale.id).values(verdict=decision.verdict,
                                                                requirements=[r.as_dict() for r in steps]))


# ---------------------------------------------------------------- reading

@requires(P.CUSTOMER_READ)
def get_sale(*, uow: UnitOfWork, actor: Actor, sale_id: Any) -> SaleView:
    s = uow.session
    sale, customer = _load(s, actor, sale_id)
    return sale_view(s, sale, customer)


@requires(P.CUSTOMER_READ)
def customer_sales(*, uow: UnitOfWork, actor: Actor, customer_id: Any, limit: int = 50) -> list[SaleView]:
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    rows = s.execute(select(Sale).where(Sale.customer_id == customer.id)
                     .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(min(max(limit, 1), 200))).scalars().all()
    return [sale_view(s, r, customer) for r in rows]


QUEUES = ("mine", "review", "recordings", "all")


@requires(P.CUSTOMER_READ)
def list_sales(*, uow: UnitOfWork, actor: Actor, queue: Any = "mine", page: Any = 1,
               page_size: int = 20) -> tuple[list[SaleView], int]:
    """Sales of the customers in the actor's scope, newest first: all of them, those waiting for compliance
    review, or those whose recording waits for review. Returns (one page, total)."""
    from sqlalchemy import exists, func

    from services.security.policy import customer_scope_filter
    from services.validation.input import whole_number

    if queue not in QUEUES:
        raise ValidationFailed([FieldError("queue", "value.invalid_choice", {"choices": ", ".join(QUEUES)})])
    number = whole_number(page, low=1, high=10_000)
    if number is None:
        raise ValidationFailed([FieldError("page", "value.invalid")])
    s = uow.session
    where = [customer_scope_filter(actor, Customer)]
    if queue == "review":
        where.append(Sale.status == SaleStatus.REVIEW_PENDING)
    elif queue == "recordings":
        where.append(exists().where(Recording.sale_id == Sale.id, Recording.status == RecordingStatus.SUBMITTED))
    base = select(Sale, Customer).join(Customer, Customer.id == Sale.customer_id).where(*where)
    total = s.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = s.execute(base.order_by(Sale.created_at.desc(), Sale.id.desc()).offset((number - 1) * page_size)
                     .limit(page_size)).all()
    return [sale_view(s, sale, customer) for sale, customer in rows], total


class CheckRecord(BaseModel):
    id: int
    verdict: str
    purpose: str
    reasons: list[ReasonView]
    checked_at: datetime


class SaleDetail(BaseModel):
    sale: SaleView
    checks: list[CheckRecord]
    recordings: list[RecordingView]
    checklist: list[dict[str, str]]  # {key, text, text_en}: what compliance answers for a recording


@requires(P.CUSTOMER_READ)
def sale_detail(*, uow: UnitOfWork, actor: Actor, sale_id: Any) -> SaleDetail:
    """A sale with every check kept with it, its recordings and the recording checklist (the sale page)."""
    from services.suitability import recordings as recordings_mod
    from services.suitability.models import SuitabilityCheck

    s = uow.session
    sale, customer = _load(s, actor, sale_id)
    checks = s.execute(select(SuitabilityCheck).where(SuitabilityCheck.sale_id == sale.id)
                       .order_by(SuitabilityCheck.id)).scalars().all()
    recs = s.execute(select(Recording).where(Recording.sale_id == sale.id).order_by(Recording.id.desc())).scalars()
    items = recordings_mod.checklist_items(s, None)
    return SaleDetail(
        sale=sale_view(s, sale, customer),
        checks=[CheckRecord(id=c.id, verdict=c.verdict, purpose=c.purpose, checked_at=c.checked_at,
                            reasons=[reason_view(r["code"], r.get("params", {})) for r in c.reasons])
                for c in checks],
        recordings=[recordings_mod.view(r) for r in recs],
        checklist=[{"key": i.key, "text": i.text.zh_CN, "text_en": i.text.en} for i in items])
