"""Loan applications: submit (validated, checked, routed through the loan approval definition), read, revise
and resubmit when returned, withdraw, and the decision letter. The approval itself is the workflow domain's
(services/workflows): this domain starts and resumes instances and hears how they end (events.py)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, OutOfScope, ValidationFailed
from services.loans import checks
from services.loans.models import Collateral, LoanApplication, LoanStatus
from services.loans.views import CurrentStep, DecisionEntry, LoanRow, LoanView
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.suitability.service import resolve_customer
from services.validation.input import ID_LIMIT, StrictInput, parse
from services.workflows import instances
from services.workflows.models import ApprovalTask, TaskStatus, WorkflowInstance

MAX_AMOUNT = Decimal("100000000")  # 1亿: larger facilities are not applied for through FinCRM
SUBJECT = "loan_application"


class LoanClosed(DomainError):
    code = "loan.closed"
    http_status = 409


class NotReturned(DomainError):
    code = "loan.not_returned"
    http_status = 409


class NoLetter(DomainError):
    code = "loan.no_letter"
    http_status = 409


Money = Field(gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)


class LoanInput(StrictInput):
    """An application's facts, as the form and the API send them (unknown fields refused)."""

    product_type: Literal["personal", "mortgage", "business"] = "personal"
    purpose: str = Field(min_length=2, max_length=500)
    amount: Decimal = Money
    term_months: int = Field(ge=1, le=360)
    collateral_type: Literal["none", "property", "vehicle", "deposit", "guarantee"] = "none"
    collateral_value: Decimal | None = Field(default=None, ge=0, le=Decimal("10000000000"), max_digits=13,
                                             decimal_places=2)
    collateral_description: str | None = Field(default=None, max_length=300)
    monthly_income: Decimal | None = Field(default=None, gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)
    monthly_debt_payments: Decimal = Field(default=Decimal(0), ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)
    credit_rating: Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D", "none"] = "none"


class ApiLoanInput(LoanInput):
    """POST /api/v1/loan-applications: the customer by the client's own id."""

    external_id: str = Field(min_length=1, max_length=100)


def _consistent(req: LoanInput) -> LoanInput:
    """The rules across fields, named on the field they are about."""
    errors = []
    if req.collateral_type != "none" and not req.collateral_value:
        errors.append(FieldError("collateral_value", "loan.collateral_value_required"))
    if req.product_type == "personal" and req.term_months > 60:
        errors.append(FieldError("term_months", "value.above_max", {"max": 60}))
    if errors:
        raise ValidationFailed(errors)
    return req


def _apply(app: LoanApplication, req: LoanInput) -> None:
    app.product_type, app.purpose, app.amount, app.term_months = (req.product_type, req.purpose, req.amount,
                                                                  req.term_months)
    app.collateral_type = req.collateral_type
    app.collateral_value = req.collateral_value if req.collateral_type != Collateral.NONE else None
    app.collateral_description = (req.collateral_description or None) if req.collateral_type != "none" else None
    app.monthly_income, app.monthly_debt_payments = req.monthly_income, req.monthly_debt_payments
    app.credit_rating = req.credit_rating


def _subject(app: LoanApplication) -> instances.Subject:
    return instances.Subject(subject_type=SUBJECT, subject_id=app.id, subject_ref=app.ref,
                             customer_id=app.customer_id, branch_id=app.branch_id, product_type=app.product_type,
                             risk_grade=app.risk_grade, amount=app.amount, owner_id=app.owner_id)


def _facts(app: LoanApplication, found: checks.Checks) -> dict:
    return {**found.engine_facts(), "term_months": app.term_months,
            "monthly_income": float(app.monthly_income or 0), "has_collateral": found.ltv is not None}


# ---------------------------------------------------------------- submit

def _submit(s: Session, actor: Actor, customer: Customer, req: LoanInput) -> LoanApplication:
    now = clock.now()
    user = actor.id if actor.kind == "user" else None
    app = LoanApplication(customer_id=customer.id, branch_id=customer.branch_id,
                          owner_id=user if user is not None else customer.owner_id, submitted_by=user,
                          channel="branch" if actor.kind == "user" else "api",
                          api_client=actor.name[:100] if actor.kind == "api_client" else None,
                          phone_bidx=customer.phone_bidx, id_number_bidx=customer.id_number_bidx,
                          status=LoanStatus.IN_REVIEW, submitted_at=now, updated_at=now, product_type="", purpose="",
                          amount=Decimal(0), term_months=0)
    _apply(app, req)
    found = checks.run(s, app, customer)
    app.score, app.risk_grade, app.checks = found.score, found.risk_grade, found.as_dict()
    s.add(app)
    s.flush()
    audit.record(s, actor, "loan.submitted", entity_type="loan_application", entity_id=app.id,
                 changes={"customer_id": customer.id, "product_type": app.product_type, "amount": str(app.amount),
                          "term_months": app.term_months, "channel": app.channel, "score": app.score,
                          "risk_grade": app.risk_grade, "dti": found.dti, "fraud_flags": found.fraud_flags,
                          "aml_status": found.aml_status})
    inst = instances.start(s, actor, kind="loan", subject=_subject(app), data=_facts(app, found))
    app.instance_id = inst.id
    s.flush()
    return app


