"""/aml: the compliance officer's workbench — screening hits and monitoring cases in one queue with their SLA,
filters and assignment, the detail of one item (why a hit matched; a case's alerts and notes) with its
decision, and the progress of re-screening after a list update.

Thin: every handler resolves the actor from the session cookie, validates its arguments and calls
services.aml.service, which checks the permission, the data scope and the rules (a reason for every decision,
a decision made once) and audits.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from services.aml import service as aml
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime, format_number
from services.security.policy import Permission, permits
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

KINDS = ("all", "hit", "case")
ASSIGNEES = ("any", "me", "unassigned")
STATUSES = ("open", "decided")
POLL_SECONDS = 1.0
WATCH_LIMIT = 600  # polls (ten minutes) before the page stops watching a run


def _facts(rule: str, facts: dict, loc: str) -> str:
    """An alert's facts in words, for the known rules; others as key=value."""
    f = {k: (format_number(v, loc) if k in ("total", "threshold", "inflow", "outflow", "amount") and _num(v) else v)
         for k, v in facts.items()}
    key = f"aml.facts.{rule}"
    text = label(key, loc, **f) if key in _known_facts() else ""
    return text or ", ".join(f"{k}={v}" for k, v in sorted(facts.items()))


def _num(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _known_facts() -> set[str]:
    from state.i18n import LABELS

    return {k for k in LABELS if k.startswith("aml.facts.")}


def _rule_name(code: str, loc: str) -> str:
    key = f"aml.rule.{code}"
    from state.i18n import LABELS

    return label(key, loc) if key in LABELS else code


class AmlState(DataState):
    items: list[dict[str, str]] = []
    counts: dict[str, str] = {"hits": "0", "cases": "0", "overdue": "0"}
    kind: str = "all"
    assignee: str = "any"
    status: str = "open"
    overdue: bool = False
    page: int = 1
    page_info: str = ""
    has_prev: bool = False
    has_next: bool = False
    error: str = ""
    notice: str = ""
    loaded: bool = False
    can_review: bool = False
    can_manage_lists: bool = False
    lists: list[dict[str, str]] = []
    run: dict[str, str] = {}
    has_run: bool = False
    run_percent: int = 0
    watching: bool = False
    # the selected item
    sel_kind: str = ""
    sel_id: str = ""
    sel: dict[str, str] = {}
    sel_pairs: list[dict[str, str]] = []
    sel_facts: list[dict[str, str]] = []  # a hit's birth date / nationality effects; a case's alerts
    sel_notes: list[dict[str, str]] = []

    def _purge(self) -> None:
        self.items, self.lists, self.run = [], [], {}
        self.counts = {"hits": "0", "cases": "0", "overdue": "0"}
        self.has_run, self.run_percent = False, 0
        self.kind, self.assignee, self.status, self.overdue, self.page = "all", "any", "open", False, 1
        self.page_info, self.has_prev, self.has_next = "", False, False
        self.error = self.notice = ""
        self.loaded = self.can_review = self.can_manage_lists = self.watching = False
        self._clear_selection()

    def _clear_selection(self) -> None:
        self.sel_kind = self.sel_id = ""
        self.sel, self.sel_pairs, self.sel_facts, self.sel_notes = {}, [], [], []

    # ---------------------------------------------------------------- the queue

    def _fetch(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                page = aml.queue(uow=uow, actor=actor, kind=self.kind, status=self.status, assignee=self.assignee,
                                 overdue=self.overdue, page=self.page)
                runs = aml.rescreen_progress(uow=uow, actor=actor, limit=1)
                lists = aml.list_watchlists(uow=uow, actor=actor)
        except DomainError as exc:
            self.items, self.error, self.loaded = [], exc.message(loc), True
            self._mark_loaded(actor)
            return None
        self.can_review = permits(actor, Permission.AML_REVIEW)
        self.can_manage_lists = permits(actor, Permission.AML_LIST_MANAGE)
        self.items = [self._item(i, actor, loc) for i in page.items]
        self.counts = {k: format_number(v, loc) for k, v in page.counts.items()}
        pages = max(1, -(-page.total // page.page_size))
        self.page_info = label("aml.page_info", loc, page=format_number(page.page, loc),
                               pages=format_number(pages, loc), total=format_number(page.total, loc))
        self.has_prev, self.has_next = page.page > 1, page.page < pages
        self.lists = [{"code": w.code, "name": w.name, "version": format_number(w.version, loc),
                       "entries": format_number(w.entries, loc), "loaded": format_datetime(w.loaded_at, loc)}
                      for w in lists]
        self._show_run(runs[0] if runs else None, loc)
        self.error = ""
        self.loaded = True
        self._mark_loaded(actor)
        return None

    def _show_run(self, r, loc: str) -> None:
        self.run = self._run(r, loc) if r is not None else {}
        self.has_run, self.run_percent = r is not None, (r.percent if r is not None else 0)

    @staticmethod
    def _run(r, loc: str) -> dict[str, str]:
        return {"id": str(r.id), "reason": r.reason, "status": r.status,
                "status_label": label(f"aml.run.{r.status}", loc), "percent": str(r.percent),
                "progress": label("aml.run.progress", loc, done=format_number(r.done, loc),
                                  total=format_number(r.total, loc), hits=format_number(r.hits, loc)),
                "active": "1" if r.status in ("queued", "running") else ""}

    @staticmethod
    def _item(i, actor, loc: str) -> dict[str, str]:
        if i.kind == "hit":
            title = i.title
            sub = label("aml.hit_of", loc, list=i.detail, subject=label(f"aml.subject.{i.subject}", loc),
                        name=i.subject_name)
            grade = label(f"aml.verdict.{i.verdict}", loc) + f" {i.score:.2f}"
        else:
            title = " · ".join(_rule_name(c, loc) for c in i.title.split(", ") if c) or label("aml.case", loc)
            sub = label("aml.case_no", loc, id=str(i.id))
            grade = label(f"aml.severity.{i.severity}", loc)
        return {"key": f"{i.kind}-{i.id}", "kind": i.kind, "id": str(i.id), "kind_label": label(f"aml.kind.{i.kind}", loc),
                "customer": i.customer_name, "customer_no": i.customer_no, "customer_id": str(i.customer_id),
                "title": title, "sub": sub, "grade": grade, "severity": i.severity,
                "due": format_datetime(i.due_at, loc), "overdue": "1" if i.overdue else "",
                "assigned": i.assigned_name or label("aml.unassigned", loc),
                "mine": "1" if i.assigned_to is not None and i.assigned_to == actor.id else "",
                "open": "1" if i.status == "open" else "",
                "status": label(f"aml.status.{i.status}", loc)}

    @rx.event
    def load(self):
        self.notice = ""
        out = self._fetch()
        if self.run.get("active") and not self.watching:
            return out or AmlState.watch_run
        return out

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        self._fetch()
        if self.sel_id:
            return self._show_item(self.sel_kind, self.sel_id)
        return None

    @rx.event
    def set_kind(self, value: Any):
        if value in KINDS:
            self.kind, self.page = value, 1
        return self._fetch()

    @rx.event
    def set_assignee(self, value: Any):
        if value in ASSIGNEES:
            self.assignee, self.page = value, 1
        return self._fetch()

    @rx.event
    def set_status(self, value: Any):
        if value in STATUSES:
            self.status, self.page = value, 1
        return self._fetch()

    @rx.event
    def toggle_overdue(self):
        self.overdue, self.page = not self.overdue, 1
        return self._fetch()

    @rx.event
    def next_page(self):
        if self.has_next and self.page < 10_000:
            self.page += 1
        return self._fetch()

    @rx.event
    def prev_page(self):
        if self.page > 1:
            self.page -= 1
        return self._fetch()

    # ---------------------------------------------------------------- one item

    def _show_item(self, kind: Any, item_id: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        iid = whole_number(item_id)
        if kind not in ("hit", "case") or iid is None:
            return None
        try:
            with unit_of_work() as uow:
                if kind == "hit":
                    view = aml.hit_detail(uow=uow, actor=actor, hit_id=iid)
                else:
                    view = aml.case_detail(uow=uow, actor=actor, case_id=iid)
                uow.commit()
        except DomainError as exc:
            self._clear_selection()
            self.error = exc.message(loc)
            return None
        self.sel_kind, self.sel_id, self.error = kind, str(iid), ""
        if kind == "hit":
            e = view.explanation or {}
            self.sel = {"title": view.matched_name, "customer_id": str(view.customer_id),
                        "subject": label(f"aml.subject.{view.subject_type}", loc), "subject_name": view.subject_name,
                        "list": f"{view.list_code} · {view.entry_id} (v{view.list_version})",
                        "score": f"{view.score:.3f}", "name_score": f"{e.get('name_score', 0):.3f}",
                        "verdict": label(f"aml.verdict.{view.verdict}", loc),
                        "quality": label(f"aml.quality.{e.get('name_quality', 'primary')}", loc),
                        "query_form": e.get("query_form", ""), "listed_form": e.get("listed_form", ""),
                        "status": label(f"aml.status.{view.status}", loc), "open": "1" if view.status == "open" else "",
                        "reason": view.reason or "", "due": format_datetime(view.due_at, loc),
                        "found": format_datetime(view.found_at, loc), "assigned": view.assigned_name or "",
                        "reviewed": (f"{view.reviewed_name or ''} {format_datetime(view.reviewed_at, loc)}"
                                     if view.reviewed_at else "")}
            self.sel_pairs = [{"query": p.get("query") or "—", "listed": p.get("listed") or "—",
                               "how": label(f"aml.how.{p.get('how')}", loc), "score": f"{p.get('score', 0):.2f}",
                               "weak": "1" if p.get("how") in ("extra", "missing") else ""}
                              for p in e.get("pairs", [])]
            self.sel_facts = [{"text": label(f"aml.adjust.{a.get('factor')}.{a.get('how')}", loc,
                                             query=a.get("query", ""), listed=", ".join(a.get("listed", []))),
                               "effect": f"{a.get('effect', 0):+.2f}"} for a in e.get("adjustments", [])]
            self.sel_notes = []
        else:
            self.sel = {"title": label("aml.case_no", loc, id=str(view.id)), "customer_id": str(view.customer_id),
                        "customer": f"{view.customer_name} · {view.customer_no}",
                        "severity": label(f"aml.severity.{view.severity}", loc),
                        "status": label(f"aml.status.{view.status}", loc), "open": "1" if view.status == "open" else "",
                        "due": format_datetime(view.due_at, loc), "overdue": "1" if view.overdue else "",
                        "opened": format_datetime(view.opened_at, loc), "assigned": view.assigned_name or "",
                        "reason": view.disposition_reason or "", "report": view.report_filename or "",
                        "closed": (f"{view.closed_name or ''} {format_datetime(view.closed_at, loc)}"
                                   if view.closed_at else "")}
            self.sel_pairs = []
            self.sel_facts = [{"text": f"{_rule_name(a.rule_code, loc)}: {_facts(a.rule_code, a.facts, loc)}",
                               "effect": format_datetime(a.raised_at, loc)} for a in view.alerts]
            self.sel_notes = [{"author": n.author, "text": n.text, "at": format_datetime(n.created_at, loc)}
                              for n in view.notes]
        return None

    @rx.event
    def open_item(self, kind: Any, item_id: Any):
        self.notice = ""
        out = self._show_item(kind, item_id)
        # On a phone the item opens below the queue: bring it into view.
        return out if out is not None or not self.sel_id else rx.scroll_to("aml-detail")

    @rx.event
    def close_detail(self):
        self._clear_selection()

    def _do(self, action, notice_key: str):
        """Run one decision in a unit of work; on success reload the queue and the item."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                action(uow, actor)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        self._fetch()
        self.notice = label(notice_key, loc)
        if self.sel_id:
            return self._show_item(self.sel_kind, self.sel_id)
        return None

    @rx.event
    def take(self, kind: Any, item_id: Any):
        """Assign the item to oneself."""
        iid = whole_number(item_id)
        if kind not in ("hit", "case") or iid is None:
            return None
        return self._do(lambda uow, actor: aml.assign(uow=uow, actor=actor, item=kind, item_id=iid,
                                                     assignee_id=actor.id), "aml.notice.taken")

    @rx.event
    def release(self, kind: Any, item_id: Any):
        iid = whole_number(item_id)
        if kind not in ("hit", "case") or iid is None:
            return None
        return self._do(lambda uow, actor: aml.assign(uow=uow, actor=actor, item=kind, item_id=iid, assignee_id=None),
                        "aml.notice.released")

    @rx.event
    def dispose(self, form_data: Any):
        """The selected hit: {"disposition": true_positive | false_positive, "reason"}."""
        form = form_data if isinstance(form_data, dict) else {}
        if self.sel_kind != "hit" or not self.sel_id:
            return None
        hid = int(self.sel_id)
        return self._do(lambda uow, actor: aml.dispose_hit(uow=uow, actor=actor, hit_id=hid,
                                                          disposition=form.get("disposition"),
                                                          reason=form.get("reason")), "aml.notice.decided")

    @rx.event
    def add_note(self, form_data: Any):
        form = form_data if isinstance(form_data, dict) else {}
        if self.sel_kind != "case" or not self.sel_id:
            return None
        cid = int(self.sel_id)
        return self._do(lambda uow, actor: aml.add_case_note(uow=uow, actor=actor, case_id=cid, text=form.get("text")),
                        "aml.notice.noted")

    @rx.event
    def decide_case(self, form_data: Any):
        """The selected case: {"outcome": close | report, "reason"}."""
        form = form_data if isinstance(form_data, dict) else {}
        if self.sel_kind != "case" or not self.sel_id or form.get("outcome") not in ("close", "report"):
            return None
        cid, outcome = int(self.sel_id), form.get("outcome")
        use_case = aml.report_case if outcome == "report" else aml.close_case
        return self._do(lambda uow, actor: use_case(uow=uow, actor=actor, case_id=cid, reason=form.get("reason")),
                        "aml.notice.reported" if outcome == "report" else "aml.notice.closed")

    @rx.event
    def download_report(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if self.sel_kind != "case" or not self.sel_id:
            return None
        try:
            with unit_of_work() as uow:
                name, data = aml.download_report(uow=uow, actor=actor, case_id=int(self.sel_id))
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        return rx.download(data=data, filename=name)

    # ---------------------------------------------------------------- re-screening

    @rx.event
    def rescreen_all(self):
        """Queue the re-screening of every customer (the scheduler works through it; the page shows progress)."""
        out = self._do(lambda uow, actor: aml.request_rescreen(uow=uow, actor=actor), "aml.notice.rescreen")
        if self.run.get("active") and not self.watching:
            return AmlState.watch_run
        return out

    @rx.event(background=True)
    async def watch_run(self):
        """Follow the latest re-screening run while it works (best effort); when it is done the queue reloads
        through the ordinary handler (database work never runs on the event loop)."""
        async with self:
            if self.watching:
                return
            actor, _ = self._actor_or_redirect()
            if actor is None:
                return
            self.watching = True
            loc = self._locale()
        done = False
        try:
            for _ in range(WATCH_LIMIT):
                await asyncio.sleep(POLL_SECONDS)
                try:
                    runs = await asyncio.to_thread(_latest_run, actor)
                except DomainError:
                    return
                async with self:
                    self._show_run(runs[0] if runs else None, loc)
                    if not self.run.get("active"):
                        done = True
                        break
        finally:
            async with self:
                self.watching = False
        if done:
            yield AmlState.load


def _latest_run(actor):
    with unit_of_work(readonly=True) as uow:
        return aml.rescreen_progress(uow=uow, actor=actor, limit=1)
