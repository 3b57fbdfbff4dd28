"""The customer 360 page state (the customer list's is state/customer_list.py).

Thin: every handler resolves the actor from the session cookie, validates its
arguments, calls a service and turns the (already masked) views into display
strings in the user's locale. Only one page of rows is ever held in state.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from services.activities import revisions
from services.activities import service as activities
from services.activities.revisions import NoteVersion
from services.activities.models import InteractionKind, TaskPriority, TicketKind
from services.customer360 import service as c360
from services.customer_list import recent
from services.customers import consent
from services.customers import service as customers
from services.customers.views import (CreditRatingView, Customer360, Customer360Header, CustomerDetail,
                                      DocumentView, HouseholdView, TagView, TicketView, TimelineItem,
                                      TransactionPage)
from services.db import unit_of_work
from services.errors import DomainError, FieldError, NotPermitted, ValidationFailed
from services.i18n import format_date, format_datetime, format_money, format_number, translate
from services.portfolio.models import TransactionKind
from state.charts import money_axis, month_axis
from state.evidence import evidence_lines
from state.i18n import LABELS, label
from state.timeline_words import event_source, event_title
from state.customer_work import CustomerWorkState
from state.session import DataState

log = logging.getLogger(__name__)

MAX_PAGE = 10_000
REVEAL_SECONDS = 30  # long enough to read an ID number out or copy it; then masked again
_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")
DASH = "—"


def _or_dash(value: Any) -> str:
    return DASH if value in (None, "") else str(value)


# ---------------------------------------------------------------- customer 360: display helpers
# Plain functions from service views to display strings in the user's locale (tested directly).

TX_KINDS = tuple(k.value for k in TransactionKind)
INTERACTION_KINDS = tuple(k.value for k in InteractionKind)
TASK_PRIORITIES = tuple(p.value for p in TaskPriority)
TICKET_KINDS = tuple(k.value for k in TicketKind)
TICKET_CHANNELS = activities.TICKET_CHANNELS
QUICK_ACTIONS = ("log", "task", "ticket")
TX_PAGE_SIZE = 20
TIMELINE_PAGE = 20
TIMELINE_MAX = 400  # items kept in state; "load more" stops there
MAX_FORM_VALUE = 4000
_CHART_COLORS = ["#3e63dd", "#12a594", "#f76b15", "#8e4ec6", "#e5484d", "#ffc53d", "#0090ff", "#8d8d8d"]


def _lbl(locale: str, *keys: str) -> str:
    """The first of `keys` that has a label (core labels first, then this area's)."""
    for key in keys:
        if key in LABELS:
            return label(key, locale)
    return label(keys[-1], locale)


def tag_rows(tags: list[TagView], locale: str) -> list[dict[str, str]]:
    rows = []
    for tg in tags:
        version = (label("c360.tag_rule_version", locale, version=tg.rule_version) if tg.rule_version is not None
                   else label("c360.tag_manual", locale))
        applied = label("c360.tag_applied", locale, when=format_datetime(tg.applied_at, locale))
        evidence = "; ".join(evidence_lines(tg.evidence, locale))
        color = tg.color if isinstance(tg.color, str) and re.fullmatch(r"#[0-9a-fA-F]{3,8}|[a-z]{3,20}", tg.color) else "#3e63dd"
        rows.append({"code": tg.code, "name": tg.name_en if locale == "en" and tg.name_en else tg.name,
                     "color": color, "version": version, "applied": applied, "evidence": evidence or DASH,
                     "why": " · ".join(x for x in (version, evidence, applied) if x)})
    return rows


def header_view(h: Customer360Header, open_tickets: int, locale: str) -> dict[str, str]:
    if h.risk_level is None:
        risk, validity = label("c360.risk_none", locale), ""
    else:
        risk = h.risk_level
        when = format_date(h.risk_valid_until, locale)
        validity = (label("c360.risk_expired" if h.risk_expired else "c360.risk_valid_until", locale, date=when)
                    if when else "")
    return {
        "name": h.name,
        "customer_no": h.customer_no,
        "segment": label(f"segment.{h.segment}", locale),
        "status": label(f"status.{h.status}", locale),
        "kind": label(f"kind.{h.kind}", locale),
        "aum": format_money(h.aum, h.currency, locale),
        "liabilities": format_money(h.liabilities, h.currency, locale),
        "risk": risk,
        "risk_validity": validity,
        "risk_expired": "1" if h.risk_expired else "",
        "kyc": _lbl(locale, f"c360.kyc.{h.kyc_status}"),
        "kyc_ok": "1" if h.kyc_status == "verified" else "",
        "aml": _lbl(locale, f"c360.aml.{h.aml_risk}"),
        "aml_high": "1" if h.aml_risk == "high" else "",
        "aml_pending": "1" if h.aml_risk == "pending" else "",
        # Open hits and cases, only for those who work AML (the service leaves them None for others).
        "aml_work": "" if h.aml_open_hits is None else label(
            "c360.aml_work_value", locale, hits=format_number(h.aml_open_hits, locale),
            cases=format_number(h.aml_open_cases or 0, locale)),
        "aml_work_open": "1" if (h.aml_open_hits or 0) + (h.aml_open_cases or 0) else "",
        # Why the rating is what it is (AML staff only): "open possible match awaiting review (1) +25; ..."
        "aml_why": "; ".join(_aml_factor(f, locale) for f in h.aml_factors or []),
        "legal_rep": h.legal_representative or "",
        "open_tickets": format_number(open_tickets, locale),
    }


def _aml_factor(factor: dict, locale: str) -> str:
    """One factor of the AML rating in words, with its points."""
    words = translate(f"aml.factor.{factor.get('code')}", locale, **(factor.get("detail") or {}))
    return f"{words} +{factor.get('points', 0)}"


def _money_float(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _figure_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(
        autosize=True, height=240, margin=dict(l=8, r=8, t=8, b=8),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font=dict(size=11, family="-apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif"),
        legend=dict(orientation="h", yanchor="top", y=-0.08, x=0, font=dict(size=11)),
        hoverlabel=dict(font=dict(size=12)),
    )
    layout.update(extra)
    return layout


def holdings_figure(view: Customer360, locale: str) -> go.Figure:
    rows = view.holdings_by_type
    cur = view.header.currency
    return go.Figure(
        data=[go.Pie(
            labels=[_lbl(locale, f"product.{r.key}") for r in rows],
            values=[_money_float(r.amount) for r in rows],
            customdata=[format_money(r.amount, cur, locale) for r in rows],
            hole=0.58, sort=False, direction="clockwise", textinfo="percent", textposition="inside",
            hovertemplate="%{label}<br>%{customdata}<br>%{percent}<extra></extra>",
            marker=dict(colors=_CHART_COLORS[:len(rows)] or None),
        )],
        layout=_figure_layout(showlegend=True),
    )


def aum_figure(view: Customer360, locale: str) -> go.Figure:
    pts = view.aum_history
    cur = view.header.currency
    months = [p.month.isoformat() for p in pts]
    series = (("c360.series_aum", [p.aum for p in pts], "#3e63dd"),
              ("c360.series_liabilities", [p.liabilities for p in pts], "#e5484d"))
    return go.Figure(
        data=[go.Scatter(
            x=months, y=[_money_float(v) for v in values], name=label(key, locale), mode="lines+markers",
            line=dict(color=color, width=2), marker=dict(size=4),
            customdata=[format_money(v, cur, locale) for v in values],
            hovertemplate="%{x|%Y-%m}<br>%{customdata}<extra>" + label(key, locale) + "</extra>",
        ) for key, values, color in series],
        layout=_figure_layout(
            xaxis=dict(**month_axis(months), showgrid=False, fixedrange=True),
            # 万 / 亿 in Chinese, k / M in English (state/charts.py): Plotly's own SI ticks are English only.
            yaxis=dict(**money_axis([values for _k, values, _c in series], locale), gridcolor="#eceef0",
                       fixedrange=True),
            hovermode="x unified"),
    )


def transaction_rows(page: TransactionPage, locale: str) -> list[dict[str, str]]:
    return [{
        "id": str(t.id),
        "kind": _lbl(locale, f"tx.{t.kind}"),
        "amount": format_money(t.amount, t.currency, locale),
        "negative": "1" if t.amount < 0 else "",
        "when": format_datetime(t.booked_at, locale),
        "channel": _lbl(locale, f"channel.{t.channel}", f"c360.channel.{t.channel}"),
        "description": _or_dash(t.product_name or t.description),
    } for t in page.items]


def timeline_rows(items: list[TimelineItem], currency: str, locale: str) -> list[dict[str, str]]:
    rows = []
    for it in items:
        if it.kind == "interaction":
            sub = _lbl(locale, f"interaction.{it.subtype}")
        elif it.kind == "large_transaction":
            sub = _lbl(locale, f"tx.{it.subtype}")
        elif it.kind == "ticket":
            sub = _lbl(locale, f"c360.ticket.{it.subtype}")
        elif it.kind == "event":
            sub = _lbl(locale, f"c360.event.{it.subtype}")
        else:
            sub = ""
        title = it.title
        if it.kind.startswith("tag_") and locale == "en" and it.detail:
            title = it.detail  # the tag's English name
        detail = it.detail or ""
        if it.kind == "ticket":
            detail = _lbl(locale, f"c360.ticket_status.{it.detail}")
        elif it.kind == "large_transaction":
            detail = _lbl(locale, f"channel.{it.detail}", f"c360.channel.{it.detail}") if it.detail else ""
        elif it.kind.startswith("tag_"):
            detail = ""
        if it.kind == "event":  # the page or product in words, and who reported it (state/timeline_words.py)
            title, detail = event_title(it, locale), event_source(it.detail, locale)
        elif it.kind == "large_transaction" and not title:
            title = sub  # no description: the kind in words, never its code
        rows.append({
            "key": f"{it.kind}-{it.ref_id}",
            "kind": it.kind,
            "kind_label": _lbl(locale, f"c360.tl.{it.kind}"),
            "subtype": sub,
            "title": title or DASH,
            "detail": detail,
            "amount": format_money(it.amount, currency, locale) if it.amount is not None else "",
            "when": format_datetime(it.at, locale),
            # an interaction: its id (to edit its notes) and "1" once its notes were revised
            "ref": str(it.ref_id) if it.kind == "interaction" and it.ref_id is not None else "",
            "edited": "1" if it.kind == "interaction" and (it.revision or 1) > 1 else "",
        })
    return rows


def note_version_rows(versions: list[NoteVersion], locale: str) -> list[dict[str, str]]:
    """Every version of a note, newest first, in words: which, who, when, from where."""
    rows = []
    for i, v in enumerate(versions):
        key = "c360.note_version_current" if i == 0 else "c360.note_version"
        how = label(f"c360.note_channel.{v.channel}", locale) if v.channel else ""
        rows.append({"revision": str(v.revision), "title": label(key, locale, n=v.revision), "by": v.by,
                     "when": format_datetime(v.at, locale) + (f" · {how}" if how else ""), "notes": v.notes})
    return rows


def note_ref(value: Any) -> int:
    """An interaction id from the page (a timeline row's `ref`), or ValidationFailed."""
    if isinstance(value, str) and value.isdigit() and len(value) < 11:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ValidationFailed([FieldError("interaction_id", "value.invalid")])
    return value


def household_rows(hh: HouseholdView | None, currency: str, locale: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    if hh is None:
        return {}, []
    summary = {"name": hh.name,
               "aum": DASH if hh.aum is None else format_money(hh.aum, currency, locale),
               "liabilities": DASH if hh.liabilities is None else format_money(hh.liabilities, currency, locale),
               "hidden": label("c360.household_hidden", locale, n=hh.hidden_members) if hh.hidden_members else ""}
    members = []
    for m in hh.members:
        if m.relation == "self":
            relation = label("c360.member_self", locale)
        elif m.relation:
            relation = _lbl(locale, f"rel.{m.relation}", f"c360.rel.{m.relation}")
        else:
            relation = ""
        visible = m.customer_id is not None
        members.append({
            "name": m.name,
            "relation": relation,
            "aum": format_money(m.aum, currency, locale) if visible and m.aum is not None else "",
            "liabilities": format_money(m.liabilities, currency, locale) if visible and m.liabilities is not None
            else "",
            "href": f"/customers/{m.customer_id}" if visible and m.relation != "self" else "",
            "masked": "" if visible else label("c360.member_masked", locale),
        })
    return summary, members


def credit_rows(ratings: list[CreditRatingView], locale: str) -> list[dict[str, str]]:
    return [{"rating": r.rating, "source": r.source, "rated_on": format_date(r.rated_on, locale),
             "valid_until": format_date(r.valid_until, locale) if r.valid_until else DASH,
             "note": r.note or ""} for r in ratings]


def ticket_rows(items: list[TicketView], locale: str) -> list[dict[str, str]]:
    return [{
        "id": str(t.id), "subject": t.subject,
        "kind": _lbl(locale, f"c360.ticket.{t.kind}"),
        "status": _lbl(locale, f"c360.ticket_status.{t.status}"),
        "priority": _lbl(locale, f"c360.priority.{t.priority}"),
        "channel": _lbl(locale, f"channel.{t.channel}", f"c360.channel.{t.channel}"),
        "opened": format_datetime(t.opened_at, locale),
        "sla": label("c360.sla_due", locale, when=format_datetime(t.sla_due_at, locale)),
        "overdue": "1" if t.overdue else "",
    } for t in items]


def consent_rows(items: list[Any], locale: str) -> list[dict[str, str]]:
    """services.customers.consent.ConsentStatus per purpose -> display rows (labels: state/labels/fields.py)."""
    rows = []
    for c in items:
        status = "never" if c.granted is None else ("granted" if c.granted else "withdrawn")
        rows.append({"purpose": label(f"consent.purpose.{c.purpose}", locale), "status": status,
                     "status_label": label(f"consent.{status}", locale),
                     "channel": label(f"consent.channel.{c.channel}", locale) if c.channel else "",
                     "when": format_datetime(c.recorded_at, locale) if c.recorded_at else ""})
    return rows


def _size(n: int, locale: str) -> str:
    if n < 1024:
        return f"{format_number(n, locale)} B"
    if n < 1024 * 1024:
        return f"{format_number(round(n / 1024, 1), locale)} KB"
    return f"{format_number(round(n / 1024 / 1024, 1), locale)} MB"


def document_rows(items: list[DocumentView], locale: str) -> list[dict[str, str]]:
    return [{"id": str(d.id), "filename": d.filename, "kind": _lbl(locale, f"c360.doc.{d.kind}"),
             "size": _size(d.size, locale), "uploaded": format_datetime(d.uploaded_at, locale),
             "by": _or_dash(d.uploaded_by)} for d in items]


def _form_values(form: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    """Only the known keys of a submitted form, as strings; anything else is refused."""
    if not isinstance(form, dict) or len(form) > 64:
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    out: dict[str, str] = {}
    for key in allowed:
        value = form.get(key)
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValidationFailed([FieldError(key if key in _FIELD_NAMES else "input", "value.wrong_type")])
        text = str(value).strip()
        if len(text) > MAX_FORM_VALUE:
            raise ValidationFailed([FieldError(key if key in _FIELD_NAMES else "input", "value.too_long",
                                               {"max": MAX_FORM_VALUE})])
        if text:
            out[key] = text
    return out


_FIELD_NAMES = ("date_from", "date_to", "min_amount", "max_amount", "subject", "notes", "occurred_at", "title",
                "due_at", "priority", "description", "channel", "category", "complaint_reason", "contact_basis")


def transaction_filters(form: Any) -> dict[str, Any]:
    """The transaction filter form -> the service's filter dict (the service validates the values)."""
    values = _form_values(form, ("date_from", "date_to", "min_amount", "max_amount",
                                 *(f"kind_{k}" for k in TX_KINDS)))
    filters: dict[str, Any] = {k: values[k] for k in ("date_from", "date_to", "min_amount", "max_amount")
                               if k in values}
    kinds = [k for k in TX_KINDS if values.get(f"kind_{k}")]
    if kinds:
        filters["kinds"] = kinds
    return filters


def _local_datetime(value: str | None, field: str) -> datetime | None:
    """A datetime-local input ("2025-05-01T10:30") in the firm's time zone, tz-aware."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([FieldError(field, "value.invalid")]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=c360.customers_tz())
    return parsed


def _choice(values: dict[str, str], key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = values.get(key, default)
    if value not in allowed:
        raise ValidationFailed([FieldError("input", "value.invalid_choice", {"choices": ", ".join(allowed)})])
    return value


def interaction_data(form: Any) -> dict[str, Any]:
    v = _form_values(form, ("kind", "subject", "notes", "occurred_at", "contact_basis"))
    data: dict[str, Any] = {"kind": _choice(v, "kind", INTERACTION_KINDS), "subject": v.get("subject", ""),
                            "notes": v.get("notes")}
    if v.get("contact_basis"):  # asked for when the customer asked not to be contacted (the service checks it)
        data["contact_basis"] = v["contact_basis"]
    when = _local_datetime(v.get("occurred_at"), "occurred_at")
    if when is not None:
        data["occurred_at"] = when
    return data


def task_data(form: Any) -> dict[str, Any]:
    v = _form_values(form, ("title", "due_at", "priority"))
    data = {"title": v.get("title", ""), "priority": _choice(v, "priority", TASK_PRIORITIES, "normal")}
    due = _local_datetime(v.get("due_at"), "due_at")
    if due is not None:  # a task needs one: the service names it when it is missing
        data["due_at"] = due
    return data


def ticket_data(form: Any) -> dict[str, Any]:
    v = _form_values(form, ("kind", "subject", "description", "channel", "priority", "category",
                            "complaint_reason"))
    data = {"kind": _choice(v, "kind", TICKET_KINDS), "subject": v.get("subject", ""),
            "description": v.get("description"), "channel": _choice(v, "channel", TICKET_CHANNELS, "branch"),
            "priority": _choice(v, "priority", TASK_PRIORITIES, "normal")}
    # The category must be one of the ticket's kind and a complaint needs its reason: the service says so.
    if v.get("category"):
        data["category"] = v["category"]
    if data["kind"] == "complaint" and v.get("complaint_reason"):
        data["complaint_reason"] = v["complaint_reason"]
    return data


# ---------------------------------------------------------------- the customer 360 page


class CustomerState(DataState):
    """/customers/[customer_id]: the customer 360 view.

    One `customer_360` call on load; transactions and the timeline are paged separately and only
    the current page (timeline: what was loaded so far, capped) is held in state. Everything held
    here is display text, already masked by the services.
    """

    found: bool = False
    page_error: str = ""
    header: dict[str, str] = {}
    tags: list[dict[str, str]] = []
    id_number: str = ""
    phone: str = ""
    can_reveal_id_number: bool = False
    can_reveal_phone: bool = False
    profile_items: list[dict[str, str]] = []
    custom_items: list[dict[str, str]] = []
    consents: list[dict[str, str]] = []
    accounts: list[dict[str, str]] = []
    holdings: list[dict[str, str]] = []
    relationships: list[dict[str, str]] = []
    reveal_error: str = ""
    # overview charts (built here from the view; small: one point per type / month)
    holdings_chart: go.Figure = go.Figure()
    aum_chart: go.Figure = go.Figure()
    has_holdings_chart: bool = False
    has_aum_chart: bool = False
    # transactions: one page
    transactions: list[dict[str, str]] = []
    tx_page_info: str = ""
    tx_has_prev: bool = False
    tx_has_next: bool = False
    tx_error: str = ""
    tx_kinds: list[dict[str, str]] = []  # [{value, label, checked}] for the filter form
    tx_filter_count: int = 0
    # household, timeline, ratings, tickets, documents
    household: dict[str, str] = {}
    household_members: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    timeline_has_more: bool = False
    credit_ratings: list[dict[str, str]] = []
    tickets: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    # quick actions
    qa_dialog: str = ""
    qa_error: str = ""
    # an interaction's notes: edited with the version check (services/activities/revisions.py), versions read
    can_revise_notes: bool = False
    note_dialog: str = ""  # "" | "edit" | "versions"
    note_text: str = ""  # the current text, as the edit form starts with it
    note_error: str = ""
    note_conflict: dict[str, str] = {}  # the version saved meanwhile: notes, by, when, revision
    note_versions: list[dict[str, str]] = []
    _note_id: int = 0
    _note_base: int = 0  # the revision the edit is based on

    _customer_id: int = 0
    _currency: str = "CNY"
    _tx_filters: dict = {}
    _tx_page: int = 1
    _timeline_before: str = ""
    # A revealed field goes back to masked after REVEAL_SECONDS or when the page is left (_remask).
    _masked_values: dict = {}  # field -> its masked text, as the service gave it
    _revealed_at: float = 0.0  # time.time() of the latest reveal
    _remask_pending: bool = False

    def _purge(self) -> None:
        self.found = False
        self.page_error = ""
        self.header = {}
        self.tags = []
        self.id_number = ""
        self.phone = ""
        self.can_reveal_id_number = False
        self.can_reveal_phone = False
        self.profile_items = []
        self.custom_items = []
        self.consents = []
        self.accounts = []
        self.holdings = []
        self.relationships = []
        self.reveal_error = ""
        self.holdings_chart = go.Figure()
        self.aum_chart = go.Figure()
        self.has_holdings_chart = False
        self.has_aum_chart = False
        self.transactions = []
        self.tx_page_info = ""
        self.tx_has_prev = False
        self.tx_has_next = False
        self.tx_error = ""
        self.tx_kinds = []
        self.tx_filter_count = 0
        self.household = {}
        self.household_members = []
        self.timeline = []
        self.timeline_has_more = False
        self.credit_ratings = []
        self.tickets = []
        self.documents = []
        self.qa_dialog = ""
        self.qa_error = ""
        self._close_note()
        self.can_revise_notes = False
        self._customer_id = 0
        self._currency = "CNY"
        self._tx_filters = {}
        self._tx_page = 1
        self._timeline_before = ""

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        if match is None:
            return None
        value = int(match.group(1))
        return value if 0 < value < 2**63 else None

    def _show(self, view: Customer360, loc: str) -> None:
        detail: CustomerDetail = view.detail
        p = detail.profile
        self.header = header_view(view.header, view.open_tickets, loc)
        self.tags = tag_rows(view.header.tags, loc)
        self._currency = view.header.currency
        self.id_number = _or_dash(p.id_number)
        self.phone = _or_dash(p.phone)
        self._masked_values = {"id_number": self.id_number, "phone": self.phone}
        self.can_reveal_id_number = "id_number" in p.revealable and p.id_number is not None
        self.can_reveal_phone = "phone" in p.revealable and p.phone is not None
        items = [
            ("detail.id_type", label(f"id_type.{p.id_type}", loc)),
            ("detail.gender", label(f"gender.{p.gender}", loc) if p.gender else DASH),
            ("detail.birth_date", format_date(p.birth_date, loc) or DASH),
            ("detail.email", _or_dash(p.email)),
            ("detail.address", _or_dash(p.address)),
            ("detail.occupation", _or_dash(p.occupation)),
            ("detail.owner", _or_dash(p.owner_name)),
            ("detail.branch", _or_dash(p.branch_name)),
            ("detail.team", _or_dash(p.team_name)),
            ("detail.source", label(f"channel.{p.source_channel}", loc)),
            ("detail.since", format_date(p.created_at.date(), loc)),
        ]
        self.profile_items = [{"label": label(k, loc), "value": v} for k, v in items]
        self.accounts = [{
            "id": str(a.id),
            "kind": label(f"account.{a.kind}", loc),
            "account_no": _or_dash(a.account_no),
            "balance": format_money(a.balance, a.currency, loc),
            "status": label(f"status.{a.status}", loc),
            "opened": format_date(a.opened_on, loc),
            "liability": "1" if a.is_liability else "",
        } for a in detail.accounts]
        self.holdings = [{
            "id": str(h.id),
            "product": h.product_name_en if loc == "en" and h.product_name_en else h.product_name,
            "code": h.product_code,
            "type": label(f"product.{h.product_type}", loc),
            "risk": h.risk_level,
            "quantity": format_number(h.quantity, loc),
            "market_value": format_money(h.market_value, h.currency, loc),
            "as_of": format_date(h.as_of, loc),
        } for h in detail.holdings]
        self.relationships = [{
            "kind": _lbl(loc, f"rel.{r.kind}", f"c360.rel.{r.kind}"),
            "name": r.related_name,
            "href": f"/customers/{r.related_customer_id}" if r.related_customer_id is not None else "",
        } for r in detail.relationships]
        self.has_holdings_chart = bool(view.holdings_by_type)
        self.holdings_chart = holdings_figure(view, loc) if view.holdings_by_type else go.Figure()
        self.has_aum_chart = bool(view.aum_history)
        self.aum_chart = aum_figure(view, loc) if view.aum_history else go.Figure()
        self.household, self.household_members = household_rows(view.household, view.header.currency, loc)
        self.credit_ratings = credit_rows(view.credit_ratings, loc)

    def _show_transactions(self, page: TransactionPage, loc: str) -> None:
        self.transactions = transaction_rows(page, loc)
        pages = max(1, -(-page.total // page.page_size))
        self.tx_page_info = label("c360.tx_page_info", loc, page=format_number(page.page, loc),
                                  pages=format_number(pages, loc), total=format_number(page.total, loc))
        self.tx_has_prev = page.page > 1
        self.tx_has_next = page.page < pages
        self._tx_page = page.page
        selected = set(self._tx_filters.get("kinds") or ())
        self.tx_kinds = [{"value": k, "label": _lbl(loc, f"tx.{k}"), "checked": "1" if k in selected else ""}
                         for k in TX_KINDS]
        self.tx_filter_count = len(self._tx_filters)

    def _show_timeline(self, items: list[TimelineItem], loc: str, *, append: bool) -> None:
        rows = timeline_rows(items, self._currency, loc)
        self.timeline = (self.timeline + rows)[:TIMELINE_MAX] if append else rows
        self._timeline_before = items[-1].at.isoformat() if items else self._timeline_before
        self.timeline_has_more = len(items) == TIMELINE_PAGE and len(self.timeline) < TIMELINE_MAX

    def _refresh_activity(self, uow: Any, actor: Any, loc: str, *, tickets: bool) -> None:
        items = c360.timeline(uow=uow, actor=actor, customer_id=self._customer_id, request={"limit": TIMELINE_PAGE})
        self._show_timeline(items, loc, append=False)
        if tickets:
            self.tickets = ticket_rows(c360.tickets(uow=uow, actor=actor, customer_id=self._customer_id), loc)

    def _load(self, *, keep_filters: bool = False):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        customer_id = self._route_customer_id()
        filters, tx_page = dict(self._tx_filters), self._tx_page
        same = keep_filters and customer_id is not None and customer_id == self._customer_id
        # Never show the previous customer while (or instead of) loading this one.
        self._purge()
        self._mark_loaded(actor)
        if customer_id is None:
            self.page_error = label("error.invalid_id", loc)
            return None
        if same:
            self._tx_filters, self._tx_page = filters, tx_page
        try:
            with unit_of_work() as uow:  # opening a customer is an audited read
                view = c360.customer_360(uow=uow, actor=actor, customer_id=customer_id)
                self._customer_id = customer_id
                self._show(view, loc)
                self._show_transactions(c360.transactions(
                    uow=uow, actor=actor, customer_id=customer_id,
                    filters={**self._tx_filters, "page": self._tx_page, "page_size": TX_PAGE_SIZE}), loc)
                self._refresh_activity(uow, actor, loc, tickets=True)
                self.documents = document_rows(c360.documents(uow=uow, actor=actor, customer_id=customer_id), loc)
                self.custom_items = [{"label": v.label_for(loc), "value": v.display(loc) or DASH}
                                     for v in c360.custom_values(uow=uow, actor=actor, customer_id=customer_id)]
                try:
                    self.consents = consent_rows(
                        consent.current_consents(uow=uow, actor=actor, customer_id=customer_id), loc)
                except NotPermitted:
                    self.consents = []  # a role that may not read consent still sees the rest of the page
                recent.record_customer_view(uow=uow, actor=actor, customer_id=customer_id)  # the header's list
                uow.commit()
        except DomainError as exc:
            self._purge()
            self._mark_loaded(actor)
            self.page_error = exc.message(loc)
            return None
        self.found = True
        self.can_revise_notes = revisions.can_revise(actor)
        return None

    def _ready(self):
        """The actor and locale for an event on a loaded customer, or a redirect / None to stop."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return None, None, redirect
        if not self.found or self._customer_id <= 0:
            return None, None, None
        return actor, self._locale(), None

    def _fetch_transactions(self, actor: Any, loc: str, filters: dict[str, Any], page: int) -> None:
        try:
            with unit_of_work(readonly=True) as uow:
                result = c360.transactions(uow=uow, actor=actor, customer_id=self._customer_id,
                                           filters={**filters, "page": page, "page_size": TX_PAGE_SIZE})
        except DomainError as exc:
            self.tx_error = exc.message(loc)
            return
        self.tx_error = ""
        self._tx_filters = filters
        self._show_transactions(result, loc)

    # ---------------------------------------------------------------- handlers

    @rx.event
    def load(self):
        """on_load of /customers/[customer_id]: the id comes from the URL path and is validated."""
        return self._load()

    @rx.event
    def change_locale(self, locale: Any):
        """Language switch on this page: set the locale, then re-format the customer."""
        self._apply_locale(locale)
        from state.opportunities import OpportunitiesState

        return [e for e in (self._load(keep_filters=True),) if e is not None] + [CustomerWorkState.load,
                                                                                 OpportunitiesState.load]

    @rx.event
    def reveal(self, field: Any):
        """Show one masked field in full (id_number or phone); the service checks the role and audits it."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        if field not in ("id_number", "phone") or not self.found or self._customer_id <= 0:
            self.reveal_error = translate("error.validation", loc)
            return None
        try:
            with unit_of_work() as uow:
                value = customers.reveal_field(uow=uow, actor=actor, customer_id=self._customer_id, field=field)
                uow.commit()  # the audit event of the reveal
        except DomainError as exc:
            self.reveal_error = exc.message(loc)
            return None
        self.reveal_error = ""
        if field == "id_number":
            self.id_number = _or_dash(value)
            self.can_reveal_id_number = False
        else:
            self.phone = _or_dash(value)
            self.can_reveal_phone = False
        self._revealed_at = time.time()
        return CustomerState.remask_later

    def _remask(self) -> None:
        """Every revealed field masked again, and offered for another (audited) reveal."""
        for field, masked in self._masked_values.items():
            if getattr(self, field) != masked:
                setattr(self, field, masked)
                setattr(self, f"can_reveal_{field}", True)

    def _remask_if_due(self, now: float) -> float:
        """Mask again if the latest reveal is REVEAL_SECONDS old; else the seconds left (0 when done)."""
        left = self._revealed_at + REVEAL_SECONDS - now
        if left <= 0:
            self._remask()
            return 0.0
        return left

    @rx.event
    def remask(self):
        """The page is left (the masked field unmounts): nothing stays in full on the client or in the state."""
        self._remask()

    @rx.event(background=True)
    async def remask_later(self):
        """REVEAL_SECONDS after the latest reveal: masked again. One timer at a time, whatever a client asks."""
        async with self:
            if self._remask_pending or not self._revealed_at:
                return
            self._remask_pending = True
        try:
            while True:
                async with self:
                    wait = self._remask_if_due(time.time())
                if not wait:
                    return
                await asyncio.sleep(min(wait, REVEAL_SECONDS))
        finally:
            async with self:
                self._remask_pending = False
                self._revealed_at = 0.0

    @rx.event
    def filter_transactions(self, form_data: Any):
        """The transaction filter form: {date_from, date_to, min_amount, max_amount, kind_<kind>: "on"}."""
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        try:
            filters = transaction_filters(form_data)
        except ValidationFailed as exc:
            self.tx_error = exc.message(loc)
            return None
        self._fetch_transactions(actor, loc, filters, 1)
        return None

    @rx.event
    def reset_transactions(self):
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        self._fetch_transactions(actor, loc, {}, 1)
        return None

    @rx.event
    def transactions_next(self):
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        if self.tx_has_next and self._tx_page < MAX_PAGE:
            self._fetch_transactions(actor, loc, dict(self._tx_filters), self._tx_page + 1)
        return None

    @rx.event
    def transactions_prev(self):
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        if self._tx_page > 1:
            self._fetch_transactions(actor, loc, dict(self._tx_filters), self._tx_page - 1)
        return None

    @rx.event
    def timeline_more(self):
        """Load the next (older) page of the timeline."""
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        if not self.timeline_has_more or not self._timeline_before:
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                items = c360.timeline(uow=uow, actor=actor, customer_id=self._customer_id,
                                      request={"limit": TIMELINE_PAGE, "before": self._timeline_before})
        except DomainError as exc:
            return rx.toast.error(exc.message(loc))
        self._show_timeline(items, loc, append=True)
        return None

    @rx.event
    def open_quick_action(self, name: Any):
        actor, _loc, stop = self._ready()
        if actor is None:
            return stop
        if name in QUICK_ACTIONS:
            self.qa_dialog = name
            self.qa_error = ""
        return None

    @rx.event
    def quick_action_open_change(self, is_open: Any):
        """The dialog asks to close (Escape, overlay, cancel): only closing is accepted from here."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if is_open is not True:
            self.qa_dialog = ""
            self.qa_error = ""
        return None

    def _quick_action(self, name: str, form_data: Any, build, action, done_key: str, *, tickets: bool = False):
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        try:
            data = build(form_data)
            with unit_of_work() as uow:
                action(uow=uow, actor=actor, customer_id=self._customer_id, data=data)
                uow.commit()
        except DomainError as exc:
            self.qa_error = exc.message(loc)
            return rx.toast.error(self.qa_error, id=f"qa-toast-{name}")
        self.qa_error = ""
        self.qa_dialog = ""
        try:
            with unit_of_work(readonly=not tickets) as uow:
                self._refresh_activity(uow, actor, loc, tickets=tickets)
                if tickets:
                    view = c360.customer_360(uow=uow, actor=actor, customer_id=self._customer_id)
                    self.header = header_view(view.header, view.open_tickets, loc)
                    uow.commit()  # the audited read of the refreshed header
        except DomainError:
            log.warning("refresh after %s failed for customer %s", name, self._customer_id, exc_info=True)
        return [rx.toast.success(label(done_key, loc), id=f"qa-toast-{name}"), CustomerWorkState.load]

    @rx.event
    def log_interaction(self, form_data: Any):
        """Quick action: {kind: call|visit|meeting|note, subject, notes, occurred_at (datetime-local)}."""
        return self._quick_action("log", form_data, interaction_data, activities.log_interaction, "c360.qa_logged")

    @rx.event
    def add_task(self, form_data: Any):
        """Quick action: {title, due_at (datetime-local), priority}."""
        return self._quick_action("task", form_data, task_data, activities.add_task, "c360.qa_task_added")

    @rx.event
    def open_ticket(self, form_data: Any):
        """Quick action: {kind: complaint|service, subject, description, channel, priority}."""
        return self._quick_action("ticket", form_data, ticket_data, activities.open_ticket, "c360.qa_ticket_opened",
                                  tickets=True)

    # ---------------------------------------------------------------- an interaction's notes

    def _close_note(self) -> None:
        self.note_dialog = ""
        self.note_text = ""
        self.note_error = ""
        self.note_conflict = {}
        self.note_versions = []
        self._note_id = 0
        self._note_base = 0

    def _open_note(self, ref: Any, dialog: str):
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        try:
            interaction_id = note_ref(ref)
            with unit_of_work(readonly=True) as uow:
                versions = revisions.note_versions(uow=uow, actor=actor, interaction_id=interaction_id)
        except DomainError as exc:
            return rx.toast.error(exc.message(loc), id="note-toast")
        self._close_note()
        self._note_id, self._note_base = interaction_id, versions[0].revision
        self.note_text = versions[0].notes
        self.note_versions = note_version_rows(versions, loc)
        self.note_dialog = dialog
        return None

    @rx.event
    def open_note_edit(self, ref: Any):
        """Edit an interaction's notes (the timeline's Edit): the form starts with the current text and revision."""
        return self._open_note(ref, "edit")

    @rx.event
    def open_note_versions(self, ref: Any):
        """Every version of an interaction's notes, newest first."""
        return self._open_note(ref, "versions")

    @rx.event
    def note_dialog_open_change(self, is_open: Any):
        """The dialog asks to close (Escape, overlay, Cancel): only closing is accepted from here."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if is_open is not True:
            self._close_note()
        return None

    @rx.event
    def save_note(self, form_data: Any):
        """{notes}: saved based on the revision the form started from (or, after a conflict, the revision shown
        beside it: "keep mine"). Revised meanwhile: nothing saved, both versions shown, the typed text kept."""
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        if self.note_dialog != "edit" or self._note_id <= 0:
            return None
        try:
            notes = _form_values(form_data, ("notes",)).get("notes", "")
            with unit_of_work() as uow:
                revisions.revise_notes(uow=uow, actor=actor, interaction_id=self._note_id,
                                       data={"base_revision": self._note_base, "notes": notes})
                uow.commit()
        except revisions.NoteChanged as exc:
            current = exc.current
            self._note_base = current["revision"]
            self.note_conflict = {"notes": current["notes"], "revision": str(current["revision"]),
                                  "title": label("c360.note_theirs", loc, by=current["by"],
                                                 when=format_datetime(datetime.fromisoformat(current["at"]), loc))}
            self.note_error = exc.message(loc)
            return None
        except DomainError as exc:
            self.note_error = exc.message(loc)
            return None
        self._close_note()
        self._refresh_timeline(actor, loc)
        return rx.toast.success(label("c360.note_saved", loc), id="note-toast")

    @rx.event
    def keep_their_note(self):
        """After a conflict, the person keeps the version saved meanwhile: their edit is dropped, said so."""
        actor, loc, stop = self._ready()
        if actor is None:
            return stop
        if not self.note_conflict:
            return None
        self._close_note()
        self._refresh_timeline(actor, loc)
        return rx.toast.info(label("c360.note_kept_theirs", loc), id="note-toast")

    def _refresh_timeline(self, actor: Any, loc: str) -> None:
        try:
            with unit_of_work(readonly=True) as uow:
                self._refresh_activity(uow, actor, loc, tickets=False)
        except DomainError:
            log.warning("timeline refresh after a note edit failed for customer %s", self._customer_id, exc_info=True)
