"""How the loan domain reacts to its approvals (subscribed in services/bootstrap.py): a return sends the
application back to its RM; the end approves, rejects or withdraws it. In the deciding transaction."""
from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.loans.models import LoanApplication, LoanStatus
from services.workflows.events import WorkflowEnded, WorkflowReturned
from services.workflows.models import ApprovalTask, TaskStatus

OUTCOMES = {"approved": LoanStatus.APPROVED, "rejected": LoanStatus.REJECTED, "cancelled": LoanStatus.WITHDRAWN}


def on_workflow_returned(session: Session, event: WorkflowReturned) -> None:
    if event.subject_type != "loan_application":
        return
    app = session.get(LoanApplication, event.subject_id)
    if app is not None:
        app.status, app.updated_at = LoanStatus.RETURNED, clock.now()


def on_workflow_ended(session: Session, event: WorkflowEnded) -> None:
    if event.subject_type != "loan_application":
        return
    app = session.get(LoanApplication, event.subject_id)
    if app is None:
        return
    app.status = OUTCOMES.get(event.outcome, app.status)
    now = clock.now()
    app.updated_at = now
    if app.status in (LoanStatus.APPROVED, LoanStatus.REJECTED):
        app.decided_at = now
        last = session.execute(select(ApprovalTask.comment).where(
            ApprovalTask.instance_id == event.instance_id, ApprovalTask.status == TaskStatus.DONE,
            ApprovalTask.comment.is_not(None)).order_by(ApprovalTask.decided_at.desc(), ApprovalTask.id.desc())
            .limit(1)).scalar()
        app.decision_comment = last
