"""Sales pages for staff: a new sale (suitability check first), one sale (signature, recording, review,
cancellation), and the lists (my sales, compliance's review queues).

Every handler resolves the actor from the session cookie; the sale or customer comes from the URL, never from
an argument; the services check permission, scope and the sale's step. Display data is held in both languages.
The customer's signature (strokes and image) stays backend-only until the signing step sends it to the service.
"""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime, format_money
from services.security.policy import Permission, permits
from services.suitability import recordings, sales, service
from services.suitability.views import SaleView
from state.i18n import label
from state.session import DataState

_SALE_PATH = re.compile(r"^/sales/(\d{1,10})/?$")
MAX_SIGNATURE_CHARS = 700_000
STEP_ORDER = ("awaiting_signature", "recording_pending", "review_pending", "cooling_off", "effective")


def _two(key: str, **params: Any) -> dict[str, str]:
    return {"zh": label(key, "zh_CN", **params), "en": label(key, "en", **params)}


def sale_display(s: SaleView) -> dict[str, str]:
    out = {"id": str(s.id), "customer_id": str(s.customer_id), "customer": s.customer_name,
           "customer_href": f"/customers/{s.customer_id}", "product_code": s.product_code,
           "product": s.product_name, "product_en": s.product_name_en, "risk": s.product_risk_level,
           "amount": format_money(s.amount, s.currency, "zh_CN"), "amount_en": format_money(s.amount, s.currency, "en"),
           "status": s.status, "verdict": s.verdict, "regime": s.regime, "version": str(s.version),
           "disclosure_id": str(s.disclosure_document_id or ""), "sha256": s.disclosure_sha256 or "",
           "recording_status": s.recording_status or ""}
    for loc, sfx in (("zh_CN", "zh"), ("en", "en")):
        out[f"status_{sfx}"] = label(f"sale.status.{s.status}", loc)
        out[f"verdict_{sfx}"] = label(f"sale.verdict.{s.verdict}", loc)
        out[f"regime_{sfx}"] = label(f"sale.regime.{s.regime}", loc)
        out[f"created_{sfx}"] = format_datetime(s.created_at, loc)
        out[f"signed_{sfx}"] = format_datetime(s.signed_at, loc) if s.signed_at else ""
        out[f"cooling_{sfx}"] = format_datetime(s.cooling_off_until, loc) if s.cooling_off_until else ""
        out[f"effective_{sfx}"] = format_datetime(s.effective_at, loc) if s.effective_at else ""
    return out


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} KB"


def step_rows(s: SaleView) -> list[dict[str, str]]:
    """The sale's path: each step done, current, to come, or not needed."""
    needs = {r.requirement for r in s.requirements}
    steps = [("proposal", True), ("signature", True), ("recording", "recording" in needs),
             ("review", "compliance_review" in needs), ("cooling_off", True), ("effective", True)]
    current = {"awaiting_signature": "signature", "recording_pending": "recording", "review_pending": "review",
               "cooling_off": "cooling_off", "effective": "effective"}.get(s.status)
    order = [k for k, _ in steps]
    rows = []
    for key, needed in steps:
        if not needed:
            state = "skipped"
        elif s.status in ("cancelled", "rejected"):
            state = "done" if key == "proposal" or (key == "signature" and s.signed_at) else "stopped"
        elif current is None or order.index(key) < order.index(current):
            state = "done"
        elif key == current:
            state = "done" if key == "effective" else "current"
        else:
            state = "todo"
        rows.append({"key": key, "state": state, **{f"label_{k}": v for k, v in _two(f"sale.step.{key}").items()}})
    return rows


