"""/tasks: "My tasks" (and a team lead's team view), one page of one bucket at a time.

Thin: every handler resolves the actor from the session, validates what the browser sent, calls
services.activities.tasks and formats the answer; the services decide who may do what."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx

from services import clock
from services.activities import tasks as task_service
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_number, translate
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState
from state.work_display import task_rows

PAGE_SIZE = 20
MAX_PAGE = 10_000


def local_time(value: Any, field: str = "due_at") -> datetime:
    """A datetime-local input ("2026-11-21T14:30") in the firm's zone, aware; ValidationFailed otherwise."""
    if not isinstance(value, str) or not 0 < len(value) <= 40:
        raise ValidationFailed([FieldError(field, "value.required")])
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed([FieldError(field, "value.invalid")]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=clock.zone())


def _form_value(form: Any, key: str) -> Any:
    if not isinstance(form, dict) or len(form) > 16:
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    return form.get(key)


class TasksState(DataState):
    view: str = "mine"
    bucket: str = "today"
    page: int = 1
    rows: list[dict[str, str]] = []
    counts: dict[str, str] = {}
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    error: str = ""
    loaded: bool = False
    # dialogs: "" | "reschedule" | "reassign"
    dialog: str = ""
    dialog_task: str = ""
    dialog_title: str = ""
    dialog_due: str = ""
    dialog_error: str = ""
    people: list[dict[str, str]] = []  # {id, name}

    def _purge(self) -> None:
        self.view, self.bucket, self.page = "mine", "today", 1
        self.rows, self.counts, self.page_info = [], {}, ""
        self.has_prev = self.has_next = False
        self.error = ""
        self.loaded = False
        self._close()

    def _close(self) -> None:
        self.dialog = self.dialog_task = self.dialog_title = self.dialog_due = ""
        self.dialog_error = ""
        self.people = []

    def _fetch(self, actor: Any):
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                result = task_service.list_tasks(uow=uow, actor=actor, query={
                    "view": self.view, "bucket": self.bucket, "page": self.page, "page_size": PAGE_SIZE})
        except DomainError as exc:
            self.rows, self.page_info = [], ""
            self.has_prev = self.has_next = False
            self.error = exc.message(loc)
            self.loaded = True
            self._mark_loaded(actor)
            return None
        self.rows = task_rows(result.items, loc, me=actor.id if actor.kind == "user" else None)
        self.counts = {k: format_number(v, loc) for k, v in result.counts.items()}
        pages = max(1, -(-result.total // PAGE_SIZE))
        self.page_info = label("tasks.page_info", loc, page=format_number(result.page, loc),
                               pages=format_number(pages, loc), total=format_number(result.total, loc))
        self.has_prev, self.has_next = result.page > 1, result.page < pages
        self.error = ""
        self.loaded = True
        self._mark_loaded(actor)
        return None

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        return self._fetch(actor)

    @rx.event
    def load(self):
        """on_load of /tasks."""
        self._close()
        return self._refresh()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._refresh()

    @rx.event
    def set_bucket(self, bucket: Any):
        if bucket in task_service.BUCKETS:
            self.bucket, self.page = bucket, 1
        return self._refresh()

    @rx.event
    def set_view(self, view: Any):
        if view in task_service.VIEWS:
            self.view, self.page = view, 1
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

    def _task_id(self, value: Any) -> int | None:
        """A task id the page shows (the service checks the actor may act on it anyway)."""
        tid = whole_number(value, low=1, high=2**31)
        return tid if tid is not None and str(tid) in {r["id"] for r in self.rows} else None

    def _act(self, action, done_key: str, **kwargs: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                action(uow=uow, actor=actor, **kwargs)
                uow.commit()
        except DomainError as exc:
            message = exc.message(loc)
            if self.dialog:
                self.dialog_error = message
            else:
                self.error = message
            return rx.toast.error(message, id="task-toast")
        self._close()
        self._fetch(actor)
        return rx.toast.success(label(done_key, loc), id="task-toast")

    @rx.event
    def complete(self, task_id: Any):
        tid = self._task_id(task_id)
        if tid is None:
            return self._invalid()
        return self._act(task_service.complete_task, "tasks.completed", task_id=tid)

    def _invalid(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.error = translate("error.validation", self._locale())
        return None

    @rx.event
    def open_reschedule(self, task_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        tid = self._task_id(task_id)
        if tid is None:
            return self._invalid()
        row = next(r for r in self.rows if r["id"] == str(tid))
        self._close()
        self.dialog, self.dialog_task, self.dialog_title = "reschedule", str(tid), row["title"]
        self.dialog_due = row["due_local"]
        return None

    @rx.event
    def reschedule(self, form: Any):
        """The reschedule dialog: {due_at: datetime-local}."""
        tid = self._task_id(self.dialog_task)
        if tid is None or self.dialog != "reschedule":
            return self._invalid()
        try:
            due = local_time(_form_value(form, "due_at"))
        except ValidationFailed as exc:
            self.dialog_error = exc.message(self._locale())
            return None
        return self._act(task_service.reschedule_task, "tasks.rescheduled", task_id=tid,
                         data={"due_at": due.isoformat()})

    @rx.event
    def open_reassign(self, task_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        tid = self._task_id(task_id)
        if tid is None:
            return self._invalid()
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                people = task_service.task_assignees(uow=uow, actor=actor, task_id=tid)
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        row = next(r for r in self.rows if r["id"] == str(tid))
        self._close()
        self.dialog, self.dialog_task, self.dialog_title = "reassign", str(tid), row["title"]
        self.people = [{"id": str(p.id), "name": p.name} for p in people]
        return None

    @rx.event
    def reassign(self, form: Any):
        """The reassign dialog: {assignee_id}: one of the people offered (the service checks again)."""
        tid = self._task_id(self.dialog_task)
        if tid is None or self.dialog != "reassign":
            return self._invalid()
        try:
            value = _form_value(form, "assignee_id")
        except ValidationFailed as exc:
            self.dialog_error = exc.message(self._locale())
            return None
        uid = whole_number(value, low=1, high=2**31)
        if uid is None or str(uid) not in {p["id"] for p in self.people}:
            self.dialog_error = translate("error.validation", self._locale())
            return None
        return self._act(task_service.reassign_task, "tasks.reassigned", task_id=tid, data={"assignee_id": uid})

    @rx.event
    def dialog_open_change(self, is_open: Any):
        """A dialog asks to close (Escape, overlay, cancel): only closing is accepted from here."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if is_open is not True:
            self._close()
        return None
