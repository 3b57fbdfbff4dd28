"""/admin/reminders: the agenda's reminder rules, kept by admins (issue 14)."""
from __future__ import annotations

import reflex as rx

from components.reminder_rules import reminder_rules_body
from fincrm_app.pages.registry import Menu, page
from services.security.policy import Permission as P
from state.reminder_rules import ReminderRulesState


@page(route="/admin/reminders", title="reminder_rules.title", permission=P.REMINDER_RULE_MANAGE,
      menu=Menu("bell-ring", "nav.reminder_rules", order=86), on_load=ReminderRulesState.load,
      locale_handler=ReminderRulesState.change_locale)
def reminder_rules_page() -> rx.Component:
    return reminder_rules_body()
