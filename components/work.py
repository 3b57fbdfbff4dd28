"""The /tasks and /tickets pages: tabs with counts, rows that become cards on phones, and the dialogs of their
actions (assets/work.css). Only display strings from TasksState, TicketsState and TicketState are rendered."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from components.modal import modal_form
from state.permissions import P, holds
from state.tasks import TasksState
from state.tickets import TicketsState, TicketState

BUCKETS = ("overdue", "today", "upcoming", "done")
QUEUES = ("open", "new", "breached", "waiting", "ended")


def _tab(label_key: str, active: rx.Var, on_click, id_: str, count: rx.Var | None = None,
         danger: bool = False) -> rx.Component:
    parts = [rx.el.span(t(label_key))]
    if count is not None:  # shown when there is something to count
        parts.append(rx.cond((count != "0") & (count != ""),
                             rx.el.span(count, class_name="tab-count danger" if danger else "tab-count")))
    return rx.el.button(
        *parts, type="button", role="tab", aria_selected=rx.cond(active, "true", "false"), id=id_,
        class_name=rx.cond(active, "work-tab active", "work-tab"), on_click=on_click,
    )


def _segmented(*buttons: rx.Component, id_: str) -> rx.Component:
    return rx.el.div(*buttons, class_name="segmented", role="group", id=id_)


def _seg(label_key: str, active: rx.Var, on_click, id_: str) -> rx.Component:
    return rx.el.button(t(label_key), type="button", id=id_, aria_pressed=rx.cond(active, "true", "false"),
                        class_name=rx.cond(active, "seg-btn active", "seg-btn"), on_click=on_click)


def _pager(state) -> rx.Component:
    return rx.el.div(
        rx.el.button(icon("chevron-left", size=16), type="button", aria_label="Previous", class_name="btn",
                     disabled=~state.has_prev, on_click=state.prev_page, id="work-prev"),
        rx.el.span(state.page_info, class_name="page-info", id="work-page-info"),
        rx.el.button(icon("chevron-right", size=16), type="button", aria_label="Next", class_name="btn",
                     disabled=~state.has_next, on_click=state.next_page, id="work-next"),
        class_name="pager",
    )


def _error(text: rx.Var, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(text), role="alert",
                                         class_name="alert", id=id_))


# ---------------------------------------------------------------- tasks

S = TasksState


def _task_row(task: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.span(task["title"], class_name="item-title task-title"),
            rx.el.div(
                rx.cond(task["customer_href"] != "",
                        link(icon("user", size=13), task["customer"], href=task["customer_href"],
                                class_name="link small chip-link"),
                        rx.cond(task["customer"] != "", rx.el.span(task["customer"], class_name="muted small"))),
                rx.cond(task["kind"] != "", rx.cond(
                    task["ticket_href"] != "",
                    link(task["kind"], href=task["ticket_href"], class_name="badge danger"),
                    rx.el.span(task["kind"], class_name="badge danger"))),
                rx.el.span(task["priority"], class_name=rx.cond(task["high"] != "", "badge danger", "badge neutral")),
                rx.cond(S.view == "team", rx.el.span(icon("circle-user", size=13), task["assignee"],
                                                     class_name="muted small chip-link")),
                class_name="chips",
            ),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.span(task["when"], class_name=rx.cond(task["overdue"] != "", "due danger", "due")),
            rx.cond(task["late"] != "", rx.el.span(task["late"], class_name="small danger")),
            class_name="task-due",
        ),
        rx.cond(task["open"] != "", rx.el.div(
            rx.el.button(icon("check", size=14), t("tasks.complete"), type="button", class_name="btn small",
                         id="task-complete-" + task["id"], on_click=S.complete(task["id"])),
            rx.el.button(icon("calendar-clock", size=14), t("tasks.reschedule"), type="button",
                         class_name="btn small", id="task-reschedule-" + task["id"],
                         on_click=S.open_reschedule(task["id"])),
            rx.cond(holds(P.TASK_REASSIGN),
                    rx.el.button(icon("user-round-pen", size=14), t("tasks.reassign"), type="button",
                                 class_name="btn small", id="task-reassign-" + task["id"],
                                 on_click=S.open_reassign(task["id"]))),
            class_name="form-actions",
        )),
        class_name="item task-row", id="task-" + task["id"],
    )


def _dialog(name: str, title_key: str, on_submit, *fields: rx.Component, state=S, id_prefix: str = "task") -> rx.Component:
    return modal_form(t(title_key), *fields, id_prefix=f"{id_prefix}-{name}", error=state.dialog_error,
                      on_submit=on_submit, open=state.dialog == name, on_open_change=state.dialog_open_change,
                      cancel=t("c360.f.cancel"), save=t("c360.f.save"))


def _field(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="field")


def tasks_page_body() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h1(t("tasks.title"), class_name="page-title"),
            rx.cond(holds(P.TASK_REASSIGN), _segmented(
                _seg("tasks.view_mine", S.view == "mine", S.set_view("mine"), "tasks-view-mine"),
                _seg("tasks.view_team", S.view == "team", S.set_view("team"), "tasks-view-team"),
                id_="tasks-view")),
            class_name="page-head",
        ),
        rx.el.div(
            *[_tab(f"tasks.bucket.{b}", S.bucket == b, S.set_bucket(b), f"tasks-tab-{b}",
                   None if b == "done" else S.counts[b], danger=b == "overdue") for b in BUCKETS],
            class_name="work-tabs", role="tablist", id="tasks-tabs",
        ),
        _error(S.error, "tasks-error"),
        rx.el.section(
            rx.cond(S.rows.length() > 0,
                    rx.el.ul(rx.foreach(S.rows, _task_row), class_name="item-list", id="task-list"),
                    rx.cond(S.loaded, rx.el.p(rx.match(S.bucket, *[(b, t(f"tasks.empty.{b}")) for b in BUCKETS],
                                                       t("tasks.empty.today")),
                                              class_name="empty", id="tasks-empty"))),
            class_name="card work-list",
        ),
        _pager(S),
        _dialog("reschedule", "tasks.reschedule", S.reschedule,
                rx.el.p(S.dialog_title, class_name="muted"),
                _field("tasks.new_due", rx.el.input(type="datetime-local", name="due_at", id="task-new-due",
                                                    default_value=S.dialog_due, key=S.dialog_task,
                                                    class_name="field-input"))),
        _dialog("reassign", "tasks.reassign", S.reassign,
                rx.el.p(S.dialog_title, class_name="muted"),
                _field("tasks.assign_to", rx.el.select(
                    rx.foreach(S.people, lambda p: rx.el.option(p["name"], value=p["id"])),
                    name="assignee_id", id="task-assignee", class_name="field-input"))),
        class_name="page work-page",
    )


# ---------------------------------------------------------------- tickets

Q = TicketsState


def _ticket_row(tk: rx.Var) -> rx.Component:
    return rx.el.li(
        link(
            rx.el.div(
                rx.el.span(tk["subject"], class_name="item-title"),
                rx.el.div(
                    rx.el.span(tk["kind"], class_name="badge neutral"),
                    rx.el.span(tk["category"], class_name="muted small"),
                    rx.el.span(icon("user", size=13), tk["customer"], class_name="muted small chip-link"),
                    rx.el.span(tk["priority"], class_name=rx.cond(tk["high"] != "", "badge danger",
                                                                   "badge neutral")),
                    class_name="chips",
                ),
                class_name="item-main",
            ),
            rx.el.div(
                rx.el.span(tk["status"], class_name=rx.cond(tk["breached"] != "", "badge danger", "badge")),
                rx.el.span(tk["sla"], class_name=rx.cond(tk["breached"] != "", "small danger sla", "small sla")),
                rx.el.span(tk["assignee"], class_name="muted small"),
                rx.cond(tk["escalated"] != "", rx.el.span(tk["escalated"], class_name="small danger")),
            ),
            href=tk["href"], class_name="item ticket-link",
        ),
        id="ticket-row-" + tk["id"],
    )


def tickets_page_body() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h1(t("tickets.title"), class_name="page-title"),
            rx.el.div(
                _segmented(
                    _seg("tickets.view_mine", Q.view == "mine", Q.set_view("mine"), "tickets-view-mine"),
                    _seg("tickets.view_all", Q.view == "all", Q.set_view("all"), "tickets-view-all"),
                    id_="tickets-view"),
                rx.el.select(
                    rx.el.option(t("tickets.kind_all"), value=""),
                    rx.el.option(t("c360.ticket.complaint"), value="complaint"),
                    rx.el.option(t("c360.ticket.service"), value="service"),
                    value=Q.kind, on_change=Q.set_kind, id="tickets-kind", class_name="field-input compact",
                ),
                class_name="head-tools",
            ),
            class_name="page-head",
        ),
        rx.cond(Q.stats_line != "", rx.el.div(rx.el.span(t("tickets.stats"), class_name="field-label"),
                                              rx.el.span(Q.stats_line, class_name="small"),
                                              class_name="card stats-line", id="complaint-stats")),
        rx.el.div(
            *[_tab(f"tickets.queue.{q}", Q.queue == q, Q.set_queue(q), f"tickets-tab-{q}", Q.counts[q],
                   danger=q == "breached") for q in QUEUES],
            class_name="work-tabs", role="tablist", id="tickets-tabs",
        ),
        _error(Q.error, "tickets-error"),
        rx.el.section(
            rx.cond(Q.rows.length() > 0,
                    rx.el.ul(rx.foreach(Q.rows, _ticket_row), class_name="item-list", id="ticket-list"),
                    rx.cond(Q.loaded, rx.el.p(t("tickets.empty"), class_name="empty", id="tickets-empty"))),
            class_name="card work-list",
        ),
        _pager(Q),
        class_name="page work-page",
    )


# ---------------------------------------------------------------- one ticket

D = TicketState


def _fact(label_key: str, value: rx.Var, id_: str, **props) -> rx.Component:
    return rx.cond(value != "", rx.el.div(rx.el.dt(t(label_key)), rx.el.dd(value, id=id_, **props), class_name="kv"))


def _history(s: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.span(rx.cond(s["breach"] != "", icon("octagon-alert", size=14), icon("circle-dot", size=14)),
                   class_name=rx.cond(s["breach"] != "", "tl-icon danger", "tl-icon")),
        rx.el.div(
            rx.el.div(rx.el.span(s["step"], class_name="item-title"), rx.el.span(s["to"], class_name="small"),
                      class_name="tl-top"),
            rx.el.div(rx.el.span(s["status"], class_name="badge neutral"), rx.el.span(s["who"], class_name="small"),
                      rx.el.span(s["when"], class_name="muted small"), class_name="chips"),
            rx.cond(s["note"] != "", rx.el.div(s["note"], class_name="muted small notes")),
            class_name="tl-body",
        ),
        class_name="tl-item",
    )


def _step_button(step: str, glyph: str, label_key: str, on_click, primary: bool = False) -> rx.Component:
    return rx.cond(D.allowed.contains(step), rx.el.button(
        icon(glyph, size=15), t(label_key), type="button", id=f"ticket-{step}",
        class_name="btn-primary" if primary else "btn", on_click=on_click))


def ticket_page_body() -> rx.Component:
    f = D.facts
    return rx.el.div(
        link(icon("arrow-left", size=16), t("ticket.back"), href="/tickets", class_name="back-link",
                id="back-to-tickets"),
        _error(D.page_error, "ticket-error"),
        rx.cond(D.found, rx.el.div(
            rx.el.section(
                rx.el.h1(f["subject"], class_name="customer-name", id="ticket-subject"),
                rx.el.div(
                    rx.el.span(f["kind"], class_name="badge neutral"),
                    rx.el.span(f["status"], id="ticket-status",
                               class_name=rx.cond(f["breached"] != "", "badge danger", "badge")),
                    rx.el.span(f["priority"], class_name=rx.cond(f["high"] != "", "badge danger", "badge neutral")),
                    rx.el.span(f["sla"], id="ticket-sla",
                               class_name=rx.cond(f["breached"] != "", "small danger", "small")),
                    rx.cond(f["escalated"] != "", rx.el.span(f["escalated"], class_name="small danger",
                                                             id="ticket-escalated")),
                    class_name="chips",
                ),
                rx.el.div(
                    rx.cond(f["assignee_id"] == "", _step_button("assign", "hand", "ticket.step.take", D.take, True)),
                    rx.cond(D.can_assign, _step_button("assign", "user-round-pen", "ticket.step.assign",
                                                       D.open_dialog("assign"))),
                    _step_button("start", "play", "ticket.step.start", D.step("start"), True),
                    _step_button("wait", "pause", "ticket.step.wait", D.open_dialog("wait")),
                    _step_button("resume", "play", "ticket.step.resume", D.step("resume"), True),
                    _step_button("resolve", "circle-check", "ticket.step.resolve", D.open_dialog("resolve"), True),
                    _step_button("close", "archive", "ticket.step.close", D.step("close")),
                    _step_button("reopen", "rotate-ccw", "ticket.step.reopen", D.open_dialog("reopen")),
                    class_name="step-bar", id="ticket-steps",
                ),
                class_name="card ticket-head",
            ),
            rx.el.div(
                rx.el.section(
                    rx.el.h2(t("ticket.details"), class_name="section-title"),
                    rx.el.dl(
                        rx.el.div(rx.el.dt(t("ticket.customer")), rx.el.dd(rx.cond(
                            f["customer_href"] != "", link(f["customer"], href=f["customer_href"], class_name="link",
                                                              id="ticket-customer"),
                            rx.el.span(f["customer"]))), class_name="kv"),
                        _fact("ticket.category", f["category"], "ticket-category"),
                        _fact("ticket.channel", f["channel"], "ticket-channel"),
                        _fact("ticket.assignee", f["assignee"], "ticket-assignee"),
                        _fact("ticket.opened", f["opened"], "ticket-opened"),
                        _fact("ticket.opened_by", f["opened_by"], "ticket-opened-by"),
                        _fact("ticket.sla", f["due"], "ticket-due"),
                        _fact("ticket.reason", f["reason"], "ticket-reason"),
                        _fact("ticket.resolution", f["resolution"], "ticket-resolution"),
                        _fact("ticket.resolution_note", f["resolution_note"], "ticket-resolution-note"),
                        _fact("ticket.days_to_resolve", f["days"], "ticket-days"),
                        _fact("ticket.reopen_until", f["reopen_until"], "ticket-reopen-until"),
                        _fact("ticket.reopened", f["reopened"], "ticket-reopened"),
                        _fact("ticket.description", f["description"], "ticket-description", class_name="notes"),
                        class_name="kv-grid",
                    ),
                    class_name="card",
                ),
                rx.el.section(
                    rx.el.h2(t("ticket.history"), class_name="section-title"),
                    rx.el.ol(rx.foreach(D.steps, _history), class_name="timeline", id="ticket-history"),
                    class_name="card",
                ),
                class_name="ticket-grid",
            ),
            class_name="detail",
        )),
        _dialog("assign", "ticket.step.assign", D.submit_dialog,
                _field("ticket.assign_to", rx.el.select(
                    rx.foreach(D.people, lambda p: rx.el.option(p["name"], value=p["id"])),
                    name="assignee_id", id="ticket-assignee-select", class_name="field-input")),
                state=D, id_prefix="ticket"),
        _dialog("resolve", "ticket.step.resolve", D.submit_dialog,
                _field("ticket.resolution", rx.el.select(
                    rx.el.option(t("c360.f.choose"), value=""),
                    rx.foreach(D.resolutions, lambda r: rx.el.option(r["label"], value=r["value"])),
                    name="resolution", id="ticket-resolution-select", class_name="field-input", default_value="")),
                _field("ticket.resolution_note", rx.el.textarea(name="note", id="ticket-resolve-note", rows=3,
                                                                max_length=2000, class_name="field-input")),
                state=D, id_prefix="ticket"),
        _dialog("reopen", "ticket.step.reopen", D.submit_dialog,
                _field("ticket.reopen_reason", rx.el.textarea(name="note", id="ticket-reopen-note", rows=3,
                                                              max_length=2000, class_name="field-input")),
                state=D, id_prefix="ticket"),
        _dialog("wait", "ticket.step.wait", D.submit_dialog,
                _field("ticket.note", rx.el.textarea(name="note", id="ticket-wait-note", rows=3, max_length=2000,
                                                     class_name="field-input")),
                state=D, id_prefix="ticket"),
        class_name="page work-page",
    )
