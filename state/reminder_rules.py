"""/admin/reminders: the reminder rules an admin keeps (issue 14). Thin: services.agenda.rules decides who may see and
change them (reminder_rule.manage) and validates every change; this state formats rows and passes the form on."""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.agenda import push
from services.agenda import rules as rule_service
from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_number
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState


def rule_rows(views: list[rule_service.RuleView], locale: str) -> list[dict[str, str]]:
    out = []
    for r in views:
        name = r.name_en if locale == "en" else r.name
        out.append({"code": r.code, "name": name, "kind": label(f"agenda.kind.{r.source}", locale),
                    "lead_days": str(r.lead_days), "lead_text": format_number(r.lead_days, locale),
                    "active": "1" if r.active else "", "email": "1" if "email" in r.channels else "",
                    "push": "1" if "push" in r.channels else "",
                    "channels": "、".join(label(f"reminder_rules.channel.{c}", locale) for c in r.channels)
                    if locale != "en" else ", ".join(label(f"reminder_rules.channel.{c}", locale) for c in r.channels),
                    "save_label": label("reminder_rules.save_label", locale, name=name)})
    return out


class ReminderRulesState(DataState):
    rules: list[dict[str, str]] = []
    error: str = ""
    saved: str = ""  # the code of the rule just saved
    push_configured: bool = False
    loaded: bool = False

    def _purge(self) -> None:
        self.rules, self.error, self.saved, self.loaded = [], "", "", False

    def _fetch(self, actor: Any) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                views = rule_service.list_rules(uow=uow, actor=actor)
        except DomainError as exc:
            self._purge()
            self.error = exc.message(loc)
            self.loaded = True
            return
        self.rules = rule_rows(views, loc)
        self.push_configured = push.configured()
        self.loaded = True
        self._mark_loaded(actor)

    def _reload(self):
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.saved, self.error = "", ""
        self._fetch(actor)
        return None

    @rx.event
    def load(self):
        return self._reload()

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return self._reload()

    @rx.event
    def save(self, form: Any):
        """One rule's form: code (hidden), lead_days, active, email, push (checkboxes: present when ticked)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        form = form if isinstance(form, dict) else {}
        code = form.get("code")
        lead = whole_number(form.get("lead_days"), low=-10**6, high=10**6)
        data = {"lead_days": lead if lead is not None else form.get("lead_days"), "active": "active" in form,
                "channels": ["app"] + [c for c in ("email", "push") if c in form]}
        try:
            with unit_of_work() as uow:
                rule_service.update_rule(uow=uow, actor=actor, code=code, data=data)
                uow.commit()
        except DomainError as exc:
            self.error, self.saved = exc.message(loc), ""
            return rx.toast.error(self.error, id="rules-toast")
        self._fetch(actor)
        self.error, self.saved = "", code if isinstance(code, str) else ""
        return rx.toast.success(label("reminder_rules.saved", loc), id="rules-toast")
