"""Staff desks of suitability: the outbox of customer messages (one-time codes the default sender keeps for
staff to pass on), the operations desk for signed disclosures (find a customer, preview, print), and the
administration of the rules-as-data (questionnaire versions, regimes, sale rules).

Every handler resolves the actor from the session cookie and asks the services, which check permission and
scope; display data is held in both languages where people read it.
"""
from __future__ import annotations

import json
from typing import Any

import reflex as rx

from services.customers import service as customers
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_datetime
from services.security.policy import Permission, permits
from services.suitability import disclosures, outbox, questionnaires
from state.i18n import label
from state.session import DataState


class OutboxState(DataState):
    rows: list[dict[str, str]] = []
    error: str = ""

    def _purge(self) -> None:
        self.rows, self.error = [], ""

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._purge()
        self._mark_loaded(actor)
        try:
            with unit_of_work() as uow:  # reading the outbox is audited
                items = outbox.customer_messages(uow=uow, actor=actor)
                uow.commit()
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.rows = [{"id": str(m.id), "customer": m.customer_name, "href": f"/customers/{m.customer_id}",
                      "to": m.recipient, "body": m.body, "body_en": m.body_en, "sender": m.sender,
                      "at_zh": format_datetime(m.created_at, "zh_CN"), "at_en": format_datetime(m.created_at, "en"),
                      "expired": "yes" if m.expired else ""} for m in items]
        return None


