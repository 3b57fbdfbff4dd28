"""The customer 360 page's work parts: the header's warnings, open tasks, tickets, and the fields the quick-action
dialogs add for them (assets/work.css). Only display strings from CustomerWorkState are rendered."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from components.links import link
from state.customer_work import COMPLAINT_REASONS, CONTACT_BASES, CustomerWorkState
from state.permissions import P, holds

W = CustomerWorkState


def _warning(w: rx.Var) -> rx.Component:
    chip = rx.el.span(
        rx.match(w["level"], ("danger", icon("octagon-alert", size=14)), icon("triangle-alert", size=14)),
        w["text"], class_name="warn-chip warn-" + w["level"], id="warn-" + w["key"],
    )
    return rx.cond(w["href"] != "", rx.el.a(chip, href=w["href"], class_name="warn-link"), chip)


def warnings() -> rx.Component:
    """Under the customer's name: do not contact, KYC, risk assessment, tickets past SLA, complaints, marketing."""
    return rx.cond(W.warnings.length() > 0,
                   rx.el.div(rx.foreach(W.warnings, _warning), class_name="warn-strip", id="customer-warnings",
                             role="status"))


def _task(task: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.span(task["title"], class_name="item-title"),
            rx.el.div(
                rx.cond(task["high"] != "", rx.el.span(task["priority"], class_name="badge danger")),
                rx.el.span(task["assignee"], class_name="muted small"),
                class_name="chips",
            ),
            class_name="item-main",
        ),
        rx.el.div(
            rx.el.span(task["when"], class_name=rx.cond(task["overdue"] != "", "small danger", "small")),
            rx.cond(task["late"] != "", rx.el.span(task["late"], class_name="small danger")),
            rx.cond((task["mine"] != "") & holds(P.RECORD_WRITE),
                    rx.el.button(icon("check", size=14), t("tasks.complete"), type="button",
                                 class_name="btn small", id="c360-task-done-" + task["id"],
                                 on_click=W.complete_task(task["id"]))),
        ),
        class_name="item", id="c360-task-" + task["id"],
    )


def open_tasks() -> rx.Component:
    return rx.el.section(
        rx.el.div(rx.el.h2(t("c360.open_tasks"), class_name="section-title"),
                  link(t("c360.all_tasks"), href="/tasks", class_name="link small", id="c360-all-tasks"),
                  class_name="section-head"),
        rx.cond(W.open_tasks.length() > 0,
                rx.el.ul(rx.foreach(W.open_tasks, _task), class_name="item-list", id="c360-task-list"),
                rx.el.p(t("detail.none"), class_name="muted")),
        class_name="card", id="open-tasks",
    )


def _ticket(tk: rx.Var) -> rx.Component:
    return rx.el.li(
        link(
            rx.el.div(
                rx.el.span(tk["subject"], class_name="item-title"),
                rx.el.span(tk["kind"] + " · " + tk["category"] + " · " + tk["priority"], class_name="muted small"),
                class_name="item-main",
            ),
            rx.el.div(
                rx.el.span(tk["status"], class_name=rx.cond(tk["breached"] != "", "badge danger", "badge neutral")),
                rx.el.span(tk["sla"], class_name=rx.cond(tk["breached"] != "", "small danger", "muted small")),
            ),
            href=tk["href"], class_name="item ticket-link",
        ),
        id="ticket-" + tk["id"],
    )


def tickets() -> rx.Component:
    return rx.el.section(
        rx.el.div(rx.el.h2(t("c360.tickets"), class_name="section-title"),
                  link(t("c360.tickets_all"), href="/tickets", class_name="link small"),
                  class_name="section-head"),
        rx.cond(W.tickets.length() > 0,
                rx.el.ul(rx.foreach(W.tickets, _ticket), class_name="item-list", id="c360-ticket-list"),
                rx.el.p(t("detail.none"), class_name="muted")),
        class_name="card", id="tickets",
    )


# ---------------------------------------------------------------- quick-action fields

def _label(key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(key), class_name="field-label"), control, class_name="field")


def contact_basis_field() -> rx.Component:
    """In the log dialog when the customer asked not to be contacted: the warning and the basis, required."""
    return rx.cond(W.do_not_contact, rx.el.div(
        rx.el.div(icon("octagon-alert", size=16), rx.el.span(t("c360.dnc_in_dialog")), class_name="alert",
                  id="qa-log-dnc"),
        _label("c360.f.contact_basis", rx.el.select(
            rx.el.option(t("c360.f.choose"), value=""),
            *[rx.el.option(t(f"contact_basis.{b}"), value=b) for b in CONTACT_BASES],
            name="contact_basis", id="qa-log-basis", class_name="field-input", default_value="")),
        class_name="stack",
    ))


def ticket_category_field() -> rx.Component:
    return _label("c360.f.category", rx.el.select(
        rx.el.option(t("c360.f.category_other"), value=""),  # the kind's "other" category
        rx.el.optgroup(rx.foreach(W.complaint_categories, lambda c: rx.el.option(c["label"], value=c["value"])),
                       label=t("c360.ticket.complaint")),
        rx.el.optgroup(rx.foreach(W.service_categories, lambda c: rx.el.option(c["label"], value=c["value"])),
                       label=t("c360.ticket.service")),
        name="category", id="qa-ticket-category", class_name="field-input", default_value="",
    ))


def complaint_reason_field() -> rx.Component:
    return _label("c360.f.complaint_reason", rx.el.select(
        rx.el.option("—", value=""),
        *[rx.el.option(t(f"reason.{r}"), value=r) for r in COMPLAINT_REASONS],
        name="complaint_reason", id="qa-ticket-reason", class_name="field-input", default_value=""))
