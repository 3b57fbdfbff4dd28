"""Insurance underwriting: a proposal with its health questionnaire is triaged by the underwriting
definition's decision table (uw_triage): accepted or declined automatically, or referred to an underwriter,
who may accept, decline or return it for a complete questionnaire. The second definition the workflow engine
runs, with nothing loan-specific in it."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, OutOfScope, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.underwriting.models import CaseStatus, UnderwritingCase
from services.underwriting.views import CaseView
from services.validation.input import ID_LIMIT, StrictInput, parse
from services.workflows import instances
from services.workflows.models import ApprovalTask, TaskStatus, WorkflowInstance

SUBJECT = "underwriting_case"
CONDITIONS = ("diabetes", "hypertension", "heart", "cancer", "liver", "kidney", "respiratory", "mental")


class BirthDateRequired(DomainError):
    code = "underwriting.birth_date_required"
    http_status = 422


class NotReturned(DomainError):
    code = "underwriting.not_returned"
    http_status = 409


class CaseClosed(DomainError):
    code = "underwriting.closed"
    http_status = 409


class ProposalInput(StrictInput):
    product_type: Literal["health", "critical_illness", "life"]
    sum_insured: Decimal = Field(gt=0, le=Decimal("50000000"), max_digits=11, decimal_places=2)
    height_cm: int = Field(ge=50, le=250)
    weight_kg: Decimal = Field(ge=10, le=300, max_digits=5, decimal_places=1)
    smoker: bool = False
    conditions: list[Literal["diabetes", "hypertension", "heart", "cancer", "liver", "kidney", "respiratory",
                             "mental"]] = Field(default_factory=list, max_length=8)
    hospitalised: bool = False  # in hospital in the last five years


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _facts(case: UnderwritingCase) -> dict:
    q = case.questionnaire
    return {"sum_insured": float(case.sum_insured), "age": case.age, "bmi": float(case.bmi),
            "smoker": bool(q.get("smoker")), "conditions": len(q.get("conditions") or []),
            "hospitalised": bool(q.get("hospitalised"))}


def _fill(case: UnderwritingCase, req: ProposalInput, customer: Customer) -> None:
    if customer.birth_date is None:
        raise BirthDateRequired()
    case.product_type, case.sum_insured = req.product_type, req.sum_insured
    case.questionnaire = {"height_cm": req.height_cm, "weight_kg": str(req.weight_kg), "smoker": req.smoker,
                          "conditions": sorted(set(req.conditions)), "hospitalised": req.hospitalised}
    case.age = _age(customer.birth_date, clock.today())
    metres = Decimal(req.height_cm) / 100
    case.bmi = (req.weight_kg / (metres * metres)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@requires(Permission.UNDERWRITING_SUBMIT)
def submit_case(*, uow: UnitOfWork, actor: Actor, customer_id: Any, data: Any) -> CaseView:
    """Submit a proposal with its health questionnaire: triaged at once by the underwriting definition."""
    s = uow.session
    req = parse(ProposalInput, data)
    customer = load_customer(s, actor, customer_id)
    now = clock.now()
    user = actor.id if actor.kind == "user" else None
    case = UnderwritingCase(customer_id=customer.id, branch_id=customer.branch_id,
                            owner_id=user if user is not None else customer.owner_id, submitted_by=user,
                            product_type="", sum_insured=Decimal(0), age=0, bmi=Decimal(0),
                            status=CaseStatus.REFERRED, submitted_at=now, updated_at=now)
    _fill(case, req, customer)
    s.add(case)
    s.flush()
    audit.record(s, actor, "underwriting.submitted", entity_type="underwriting_case", entity_id=case.id,
                 changes={"customer_id": customer.id, "product_type": case.product_type,
                          "sum_insured": str(case.sum_insured), "age": case.age, "bmi": str(case.bmi),
                          "conditions": len(case.questionnaire["conditions"])})
    subject = instances.Subject(subject_type=SUBJECT, subject_id=case.id, subject_ref=case.ref,
                                customer_id=customer.id, branch_id=customer.branch_id, product_type=case.product_type,
                                risk_grade=None, amount=case.sum_insured, owner_id=case.owner_id)
    inst = instances.start(s, actor, kind="underwriting", subject=subject, data=_facts(case))
    s.refresh(inst)
    case.instance_id, case.triage, case.risk_grade = inst.id, inst.route, inst.risk_grade
    s.flush()
    return _view(s, case, customer)


def _load(s: Session, actor: Actor, case_id: Any) -> tuple[UnderwritingCase, Customer]:
    if isinstance(case_id, bool) or not isinstance(case_id, int) or not 0 < case_id < ID_LIMIT:
        raise ValidationFailed([FieldError("case_id", "value.invalid")])
    case = s.get(UnderwritingCase, case_id)
    if case is None:
        raise NotFound(what="underwriting_case", id=case_id)
    try:
        customer = load_customer(s, actor, case.customer_id)
    except OutOfScope:
        raise OutOfScope(actor=actor, entity_type="underwriting_case", entity_id=case_id, what="underwriting_case",
                         id=case_id) from None
    return case, customer


def _view(s: Session, case: UnderwritingCase, customer: Customer) -> CaseView:
    steps, decisions = [], []
    if case.instance_id is not None:
        for t in s.execute(select(ApprovalTask).where(ApprovalTask.instance_id == case.instance_id)
                           .order_by(ApprovalTask.opened_at, ApprovalTask.id)).scalars():
            if t.status == TaskStatus.OPEN:
                steps.append({"task_id": t.id, "step_id": t.step_id, "step_name": t.step_name,
                              "roles": [r for r in (t.role, t.escalated_to) if r], "due_at": t.due_at})
            elif t.decision:
                decisions.append({"step_id": t.step_id, "decision": t.decision, "by": t.decided_by_name or "",
                                  "comment": t.comment or "", "at": t.decided_at})
    return CaseView(id=case.id, ref=case.ref, customer_id=customer.id, customer_name=customer.name,
                    product_type=case.product_type, sum_insured=case.sum_insured,
                    questionnaire=dict(case.questionnaire), age=case.age, bmi=case.bmi, triage=case.triage,
                    status=case.status, risk_grade=case.risk_grade, version=case.version,
                    submitted_at=case.submitted_at, decided_at=case.decided_at, instance_id=case.instance_id,
                    current_steps=steps, decisions=decisions)


@requires(Permission.UNDERWRITING_READ)
def get_case(*, uow: UnitOfWork, actor: Actor, case_id: Any) -> CaseView:
    s = uow.session
    case, customer = _load(s, actor, case_id)
    return _view(s, case, customer)


@requires(Permission.UNDERWRITING_READ)
def case_for_instance(*, uow: UnitOfWork, actor: Actor, instance_id: Any) -> CaseView | None:
    s = uow.session
    if isinstance(instance_id, bool) or not isinstance(instance_id, int) or not 0 < instance_id < ID_LIMIT:
        raise ValidationFailed([FieldError("instance_id", "value.invalid")])
    case = s.execute(select(UnderwritingCase).where(UnderwritingCase.instance_id == instance_id)).scalar_one_or_none()
    if case is None:
        return None
    case, customer = _load(s, actor, case.id)
    return _view(s, case, customer)


@requires(Permission.UNDERWRITING_SUBMIT)
def resubmit_case(*, uow: UnitOfWork, actor: Actor, case_id: Any, version: Any, data: Any) -> CaseView:
    """A complete questionnaire for a returned case: triaged again."""
    from services.errors import ConcurrentModification

    s = uow.session
    case, customer = _load(s, actor, case_id)
    if case.status != CaseStatus.RETURNED:
        raise NotReturned()
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed([FieldError("version", "value.invalid")])
    if version != case.version:
        raise ConcurrentModification()
    req = parse(ProposalInput, data)
    _fill(case, req, customer)
    case.status, case.version, case.updated_at = CaseStatus.REFERRED, case.version + 1, clock.now()
    s.flush()
    audit.record(s, actor, "underwriting.resubmitted", entity_type="underwriting_case", entity_id=case.id,
                 changes={"sum_insured": str(case.sum_insured), "bmi": str(case.bmi),
                          "conditions": len(case.questionnaire["conditions"])})
    instances.resubmit(s, actor, instance_id=case.instance_id, data=_facts(case), amount=case.sum_insured,
                       risk_grade=None)
    inst = s.get(WorkflowInstance, case.instance_id)
    s.refresh(inst)
    s.refresh(case)
    case.triage, case.risk_grade = inst.route, inst.risk_grade
    s.flush()
    return _view(s, case, customer)


@requires(Permission.UNDERWRITING_SUBMIT)
def withdraw_case(*, uow: UnitOfWork, actor: Actor, case_id: Any, reason: Any = None) -> CaseView:
    s = uow.session
    case, customer = _load(s, actor, case_id)
    if case.status not in (CaseStatus.REFERRED, CaseStatus.RETURNED):
        raise CaseClosed(status=case.status)
    text = reason.strip()[:300] if isinstance(reason, str) else ""
    audit.record(s, actor, "underwriting.withdrawn", entity_type="underwriting_case", entity_id=case.id,
                 changes={"reason": text})
    instances.cancel(s, actor, instance_id=case.instance_id, reason=text)
    s.refresh(case)
    return _view(s, case, customer)


@requires(Permission.UNDERWRITING_READ)
def list_cases(*, uow: UnitOfWork, actor: Actor, status: Any = None, limit: Any = 50) -> list[dict]:
    """The newest underwriting cases of customers in the actor's scope."""
    from services.security.policy import customer_scope_filter

    s = uow.session
    if status is not None and status not in set(CaseStatus):
        raise ValidationFailed([FieldError("status", "value.invalid_choice")])
    n = limit if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= 200 else 50
    q = (select(UnderwritingCase, Customer.name).join(Customer, Customer.id == UnderwritingCase.customer_id)
         .where(customer_scope_filter(actor, Customer)))
    if status:
        q = q.where(UnderwritingCase.status == status)
    rows = s.execute(q.order_by(UnderwritingCase.id.desc()).limit(n)).all()
    return [{"id": c.id, "ref": c.ref, "customer_id": c.customer_id, "customer_name": name,
             "product_type": c.product_type, "sum_insured": c.sum_insured, "status": c.status, "triage": c.triage,
             "submitted_at": c.submitted_at} for c, name in rows]
