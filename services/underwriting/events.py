"""How the underwriting domain reacts to its workflow (subscribed in services/bootstrap.py)."""
from __future__ import annotations

from sqlmodel import Session

from services import clock
from services.underwriting.models import CaseStatus, UnderwritingCase
from services.workflows.events import WorkflowEnded, WorkflowReturned

OUTCOMES = {"accepted": CaseStatus.ACCEPTED, "declined": CaseStatus.DECLINED, "cancelled": CaseStatus.WITHDRAWN}


def on_workflow_returned(session: Session, event: WorkflowReturned) -> None:
    if event.subject_type != "underwriting_case":
        return
    case = session.get(UnderwritingCase, event.subject_id)
    if case is not None:
        case.status, case.updated_at = CaseStatus.RETURNED, clock.now()


def on_workflow_ended(session: Session, event: WorkflowEnded) -> None:
    if event.subject_type != "underwriting_case":
        return
    case = session.get(UnderwritingCase, event.subject_id)
    if case is None:
        return
    case.status = OUTCOMES.get(event.outcome, case.status)
    case.updated_at = clock.now()
    if case.status in (CaseStatus.ACCEPTED, CaseStatus.DECLINED):
        case.decided_at = case.updated_at
