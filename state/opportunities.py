"""The 360 page's pipeline card (issue 13): the customer's opportunities (open first), opening one, moving it through
the stages, winning or losing it with a reason; and the customer's next-best-actions, marked done or dismissed.

Thin: services/opportunities/service.py and services/analytics/nba.py decide who may do what (the customer's scope,
the opportunity.write permission, optimistic versions); here only what the card offered is accepted.
"""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services.analytics import nba as nba_service
from services.db import unit_of_work
from services.errors import ConcurrentModification, DomainError
from services.i18n import format_date, format_money, translate
from services.opportunities import service as opp_service
from services.opportunities.models import LOST_REASONS, WON_REASONS
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")
PRODUCT_TYPES = ("deposit", "wealth", "fund", "bond", "equity", "insurance", "loan")
STAGES = ("lead", "qualified", "proposal")


class OpportunitiesState(DataState):
    rows: list[dict[str, Any]] = []  # {id, title, type, amount, stage, stage_label, closed, expected, owner, moves}
    suggestions: list[dict[str, str]] = []  # {id, kind, reason, due}
    error: str = ""
    form_open: bool = False
    closing: str = ""  # the id of the opportunity being won or lost
    closing_outcome: str = ""  # won | lost
    reasons: list[dict[str, str]] = []  # {value, label} for the outcome chosen
    editing: str = ""  # the id of the opportunity being edited
    edit_values: dict[str, str] = {}  # the edit form's values: {subject, product_type, product_code, amount, expected_close}
    edit_error: str = ""
    edit_key: int = 0  # bumped to refill the form (after a conflict: the current values)
    _customer_id: int = 0
    _versions: dict[str, int] = {}
    _raw: dict[str, dict[str, str]] = {}  # each open opportunity's editable values, as the edit form shows them
    _edit_version: int = 0  # the version the edit form was filled from

    def _purge(self) -> None:
        self.rows, self.suggestions, self.reasons = [], [], []
        self.error = self.closing = self.closing_outcome = ""
        self.form_open = False
        self._close_edit()
        self._customer_id = 0
        self._versions = {}
        self._raw = {}

    def _close_edit(self) -> None:
        self.editing = self.edit_error = ""
        self.edit_values = {}
        self._edit_version = 0

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        return whole_number(match.group(1), low=1, high=2**62) if match else None

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        cid = self._customer_id
        try:
            with unit_of_work(readonly=True) as uow:
                found = opp_service.customer_opportunities(uow=uow, actor=actor, customer_id=cid)
                actions = nba_service.suggestions(uow=uow, actor=actor, customer_id=cid, limit=10)
        except DomainError:
            self.rows, self.suggestions = [], []  # CustomerState shows the refusal for the whole page
            return
        self._versions = {str(o.id): o.version for o in found}
        self._raw = {str(o.id): {
            "subject": o.title, "product_type": o.product_type or "", "product_code": o.product_code or "",
            "amount": format(o.amount, "f"), "expected_close": o.expected_close.isoformat() if o.expected_close else ""}
            for o in found if o.stage not in ("won", "lost")}
        self.rows = [{
            "id": str(o.id), "title": o.title,
            "type": label(f"product.{o.product_type}", loc) if o.product_type else "",
            "amount": format_money(o.amount, o.currency, loc), "stage": o.stage,
            "stage_label": label(f"dash.stage.{o.stage}", loc),
            "closed": o.stage in ("won", "lost"),
            "detail": " · ".join(x for x in (
                label("opp.expected", loc, date=format_date(o.expected_close, loc)) if o.expected_close else "",
                label(f"opp.reason.{o.close_reason}", loc) if o.close_reason else "", o.owner_name) if x),
            "moves": [{"stage": s, "label": label(f"dash.stage.{s}", loc)} for s in o.next_stages],
        } for o in found]
        self.suggestions = [{
            "id": str(a.id), "kind": label(f"dash.nba.{a.kind}", loc),
            "reason": translate(a.reason, loc, **{k: ("—" if v is None else label(f"product.{v}", loc)
                                                      if k == "product_type" else v) for k, v in a.params.items()}),
            "due": format_date(a.due_on, loc) if a.due_on else ""} for a in actions]

    @rx.event
    def load(self):
        """On the 360 page's load and language switch (after CustomerState.load)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        cid = self._route_customer_id()
        self._purge()
        self._mark_loaded(actor)
        if cid is None:
            return None
        self._customer_id = cid
        self._fetch(actor)
        return None

    def _act(self, fn, done_key: str, **kwargs: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self._customer_id:
            return None
        try:
            with unit_of_work() as uow:
                fn(uow=uow, actor=actor, **kwargs)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            self._fetch(actor)
            return rx.toast.error(self.error, id="opp-toast")
        self.error = ""
        self.form_open = False
        self.closing = self.closing_outcome = ""
        self.reasons = []
        self._fetch(actor)
        return rx.toast.success(label(done_key, loc), id="opp-toast")

    @rx.event
    def toggle_form(self):
        self.form_open = not self.form_open
        self.error = ""

    @rx.event
    def create(self, form: Any):
        """The new opportunity form: {subject, product_type, amount, expected_close, stage}."""
        if not isinstance(form, dict) or len(form) > 24:  # the fields by name, and again by element id
            return None
        data = {"subject": form.get("subject", ""), "amount": form.get("amount", ""),
                "stage": form.get("stage") or "lead"}
        if form.get("product_type"):
            data["product_type"] = form.get("product_type")
        if form.get("expected_close"):
            data["expected_close"] = form.get("expected_close")
        return self._act(opp_service.create_opportunity, "opp.created", customer_id=self._customer_id, data=data)

    def _offered(self, opportunity_id: Any) -> tuple[int, int] | None:
        oid = whole_number(opportunity_id, low=1, high=2**31 - 1)
        if oid is None or str(oid) not in self._versions:
            return None
        return oid, self._versions[str(oid)]

    @rx.event
    def move(self, opportunity_id: Any, stage: Any):
        offered = self._offered(opportunity_id)
        row = next((r for r in self.rows if r["id"] == str(opportunity_id)), None)
        if offered is None or row is None or stage not in {m["stage"] for m in row["moves"]}:
            return None
        oid, version = offered
        return self._act(opp_service.move_opportunity, "opp.moved", opportunity_id=oid, version=version, stage=stage)

    def _fill_edit(self, oid: str) -> None:
        self.editing = oid
        self.edit_values = dict(self._raw[oid])
        self._edit_version = self._versions[oid]
        self.edit_key += 1

    @rx.event
    def start_edit(self, opportunity_id: Any):
        """Open the edit form of an open opportunity, filled with what the card shows (and its version)."""
        if self._offered(opportunity_id) is None or str(opportunity_id) not in self._raw:
            return None
        self.closing = self.closing_outcome = ""
        self.reasons = []
        self.edit_error = self.error = ""
        self._fill_edit(str(opportunity_id))
        return None

    @rx.event
    def cancel_edit(self):
        self._close_edit()

    @rx.event
    def save_edit(self, form: Any):
        """The edit form: {subject, product_type, product_code, amount, expected_close}, against the version the form
        was filled from. A change made meanwhile by someone else: the form shows the current values and says so."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        offered = self._offered(self.editing)
        if offered is None or not self._edit_version or not isinstance(form, dict) or len(form) > 24:
            return None
        oid, _current = offered
        loc = self._locale()
        data = {k: form.get(k, "") for k in ("subject", "product_type", "product_code", "amount", "expected_close")}
        if not all(isinstance(v, str) for v in data.values()):
            return None
        try:
            with unit_of_work() as uow:
                opp_service.edit_opportunity(uow=uow, actor=actor, opportunity_id=oid, version=self._edit_version,
                                             data=data)
                uow.commit()
        except ConcurrentModification:
            self._fetch(actor)
            if str(oid) in self._raw:
                self._fill_edit(str(oid))  # the current values, to edit again
                self.edit_error = label("opp.edit_conflict", loc)
            else:
                self._close_edit()
                self.error = label("opp.edit_conflict_closed", loc)
            return rx.toast.error(label("opp.edit_conflict", loc), id="opp-toast")
        except DomainError as exc:
            self.edit_error = exc.message(loc)
            self.edit_values = data  # what was typed stays in the form
            self.edit_key += 1
            return None
        self._close_edit()
        self.error = ""
        self._fetch(actor)
        return rx.toast.success(label("opp.edited", loc), id="opp-toast")

    @rx.event
    def start_close(self, opportunity_id: Any, outcome: Any):
        if self._offered(opportunity_id) is None or outcome not in ("won", "lost"):
            return None
        loc = self._locale()
        self.closing, self.closing_outcome = str(opportunity_id), outcome
        self._close_edit()
        choices = WON_REASONS if outcome == "won" else LOST_REASONS
        self.reasons = [{"value": r.value, "label": label(f"opp.reason.{r.value}", loc)} for r in choices]
        self.error = ""
        return None

    @rx.event
    def cancel_close(self):
        self.closing = self.closing_outcome = ""
        self.reasons = []

    @rx.event
    def close(self, form: Any):
        """The win / lose form: {close_reason, close_note}."""
        offered = self._offered(self.closing)
        if offered is None or self.closing_outcome not in ("won", "lost") or not isinstance(form, dict):
            return None
        oid, version = offered
        return self._act(opp_service.close_opportunity, f"opp.{self.closing_outcome}", opportunity_id=oid,
                         version=version, data={"outcome": self.closing_outcome,
                                                "close_reason": form.get("close_reason", ""),
                                                "close_note": form.get("close_note") or None})

    def _suggestion(self, action_id: Any) -> int | None:
        aid = whole_number(action_id, low=1, high=2**31 - 1)
        return aid if aid is not None and str(aid) in {a["id"] for a in self.suggestions} else None

    @rx.event
    def suggestion_done(self, action_id: Any):
        aid = self._suggestion(action_id)
        if aid is None:
            return None
        return self._act(nba_service.decide, "dash.nba_done", action_id=aid, outcome="done")

    @rx.event
    def suggestion_dismiss(self, action_id: Any):
        aid = self._suggestion(action_id)
        if aid is None:
            return None
        return self._act(nba_service.decide, "dash.nba_dismissed", action_id=aid, outcome="dismissed")
