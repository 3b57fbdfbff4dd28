"""What the workflow use cases return: plain data. Names of people are display names; customers appear by
name only to those who may see them (the inbox lists only items in the actor's scope)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class DefinitionView:
    key: str
    kind: str
    name: str
    name_en: str
    current_version: int
    versions: int
    running: int


@dataclass
class VersionSummary:
    id: int
    version: int
    note: str
    created_by: str
    created_at: datetime
    running: int
    current: bool


@dataclass
class VersionView:
    key: str
    kind: str
    name: str
    name_en: str
    id: int
    version: int
    note: str
    created_by: str
    created_at: datetime
    sha256: str
    bpmn_xml: str
    dmn_xmls: list[str]
    decisions: list[tuple[str, str]]  # (decision id, name), in document order
    current: bool


@dataclass
class ProblemView:
    code: str
    message: str


@dataclass
class StepView:
    task_id: int
    step_id: str
    step_name: str
    role: str | None
    assignee: str | None
    opened_at: datetime
    due_at: datetime | None
    escalated_to: str | None
    reminded: bool


@dataclass
class HistoryEntry:
    kind: str  # submitted | decided | withdrawn | reminded | escalated | ended | cancelled
    at: datetime
    who: str = ""
    on_behalf_of: str = ""
    step_name: str = ""
    role: str | None = None
    decision: str | None = None
    comment: str = ""
    acted_as: str | None = None
    step_id: str = ""


@dataclass
class InstanceView:
    id: int
    definition_key: str
    version: int
    subject_type: str
    subject_id: int
    subject_ref: str
    customer_id: int | None
    product_type: str
    risk_grade: str | None
    amount: Decimal
    status: str
    outcome: str | None
    route: str | None
    round: int
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    current: list[StepView] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    my_task_id: int | None = None  # an open task the viewer may act on


@dataclass
class InboxItem:
    task_id: int
    instance_id: int
    subject_type: str
    subject_id: int
    subject_ref: str
    customer_id: int | None
    customer_name: str
    product_type: str
    amount: Decimal
    risk_grade: str | None
    step_name: str
    role: str | None
    opened_at: datetime
    due_at: datetime | None
    escalated: bool
    reminded: bool
    round: int
    on_behalf_of: str = ""  # a delegated task: whose it is
    step_id: str = ""


@dataclass
class InboxPage:
    items: list[InboxItem]
    total: int
    overdue: int
    page: int
    page_size: int


@dataclass
class DecisionResult:
    task_id: int
    decision: str
    instance_status: str
    outcome: str | None
    next_steps: list[StepView]


@dataclass
class DelegationView:
    id: int
    delegator: str
    delegate: str
    delegate_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    active: bool
    delegator_id: int = 0
