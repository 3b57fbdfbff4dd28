"""What the workflow domain announces. The domains whose items it decides (loans, underwriting) react to the
end and to a return (services/bootstrap.py subscribes them); they tell it nothing by event: they start and
resume instances through services/workflows/instances.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.events import DomainEvent


@dataclass(frozen=True)
class ApprovalTaskOpened(DomainEvent):
    name: ClassVar[str] = "approval.task_opened"
    task_id: int
    instance_id: int
    role: str | None


@dataclass(frozen=True)
class ApprovalDecided(DomainEvent):
    name: ClassVar[str] = "approval.decided"
    task_id: int
    instance_id: int
    subject_type: str
    subject_id: int
    decision: str


@dataclass(frozen=True)
class WorkflowReturned(DomainEvent):
    """An approver sent the item back to its maker for changes."""

    name: ClassVar[str] = "workflow.returned"
    instance_id: int
    subject_type: str
    subject_id: int


@dataclass(frozen=True)
class WorkflowEnded(DomainEvent):
    """The instance reached an end: `outcome` is what its end event says (approved, rejected, accepted,
    declined), or "cancelled" when its maker withdrew it."""

    name: ClassVar[str] = "workflow.ended"
    instance_id: int
    subject_type: str
    subject_id: int
    outcome: str


@dataclass(frozen=True)
class ApprovalTaskEscalated(DomainEvent):
    name: ClassVar[str] = "approval.task_escalated"
    task_id: int
    instance_id: int
    escalated_to: str
