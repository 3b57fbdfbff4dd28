"""The 360 page's suitability card: the customer as an investor (class, risk level and its validity, the latest
assessment), the questionnaire link an RM issues (URL, QR code, or in the branch on this device), and the
customer's sales.

A state of its own beside CustomerState: the customer comes from the URL (/customers/<id>), never from an
argument; every handler resolves the actor from the session cookie and the services check permission and
scope. What it holds is display data in both languages (the language switch needs no reload); the link's URL
is shown once, to the RM who issued it (only the SHA-256 of its secret is stored).
"""
from __future__ import annotations

import re
from typing import Any

import reflex as rx

from services import clock
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_date, format_datetime, format_money
from services.security.policy import Permission, permits
from services.suitability import links, sales, service
from services.suitability.views import InvestorProfile, SaleView
from state.i18n import label
from state.session import DataState

_CUSTOMER_PATH = re.compile(r"^/customers/(\d{1,12})/?$")


def investor_rows(p: InvestorProfile) -> dict[str, str]:
    """The card's facts as display strings in both languages."""
    level = p.risk_level or p.assessed_level
    out: dict[str, str] = {
        "customer": str(p.customer_id),
        "class_zh": label(f"suit.class.{p.investor_class}", "zh_CN"),
        "class_en": label(f"suit.class.{p.investor_class}", "en"),
        "level": level or "",
        "level_zh": label(f"q.level.{level}", "zh_CN") if level else label("suit.not_assessed", "zh_CN"),
        "level_en": label(f"q.level.{level}", "en") if level else label("suit.not_assessed", "en"),
        "state": "none" if p.assessed_level is None else ("valid" if p.assessment_valid else "expired"),
        "expires": p.assessment_expires.isoformat() if p.assessment_expires else "",
        "professional_until": p.professional_until.isoformat() if p.professional_until else "",
        "reminder": "yes" if p.reminder_due and p.assessment_valid else "",
    }
    for loc, suffix in (("zh_CN", "zh"), ("en", "en")):
        if p.assessment_expires is not None:
            key = "suit.valid_until" if p.assessment_valid else "suit.expired_on"
            out[f"validity_{suffix}"] = label(key, loc, date=format_date(p.assessment_expires, loc))
        else:
            out[f"validity_{suffix}"] = ""
        if p.latest is not None:
            a = p.latest
            out[f"latest_{suffix}"] = label("suit.latest", loc, title=a.questionnaire_en if loc == "en" else a.questionnaire,
                                            version=a.version, date=format_date(clock.local_date(a.assessed_at), loc),
                                            score=a.score, channel=label(f"suit.channel.{a.channel}", loc))
        else:
            out[f"latest_{suffix}"] = ""
        if p.open_link is not None:
            link = p.open_link
            out[f"link_{suffix}"] = label(f"suit.link.{link.status}", loc,
                                          expires=format_datetime(link.expires_at, loc),
                                          answered=link.answered, questions=link.questions)
        else:
            out[f"link_{suffix}"] = ""
    return out


def sale_rows(items: list[SaleView]) -> list[dict[str, str]]:
    rows = []
    for s in items:
        rows.append({"id": str(s.id), "href": f"/sales/{s.id}", "product": f"{s.product_code} {s.product_name}",
                     "product_en": f"{s.product_code} {s.product_name_en}", "risk": s.product_risk_level,
                     "amount": format_money(s.amount, s.currency, "zh_CN"), "amount_en": format_money(s.amount, s.currency, "en"),
                     "status": s.status, "status_zh": label(f"sale.status.{s.status}", "zh_CN"),
                     "status_en": label(f"sale.status.{s.status}", "en"),
                     "created": format_date(s.created_at.date(), "zh_CN"),
                     "created_en": format_date(s.created_at.date(), "en")})
    return rows


