"""Tasks, tickets and the 360 page's warnings as display strings in the user's language (plain functions over the
services' views, tested directly; the states only call them)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services import clock
from services.activities.views import TaskItem, TicketDetail, TicketItem
from services.customer360.warnings import CustomerWarnings
from services.i18n import format_date, format_datetime, format_number
from state.i18n import LABELS, label

DASH = "—"


def _lbl(key: str, locale: str, fallback: str = "", **params: Any) -> str:
    return label(key, locale, **params) if key in LABELS else (fallback or key.rsplit(".", 1)[-1])


def span(seconds: int, locale: str) -> str:
    """A length of time as people say it: days and hours, hours and minutes, or minutes."""
    s = abs(int(seconds))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    if d:
        return label("time.days_hours", locale, d=d, h=h)
    if h:
        return label("time.hours_minutes", locale, h=h, m=m)
    return label("time.minutes", locale, m=max(m, 1))


def sla_text(seconds_left: int | None, locale: str) -> str:
    if seconds_left is None:
        return ""
    return label("time.left" if seconds_left >= 0 else "time.over", locale, span=span(seconds_left, locale))


def due_text(at: datetime | None, locale: str) -> str:
    """Today 14:30 / Tomorrow 09:30 / the date and time, in the firm's zone."""
    if at is None:
        return label("tasks.no_due", locale)
    local = at.astimezone(clock.zone())
    today = clock.today()
    hm = local.strftime("%H:%M")
    if local.date() == today:
        return label("tasks.due_today", locale, time=hm)
    if local.date() == today + timedelta(days=1):
        return label("tasks.due_tomorrow", locale, time=hm)
    return format_datetime(at, locale)


def channel(code: str, locale: str) -> str:
    for key in (f"channel.{code}", f"c360.channel.{code}"):
        if key in LABELS:
            return label(key, locale)
    return code


def priority(p: str, locale: str) -> str:
    return _lbl(f"c360.priority.{p}", locale, p)


def task_rows(items: list[TaskItem], locale: str, *, me: int | None = None) -> list[dict[str, str]]:
    now = clock.now()
    rows = []
    for t in items:
        title = (label("tasks.escalation_title", locale, subject=t.ticket_subject or t.title)
                 if t.kind == "escalation" else t.title)
        if t.status == "done":
            when = label("tasks.done_at", locale, when=format_datetime(t.completed_at, locale)) \
                if t.completed_at else label("tasks.status.done", locale)
        elif t.status == "cancelled":
            when = label("tasks.status.cancelled", locale)
        else:
            when = due_text(t.due_at, locale)
        late = ""
        if t.overdue and t.due_at is not None:
            late = label("time.overdue", locale, span=span(int((now - t.due_at).total_seconds()), locale))
        rows.append({
            "id": str(t.id), "title": title, "when": when, "late": late, "overdue": "1" if t.overdue else "",
            "open": "1" if t.status == "open" else "",
            "priority": priority(t.priority, locale), "high": "1" if t.priority == "high" else "",
            "kind": _lbl(f"tasks.kind.{t.kind}", locale) if t.kind != "follow_up" else "",
            "customer": t.customer_name or "",
            "customer_href": f"/customers/{t.customer_id}" if t.customer_id is not None else "",
            "ticket_href": f"/tickets/{t.ticket_id}" if t.ticket_id is not None and t.customer_id is not None else "",
            "assignee": t.assignee_name, "mine": "1" if me is not None and t.assignee_id == me else "",
            "due_local": t.due_at.astimezone(clock.zone()).strftime("%Y-%m-%dT%H:%M") if t.due_at else "",
        })
    return rows


def ticket_status(status: str, locale: str) -> str:
    return _lbl(f"c360.ticket_status.{status}", locale, status)


