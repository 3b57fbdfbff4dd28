"""/loans: the loan applications of the actor's scope - the list by status, one application with its checks,
the steps waiting (and the roles that may act) and the decisions; the RM's new application (the customer found
by name, pinyin or last 4), the revision of a returned one, withdrawal, and the decision letter. Thin: the rules
are services.loans' and services.workflows'."""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.customers import service as customers
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_datetime, format_money, translate
from services.loans import service as loans
from services.loans.models import LoanStatus
from services.security.policy import Permission, permits
from services.validation.input import whole_number
from state.approvals import step_name
from state.i18n import label
from state.session import DataState

FILTERS = ("", "in_review", "returned", "approved", "rejected", "withdrawn")
FIELDS = ("product_type", "purpose", "amount", "term_months", "collateral_type", "collateral_value",
          "collateral_description", "monthly_income", "monthly_debt_payments", "credit_rating")


def _field_errors(exc: DomainError, loc: str) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "；".join(f"{label('loans.' + _FIELD_LABEL.get(e.field, e.field), loc)}: "
                        f"{translate(e.code, loc, **e.params)}" for e in exc.errors)
    return exc.message(loc)


_FIELD_LABEL = {"product_type": "product", "purpose": "purpose", "amount": "amount", "term_months": "term",
                "collateral_type": "collateral", "collateral_value": "collateral_value",
                "collateral_description": "collateral_description", "monthly_income": "income",
                "monthly_debt_payments": "debts", "credit_rating": "rating", "customer_id": "customer"}