class SuitabilityCardState(DataState):
    loaded: bool = False
    investor: dict[str, str] = {}
    sales: list[dict[str, str]] = []
    can_issue: bool = False
    can_sell: bool = False
    card_error: str = ""
    # The link just issued (shown to the RM who issued it, once).
    issued_url: str = ""
    issued_qr: str = ""
    issued_expires: str = ""
    in_branch_action: str = ""
    # Professional-investor classification (compliance).
    can_classify: bool = False
    classify_open: bool = False
    criteria: list[dict[str, str]] = []  # {key, text, text_en, evidence, evidence_en}
    evidence_docs: list[dict[str, str]] = []  # {id, name}: the customer's own documents
    classify_error: str = ""
    _customer_id: int = 0

    def _purge(self) -> None:
        self.loaded = False
        self.investor, self.sales = {}, []
        self.can_issue = self.can_sell = False
        self.card_error = self.issued_url = self.issued_qr = self.issued_expires = self.in_branch_action = ""
        self.can_classify = self.classify_open = False
        self.criteria, self.evidence_docs, self.classify_error = [], [], ""
        self._customer_id = 0

    def _route_customer_id(self) -> int | None:
        match = _CUSTOMER_PATH.match(self._current_path())
        if match is None:
            return None
        value = int(match.group(1))
        return value if 0 < value < 2**31 else None

    def _refresh(self, actor: Any, customer_id: int) -> None:
        with unit_of_work(readonly=True) as uow:
            profile = service.investor_profile(uow=uow, actor=actor, customer_id=customer_id)
            recent = sales.customer_sales(uow=uow, actor=actor, customer_id=customer_id, limit=5)
        self.investor = investor_rows(profile)
        self.sales = sale_rows(recent)

    @rx.event
    def load(self):
        """When the card appears: the customer from the URL; a customer outside the actor's scope shows nothing
        (the 360 page itself says why)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        customer_id = self._route_customer_id()
        self._purge()
        self._mark_loaded(actor)
        if customer_id is None:
            return None
        try:
            self._refresh(actor, customer_id)
        except DomainError:
            return None
        self._customer_id = customer_id
        self.can_issue = permits(actor, Permission.ASSESSMENT_ISSUE)
        self.can_sell = permits(actor, Permission.SALE_PROPOSE)
        self.can_classify = permits(actor, Permission.INVESTOR_CLASSIFY)
        self.loaded = True
        return None

    @rx.event
    def issue_link(self):
        """A new questionnaire link for this customer (the older open one stops working)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not self.loaded or self._customer_id <= 0:
            return None
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                issued = links.issue_link(uow=uow, actor=actor, customer_id=self._customer_id)
                uow.commit()
            self._refresh(actor, self._customer_id)
        except DomainError as exc:
            self.card_error = exc.message(loc)
            return None
        self.card_error = ""
        self.issued_url = issued.url
        self.issued_qr = issued.qr_svg_data_uri
        self.issued_expires = format_datetime(issued.expires_at, loc)
        self.in_branch_action = f"{links.LINK_PATH}{issued.token}/in-branch"
        return None

    @rx.event
    def hide_link(self):
        self.issued_url = self.issued_qr = self.issued_expires = self.in_branch_action = ""

    # ---------------------------------------------------------------- professional investors (compliance)

    @rx.event
    def open_classify(self):
        """The criteria for this customer's kind and the customer's documents to prove them."""
        from services.customer360 import service as c360
        from services.suitability import professional

        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not self.loaded or not self.can_classify:
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                criteria = professional.criteria_for(uow=uow, actor=actor, customer_id=self._customer_id)
                docs = c360.documents(uow=uow, actor=actor, customer_id=self._customer_id)
        except DomainError as exc:
            self.classify_error = exc.message(self._locale())
            return None
        self.criteria = [{"key": c.key, "text": c.text, "text_en": c.text_en, "evidence": c.evidence,
                          "evidence_en": c.evidence_en} for c in criteria.criteria]
        self.evidence_docs = [{"id": str(d.id), "name": d.filename} for d in docs]
        self.classify_open, self.classify_error = True, ""
        return None

    @rx.event
    def close_classify(self):
        self.classify_open, self.classify_error = False, ""

    @rx.event
    def classify(self, form: Any):
        """Classify as a professional investor: the criteria ticked, each with one of the customer's documents."""
        from services.suitability import professional

        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not self.loaded or not isinstance(form, dict):
            return None
        keys = [c["key"] for c in self.criteria]
        met = [k for k in keys if form.get(f"met_{k}") in ("on", True)]
        evidence = {}
        for k in met:
            doc = form.get(f"doc_{k}")
            evidence[k] = [int(doc)] if isinstance(doc, str) and doc.isdigit() and len(doc) < 10 else []
        try:
            with unit_of_work() as uow:
                professional.classify_professional(uow=uow, actor=actor, customer_id=self._customer_id, met=met,
                                                   evidence=evidence, note=form.get("note") or None)
                uow.commit()
            self._refresh(actor, self._customer_id)
        except DomainError as exc:
            self.classify_error = exc.message(self._locale())
            return None
        self.classify_open, self.classify_error = False, ""
        return None
