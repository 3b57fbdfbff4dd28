"""/approvals: the approval inbox. One page of the open tasks the actor may decide (soonest due first, with
the time left on each SLA), one item open at a time with its facts, automatic checks and full history, and
approve / reject / return with a comment.

Thin: every handler resolves the actor from the session, validates what the browser sent and calls
services.workflows (inbox, instances), services.loans and services.underwriting; the services decide who may
act on what (roles, delegation, data scope, maker-checker, authority) and say why when they refuse."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx

from services import clock
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime, format_money, format_number, translate
from services.loans import service as loans
from services.security.policy import Permission, permits
from services.underwriting import service as underwriting
from services.validation.input import whole_number
from services.workflows import delegation as delegation_service
from services.workflows import inbox as inbox_service
from services.workflows import instances
from state.i18n import label
from state.session import DataState

PAGE_SIZE = 20
MAX_PAGE = 10_000
KINDS = ("", "loan_application", "underwriting_case")
DECISIONS = ("approve", "reject", "return")
MAX_COMMENT = 2000


def sla_text(due: datetime | None, now: datetime, loc: str) -> tuple[str, bool]:
    """The time left (or overdue) on an SLA, in words, and whether it is overdue."""
    if due is None:
        return label("approvals.no_sla", loc), False
    seconds = int((due - now).total_seconds())
    late = seconds < 0
    s = abs(seconds)
    d, h, m = s // 86400, (s % 86400) // 3600, (s % 3600) // 60
    if d:
        span = label("approvals.days_hours", loc, d=d, h=h)
    elif h:
        span = label("approvals.hours_minutes", loc, h=h, m=m)
    else:
        span = label("approvals.minutes", loc, m=max(m, 1 if s else 0))
    return label("approvals.overdue_by" if late else "approvals.due_in", loc, time=span), late


def _role(role: str | None, loc: str) -> str:
    return translate(f"role.{role}", loc) if role else ""


def step_name(step_id: str, name: str, loc: str) -> str:
    """A shipped step in the reader's language; another definition's step as its diagram names it."""
    key = f"approvals.step.{step_id}"
    from state.i18n import LABELS

    return label(key, loc) if key in LABELS else name


def _route(route: str | None, loc: str) -> str:
    if not route:
        return ""
    key = f"approvals.route.{route}"
    return label(key, loc) if label(key, loc) != route else route


class ApprovalsState(DataState):
    kind: str = ""
    page: int = 1
    rows: list[dict[str, str]] = []
    summary: str = ""
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    loaded: bool = False
    error: str = ""
    notice: str = ""
    # the open item
    selected: str = ""
    facts: list[dict[str, str]] = []  # {label, value}
    checks: list[dict[str, str]] = []  # {label, value, flag}
    history: list[dict[str, str]] = []  # {when, text, comment, kind}
    heading: str = ""
    step_line: str = ""
    can_act: bool = False
    comment: str = ""
    detail_error: str = ""
    # delegation while away
    away_open: bool = False
    candidates: list[dict[str, str]] = []
    delegations: list[dict[str, str]] = []
    away_error: str = ""

    def _purge(self) -> None:
        self.kind, self.page = "", 1
        self.rows, self.summary, self.page_info = [], "", ""
        self.has_prev = self.has_next = False
        self.loaded = False
        self.error = self.notice = ""
        self.away_open, self.candidates, self.delegations, self.away_error = False, [], [], ""
        self._close()

    def _close(self) -> None:
        self.selected, self.heading, self.step_line = "", "", ""
        self.facts, self.checks, self.history = [], [], []
        self.can_act = False
        self.comment = self.detail_error = ""

    # ------------------------------------------------------------ the list

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                result = inbox_service.inbox(uow=uow, actor=actor, page=self.page, page_size=PAGE_SIZE,
                                             subject_type=self.kind or None)
        except DomainError as exc:
            self.rows, self.summary, self.page_info = [], "", ""
            self.has_prev = self.has_next = False
            self.error, self.loaded = exc.message(loc), True
            self._mark_loaded(actor)
            return
        now = clock.now()
        rows = []
        for i in result.items:
            sla, late = sla_text(i.due_at, now, loc)
            rows.append({
                "id": str(i.task_id), "ref": i.subject_ref, "customer": i.customer_name,
                "kind": label(f"approvals.kind.{i.subject_type}", loc),
                "product": translate(f"product.{i.product_type}", loc),
                "amount": format_money(i.amount, "CNY", loc), "grade": i.risk_grade or "",
                "step": step_name(i.step_id, i.step_name, loc), "role": _role(i.role, loc), "sla": sla,
                "late": "1" if late else "",
                "escalated": label("approvals.escalated", loc) if i.escalated else "",
                "reminded": label("approvals.reminded", loc) if i.reminded and not late else "",
                "behalf": label("approvals.on_behalf", loc, name=i.on_behalf_of) if i.on_behalf_of else "",
                "round": label("approvals.round", loc, n=i.round) if i.round > 1 else "",
                "opened": format_datetime(i.opened_at, loc),
            })
        self.rows = rows
        pages = max(1, -(-result.total // PAGE_SIZE))
        self.page = result.page
        self.summary = label("approvals.summary", loc, total=format_number(result.total, loc),
                             overdue=format_number(result.overdue, loc))
        self.page_info = label("approvals.page_info", loc, page=format_number(result.page, loc),
                               pages=format_number(pages, loc)) if pages > 1 else ""
        self.has_prev, self.has_next = result.page > 1, result.page < pages
        self.error, self.loaded = "", True
        self._mark_loaded(actor)

    # ------------------------------------------------------------ one item

    def _open(self, actor: Any, task_id: int) -> None:
        loc = self._locale()
        self.detail_error = ""
        try:
            with unit_of_work(readonly=True) as uow:
                view = inbox_service.task_instance(uow=uow, actor=actor, task_id=task_id)
                loan = uw = None
                if view.subject_type == "loan_application" and permits(actor, Permission.LOAN_READ):
                    loan = loans.application_for_instance(uow=uow, actor=actor, instance_id=view.id)
                if view.subject_type == "underwriting_case" and permits(actor, Permission.UNDERWRITING_READ):
                    uw = underwriting.case_for_instance(uow=uow, actor=actor, instance_id=view.id)
        except DomainError as exc:
            self._close()
            self.error = exc.message(loc)
            return
        self.selected = str(task_id)
        self.heading = f"{view.subject_ref} · {loan.customer_name if loan else uw.customer_name if uw else ''}"
        self.can_act = view.my_task_id == task_id
        current = next((s for s in view.current if s.task_id == task_id), None)
        if current is not None:
            sla, _late = sla_text(current.due_at, clock.now(), loc)
            self.step_line = (f"{step_name(current.step_id, current.step_name, loc)} · "
                              f"{_role(current.escalated_to or current.role, loc)} · {sla}")
        else:
            self.step_line = translate(f"workflow.outcome.{view.outcome}", loc) if view.outcome else ""
        facts = [("approvals.f.product", translate(f"product.{view.product_type}", loc)),
                 ("approvals.f.amount" if view.subject_type == "loan_application" else "approvals.f.sum_insured",
                  format_money(view.amount, "CNY", loc))]
        checks: list[dict[str, str]] = []
        if loan is not None:
            facts += [("approvals.f.term", label("approvals.f.term_months", loc, n=loan.term_months)),
                      ("approvals.f.purpose", loan.purpose),
                      ("approvals.f.collateral", translate(f"loan.collateral.{loan.collateral_type}", loc)
                       + (f" · {format_money(loan.collateral_value, 'CNY', loc)}" if loan.collateral_value else "")),
                      ("approvals.f.income", format_money(loan.monthly_income, "CNY", loc) if loan.monthly_income
                       else "—")]
            ch = loan.checks
            fraud = [translate(f"loan.fraud.{f}", loc) for f in ch.get("fraud_flags", [])]
            checks = [
                {"label": label("approvals.check.score", loc),
                 "value": f"{ch.get('score', '')} · {ch.get('risk_grade', '')}",
                 "flag": "1" if ch.get("risk_grade") in ("D", "E") else ""},
                {"label": label("approvals.check.dti", loc), "value": f"{float(ch.get('dti', 0)) * 100:.1f}%",
                 "flag": "1" if float(ch.get("dti", 0)) > 0.55 else ""},
                {"label": label("approvals.check.instalment", loc),
                 "value": format_money(ch.get("instalment"), "CNY", loc) if ch.get("instalment") else "", "flag": ""},
                {"label": label("approvals.check.ltv", loc),
                 "value": f"{float(ch['ltv']) * 100:.0f}%" if ch.get("ltv") is not None else "—", "flag": ""},
                {"label": label("approvals.check.fraud", loc),
                 "value": "；".join(fraud) if fraud else label("approvals.check.fraud_none", loc),
                 "flag": "1" if fraud else ""},
                {"label": label("approvals.check.aml", loc),
                 "value": translate(f"loan.aml.{ch.get('aml_status')}", loc),
                 "flag": "1" if ch.get("aml_status") == "refer" else ""},
            ]
        if uw is not None:
            q = uw.questionnaire
            answers = [translate(f"underwriting.condition.{c}", loc) for c in q.get("conditions", [])]
            facts += [("approvals.f.age_bmi", f"{uw.age} / {uw.bmi}"),
                      ("approvals.f.health", "、".join(answers) if answers else "—")]
        facts += [("approvals.f.grade", view.risk_grade or "—"), ("approvals.f.route", _route(view.route, loc)),
                  ("approvals.f.started", f"{view.started_by} · {format_datetime(view.started_at, loc)}"),
                  ("approvals.f.version", str(view.version))]
        self.facts = [{"label": label(k, loc), "value": str(v)} for k, v in facts]
        self.checks = checks
        self.history = [self._entry(h, loc) for h in view.history]

    @staticmethod
    def _entry(h: Any, loc: str) -> dict[str, str]:
        step = step_name(h.step_id, h.step_name, loc)
        behalf = label("approvals.h.behalf", loc, name=h.on_behalf_of) if h.on_behalf_of else ""
        if h.kind == "submitted":
            text = label("approvals.h.submitted", loc, who=h.who)
        elif h.kind == "decided":
            what = translate(f"workflow.decision.{h.decision}", loc)
            role = label("approvals.as_role", loc, role=_role(h.acted_as, loc)) if h.acted_as else ""
            text = label("approvals.h.decided", loc, who=h.who + behalf, decision=what) + (f" · {step} {role}")
        elif h.kind == "withdrawn":
            text = label("approvals.h.withdrawn", loc, step=step)
        elif h.kind == "reminded":
            text = label("approvals.h.reminded", loc, step=step)
        elif h.kind == "escalated":
            text = (label("approvals.h.escalated", loc, step=step, role=_role(h.acted_as, loc)) if h.acted_as
                    else label("approvals.h.escalated_none", loc, step=step))
        elif h.kind == "cancelled":
            text = label("approvals.h.cancelled", loc)
        else:
            text = label("approvals.h.ended", loc, outcome=translate(f"workflow.outcome.{h.decision}", loc))
        return {"when": format_datetime(h.at, loc), "text": text, "comment": h.comment or "",
                "kind": h.decision or h.kind}

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        if self.selected:
            self._open(actor, int(self.selected))
        return None

    # ------------------------------------------------------------ delegation

    def _load_delegations(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                mine = delegation_service.my_delegations(uow=uow, actor=actor)
                people = delegation_service.delegate_candidates(uow=uow, actor=actor) if self.away_open else []
        except DomainError as exc:
            self.away_error = exc.message(loc)
            return
        self.delegations = [{
            "id": str(d.id),
            "text": label("approvals.delegation_row", loc, delegator=d.delegator, delegate=d.delegate,
                          start=format_datetime(d.starts_at, loc), end=format_datetime(d.ends_at, loc)),
            "reason": d.reason, "active": label("approvals.delegation_active", loc) if d.active else "",
            "mine": "1" if d.delegator_id == actor.id else ""} for d in mine]
        self.candidates = [{"id": str(i), "name": n} for i, n in people]

    @rx.event
    def toggle_away(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.away_open = not self.away_open
        self.away_error = ""
        self._load_delegations(actor)
        return None

    @rx.event
    def delegate(self, form: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not isinstance(form, dict) or len(form) > 8:
            return None
        who = whole_number(form.get("delegate_id"), low=1, high=2**31 - 1)
        try:
            with unit_of_work() as uow:
                made = delegation_service.delegate(uow=uow, actor=actor, delegate_id=who,
                                                   starts_at=form.get("starts_at"), ends_at=form.get("ends_at"),
                                                   reason=form.get("reason"))
                uow.commit()
        except DomainError as exc:
            self.away_error = exc.message(loc)
            return None
        self.away_error = ""
        self.notice = label("approvals.delegated", loc, name=made.delegate)
        self._load_delegations(actor)
        return None

    @rx.event
    def revoke(self, delegation_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        did = whole_number(delegation_id, low=1, high=2**31 - 1)
        if did is None:
            return None
        try:
            with unit_of_work() as uow:
                delegation_service.revoke_delegation(uow=uow, actor=actor, delegation_id=did)
                uow.commit()
        except DomainError as exc:
            self.away_error = exc.message(loc)
            return None
        self.notice = label("approvals.revoked", loc)
        self._load_delegations(actor)
        return None

    # ------------------------------------------------------------ events

    @rx.event
    def load(self):
        """on_load of /approvals: the first page; an item named in the address (?task=) opens."""
        self._close()
        self.notice = ""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        self._load_delegations(actor)
        try:
            raw = (self.router.url.query_parameters or {}).get("task", "")
        except AttributeError:
            raw = ""
        wanted = whole_number(raw, low=1, high=2**31 - 1) if isinstance(raw, str) and len(raw) < 12 else None
        if wanted:
            self._open(actor, wanted)
        return None

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
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
        if self.has_prev and self.page > 1:
            self.page -= 1
        return self._refresh()

    @rx.event
    def open_task(self, task_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        tid = whole_number(task_id, low=1, high=2**31 - 1)
        self.notice = ""
        self.comment = ""
        if tid is None:
            return None
        self._open(actor, tid)
        return None

    @rx.event
    def close_task(self):
        self._close()

    @rx.event
    def set_comment(self, value: Any):
        if isinstance(value, str):
            self.comment = value[:MAX_COMMENT]

    @rx.event
    def decide(self, decision: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        tid = whole_number(self.selected, low=1, high=2**31 - 1)
        if tid is None or decision not in DECISIONS:
            return None
        try:
            with unit_of_work() as uow:
                result = instances.decide(uow=uow, actor=actor, task_id=tid, decision=decision, comment=self.comment)
                uow.commit()
        except DomainError as exc:
            # Said clearly (already decided by whom, not his to decide, closed ...); the item as it is now.
            message = exc.message(loc)
            self._fetch(actor)
            self._open(actor, tid)
            if self.selected:
                self.detail_error = message
            else:
                self.error = message
            return None
        notice = label(f"approvals.done.{decision}", loc)
        if result.outcome:
            notice += " " + label("approvals.ended", loc, outcome=translate(f"workflow.outcome.{result.outcome}", loc))
        elif result.next_steps:
            notice += " " + label("approvals.next", loc, steps="、".join(
                f"{step_name(s.step_id, s.step_name, loc)}（{_role(s.role, loc)}）" if s.role
                else step_name(s.step_id, s.step_name, loc) for s in result.next_steps))
        self._close()
        self.notice = notice
        self._fetch(actor)
        return None