class SaleState(DataState):
    """/sales/<id>: the sale, its checks, the customer's signature, its recording and review."""

    found: bool = False
    page_error: str = ""
    sale: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    checks: list[dict[str, str]] = []
    statements: list[dict[str, str]] = []  # {rule, text, text_en, confirmed}
    recordings: list[dict[str, str]] = []
    checklist: list[dict[str, str]] = []
    warning_needed: bool = False
    acknowledged: bool = False
    signed: bool = False
    can_sign: bool = False
    can_upload: bool = False
    can_review: bool = False
    can_cancel: bool = False
    action_error: str = ""
    max_bytes: int = 0
    _sale_id: int = 0
    _version: int = 0
    _signature: dict = {}

    def _purge(self) -> None:
        self.found, self.page_error, self.action_error = False, "", ""
        self.sale, self.steps, self.checks, self.statements, self.recordings, self.checklist = {}, [], [], [], [], []
        self.warning_needed = self.acknowledged = self.signed = False
        self.can_sign = self.can_upload = self.can_review = self.can_cancel = False
        self._sale_id = self._version = 0
        self._signature = {}

    def _route_sale_id(self) -> int | None:
        match = _SALE_PATH.match(self._current_path())
        return int(match.group(1)) if match and 0 < int(match.group(1)) < 2**31 else None

    def _show(self, actor: Any, detail: sales.SaleDetail) -> None:
        s = detail.sale
        self.sale = sale_display(s)
        self.steps = step_rows(s)
        self.checks = [{"verdict": c.verdict, "purpose": c.purpose, "zh": "；".join(r.zh_CN for r in c.reasons),
                        "verdict_zh": label(f"sale.verdict.{c.verdict}", "zh_CN"),
                        "verdict_en": label(f"sale.verdict.{c.verdict}", "en"),
                        "en": "; ".join(r.en for r in c.reasons),
                        "at_zh": format_datetime(c.checked_at, "zh_CN"), "at_en": format_datetime(c.checked_at, "en")}
                       for c in detail.checks]
        self.statements = [{"rule": r.rule, "text": r.statement or r.name, "text_en": r.statement_en or r.name_en,
                            "confirmed": ""} for r in s.requirements if r.requirement == "extra_confirmation"]
        self.recordings = [{"id": str(r.id), "status": r.status, "filename": r.filename,
                            "size": _size(r.declared_size), "sha256": r.sha256 or "",
                            "media": r.media_type or "", "note": r.review_note or "",
                            "src": f"/recordings/{r.id}/media" if r.sha256 else "",
                            "status_zh": label(f"rec.status.{r.status}", "zh_CN"),
                            "status_en": label(f"rec.status.{r.status}", "en")} for r in detail.recordings]
        self.checklist = detail.checklist
        self.warning_needed = s.verdict == "warning_required" and s.status == "awaiting_signature"
        self._version = s.version
        self.can_sign = s.status == "awaiting_signature" and permits(actor, Permission.SALE_PROPOSE)
        self.can_upload = s.status == "recording_pending" and permits(actor, Permission.SALE_PROPOSE) \
            and not any(r.status == "submitted" for r in detail.recordings)
        self.can_review = permits(actor, Permission.SALE_REVIEW)
        self.can_cancel = s.can_cancel and permits(actor, Permission.SALE_PROPOSE)
        self.max_bytes = recordings.max_bytes()
        self.found = True

    def _reload(self, actor: Any) -> None:
        with unit_of_work(readonly=True) as uow:
            detail = sales.sale_detail(uow=uow, actor=actor, sale_id=self._sale_id)
        self._show(actor, detail)

    def _ready(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return None, redirect
        self._mark_loaded(actor)
        if not self.found or self._sale_id <= 0:
            return None, None
        return actor, None

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        sale_id = self._route_sale_id()
        self._purge()
        self._mark_loaded(actor)
        if sale_id is None:
            self.page_error = label("sale.not_found", self._locale())
            return None
        self._sale_id = sale_id
        try:
            self._reload(actor)
        except DomainError as exc:
            self._purge()
            self._mark_loaded(actor)
            self.page_error = exc.message(self._locale())
        return None

    @rx.event
    def refresh(self):
        actor, stop = self._ready()
        if actor is None:
            return stop
        try:
            self._reload(actor)
        except DomainError as exc:
            self.action_error = exc.message(self._locale())
        return None

    @rx.event
    def set_signature(self, data: Any):
        if not self.can_sign:
            return
        if not isinstance(data, dict) or set(data) - {"strokes", "image"} \
                or len(str(data.get("image", ""))) + len(str(data.get("strokes", ""))) > MAX_SIGNATURE_CHARS:
            self.signed, self._signature = False, {}
            return
        self._signature = {"strokes": data.get("strokes"), "image": data.get("image")}
        self.signed = True

    @rx.event
    def clear_signature(self):
        self.signed, self._signature = False, {}

    @rx.event
    def toggle_acknowledged(self, value: Any):
        self.acknowledged = value is True

    @rx.event
    def toggle_statement(self, rule: Any, value: Any):
        if not isinstance(rule, str):
            return
        self.statements = [{**st, "confirmed": "yes" if (st["rule"] == rule and value is True) else
                            ("" if st["rule"] == rule else st["confirmed"])} for st in self.statements]

    @rx.event
    def sign(self):
        """The customer signs on this device: the service checks suitability again, renders and signs the PDF."""
        actor, stop = self._ready()
        if actor is None:
            return stop
        try:
            with unit_of_work() as uow:
                sales.sign_sale(uow=uow, actor=actor, sale_id=self._sale_id, version=self._version,
                                signature=self._signature or None, warning_acknowledged=self.acknowledged,
                                statements_confirmed=[st["rule"] for st in self.statements if st["confirmed"]],
                                ip=None)
                uow.commit()
            self._signature, self.signed, self.acknowledged = {}, False, False
            self._reload(actor)
        except DomainError as exc:
            self.action_error = exc.message(self._locale())
            return None
        self.action_error = ""
        return rx.toast.success(label("sale.signed_toast", self._locale()), id="sale-toast")

    @rx.event
    def cancel(self, form: Any):
        actor, stop = self._ready()
        if actor is None:
            return stop
        reason = form.get("reason") if isinstance(form, dict) else None
        try:
            with unit_of_work() as uow:
                sales.cancel_sale(uow=uow, actor=actor, sale_id=self._sale_id, version=self._version, reason=reason)
                uow.commit()
            self._reload(actor)
        except DomainError as exc:
            self.action_error = exc.message(self._locale())
            return None
        self.action_error = ""
        return None

    @rx.event
    def review(self, form: Any):
        """Compliance: approve or reject the sale (a rejection needs a note)."""
        actor, stop = self._ready()
        if actor is None:
            return stop
        form = form if isinstance(form, dict) else {}
        try:
            with unit_of_work() as uow:
                sales.review_sale(uow=uow, actor=actor, sale_id=self._sale_id, version=self._version,
                                  approve=form.get("decision") == "approve", note=form.get("note") or None)
                uow.commit()
            self._reload(actor)
        except DomainError as exc:
            self.action_error = exc.message(self._locale())
            return None
        self.action_error = ""
        return None

    @rx.event
    def review_recording(self, form: Any):
        """Compliance: the checklist for the submitted recording, then approve or reject."""
        actor, stop = self._ready()
        if actor is None:
            return stop
        form = form if isinstance(form, dict) else {}
        pending = [r for r in self.recordings if r["status"] == "submitted"]
        if not pending:
            return None
        checklist = {item["key"]: form.get(f"check_{item['key']}") in ("on", True, "true")
                     for item in self.checklist}
        try:
            with unit_of_work() as uow:
                recordings.review_recording(uow=uow, actor=actor, recording_id=int(pending[0]["id"]),
                                            checklist=checklist, approve=form.get("decision") == "approve",
                                            note=form.get("note") or None)
                uow.commit()
            self._reload(actor)
        except DomainError as exc:
            self.action_error = exc.message(self._locale())
            return None
        self.action_error = ""
        return None


class NewSaleState(DataState):
    """/sales/new?customer=<id>: choose a product and an amount; the suitability check answers first."""

    customer_id: int = 0
    customer_name: str = ""
    products: list[dict[str, str]] = []  # {code, label, label_en}
    check: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    page_error: str = ""
    form_error: str = ""
    _product: str = ""

    def _purge(self) -> None:
        self.customer_id, self.customer_name, self.products = 0, "", []
        self.check, self.steps, self.page_error, self.form_error, self._product = {}, [], "", "", ""

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._purge()
        self._mark_loaded(actor)
        try:
            raw = dict(self.router.url.query_parameters or {}).get("customer", "")
        except (AttributeError, TypeError, ValueError):
            raw = ""
        cid = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else 0
        try:
            with unit_of_work() as uow:
                profile = service.investor_profile(uow=uow, actor=actor, customer_id=cid) if cid else None
                page = service.list_products(uow=uow, actor=actor, page=1, page_size=200)
                uow.commit()
        except DomainError as exc:
            self.page_error = exc.message(self._locale())
            return None
        if profile is None:
            self.page_error = label("sale.choose_customer", self._locale())
            return None
        self.customer_id, self.customer_name = profile.customer_id, profile.name
        self.products = [{"code": p.code, "label": f"{p.code} {p.name} · {p.risk_level} · "
                          f"{label(f'sale.regime.{p.regime}', 'zh_CN') if p.regime else '—'}",
                          "label_en": f"{p.code} {p.name_en} · {p.risk_level} · "
                          f"{label(f'sale.regime.{p.regime}', 'en') if p.regime else '—'}"}
                         for p in page.items if p.regime]
        return None

    @rx.event
    def choose_product(self, code: Any):
        """Ask the suitability question for the product chosen (stored and audited, like every check)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(code, str) or code not in {p["code"] for p in self.products} or not self.customer_id:
            self.check, self.steps, self._product = {}, [], ""
            return None
        try:
            with unit_of_work() as uow:
                result = service.check_suitability(uow=uow, actor=actor, customer_id=self.customer_id,
                                                   product_code=code)
                uow.commit()
        except DomainError as exc:
            self.form_error = exc.message(self._locale())
            return None
        self._product = code
        self.form_error = ""
        self.check = {"verdict": result.verdict, "zh": "；".join(r.zh_CN for r in result.reasons),
                      "en": "; ".join(r.en for r in result.reasons),
                      "verdict_zh": label(f"sale.verdict.{result.verdict}", "zh_CN"),
                      "verdict_en": label(f"sale.verdict.{result.verdict}", "en")}
        self.steps = [{"zh": st.name, "en": st.name_en} for st in result.required_steps]
        return None

    @rx.event
    def propose(self, form: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        form = form if isinstance(form, dict) else {}
        try:
            with unit_of_work() as uow:
                sale = sales.propose_sale(uow=uow, actor=actor, customer_id=self.customer_id,
                                          product_code=form.get("product") or self._product,
                                          amount=form.get("amount"), locale=form.get("locale"))
                uow.commit()
        except DomainError as exc:
            self.form_error = exc.message(self._locale())
            return None
        return rx.redirect(f"/sales/{sale.id}")


class SalesListState(DataState):
    """/sales: the sales of the customers in the actor's scope; compliance's review queues."""

    queue: str = "all"
    reminders: list[dict[str, str]] = []  # assessments expiring within 30 days (the scheduler's reminders)
    rows: list[dict[str, str]] = []
    total: int = 0
    can_review: bool = False
    list_error: str = ""

    def _purge(self) -> None:
        self.rows, self.total, self.list_error, self.reminders = [], 0, "", []

    def _fetch(self, actor: Any) -> None:
        try:
            with unit_of_work(readonly=True) as uow:
                items, total = sales.list_sales(uow=uow, actor=actor, queue=self.queue, page=1, page_size=50)
        except DomainError as exc:
            self.list_error = exc.message(self._locale())
            return
        self.rows = [sale_display(s) for s in items]
        self.total = total

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._purge()
        self._mark_loaded(actor)
        self.can_review = permits(actor, Permission.SALE_REVIEW)
        self.queue = "review" if self.can_review else "all"
        self._fetch(actor)
        try:
            with unit_of_work(readonly=True) as uow:
                due = service.expiring_assessments(uow=uow, actor=actor)
        except DomainError:
            due = []
        self.reminders = [{"href": f"/customers/{r.customer_id}", "name": r.customer_name,
                           "zh": label("sale.reminder", "zh_CN", date=r.expires_on.isoformat(), days=r.days_left),
                           "en": label("sale.reminder", "en", date=r.expires_on.isoformat(), days=r.days_left)}
                          for r in due]
        return None

    @rx.event
    def show(self, queue: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if queue in sales.QUEUES:
            self.queue = queue
            self._fetch(actor)
        return None