class LoansState(DataState):
    status: str = ""
    rows: list[dict[str, str]] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""
    # one application
    selected: str = ""
    heading: str = ""
    facts: list[dict[str, str]] = []
    checks: list[dict[str, str]] = []
    waiting: str = ""
    decisions: list[dict[str, str]] = []
    letter_href: str = ""
    can_revise: bool = False
    can_withdraw: bool = False
    values: dict[str, str] = {}  # the form's starting values (a revision starts from the application)
    # the form: "" | "new" | "revise"
    form: str = ""
    form_error: str = ""
    query: str = ""
    found: list[dict[str, str]] = []
    customer_id: str = ""
    customer_name: str = ""
    _version: int = 0

    def _purge(self) -> None:
        self.status, self.rows, self.loaded, self.error, self.notice = "", [], False, "", ""
        self._close()
        self._close_form()

    def _close(self) -> None:
        self.selected = self.heading = self.waiting = self.letter_href = ""
        self.facts, self.checks, self.decisions = [], [], []
        self.can_revise = self.can_withdraw = False
        self._version = 0

    def _close_form(self) -> None:
        self.form = self.form_error = self.query = self.customer_id = self.customer_name = ""
        self.found, self.values = [], {}

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                found = loans.list_applications(uow=uow, actor=actor, status=self.status or None, limit=100)
        except DomainError as exc:
            self.rows, self.error, self.loaded = [], exc.message(loc), True
            self._mark_loaded(actor)
            return
        self.rows = [{"id": str(r.id), "ref": r.ref, "customer": r.customer_name,
                      "product": translate(f"product.{r.product_type}", loc),
                      "amount": format_money(r.amount, "CNY", loc), "status": r.status,
                      "status_text": translate(f"loan.status.{r.status}", loc), "grade": r.risk_grade or "",
                      "when": format_datetime(r.submitted_at, loc)} for r in found]
        self.error, self.loaded = "", True
        self._mark_loaded(actor)

    def _open(self, actor: Any, app_id: int) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                v = loans.get_application(uow=uow, actor=actor, application_id=app_id)
        except DomainError as exc:
            self._close()
            self.error = exc.message(loc)
            return
        self.selected, self._version = str(v.id), v.version
        self.heading = f"{v.ref} · {v.customer_name} · {translate(f'loan.status.{v.status}', loc)}"
        self.facts = [{"label": label(k, loc), "value": val} for k, val in (
            ("loans.product", translate(f"product.{v.product_type}", loc)),
            ("loans.amount", format_money(v.amount, "CNY", loc)), ("loans.term", str(v.term_months)),
            ("loans.purpose", v.purpose),
            ("loans.collateral", translate(f"loan.collateral.{v.collateral_type}", loc)
             + (f" · {format_money(v.collateral_value, 'CNY', loc)}" if v.collateral_value else "")),
            ("loans.income", format_money(v.monthly_income, "CNY", loc) if v.monthly_income else "—"),
            ("loans.debts", format_money(v.monthly_debt_payments, "CNY", loc)))]
        ch = v.checks
        fraud = [translate(f"loan.fraud.{f}", loc) for f in ch.get("fraud_flags", [])]
        self.checks = [
            {"label": label("approvals.check.score", loc), "value": f"{v.score} · {v.risk_grade}"},
            {"label": label("approvals.check.dti", loc), "value": f"{float(ch.get('dti', 0)) * 100:.1f}%"},
            {"label": label("approvals.check.fraud", loc),
             "value": "；".join(fraud) if fraud else label("approvals.check.fraud_none", loc)},
            {"label": label("approvals.check.aml", loc), "value": translate(f"loan.aml.{ch.get('aml_status')}", loc)},
        ]
        self.waiting = label("loans.waiting", loc, steps="、".join(
            step_name(s.step_id, s.step_name, loc) + (f"（{'、'.join(translate(f'role.{r}', loc) for r in s.roles)}）"
                                                    if s.roles else "") for s in v.current_steps)) \
            if v.current_steps else ""
        self.decisions = [{"when": format_datetime(d.at, loc), "step": step_name(d.step_id, d.step_name, loc),
                           "who": d.by + (f"（{translate(f'role.{d.acted_as}', loc)}）" if d.acted_as else ""),
                           "decision": translate(f"workflow.decision.{d.decision}", loc), "comment": d.comment}
                          for d in v.decisions]
        self.letter_href = f"/documents/loan-letter/{v.id}" if v.letter_available else ""
        may_apply = permits(actor, Permission.LOAN_APPLY)
        self.can_revise = may_apply and v.status == LoanStatus.RETURNED
        self.can_withdraw = may_apply and v.status in (LoanStatus.IN_REVIEW, LoanStatus.RETURNED)
        self.values = {"product_type": v.product_type, "purpose": v.purpose, "amount": f"{v.amount:.2f}",
                       "term_months": str(v.term_months), "collateral_type": v.collateral_type,
                       "collateral_value": f"{v.collateral_value:.2f}" if v.collateral_value else "",
                       "collateral_description": v.collateral_description,
                       "monthly_income": f"{v.monthly_income:.2f}" if v.monthly_income else "",
                       "monthly_debt_payments": f"{v.monthly_debt_payments:.2f}", "credit_rating": v.credit_rating}

    def _refresh(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        if self.selected:
            self._open(actor, int(self.selected))
        return None

    # ------------------------------------------------------------ events

    @rx.event
    def load(self):
        self._close()
        self._close_form()
        self.notice = ""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._fetch(actor)
        try:
            raw = (self.router.url.query_parameters or {}).get("id", "")
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
    def set_status(self, status: Any):
        if status in FILTERS:
            self.status = status
        return self._refresh()

    @rx.event
    def open_application(self, app_id: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        wanted = whole_number(app_id, low=1, high=2**31 - 1)
        self.notice = ""
        self._close_form()
        if wanted:
            self._open(actor, wanted)
        return None

    @rx.event
    def close_application(self):
        self._close()
        self._close_form()

    @rx.event
    def new_application(self):
        self._close()
        self._close_form()
        self.notice = ""
        self.form = "new"
        self.values = {"product_type": "personal", "collateral_type": "none", "credit_rating": "none",
                       "monthly_debt_payments": "0"}

    @rx.event
    def revise(self):
        if self.can_revise:
            self.form = "revise"
            self.form_error = ""

    @rx.event
    def cancel_form(self):
        self._close_form()
        if self.selected:
            return self._refresh()
        return None

    @rx.event
    def find_customer(self, value: Any):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if not isinstance(value, str) or len(value) > 60:
            return None
        query = value.strip()
        self.query = query
        if len(query) < 1:
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

    def _data(self, form: Any) -> dict:
        if not isinstance(form, dict) or len(form) > 30:
            raise ValidationFailed([FieldError("input", "value.wrong_type")])
        data: dict[str, Any] = {}
        for key in FIELDS:
            v = form.get(key)
            if isinstance(v, str) and v.strip() != "":
                data[key] = v.strip()
        if "term_months" in data:
            term = whole_number(data["term_months"], low=0, high=10_000)
            data["term_months"] = term if term is not None else data["term_months"]
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
                    view = loans.resubmit_application(uow=uow, actor=actor, application_id=int(self.selected),
                                                      version=self._version, data=data)
                elif self.form == "new":
                    cid = whole_number(self.customer_id, low=1, high=2**31 - 1)
                    if cid is None:
                        raise ValidationFailed([FieldError("customer_id", "value.required")])
                    view = loans.submit_application(uow=uow, actor=actor, customer_id=cid, data=data)
                else:
                    return None
                uow.commit()
        except DomainError as exc:
            self.form_error = _field_errors(exc, loc)
            return None
        key = "loans.resubmitted" if self.form == "revise" else "loans.submitted"
        route = label(f"approvals.route.{view.route}", loc) if view.route else ""
        self._close_form()
        self.notice = label(key, loc, ref=view.ref, route=route)
        self._fetch(actor)
        self._open(actor, view.id)
        return None

    @rx.event
    def withdraw(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        app_id = whole_number(self.selected, low=1, high=2**31 - 1)
        if app_id is None or not self.can_withdraw:
            return None
        try:
            with unit_of_work() as uow:
                view = loans.withdraw_application(uow=uow, actor=actor, application_id=app_id)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        self.notice = label("loans.withdrawn", loc, ref=view.ref)
        self._fetch(actor)
        self._open(actor, view.id)
        return None