def ticket_rows(items: list[TicketItem], locale: str) -> list[dict[str, str]]:
    rows = []
    for t in items:
        ended = t.sla_seconds_left is None
        if ended:
            sla = label("tickets.sla_missed" if t.breached else "tickets.sla_met", locale)
        else:
            sla = sla_text(t.sla_seconds_left, locale)
        rows.append({
            "id": str(t.id), "subject": t.subject, "href": f"/tickets/{t.id}",
            "kind": _lbl(f"c360.ticket.{t.kind}", locale, t.kind),
            "category": t.category_name_en if locale == "en" else t.category_name,
            "status": ticket_status(t.status, locale), "status_code": t.status,
            "priority": priority(t.priority, locale), "high": "1" if t.priority == "high" else "",
            "sla": sla, "breached": "1" if t.breached else "",
            "due": format_datetime(t.sla_due_at, locale),
            "customer": t.customer_name,
            "customer_href": f"/customers/{t.customer_id}" if t.customer_id is not None else "",
            "assignee": t.assignee_name or label("tickets.unassigned", locale),
            "escalated": label("tickets.escalated_to", locale, name=t.escalated_to) if t.escalated_to else "",
            "opened": format_datetime(t.opened_at, locale),
        })
    return rows


def warning_rows(w: CustomerWarnings, locale: str) -> list[dict[str, str]]:
    """The 360 header's warnings, most serious first: {key, text, level (danger|warn), href}."""
    out = []

    def add(key: str, text: str, level: str, href: str = "") -> None:
        out.append({"key": key, "text": text, "level": level, "href": href})

    if w.do_not_contact:
        add("dnc", label("warn.do_not_contact", locale), "danger")
    if w.kyc_lapsed:
        add("kyc", label(f"warn.kyc.{w.kyc_status}", locale), "danger")
    if w.risk_expired:
        add("risk", label("warn.risk_expired", locale, date=format_date(w.risk_valid_until, locale)), "danger")
    elif w.risk_missing:
        add("risk", label("warn.risk_missing", locale), "warn")
    if w.breached_tickets:
        add("breached", label("warn.breached_tickets", locale, n=format_number(w.breached_tickets, locale)),
            "danger", "#tickets")
    if w.open_complaints:
        add("complaints", label("warn.open_complaints", locale, n=format_number(w.open_complaints, locale)),
            "warn", "#tickets")
    if w.marketing_withdrawn:
        add("marketing", label("warn.marketing_withdrawn", locale), "warn")
    return out


def ticket_detail_view(d: TicketDetail, locale: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(the ticket's facts, its history) for the ticket page."""
    t = ticket_rows([d.item], locale)[0]
    facts = dict(t)
    facts.update({
        "kind_code": d.item.kind,
        "channel": channel(d.item.channel, locale),
        "reason": _lbl(f"reason.{d.complaint_reason}", locale) if d.complaint_reason else "",
        "resolution": _lbl(f"resolution.{d.resolution}", locale) if d.resolution else "",
        "resolution_note": d.resolution_note or "",
        "days": label("ticket.days", locale, n=d.item.days_to_resolve) if d.item.days_to_resolve is not None else "",
        "reopen_until": format_date(d.reopen_until, locale) if d.reopen_until else "",
        "reopened": format_number(d.reopened, locale) if d.reopened else "",
        "opened_by": d.opened_by or DASH,
        "description": d.description or "",
        "assignee_id": str(d.item.assignee_id or ""),
    })
    steps = []
    for i, s in enumerate(reversed(d.steps)):
        who = s.actor_name or label("ticket.by_system", locale)
        to = label("ticket.to", locale, name=s.assignee_name) if s.step in ("assign", "breach") and s.assignee_name \
            else ""
        steps.append({"key": str(i), "step": _lbl(f"ticket.event.{s.step}", locale, s.step),
                      "status": ticket_status(s.to_status, locale), "when": format_datetime(s.at, locale),
                      "who": who, "to": to, "note": s.note or "", "breach": "1" if s.step == "breach" else ""})
    return facts, steps
