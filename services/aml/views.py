"""What the AML use cases return: plain data, masked where the customer's identity appears (names are shown
to AML reviewers, who see every customer; identity numbers never leave here but masked)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ListLoaded:
    code: str
    version: int
    entries: int
    added: int
    removed: int
    unchanged: bool
    run_id: int | None


@dataclass
class WatchlistView:
    code: str
    name: str
    format: str
    version: int
    entries: int
    published: str | None
    loaded_at: datetime
    loaded_by: str | None


@dataclass
class ScreenResult:
    row: int
    name: str
    verdict: str  # hit | possible | clear | error
    problem: str | None
    hits: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        out = {"row": self.row, "name": self.name, "verdict": self.verdict, "hits": self.hits}
        if self.problem:
            out["problem"] = self.problem
        return out


@dataclass
class RunView:
    id: int
    reason: str
    status: str
    total: int
    done: int
    hits: int
    requested_at: datetime
    finished_at: datetime | None

    @property
    def percent(self) -> int:
        return 100 if self.status == "done" else int(100 * self.done / self.total) if self.total else 0


@dataclass
class QueueItem:
    kind: str  # hit | case
    id: int
    customer_id: int
    customer_name: str
    customer_no: str
    title: str
    detail: str
    score: float | None
    verdict: str | None
    severity: str
    status: str
    due_at: datetime
    overdue: bool
    assigned_to: int | None
    assigned_name: str | None
    subject: str
    subject_name: str


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    page_size: int
    counts: dict


@dataclass
class HitView:
    id: int
    customer_id: int
    subject_type: str
    subject_name: str
    list_code: str
    list_version: int
    entry_id: str
    matched_name: str
    score: float
    verdict: str
    explanation: dict
    status: str
    reason: str | None
    found_at: datetime
    due_at: datetime
    assigned_name: str | None
    reviewed_name: str | None
    reviewed_at: datetime | None


@dataclass
class AlertView:
    id: int
    rule_code: str
    severity: str
    facts: dict
    transaction_ids: list[int]
    raised_at: datetime


@dataclass
class CaseNoteView:
    author: str
    text: str
    created_at: datetime


@dataclass
class CaseDetail:
    id: int
    customer_id: int
    customer_name: str
    customer_no: str
    status: str
    severity: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    assigned_name: str | None
    closed_at: datetime | None
    closed_name: str | None
    disposition_reason: str | None
    report_filename: str | None
    alerts: list[AlertView]
    notes: list[CaseNoteView]


@dataclass
class CustomerAml:
    risk: str  # pending (not yet screened) | low | medium | high
    shown: bool  # whether the actor may see the AML detail below (AML staff only)
    factors: list[dict]
    open_hits: int
    open_cases: int
    overdue: int