class DisclosureDeskState(DataState):
    query: str = ""
    found: list[dict[str, str]] = []
    customer_name: str = ""
    documents: list[dict[str, str]] = []
    error: str = ""

    def _purge(self) -> None:
        self.found, self.documents, self.customer_name, self.error = [], [], "", ""

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._purge()
        self._mark_loaded(actor)
        return None

    @rx.event
    def search(self, form: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        query = form.get("q") if isinstance(form, dict) else None
        self.documents, self.customer_name = [], ""
        try:
            with unit_of_work(readonly=True) as uow:
                page = customers.search_customers(uow=uow, actor=actor, query=query or "", page=1, page_size=20)
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.error = ""
        self.query = query if isinstance(query, str) else ""
        self.found = [{"id": str(c.id), "name": c.name, "no": c.customer_no} for c in page.items]
        return None

    @rx.event
    def open_customer(self, customer_id: Any):
        """The chosen customer's signed disclosures (the id is checked by the service against the actor's scope)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(customer_id, str) or not customer_id.isdigit() or len(customer_id) > 9:
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                rows = disclosures.customer_disclosures(uow=uow, actor=actor, customer_id=int(customer_id))
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.error = ""
        self.customer_name = rows[0].customer_name if rows else next(
            (c["name"] for c in self.found if c["id"] == customer_id), "")
        self.documents = [{"id": str(d.document_id), "sale": str(d.sale_id or ""), "product": d.product_code or "",
                           "name": d.product_name or "", "name_en": d.product_name_en or "", "sha256": d.sha256,
                           "at_zh": format_datetime(d.signed_at, "zh_CN"), "at_en": format_datetime(d.signed_at, "en"),
                           "preview": f"/disclosures/{d.document_id}/page/1.png",
                           "print": f"/disclosures/{d.document_id}/print", "download": f"/documents/{d.document_id}"}
                          for d in rows]
        return None


class SuitabilityAdminState(DataState):
    versions: list[dict[str, str]] = []
    regimes: list[dict[str, str]] = []
    rules: list[dict[str, str]] = []
    draft_json: str = ""
    error: str = ""
    notice: str = ""
    can_manage: bool = False

    def _purge(self) -> None:
        self.versions, self.regimes, self.rules = [], [], []
        self.draft_json = self.error = self.notice = ""
        self.can_manage = False

    def _fetch(self, actor: Any) -> None:
        with unit_of_work(readonly=True) as uow:
            versions = questionnaires.list_questionnaires(uow=uow, actor=actor)
            regimes = questionnaires.list_regimes(uow=uow, actor=actor)
            rules = questionnaires.list_sale_rules(uow=uow, actor=actor)
        self.versions = [{"id": str(v.id), "code": v.code, "version": str(v.version), "status": v.status,
                          "title": v.title, "title_en": v.title_en, "questions": str(v.questions),
                          "months": str(v.validity_months), "audience": v.audience} for v in versions]
        self.regimes = [{"code": r.code, "name": r.name, "name_en": r.name_en, "on_mismatch": r.on_mismatch,
                         "never_above": ", ".join(r.never_above) or "—", "hours": str(r.cooling_off_hours),
                         "types": ", ".join(r.product_types), "professional_any": "yes" if r.professional_any else ""}
                        for r in regimes]
        self.rules = [{"code": r.code, "name": r.name, "name_en": r.name_en, "requirement": r.requirement,
                       "conditions": json.dumps(r.conditions, ensure_ascii=False), "active": "yes" if r.is_active else ""}
                      for r in rules]

    @rx.event
    def load(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._purge()
        self._mark_loaded(actor)
        self.can_manage = permits(actor, Permission.QUESTIONNAIRE_MANAGE)
        try:
            self._fetch(actor)
        except DomainError as exc:
            self.error = exc.message(self._locale())
        return None

    @rx.event
    def edit_version(self, questionnaire_id: Any):
        """Start a new draft from an existing version (its JSON in the editor)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(questionnaire_id, str) or not questionnaire_id.isdigit() or len(questionnaire_id) > 9:
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                data = questionnaires.questionnaire_definition(uow=uow, actor=actor,
                                                               questionnaire_id=int(questionnaire_id))
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.draft_json = json.dumps(data, ensure_ascii=False, indent=2)
        self.error = self.notice = ""
        return None

    @rx.event
    def save_draft(self, form: Any):
        """The edited JSON as a new draft version (checked whole by the service)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        raw = form.get("definition") if isinstance(form, dict) else None
        loc = self._locale()
        if not isinstance(raw, str) or len(raw) > 200_000:
            self.error = label("admin_suit.bad_json", loc)
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            self.error = label("admin_suit.bad_json", loc)
            return None
        try:
            with unit_of_work() as uow:
                saved = questionnaires.save_questionnaire_draft(uow=uow, actor=actor, data=data)
                uow.commit()
            self._fetch(actor)
        except DomainError as exc:
            self.error = exc.message(loc)
            return None
        self.error, self.draft_json = "", ""
        self.notice = label("admin_suit.saved", loc, code=saved.code, version=saved.version)
        return None

    @rx.event
    def activate(self, questionnaire_id: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(questionnaire_id, str) or not questionnaire_id.isdigit() or len(questionnaire_id) > 9:
            return None
        try:
            with unit_of_work() as uow:
                questionnaires.activate_questionnaire(uow=uow, actor=actor, questionnaire_id=int(questionnaire_id))
                uow.commit()
            self._fetch(actor)
        except DomainError as exc:
            self.error = exc.message(self._locale())
        return None

    @rx.event
    def change_regime(self, form: Any):
        """A regime's mismatch policy, protected levels and cooling-off hours."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        form = form if isinstance(form, dict) else {}
        hours = form.get("hours")
        never = [x.strip() for x in str(form.get("never_above") or "").replace("—", "").split(",") if x.strip()]
        try:
            with unit_of_work() as uow:
                questionnaires.change_regime(uow=uow, actor=actor, code=form.get("code"), data={
                    "on_mismatch": form.get("on_mismatch"), "never_above": never,
                    "professional_any": form.get("professional_any") in ("on", True),
                    "cooling_off_hours": int(hours) if isinstance(hours, str) and hours.isdigit() and len(hours) < 5
                    else -1})
                uow.commit()
            self._fetch(actor)
        except DomainError as exc:
            self.error = exc.message(self._locale())
            return None
        self.error = ""
        return None

    @rx.event
    def toggle_rule(self, code: Any):
        """Switch a sale rule on or off (its conditions stay as they are)."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        rule = next((r for r in self.rules if r["code"] == code), None) if isinstance(code, str) else None
        if rule is None:
            return None
        try:
            with unit_of_work() as uow:
                current = next(r for r in questionnaires.list_sale_rules(uow=uow, actor=actor) if r.code == code)
                questionnaires.save_sale_rule(uow=uow, actor=actor, data={
                    "code": current.code, "name": current.name, "name_en": current.name_en,
                    "requirement": current.requirement, "conditions": current.conditions,
                    "statement": current.statement, "statement_en": current.statement_en,
                    "is_active": not current.is_active})
                uow.commit()
            self._fetch(actor)
        except DomainError as exc:
            self.error = exc.message(self._locale())
        return None
