"""/tickets (queues) and /tickets/[ticket_id] (one ticket, its history and its next steps).

Thin: the actor comes from the session on every event, arguments are checked against what the page offers, and
services.activities.tickets decides and audits every step."""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services import clock
from services.activities import statistics
from services.activities import tickets as ticket_service
from services.activities.models import RESOLUTIONS
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_number, translate
from services.security.policy import Permission, permits
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState
from state.work_display import ticket_detail_view, ticket_rows

PAGE_SIZE = 20
MAX_PAGE = 10_000
KINDS = ("", "complaint", "service")
_TICKET_PATH = re.compile(r"^/tickets/(\d{1,10})/?$")
MAX_NOTE = 2000


class TicketsState(DataState):
    view: str = "mine"
    queue: str = "open"
    kind: str = ""
    page: int = 1
    rows: list[dict[str, str]] = []
    counts: dict[str, str] = {}
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    error: str = ""
    loaded: bool = False
    stats_line: str = ""  # complaint statistics of the month, for those who report them

    def _purge(self) -> None:
        self.view, self.queue, self.kind, self.page = "mine", "open", "", 1
        self.rows, self.counts, self.page_info, self.error, self.stats_line = [], {}, "", "", ""
        self.has_prev = self.has_next = False
        self.loaded = False

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        query = {"view": self.view, "queue": self.queue, "page": self.page, "page_size": PAGE_SIZE}
        if self.kind:
            query["kind"] = self.kind
        try:
            with unit_of_work(readonly=True) as uow:
                result = ticket_service.list_tickets(uow=uow, actor=actor, query=query)
                self.stats_line = self._stats(uow, actor, loc)
        except DomainError as exc:
            self.rows, self.page_info, self.error = [], "", exc.message(loc)
            self.has_prev = self.has_next = False
            self.loaded = True
            self._mark_loaded(actor)
            return None
        self.rows = ticket_rows(result.items, loc)
        self.counts = {k: format_number(v, loc) for k, v in result.counts.items()}
        pages = max(1, -(-result.total // PAGE_SIZE))
        self.page_info = label("tickets.page_info", loc, page=format_number(result.page, loc),
                               pages=format_number(pages, loc), total=format_number(result.total, loc))
        self.has_prev, self.has_next = result.page > 1, result.page < pages
        self.error = ""
        self.loaded = True
        self._mark_loaded(actor)
        return None

    def _stats(self, uow: Any, actor: Any, loc: str) -> str:
        if not permits(actor, Permission.COMPLAINT_REPORT):
            return ""
        today = clock.today()
        s = statistics.complaint_statistics(uow=uow, actor=actor, period={
            "date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()})
        days = "—" if s.average_days_to_resolve is None else format_number(s.average_days_to_resolve, loc)
        return label("tickets.stats_line", loc, received=format_number(s.received, loc),
                     resolved=format_number(s.resolved, loc), open=format_number(s.open, loc),
                     breached=format_number(s.breached, loc), days=days,
                     within=format_number(s.resolved_within_15_days, loc))

    @rx.event
    def load(self):
        return self._refresh()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._refresh()

    @rx.event
    def set_queue(self, queue: Any):
        if queue in ticket_service.QUEUES:
            self.queue, self.page = queue, 1
        return self._refresh()

    @rx.event
    def set_view(self, view: Any):
        if view in ("mine", "all"):
            self.view, self.page = view, 1
        return self._refresh()

    @rx.event
    def set_kind(self, kind: Any):
        if kind in KINDS:
            self.kind, self.page = kind, 1
        return self._refresh()

    @rx.event
    def next_page(self):
        if self.has_next and self.page < MAX_PAGE:
            self.page += 1
        return self._refresh()

    @rx.event
    def prev_page(self):
        if self.page > 1:
            self.page -= 1
        return self._refresh()


class TicketState(DataState):
    """One ticket: its facts, history, and the steps the actor may take now."""

    found: bool = False
    page_error: str = ""
    facts: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    allowed: list[str] = []
    can_assign: bool = False
    people: list[dict[str, str]] = []
    resolutions: list[dict[str, str]] = []
    dialog: str = ""  # "" | "assign" | "resolve" | "reopen" | "wait"
    dialog_error: str = ""
    _ticket_id: int = 0

    def _purge(self) -> None:
        self.found = False
        self.page_error = ""
        self.facts, self.steps, self.allowed, self.people, self.resolutions = {}, [], [], [], []
        self.can_assign = False
        self.dialog = self.dialog_error = ""
        self._ticket_id = 0

    def _route_ticket_id(self) -> int | None:
        match = _TICKET_PATH.match(self._current_path())
        return whole_number(match.group(1), low=1, high=2**31) if match else None

    def _show(self, detail: Any, loc: str, actor: Any) -> None:
        self.facts, self.steps = ticket_detail_view(detail, loc)
        self.allowed = list(detail.allowed)
        self.can_assign = "assign" in detail.allowed and permits(actor, Permission.TICKET_ASSIGN)
        self.resolutions = [{"value": r.value, "label": label(f"resolution.{r.value}", loc)}
                            for r in RESOLUTIONS[detail.item.kind]]
        self.found = True

    def _load(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        tid = self._route_ticket_id()
        self._purge()
        self._mark_loaded(actor)
        if tid is None:
            self.page_error = translate("error.not_found", loc, what="ticket", id="—")
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                detail = ticket_service.ticket_detail(uow=uow, actor=actor, ticket_id=tid)
                people = []
                if "assign" in detail.allowed and permits(actor, Permission.TICKET_ASSIGN):
                    people = ticket_service.ticket_assignees(uow=uow, actor=actor, ticket_id=tid)
        except DomainError as exc:
            self.page_error = exc.message(loc)
            return None
        self._ticket_id = tid
        self._show(detail, loc, actor)
        self.people = [{"id": str(p.id), "name": p.name} for p in people]
        return None

    @rx.event
    def load(self):
        return self._load()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._load()

    @rx.event
    def open_dialog(self, name: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if name in ("assign", "resolve", "reopen", "wait") and name in self.allowed:
            self.dialog, self.dialog_error = name, ""
        return None

    @rx.event
    def dialog_open_change(self, is_open: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if is_open is not True:
            self.dialog = self.dialog_error = ""
        return None

    @rx.event
    def take(self):
        """Take a new ticket (assign it to oneself)."""
        return self._step("assign", {})

    @rx.event
    def step(self, name: Any):
        """A step without a form: start, resume, close."""
        if name not in ("start", "resume", "close"):
            return self._step("", {})
        return self._step(name, {})

    @rx.event
    def submit_dialog(self, form: Any):
        """The open dialog's form: assign {assignee_id}, resolve {resolution, note}, reopen {note}, wait {note}."""
        name = self.dialog
        try:
            values = _form(form)
        except ValidationFailed as exc:
            self.dialog_error = exc.message(self._locale())
            return None
        data: dict[str, Any] = {}
        if values.get("note"):
            data["note"] = values["note"]
        if name == "assign":
            uid = whole_number(values.get("assignee_id"), low=1, high=2**31)
            if uid is None or str(uid) not in {p["id"] for p in self.people}:
                self.dialog_error = translate("error.validation", self._locale())
                return None
            data = {"assignee_id": uid}
        elif name == "resolve":
            if values.get("resolution"):
                data["resolution"] = values["resolution"]
        elif name not in ("reopen", "wait"):
            return self._step("", {})
        return self._step(name, data)

    def _step(self, name: str, data: dict[str, Any]):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self.found or self._ticket_id <= 0 or name not in ticket_service.STEPS:
            self.page_error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                detail = ticket_service.ticket_step(uow=uow, actor=actor, ticket_id=self._ticket_id, step=name,
                                                    data=data)
                uow.commit()
        except DomainError as exc:
            message = exc.message(loc)
            if self.dialog:
                self.dialog_error = message
            else:
                self.page_error = message
            return rx.toast.error(message, id="ticket-toast")
        self.dialog = self.dialog_error = self.page_error = ""
        self._show(detail, loc, actor)
        return rx.toast.success(label("ticket.done", loc), id="ticket-toast")


def _form(form: Any) -> dict[str, str]:
    if not isinstance(form, dict) or len(form) > 8:
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    out = {}
    for key in ("assignee_id", "resolution", "note"):
        value = form.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_NOTE:
            raise ValidationFailed([FieldError(key, "value.too_long" if isinstance(value, str) else "value.wrong_type",
                                               {"max": MAX_NOTE})])
        if value.strip():
            out[key] = value.strip()
    return out

