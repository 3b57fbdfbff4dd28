"""/agenda: the RM's day on a phone (issue 14). Thin: resolves the actor, calls services.agenda and formats the
answer as display strings; the call buttons link to /call/<customer> (fincrm_app/api/call.py), so a phone number
never enters the page beyond what the actor's field policy shows."""
from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from services.activities import service as interactions
from services.activities import tasks as task_service
from services.agenda import push
from services.agenda import service as agenda_service
from services.agenda import sync as agenda_sync
from services.agenda.views import Agenda, Reminder, ReminderKind
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_date, format_number, translate
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState
from state.tasks import local_time
from state.work_display import task_rows

_ICONS = {ReminderKind.ASSESSMENT_EXPIRY: "shield-check", ReminderKind.BIRTHDAY: "cake",
          ReminderKind.FOLLOW_UP: "phone-call", ReminderKind.PRODUCT_MATURITY: "piggy-bank",
          ReminderKind.KYC_REVIEW: "id-card", ReminderKind.APPROVAL_SLA: "timer"}


def when_text(days: int, locale: str) -> str:
    if days == 0:
        return label("agenda.when.today", locale)
    if days == 1:
        return label("agenda.when.tomorrow", locale)
    if days > 1:
        return label("agenda.when.in_days", locale, n=format_number(days, locale))
    return label("agenda.when.days_over", locale, n=format_number(-days, locale))


def reminder_text(r: Reminder, locale: str) -> str:
    if r.kind == ReminderKind.PRODUCT_MATURITY:
        return label("agenda.text.product_maturity", locale, product=r.product_en if locale == "en" else r.product,
                     date=format_date(r.due_on, locale))
    if r.kind == ReminderKind.KYC_REVIEW:
        return label("agenda.text.kyc_review", locale, date=format_date(r.due_on, locale))
    if r.kind == ReminderKind.APPROVAL_SLA:
        return label("agenda.text.approval_sla", locale, date=format_date(r.due_on, locale))
    if r.kind == ReminderKind.ASSESSMENT_EXPIRY:
        return label("agenda.text.assessment_expiry", locale, date=format_date(r.due_on, locale))
    if r.kind == ReminderKind.BIRTHDAY:
        return label("agenda.text.birthday", locale, date=format_date(r.due_on, locale),
                     age=format_number(r.age or 0, locale))
    segment = label(f"segment.{r.segment}", locale)
    cadence = format_number(r.cadence_days or 0, locale)
    if r.last_contact is None:
        return label("agenda.text.follow_up_never", locale, segment=segment, cadence=cadence)
    return label("agenda.text.follow_up", locale, date=format_date(r.last_contact, locale), segment=segment,
                 cadence=cadence)


def _call(customer_id: int | None, name: str, phones: dict[int, str], locale: str) -> dict[str, str]:
    if customer_id is None or customer_id not in phones:
        return {"call_href": "", "call_label": ""}
    return {"call_href": f"/call/{customer_id}",
            "call_label": label("agenda.call", locale, name=name, phone=phones[customer_id])}


