"""Workflow definitions (BPMN + DMN, versioned), running instances, approval tasks and delegations."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.types import Money, UTCDateTime, utcnow


class InstanceStatus(StrEnum):
    RUNNING = "running"
    ENDED = "ended"
    CANCELLED = "cancelled"  # withdrawn by its maker before a decision


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WITHDRAWN = "withdrawn"  # closed unanswered: another signer of the same round rejected or returned the item
    CANCELLED = "cancelled"  # the instance was cancelled


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"  # back to the maker for changes
    RESUBMIT = "resubmit"  # the maker's answer to a return
    WITHDRAWN = "withdrawn"


class WorkflowDefinition(SQLModel, table=True):
    """A process the firm runs (the loan approval, underwriting); its versions hold the BPMN and DMN."""

    __tablename__ = "workflow_definition"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=String(64), unique=True)  # "loan_approval"
    kind: str = Field(sa_type=String(32))  # what it decides: "loan" | "underwriting" (services/workflows/kinds.py)
    name: str = Field(sa_type=String(100))
    name_en: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class WorkflowVersion(SQLModel, table=True):
    """One saved version of a definition; never changed once saved. New instances start on the newest."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("definition_id", "version", name="uq_workflow_version"),)

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(foreign_key="workflow_definition.id", index=True)
    version: int
    bpmn_xml: str = Field(sa_column=Column(Text, nullable=False))
    dmn_xmls: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # one document each
    sha256: str = Field(sa_type=String(64))
    note: str | None = Field(default=None, sa_type=String(300))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_by_name: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class WorkflowInstance(SQLModel, table=True):
    """One item going through a definition version: its engine state and what the inbox shows of it."""

    __tablename__ = "workflow_instance"
    __table_args__ = (Index("ix_workflow_instance_subject", "subject_type", "subject_id"),
                      Index("ix_workflow_instance_status", "status", "definition_id"))

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(foreign_key="workflow_definition.id")
    version_id: int = Field(foreign_key="workflow_version.id")
    subject_type: str = Field(sa_type=String(32))  # "loan_application" | "underwriting_case"
    subject_id: int
    subject_ref: str = Field(sa_type=String(40))  # what people call it: "LA-000123"
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")  # the customer's: branch roles' scope
    product_type: str = Field(sa_type=String(32))
    risk_grade: str | None = Field(default=None, sa_type=String(16))
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    status: str = Field(sa_type=String(16), default=InstanceStatus.RUNNING)
    outcome: str | None = Field(default=None, sa_type=String(64))  # the end event reached
    route: str | None = Field(default=None, sa_type=String(64))  # what the routing decision said, last
    # Maker-checker: who started the item and who last changed it may not decide it.
    started_by: int | None = Field(default=None, foreign_key="app_user.id")
    started_by_name: str = Field(sa_type=String(100))
    last_edited_by: int | None = Field(default=None, foreign_key="app_user.id")
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")  # revises the item when it is returned
    round: int = 1  # 1, and one more after every return and resubmission
    state: str = Field(sa_column=Column(Text, nullable=False))  # SpiffWorkflow's, without the spec
    revision: int = 1  # optimistic concurrency on `state`
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ApprovalTask(SQLModel, table=True):
    """A user task of an instance: who may act (a role, or the maker), its SLA, and its decision."""

    __tablename__ = "approval_task"
    __table_args__ = (Index("ix_approval_task_open", "status", "role", "due_at"),
                      Index("ix_approval_task_escalated", "status", "escalated_to"),
                      Index("ix_approval_task_instance", "instance_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="workflow_instance.id")
    engine_task_id: str = Field(sa_type=String(36))
    step_id: str = Field(sa_type=String(100))
    step_name: str = Field(sa_type=String(200))
    role: str | None = Field(default=None, sa_type=String(32))  # candidate group; None for the maker's own task
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    round: int = 1
    status: str = Field(sa_type=String(16), default=TaskStatus.OPEN)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    escalated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    escalated_to: str | None = Field(default=None, sa_type=String(32))
    decision: str | None = Field(default=None, sa_type=String(16))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by_name: str | None = Field(default=None, sa_type=String(100))
    on_behalf_of: int | None = Field(default=None, foreign_key="app_user.id")
    on_behalf_of_name: str | None = Field(default=None, sa_type=String(100))
    acted_as: str | None = Field(default=None, sa_type=String(32))  # the role whose authority was used
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ApprovalDelegation(SQLModel, table=True):
    """While `delegator` is away (`starts_at` to `ends_at`), `delegate` may act on the tasks he could."""

    __tablename__ = "approval_delegation"
    __table_args__ = (Index("ix_approval_delegation_delegate", "delegate_id", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    delegator_id: int = Field(foreign_key="app_user.id", index=True)
    delegate_id: int = Field(foreign_key="app_user.id")
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

