"""The customer 360 page's work parts: the header's warnings, the customer's open tasks and tickets, and what the
quick-action dialogs need (ticket categories, whether contact needs a stated basis).

A state of its own beside CustomerState (state/customers.py), loaded after it by the page and again after a quick
action; it reads the customer id from the URL like CustomerState and asks the services, which check scope."""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services.activities import categories as category_service
from services.activities import tasks as task_service
from services.activities import tickets as ticket_service
from services.activities.models import ComplaintReason, ContactBasis
from services.customer360.warnings import customer_warnings
from services.db import unit_of_work
from services.errors import DomainError
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState
from state.work_display import task_rows, ticket_rows, warning_rows

_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")
COMPLAINT_REASONS = tuple(r.value for r in ComplaintReason)
CONTACT_BASES = tuple(b.value for b in ContactBasis)


class CustomerWorkState(DataState):
    warnings: list[dict[str, str]] = []  # {key, text, level, href}
    kyc_lapsed: bool = False
    do_not_contact: bool = False
    open_tasks: list[dict[str, str]] = []
    tickets: list[dict[str, str]] = []
    complaint_categories: list[dict[str, str]] = []  # {value, label}
    service_categories: list[dict[str, str]] = []
    work_error: str = ""
    _customer_id: int = 0

    def _purge(self) -> None:
        self.warnings, self.open_tasks, self.tickets = [], [], []
        self.complaint_categories, self.service_categories = [], []
        self.kyc_lapsed = self.do_not_contact = False
        self.work_error = ""
        self._customer_id = 0

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        return whole_number(match.group(1), low=1, high=2**62) if match else None

    def _load(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        cid = self._route_customer_id()
        self._purge()
        self._mark_loaded(actor)
        if cid is None:
            return None  # CustomerState says what is wrong with the address
        try:
            with unit_of_work(readonly=True) as uow:
                w = customer_warnings(uow=uow, actor=actor, customer_id=cid)
                open_tasks = task_service.customer_tasks(uow=uow, actor=actor, customer_id=cid)
                tickets = ticket_service.customer_tickets(uow=uow, actor=actor, customer_id=cid)
                cats = category_service.list_categories(uow=uow, actor=actor)
        except DomainError:
            return None  # CustomerState shows the refusal (the same service answer) for the whole page
        self._customer_id = cid
        self.warnings = warning_rows(w, loc)
        self.kyc_lapsed, self.do_not_contact = w.kyc_lapsed, w.do_not_contact
        self.open_tasks = task_rows(open_tasks, loc, me=actor.id if actor.kind == "user" else None)
        self.tickets = ticket_rows(tickets, loc)
        for kind, target in (("complaint", "complaint_categories"), ("service", "service_categories")):
            setattr(self, target, [{"value": c.code, "label": c.name_en if loc == "en" else c.name}
                                   for c in cats if c.kind == kind])
        return None

    @rx.event
    def load(self):
        """After CustomerState.load (on the page's load, a language switch and each quick action)."""
        return self._load()

    @rx.event
    def complete_task(self, task_id: Any):
        """Mark one of the customer's open tasks done (the service checks it is the actor's to complete)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        tid = whole_number(task_id, low=1, high=2**31)
        if tid is None or str(tid) not in {t["id"] for t in self.open_tasks}:
            return None
        try:
            with unit_of_work() as uow:
                task_service.complete_task(uow=uow, actor=actor, task_id=tid)
                uow.commit()
        except DomainError as exc:
            self.work_error = exc.message(loc)
            return rx.toast.error(self.work_error, id="work-toast")
        self._load()
        return rx.toast.success(label("tasks.completed", loc), id="work-toast")