def agenda_rows(day: Agenda, locale: str, me: int | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    tasks = []
    for row, item in zip(task_rows(day.tasks, locale, me=me), day.tasks):
        tasks.append({**row, **_call(item.customer_id, item.customer_name or "", day.callable, locale),
                      "done_label": label("agenda.done_label", locale, title=row["title"]),
                      "reschedule_label": label("agenda.reschedule_label", locale, title=row["title"]),
                      "customer_id": str(item.customer_id) if item.customer_id is not None else "",
                      "visit_label": label("agenda.visit_label", locale, name=item.customer_name or "")})
    reminders = []
    for r in day.reminders:
        if r.customer_id is None:  # an approval nearing its SLA: opens the approval inbox
            title, href = r.step, "/approvals"
            open_label = label("agenda.open_approvals", locale, step=r.step)
        else:
            title, href = r.customer_name, f"/customers/{r.customer_id}"
            open_label = label("agenda.open_customer", locale, name=r.customer_name)
        reminders.append({
            "id": f"{r.kind}-{r.id}", "reminder": str(r.id), "kind": r.kind, "icon": _ICONS.get(r.kind, "bell"),
            "what": label(f"agenda.kind.{r.kind}", locale), "customer": title,
            "customer_href": href, "open_label": open_label,
            "text": reminder_text(r, locale),
            "dismiss_label": label("agenda.dismiss", locale, name=title),
            "customer_id": str(r.customer_id) if r.customer_id is not None else "",
            "visit_label": label("agenda.visit_label", locale, name=title), "when": when_text(r.days, locale),
            "soon": "1" if r.days <= 1 else "",
            **_call(r.customer_id, r.customer_name, day.callable, locale)})
    return tasks, reminders


def day_title(day: date, locale: str) -> str:
    from babel.dates import format_date as babel_date

    return babel_date(day, "full", locale="en" if locale == "en" else "zh_Hans_CN")


FIRST_REMINDERS = 12


class AgendaState(DataState):
    day: str = ""
    tasks: list[dict[str, str]] = []
    reminders: list[dict[str, str]] = []  # those the page shows: the first FIRST_REMINDERS until "show all"
    _all_reminders: list[dict[str, str]] = []
    reminders_all: bool = False
    reminders_more: str = ""  # "Show the other 36 reminders" ("" when none is held back)
    overdue: str = ""
    error: str = ""
    loaded: bool = False
    # dialogs: "" | "reschedule" (a task) | "visit" (log a visit or call with a customer)
    dialog: str = ""
    dialog_task: str = ""
    dialog_customer: str = ""
    dialog_title: str = ""
    dialog_due: str = ""
    dialog_error: str = ""
    # The visit dialog's location check-in (navigator.geolocation through assets/offline-notes.js): what is said to
    # the RM, and the validated check-in itself (backend only) that is stored with the visit.
    visit_checkin: str = ""
    _visit_location: dict | None = None
    # Web Push: the VAPID public key the device subscribes with ("" when the server has none: the page says so)
    push_key: str = ""
    push_devices: int = 0
    push_devices_text: str = ""
    push_note: str = ""

    def _purge(self) -> None:
        self.day, self.overdue, self.error = "", "", ""
        self.tasks, self.reminders, self._all_reminders, self.reminders_more = [], [], [], ""
        self.reminders_all = False
        self.push_key, self.push_devices, self.push_devices_text, self.push_note = "", 0, "", ""
        self.loaded = False
        self._close()

    def _close(self) -> None:
        self.dialog = self.dialog_task = self.dialog_customer = self.dialog_title = self.dialog_due = ""
        self.dialog_error = ""
        self.visit_checkin = ""
        self._visit_location = None

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                day = agenda_service.my_day(uow=uow, actor=actor)
        except DomainError as exc:
            self._purge()
            self.error = exc.message(loc)
            self.loaded = True
            self._mark_loaded(actor)
            return
        self.tasks, self._all_reminders = agenda_rows(day, loc, actor.id if actor.kind == "user" else None)
        self._show_reminders(loc)
        self._push_devices(actor, loc)
        self.push_key = push.public_key()
        self.day = day_title(day.day, loc)
        self.overdue = label("agenda.overdue_count", loc, n=format_number(day.overdue, loc)) if day.overdue else ""
        self.error = ""
        self.loaded = True
        self._mark_loaded(actor)

    def _show_reminders(self, loc: str) -> None:
        """The first dozen reminders (the most pressing come first), the rest one tap away: a phone draws the day
        at once instead of fifty items with their buttons (the page's first answer was one long task)."""
        rows = self._all_reminders
        self.reminders = rows if self.reminders_all else rows[:FIRST_REMINDERS]
        hidden = len(rows) - len(self.reminders)
        self.reminders_more = label("agenda.reminders_more", loc, n=format_number(hidden, loc)) if hidden else ""

    @rx.event
    def show_all_reminders(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.reminders_all = True
        self._show_reminders(self._locale())
        return None

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        return None

    @rx.event
    def load(self):
        """on_load of /agenda. (The menu's badge is refreshed by the frame's on_mount, components/shell.py: asked
        here too, it came twice, and each answer redrew the page on the phone.)"""
        return self._refresh()

    @rx.event
    def push_result(self, outcome: Any):
        """What the page's script (assets/push.js) reports after asking the browser: "subscribed" (the device's
        subscription reached POST /push/subscriptions), "denied" (the person refused notifications), "unsupported",
        "failed". Only words are shown; the subscription itself goes to the server over HTTP with the session."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        outcome = outcome if outcome in ("subscribed", "denied", "unsupported", "failed") else "failed"
        self.push_note = label(f"agenda.push.{outcome}", loc)
        self._push_devices(actor, loc)
        return None

    def _push_devices(self, actor: Any, loc: str) -> None:
        with unit_of_work(readonly=True) as uow:
            self.push_devices = push.devices(uow=uow, actor=actor)
        self.push_devices_text = label("agenda.push.devices", loc, n=format_number(self.push_devices, loc))

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._refresh()

    @rx.event
    def complete(self, task_id: Any):
        """Done: one of the tasks the page shows (the service checks the actor may complete it)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        tid = whole_number(task_id, low=1, high=2**31)
        if tid is None or str(tid) not in {t["id"] for t in self.tasks}:
            self.error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                task_service.complete_task(uow=uow, actor=actor, task_id=tid)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            return rx.toast.error(self.error, id="agenda-toast")
        self._fetch(actor)
        return rx.toast.success(label("agenda.task_done", loc), id="agenda-toast")

    @rx.event
    def dismiss(self, reminder_id: Any):
        """Dismiss one of the reminders the page shows (the service checks it is of the actor's book)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        rid = whole_number(reminder_id, low=1, high=2**62)
        if rid is None or str(rid) not in {r["reminder"] for r in self.reminders}:
            self.error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                agenda_service.dismiss_reminder(uow=uow, actor=actor, reminder_id=rid)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            return rx.toast.error(self.error, id="agenda-toast")
        self._fetch(actor)
        return ReminderBadgeState.refresh

    # ---------------------------------------------------------------- reschedule a task, log a visit

    def _shown_task(self, value: Any) -> dict[str, str] | None:
        tid = whole_number(value, low=1, high=2**31)
        return next((t for t in self.tasks if tid is not None and t["id"] == str(tid)), None)

    def _shown_customer(self, value: Any) -> str | None:
        cid = whole_number(value, low=1, high=2**62)
        if cid is None:
            return None
        href = f"/customers/{cid}"
        for row in [*self.tasks, *self.reminders]:
            if row.get("customer_href") == href:
                return row["customer"]
        return None

    @rx.event
    def open_reschedule(self, task_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        row = self._shown_task(task_id)
        if row is None:
            self.error = translate("error.validation", self._locale())
            return None
        self._close()
        self.dialog, self.dialog_task, self.dialog_title, self.dialog_due = "reschedule", row["id"], row["title"], \
            row["due_local"]
        return None

    @rx.event
    def reschedule(self, form: Any):
        """The reschedule dialog: {due_at: datetime-local} for the task it was opened for."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        row = self._shown_task(self.dialog_task)
        if row is None or self.dialog != "reschedule" or not isinstance(form, dict) or len(form) > 8:
            self.dialog_error = translate("error.validation", loc)
            return None
        try:
            due = local_time(form.get("due_at"))
            with unit_of_work() as uow:
                task_service.reschedule_task(uow=uow, actor=actor, task_id=int(row["id"]),
                                             data={"due_at": due.isoformat()})
                uow.commit()
        except DomainError as exc:
            self.dialog_error = exc.message(loc)
            return None
        self._close()
        self._fetch(actor)
        return rx.toast.success(label("agenda.rescheduled", loc), id="agenda-toast")

    @rx.event
    def open_visit(self, customer_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        name = self._shown_customer(customer_id)
        if name is None:
            self.error = translate("error.validation", self._locale())
            return None
        self._close()
        self.dialog, self.dialog_customer, self.dialog_title = "visit", str(whole_number(customer_id)), name
        return None

    @rx.event
    def visit_location(self, where: Any):
        """What the page's script reports for "check in my location" in the open visit dialog: {status: fix, latitude,
        longitude, accuracy_m, taken_at} or {status: refused | unavailable}. Validated by the service's rules; kept
        (backend only) until the visit is saved with it; the RM is told what was found."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if self.dialog != "visit":
            return None
        try:
            checked = agenda_sync.parse_check_in(where)
        except DomainError:
            checked = agenda_sync.parse_check_in({"status": "unavailable"})
        self._visit_location = checked.model_dump(mode="json", exclude_none=True)
        if checked.status == "fix":
            self.visit_checkin = label("pwa.checkin.fix", loc, m=format_number(round(checked.accuracy_m or 0), loc))
        else:
            self.visit_checkin = label(f"pwa.checkin.{checked.status}", loc)
        return None

    @rx.event
    def log_visit(self, form: Any):
        """The visit dialog: {kind: visit|call, notes} with the customer it was opened for; the subject is the kind
        in words (services.activities.log_interaction checks scope and consent)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        cid = whole_number(self.dialog_customer, low=1, high=2**62)
        if (self.dialog != "visit" or cid is None or self._shown_customer(cid) is None or not isinstance(form, dict)
                or len(form) > 8):
            self.dialog_error = translate("error.validation", loc)
            return None
        kind = form.get("kind")
        notes = form.get("notes")
        if kind not in ("visit", "call") or not isinstance(notes, str) or not notes.strip():
            field = "notes" if kind in ("visit", "call") else "kind"
            self.dialog_error = ValidationFailed([FieldError(field, "value.required")]).message(loc)
            return None
        try:
            with unit_of_work() as uow:
                row = interactions.log_interaction(uow=uow, actor=actor, customer_id=cid, data={
                    "kind": kind, "subject": label(f"agenda.visit.subject.{kind}", loc), "notes": notes.strip()[:4000]})
                if self._visit_location is not None:  # the check-in goes with the visit, or neither is written
                    agenda_sync.record_check_in(uow=uow, actor=actor, interaction_id=row.id,
                                                data=dict(self._visit_location))
                uow.commit()
        except DomainError as exc:
            self.dialog_error = exc.message(loc)
            return None
        self._close()
        self._fetch(actor)
        return rx.toast.success(label("agenda.visit.logged", loc), id="agenda-toast")

    @rx.event
    def dialog_open_change(self, is_open: Any):
        """A dialog asks to close (Escape, overlay, cancel): only closing is accepted from here."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if is_open is not True:
            self._close()
        return None


class ReminderBadgeState(DataState):
    """The count of open reminders on the menu's agenda entry (sidebar, phone tab bar), asked of the services when a
    page's frame mounts and after a reminder is dismissed."""

    open_reminders: int = 0

    def _purge(self) -> None:
        self.open_reminders = 0

    @rx.event
    def refresh(self):
        try:
            actor = self._require_actor()
        except DomainError:
            self.open_reminders = 0
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                self.open_reminders = agenda_service.open_reminders_count(uow=uow, actor=actor)
        except DomainError:  # a role without customer.read has no agenda
            self.open_reminders = 0
        self._mark_loaded(actor)
        return None

    @rx.var
    def badge(self) -> str:
        return "" if self.open_reminders <= 0 else "99+" if self.open_reminders > 99 else str(self.open_reminders)
