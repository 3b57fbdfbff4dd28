"""/underwriting: the insurance proposals of the actor's scope - the list by status, one case with its health
answers, triage, the step waiting and the decisions; a new proposal (the customer found by name, pinyin or last 4)
with its health questionnaire, and a returned one completed and resubmitted. Thin: services.underwriting decides."""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.customers import service as customers
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_datetime, format_money, translate
from services.security.policy import Permission, permits
from services.underwriting import service as underwriting
from services.underwriting.models import CaseStatus
from services.underwriting.service import CONDITIONS
from services.validation.input import whole_number
from state.approvals import step_name
from state.i18n import label
from state.session import DataState

FILTERS = ("", "referred", "returned", "accepted", "declined", "withdrawn")
_LABEL = {"product_type": "uw.cover", "sum_insured": "uw.sum_insured", "height_cm": "uw.height",
          "weight_kg": "uw.weight", "conditions": "uw.conditions", "customer_id": "loans.customer"}


class UnderwritingState(DataState):
    status: str = ""
    rows: list[dict[str, str]] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""
    selected: str = ""
    heading: str = ""
    facts: list[dict[str, str]] = []
    waiting: str = ""
    decisions: list[dict[str, str]] = []
    can_revise: bool = False
    can_withdraw: bool = False
    values: dict[str, str] = {}
    form: str = ""  # "" | "new" | "revise"
    form_error: str = ""
    found: list[dict[str, str]] = []
    customer_id: str = ""
    customer_name: str = ""
    _version: int = 0

    def _purge(self) -> None:
        self.status, self.rows, self.loaded, self.error, self.notice = "", [], False, "", ""
        self._close()
        self._close_form()

    def _close(self) -> None:
        self.selected = self.heading = self.waiting = ""
        self.facts, self.decisions = [], []
        self.can_revise = self.can_withdraw = False
        self._version = 0

    def _close_form(self) -> None:
        self.form = self.form_error = self.customer_id = self.customer_name = ""
        self.found, self.values = [], {}

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                found = underwriting.list_cases(uow=uow, actor=actor, status=self.status or None, limit=100)
        except DomainError as exc:
            self.rows, self.error, self.loaded = [], exc.message(loc), True
            self._mark_loaded(actor)
            return
        self.rows = [{"id": str(r["id"]), "ref": r["ref"], "customer": r["customer_name"],
                      "cover": label(f"uw.cover.{r['product_type']}", loc),
                      "amount": format_money(r["sum_insured"], "CNY", loc), "status": r["status"],
                      "status_text": translate(f"underwriting.status.{r['status']}", loc),
                      "when": format_datetime(r["submitted_at"], loc)} for r in found]
        self.error, self.loaded = "", True
        self._mark_loaded(actor)

    def _open(self, actor: Any, case_id: int) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                v = underwriting.get_case(uow=uow, actor=actor, case_id=case_id)
        except DomainError as exc:
            self._close()
            self.error = exc.message(loc)
            return
        q = v.questionnaire
        self.selected, self._version = str(v.id), v.version
        self.heading = f"{v.ref} · {v.customer_name} · {translate(f'underwriting.status.{v.status}', loc)}"
        answers = [translate(f"underwriting.condition.{c}", loc) for c in q.get("conditions", [])]
        if q.get("smoker"):
            answers.append(label("uw.smoker", loc))
        if q.get("hospitalised"):
            answers.append(label("uw.hospitalised", loc))
        self.facts = [{"label": label(k, loc), "value": val} for k, val in (
            ("uw.cover", label(f"uw.cover.{v.product_type}", loc)),
            ("uw.sum_insured", format_money(v.sum_insured, "CNY", loc)),
            ("uw.age_bmi", f"{v.age} / {v.bmi}"), ("uw.conditions", "、".join(answers) if answers else "—"),
            ("uw.triage", translate(f"underwriting.triage.{v.triage}", loc) if v.triage else "—"))]
        self.waiting = "、".join(
            step_name(s["step_id"], s["step_name"], loc)
            + (f"（{'、'.join(translate(f'role.{r}', loc) for r in s['roles'])}）" if s["roles"] else "")
            for s in v.current_steps)
        self.decisions = [{"when": format_datetime(d["at"], loc), "who": d["by"],
                           "decision": translate(f"workflow.decision.{d['decision']}", loc), "comment": d["comment"]}
                          for d in v.decisions]
        may = permits(actor, Permission.UNDERWRITING_SUBMIT)
        self.can_revise = may and v.status == CaseStatus.RETURNED
        self.can_withdraw = may and v.status in (CaseStatus.REFERRED, CaseStatus.RETURNED)
        self.values = {"product_type": v.product_type, "sum_insured": f"{v.sum_insured:.2f}",
                       "height_cm": str(q.get("height_cm", "")), "weight_kg": str(q.get("weight_kg", "")),
                       "smoker": "1" if q.get("smoker") else "", "hospitalised": "1" if q.get("hospitalised") else "",
                       **{f"cond_{c}": "1" for c in q.get("conditions", [])}}

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        if self.selected:
            self._open(actor, int(self.selected))
        return None

    @rx.event
    def load(self):
        self._close()
        self._close_form()
        self.notice = ""
        return self._refresh()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._refresh()

    @rx.event
    def set_status(self, status: Any):
        if status in FILTERS:
            self.status = status
        return self._refresh()

    @rx.event
    def open_case(self, case_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        wanted = whole_number(case_id, low=1, high=2**31 - 1)
        self.notice = ""
        self._close_form()
        if wanted:
            self._open(actor, wanted)
        return None

    @rx.event
    def close_case(self):
        self._close()
        self._close_form()

    @rx.event
    def new_case(self):
        self._close()
        self._close_form()
        self.notice = ""
        self.form = "new"
        self.values = {"product_type": "health"}

    @rx.event
    def revise(self):
        if self.can_revise:
            self.form, self.form_error = "revise", ""

    @rx.event
    def cancel_form(self):
        self._close_form()
        return self._refresh() if self.selected else None

    @rx.event
    def find_customer(self, value: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if not isinstance(value, str) or len(value) > 60:
            return None
        query = value.strip()
        if not query:
            self.found = []
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                page = customers.search_customers(uow=uow, actor=actor, query=query, page=1, page_size=8)
        except DomainError as exc:
            self.found, self.form_error = [], exc.message(self._locale())
            return None
        self.found = [{"id": str(c.id), "name": c.name, "detail": " · ".join(x for x in (c.customer_no, c.phone) if x)}
                      for c in page.items]
        return None

    @rx.event
    def choose_customer(self, customer_id: Any):
        cid = whole_number(customer_id, low=1, high=2**31 - 1)
        chosen = next((f for f in self.found if cid is not None and f["id"] == str(cid)), None)
        if chosen is not None:
            self.customer_id, self.customer_name, self.found = chosen["id"], chosen["name"], []

    @staticmethod
    def _data(form: Any) -> dict:
        if not isinstance(form, dict) or len(form) > 30:
            raise ValidationFailed([FieldError("input", "value.wrong_type")])
        text = {k: form.get(k).strip() for k in ("product_type", "sum_insured", "weight_kg", "height_cm")
                if isinstance(form.get(k), str) and form.get(k).strip()}
        data: dict[str, Any] = {k: v for k, v in text.items() if k != "height_cm"}
        if "height_cm" in text:
            height = whole_number(text["height_cm"], low=0, high=1000)
            data["height_cm"] = height if height is not None else text["height_cm"]
        data["smoker"] = bool(form.get("smoker"))
        data["hospitalised"] = bool(form.get("hospitalised"))
        data["conditions"] = [c for c in CONDITIONS if form.get(f"cond_{c}")]
        return data

    @rx.event
    def submit(self, form: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        try:
            data = self._data(form)
            with unit_of_work() as uow:
                if self.form == "revise":
                    view = underwriting.resubmit_case(uow=uow, actor=actor, case_id=int(self.selected),
                                                      version=self._version, data=data)
                elif self.form == "new":
                    cid = whole_number(self.customer_id, low=1, high=2**31 - 1)
                    if cid is None:
                        raise ValidationFailed([FieldError("customer_id", "value.required")])
                    view = underwriting.submit_case(uow=uow, actor=actor, customer_id=cid, data=data)
                else:
                    return None
                uow.commit()
        except DomainError as exc:
            if isinstance(exc, ValidationFailed) and exc.errors:
                self.form_error = "；".join(f"{label(_LABEL.get(e.field, e.field), loc)}: "
                                           f"{translate(e.code, loc, **e.params)}" for e in exc.errors)
            else:
                self.form_error = exc.message(loc)
            return None
        key = "uw.resubmitted" if self.form == "revise" else "uw.submitted"
        self._close_form()
        self.notice = label(key, loc, ref=view.ref, triage=translate(f"underwriting.triage.{view.triage}", loc))
        self._fetch(actor)
        self._open(actor, view.id)
        return None

    @rx.event
    def withdraw(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        case_id = whole_number(self.selected, low=1, high=2**31 - 1)
        if case_id is None or not self.can_withdraw:
            return None
        try:
            with unit_of_work() as uow:
                view = underwriting.withdraw_case(uow=uow, actor=actor, case_id=case_id)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        self.notice = label("uw.withdrawn", loc, ref=view.ref)
        self._fetch(actor)
        self._open(actor, view.id)
        return None