@requires(Permission.LOAN_APPLY)
def submit_application(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> LoanView:
    """Submit a loan application for a customer in the actor's scope: its checks run and are kept with it,
    and it goes to the approvers the loan definition routes it to."""
    s = uow.session
    req = _consistent(parse(LoanInput, data))
    customer = resolve_customer(s, actor, customer_id=customer_id)
    app = _submit(s, actor, customer, req)
    return _view(s, actor, app, customer)


@requires(Permission.LOAN_APPLY)
def submit_application_request(*, uow: UnitOfWork, actor: Actor, data: Any) -> LoanView:
    """`submit_application` for the API: the customer by the client's own external id."""
    s = uow.session
    req = _consistent(parse(ApiLoanInput, data))
    customer = resolve_customer(s, actor, external_id=req.external_id)
    app = _submit(s, actor, customer, req)
    return _view(s, actor, app, customer)


# ---------------------------------------------------------------- read

def _load(s: Session, actor: Actor, application_id: Any) -> tuple[LoanApplication, Customer]:
    if isinstance(application_id, bool) or not isinstance(application_id, int) or not 0 < application_id < ID_LIMIT:
        raise ValidationFailed([FieldError("application_id", "value.invalid")])
    app = s.get(LoanApplication, application_id)
    if app is None:
        raise NotFound(what="loan_application", id=application_id)
    try:
        customer = load_customer(s, actor, app.customer_id)
    except NotFound:
        raise NotFound(what="loan_application", id=application_id) from None
    except OutOfScope:
        raise OutOfScope(actor=actor, entity_type="loan_application", entity_id=application_id,
                         what="loan_application", id=application_id) from None
    return app, customer


def _view(s: Session, actor: Actor, app: LoanApplication, customer: Customer) -> LoanView:
    steps, decisions, route = [], [], None
    if app.instance_id is not None:
        inst = s.get(WorkflowInstance, app.instance_id)
        route = inst.route if inst is not None else None
        for t in s.execute(select(ApprovalTask).where(ApprovalTask.instance_id == app.instance_id)
                           .order_by(ApprovalTask.opened_at, ApprovalTask.id)).scalars():
            if t.status == TaskStatus.OPEN:
                roles = [r for r in (t.role, t.escalated_to) if r]
                steps.append(CurrentStep(task_id=t.id, step_id=t.step_id, step_name=t.step_name, role=t.role,
                                         roles=roles, opened_at=t.opened_at, due_at=t.due_at))
            elif t.decided_at is not None and t.decision:
                decisions.append(DecisionEntry(step_id=t.step_id, step_name=t.step_name, decision=t.decision,
                                               by=t.decided_by_name or "", on_behalf_of=t.on_behalf_of_name or "",
                                               acted_as=t.acted_as, comment=t.comment or "", at=t.decided_at))
    return LoanView(id=app.id, ref=app.ref, customer_id=customer.id, customer_name=customer.name,
                    branch_id=app.branch_id, product_type=app.product_type, purpose=app.purpose, amount=app.amount,
                    term_months=app.term_months, collateral_type=app.collateral_type,
                    collateral_value=app.collateral_value, collateral_description=app.collateral_description or "",
                    monthly_income=app.monthly_income, monthly_debt_payments=app.monthly_debt_payments,
                    credit_rating=app.credit_rating, channel=app.channel, status=app.status,
                    risk_grade=app.risk_grade, score=app.score, checks=dict(app.checks or {}), version=app.version,
                    submitted_at=app.submitted_at, decided_at=app.decided_at, instance_id=app.instance_id,
                    route=route, current_steps=steps, decisions=decisions,
                    letter_available=app.status in (LoanStatus.APPROVED, LoanStatus.REJECTED))


@requires(Permission.LOAN_READ)
def get_application(*, uow: UnitOfWork, actor: Actor, application_id: Any) -> LoanView:
    """An application in the actor's scope: its status, the steps waiting and who may act, its checks and the
    decisions so far."""
    s = uow.session
    app, customer = _load(s, actor, application_id)
    return _view(s, actor, app, customer)


@requires(Permission.LOAN_READ)
def application_for_instance(*, uow: UnitOfWork, actor: Actor, instance_id: Any) -> LoanView | None:
    """The application an approval instance decides (the inbox shows its facts), or None."""
    s = uow.session
    if isinstance(instance_id, bool) or not isinstance(instance_id, int) or not 0 < instance_id < ID_LIMIT:
        raise ValidationFailed([FieldError("instance_id", "value.invalid")])
    app = s.execute(select(LoanApplication).where(LoanApplication.instance_id == instance_id)).scalar_one_or_none()
    if app is None:
        return None
    app, customer = _load(s, actor, app.id)
    return _view(s, actor, app, customer)


@requires(Permission.LOAN_READ)
def list_applications(*, uow: UnitOfWork, actor: Actor, status: Any = None, limit: Any = 50) -> list[LoanRow]:
    """The newest applications of customers in the actor's scope."""
    from services.security.policy import customer_scope_filter

    s = uow.session
    if status is not None and status not in set(LoanStatus):
        raise ValidationFailed([FieldError("status", "value.invalid_choice")])
    n = limit if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 200 else 50
    q = (select(LoanApplication, Customer.name).join(Customer, Customer.id == LoanApplication.customer_id)
         .where(customer_scope_filter(actor, Customer)))
    if status:
        q = q.where(LoanApplication.status == status)
    rows = s.execute(q.order_by(LoanApplication.id.desc()).limit(n)).all()
    return [LoanRow(id=a.id, ref=a.ref, customer_id=a.customer_id, customer_name=name, product_type=a.product_type,
                    amount=a.amount, term_months=a.term_months, status=a.status, risk_grade=a.risk_grade,
                    submitted_at=a.submitted_at) for a, name in rows]


# ---------------------------------------------------------------- revise, withdraw

def _check_version(app: LoanApplication, version: Any) -> None:
    from services.errors import ConcurrentModification

    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed([FieldError("version", "value.invalid")])
    if version != app.version:
        raise ConcurrentModification()


@requires(Permission.LOAN_APPLY)
def resubmit_application(*, uow: UnitOfWork, actor: Actor, application_id: Any, version: Any,
                         data: Any) -> LoanView:
    """The RM's revision of a returned application: new facts, checks run again, routed again. Whoever revises
    it becomes its last editor, so he may not approve it either."""
    s = uow.session
    app, customer = _load(s, actor, application_id)
    if app.status != LoanStatus.RETURNED:
        raise NotReturned()
    _check_version(app, version)
    req = _consistent(parse(LoanInput, data))
    before = {"amount": str(app.amount), "term_months": app.term_months, "product_type": app.product_type}
    _apply(app, req)
    found = checks.run(s, app, customer)
    app.score, app.risk_grade, app.checks = found.score, found.risk_grade, found.as_dict()
    app.status, app.version, app.updated_at = LoanStatus.IN_REVIEW, app.version + 1, clock.now()
    s.flush()
    audit.record(s, actor, "loan.resubmitted", entity_type="loan_application", entity_id=app.id,
                 changes={"before": before, "amount": str(app.amount), "term_months": app.term_months,
                          "score": app.score, "risk_grade": app.risk_grade, "fraud_flags": found.fraud_flags,
                          "aml_status": found.aml_status})
    instances.resubmit(s, actor, instance_id=app.instance_id, data=_facts(app, found), amount=app.amount,
                       risk_grade=app.risk_grade)
    s.refresh(app)
    return _view(s, actor, app, customer)


@requires(Permission.LOAN_APPLY)
def withdraw_application(*, uow: UnitOfWork, actor: Actor, application_id: Any, reason: Any = None) -> LoanView:
    s = uow.session
    app, customer = _load(s, actor, application_id)
    if app.status not in (LoanStatus.IN_REVIEW, LoanStatus.RETURNED):
        raise LoanClosed(status=app.status)
    text = reason.strip()[:300] if isinstance(reason, str) else ""
    audit.record(s, actor, "loan.withdrawn", entity_type="loan_application", entity_id=app.id,
                 changes={"reason": text})
    instances.cancel(s, actor, instance_id=app.instance_id, reason=text)
    s.refresh(app)
    return _view(s, actor, app, customer)


# ---------------------------------------------------------------- the decision letter

@requires(Permission.LOAN_READ)
def decision_letter(*, uow: UnitOfWork, actor: Actor, application_id: Any, locale: Any = None) -> tuple[str, bytes]:
    """The decision letter (PDF) of an approved or rejected application: (file name, bytes)."""
    from services.loans import letters

    s = uow.session
    app, customer = _load(s, actor, application_id)
    if app.status not in (LoanStatus.APPROVED, LoanStatus.REJECTED):
        raise NoLetter()
    loc = locale if locale in ("zh_CN", "en") else actor.locale if actor.locale in ("zh_CN", "en") else "zh_CN"
    view = _view(s, actor, app, customer)
    return f"{app.ref}-{app.status}.pdf", letters.render(view, customer, loc)
