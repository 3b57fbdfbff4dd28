"""/agenda: the RM's day on a phone: today's and overdue tasks, then the reminders, each with one tap to call the
customer (a plain link to /call/<id>, answered with a tel: redirect) and to open them. Touch targets are at least
44 px; nothing is wider than a 360 px screen (assets/agenda.css)."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.modal import modal_form
from state.agenda import AgendaState as S


def _call_button(row: rx.Var, id_: rx.Var) -> rx.Component:
    return rx.cond(
        row["call_href"] != "",
        rx.el.a(icon("phone", size=20), rx.el.span(t("agenda.call_short"), class_name="call-text"),
                href=row["call_href"], aria_label=row["call_label"], title=row["call_label"],
                class_name="agenda-call", id=id_, rel="nofollow"),
    )


def _icon_button(glyph: str, label: rx.Var, id_: rx.Var, on_click, cls: str = "agenda-tool") -> rx.Component:
    return rx.el.button(icon(glyph, size=20), type="button", class_name=cls, aria_label=label, title=label,
                        id=id_, on_click=on_click)


def _visit_button(row: rx.Var, id_: rx.Var) -> rx.Component:
    return rx.cond(row["customer_id"] != "",
                   _icon_button("notebook-pen", row["visit_label"], id_, S.open_visit(row["customer_id"])))


def _task(row: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.span(row["title"], class_name="agenda-item-title"),
            rx.el.div(
                rx.el.span(row["when"], class_name=rx.cond(row["overdue"] != "", "due danger", "due")),
                rx.cond(row["late"] != "", rx.el.span(row["late"], class_name="small danger")),
                class_name="agenda-meta"),
            rx.cond(row["customer_href"] != "",
                    rx.el.a(icon("user", size=14), row["customer"], href=row["customer_href"],
                            class_name="agenda-customer", id="agenda-task-customer-" + row["id"]),
                    rx.cond(row["customer"] != "", rx.el.span(row["customer"], class_name="muted small"))),
            class_name="agenda-item-main",
        ),
        rx.el.div(
            _call_button(row, "agenda-task-call-" + row["id"]),
            _visit_button(row, "agenda-task-visit-" + row["id"]),
            _icon_button("calendar-clock", row["reschedule_label"], "agenda-task-reschedule-" + row["id"],
                         S.open_reschedule(row["id"])),
            rx.el.button(icon("check", size=20), rx.el.span(t("agenda.done"), class_name="call-text"),
                         type="button", class_name="agenda-done", id="agenda-task-done-" + row["id"],
                         aria_label=row["done_label"], title=row["done_label"],
                         on_click=S.complete(row["id"])),
            class_name="agenda-actions",
        ),
        class_name=rx.cond(row["overdue"] != "", "agenda-item overdue", "agenda-item"), id="agenda-task-" + row["id"],
    )


def _reminder(row: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.span(rx.match(row["kind"],
                            ("assessment_expiry", icon("shield-check", size=20)),
                            ("birthday", icon("cake", size=20)),
                            ("product_maturity", icon("piggy-bank", size=20)),
                            ("kyc_review", icon("id-card", size=20)),
                            ("approval_sla", icon("timer", size=20)),
                            icon("phone-call", size=20)),
                   class_name="agenda-kind-icon", aria_hidden="true"),
        rx.el.div(
            rx.el.div(
                rx.el.span(row["what"], class_name="agenda-kind"),
                rx.el.span(row["when"], class_name=rx.cond(row["soon"] != "", "agenda-when soon", "agenda-when")),
                class_name="agenda-meta"),
            rx.el.a(row["customer"], href=row["customer_href"], aria_label=row["open_label"],
                    class_name="agenda-customer agenda-item-title", id="agenda-reminder-customer-" + row["id"]),
            rx.el.span(row["text"], class_name="agenda-text"),
            class_name="agenda-item-main",
        ),
        rx.el.div(
            _call_button(row, "agenda-reminder-call-" + row["id"]),
            _visit_button(row, "agenda-reminder-visit-" + row["id"]),
            rx.el.button(icon("x", size=20), type="button", class_name="agenda-dismiss",
                         aria_label=row["dismiss_label"], title=row["dismiss_label"],
                         id="agenda-reminder-dismiss-" + row["id"], on_click=S.dismiss(row["reminder"])),
            class_name="agenda-actions"),
        class_name="agenda-item reminder", id="agenda-reminder-" + row["id"],
    )


def _push_panel() -> rx.Component:
    """Web Push on this device: offered when the server has VAPID keys, otherwise said plainly."""
    return rx.el.section(
        rx.el.h2(t("agenda.push.title"), class_name="agenda-h2"),
        rx.cond(
            S.push_key == "",
            rx.el.p(t("agenda.push.not_configured"), class_name="muted", id="agenda-push-off"),
            rx.el.div(
                rx.el.button(icon("bell-ring", size=18), rx.el.span(t("agenda.push.enable")), type="button",
                             id="agenda-push-enable", class_name="agenda-push-btn", custom_attrs={"data-key": S.push_key},
                             on_click=rx.call_script(
                                 "window.fincrmPush ? window.fincrmPush.enable(document.getElementById("
                                 "'agenda-push-enable').dataset.key) : 'unsupported'", callback=S.push_result)),
                rx.el.span(S.push_devices_text, class_name="muted", id="agenda-push-devices"),
                rx.cond(S.push_note != "", rx.el.span(S.push_note, role="status", id="agenda-push-note")),
                class_name="agenda-push"),
        ),
        class_name="card agenda-card", aria_label="push", id="agenda-push",
    )


def _dialog(name: str, title_key: str, on_submit, *fields: rx.Component) -> rx.Component:
    return modal_form(t(title_key), rx.el.p(S.dialog_title, class_name="muted"), *fields,
                      id_prefix=f"agenda-{name}", error=S.dialog_error, on_submit=on_submit,
                      open=S.dialog == name, on_open_change=S.dialog_open_change,
                      cancel=t("agenda.cancel"), save=t("agenda.save"), button_class="agenda-btn")


def _check_in() -> rx.Component:
    """Check in at the customer's (navigator.geolocation, asked only when the RM taps): the script reports the fix,
    a refusal or none to AgendaState.visit_location, and the visit is saved with it."""
    return rx.el.div(
        rx.el.button(icon("map-pin", size=18), rx.el.span(t("pwa.note.checkin")), type="button",
                     id="agenda-visit-checkin", class_name="btn agenda-btn",
                     on_click=rx.call_script(
                         "window.fincrmOfflineNotes && window.fincrmOfflineNotes.checkIn"
                         " ? window.fincrmOfflineNotes.checkIn() : {status: 'unavailable'}",
                         callback=S.visit_location)),
        rx.cond(S.visit_checkin != "", rx.el.span(S.visit_checkin, role="status", class_name="muted",
                                                  id="agenda-visit-checkin-status")),
        class_name="agenda-checkin",
    )


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="field")


def agenda_page_body() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h1(t("agenda.title"), class_name="page-title"),
            rx.el.span(S.day, class_name="muted", id="agenda-day"),
            class_name="agenda-head",
        ),
        # The day's lists appear with their content, not as empty cards the content then pushes apart: the page's
        # HTML is painted before the app's JavaScript runs (fincrm_app/pwa.py), so anything drawn before the first
        # answer and moved by it would count as layout shift.
        rx.cond(
            S.loaded,
            rx.fragment(
                rx.cond(S.error != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(S.error),
                                                 role="alert", class_name="alert", id="agenda-error")),
                rx.el.section(
                    rx.el.div(
                        rx.el.h2(t("agenda.tasks"), class_name="agenda-h2"),
                        rx.cond(S.overdue != "", rx.el.span(S.overdue, class_name="tab-count danger",
                                                            id="agenda-overdue")),
                        rx.el.a(t("agenda.all_tasks"), href="/tasks", class_name="agenda-more",
                                id="agenda-all-tasks"),
                        class_name="agenda-section-head"),
                    rx.cond(S.tasks.length() > 0,
                            rx.el.ul(rx.foreach(S.tasks, _task), class_name="agenda-list", id="agenda-tasks"),
                            rx.el.p(t("agenda.no_tasks"), class_name="empty", id="agenda-no-tasks")),
                    class_name="card agenda-card", aria_label="tasks",
                ),
                rx.el.section(
                    rx.el.div(rx.el.h2(t("agenda.reminders"), class_name="agenda-h2"),
                              class_name="agenda-section-head"),
                    rx.cond(S.reminders.length() > 0,
                            rx.el.ul(rx.foreach(S.reminders, _reminder), class_name="agenda-list",
                                     id="agenda-reminders"),
                            rx.el.p(t("agenda.no_reminders"), class_name="empty", id="agenda-no-reminders")),
                    rx.cond(S.reminders_more != "",
                            rx.el.button(S.reminders_more, type="button", class_name="btn agenda-more-reminders",
                                         id="agenda-reminders-more", on_click=S.show_all_reminders)),
                    class_name="card agenda-card", aria_label="reminders",
                ),
                _push_panel(),
            ),
        ),
        _dialog("reschedule", "agenda.reschedule", S.reschedule,
                _field("agenda.new_due", rx.el.input(type="datetime-local", name="due_at", id="agenda-new-due",
                                                     default_value=S.dialog_due, key=S.dialog_task,
                                                     class_name="field-input agenda-input"))),
        _dialog("visit", "agenda.visit", S.log_visit,
                _field("agenda.visit.kind", rx.el.select(
                    rx.el.option(t("agenda.visit.kind.visit"), value="visit"),
                    rx.el.option(t("agenda.visit.kind.call"), value="call"),
                    name="kind", id="agenda-visit-kind", class_name="field-input agenda-input")),
                _field("agenda.visit.notes", rx.el.textarea(name="notes", id="agenda-visit-notes", rows=4,
                                                            max_length=4000, key=S.dialog_customer,
                                                            class_name="field-input agenda-input")),
                _check_in()),
        class_name="page agenda-page", id="agenda-page", aria_busy=rx.cond(S.loaded, "false", "true"),
    )
