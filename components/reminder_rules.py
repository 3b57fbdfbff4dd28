"""/admin/reminders: the admin's list of reminder rules, one small form per rule (days ahead, on, e-mail, push); the
agenda channel is always on. Saved through services.agenda.rules, which validates and audits."""
from __future__ import annotations

import reflex as rx

from components.i18n import t
from components.icons import icon
from state.reminder_rules import ReminderRulesState as S


def _check(name: str, checked: rx.Var, label_key: str, id_: rx.Var) -> rx.Component:
    return rx.el.label(rx.el.input(type="checkbox", name=name, default_checked=checked != "", class_name="rule-check",
                                   id=id_),
                       rx.el.span(t(label_key)), class_name="rule-field")


def _rule(row: rx.Var) -> rx.Component:
    return rx.el.li(rx.el.form(
        rx.el.input(type="hidden", name="code", value=row["code"]),
        rx.el.div(row["name"], rx.el.span(row["kind"], class_name="rule-kind"), class_name="rule-name",
                  id="rule-name-" + row["code"]),
        rx.el.label(rx.el.span(t("reminder_rules.lead_days")),
                    rx.el.input(type="number", name="lead_days", min="0", max="366", step="1",
                                default_value=row["lead_days"], class_name="field-input rule-lead",
                                id="rule-lead-" + row["code"]),
                    class_name="rule-field"),
        _check("active", row["active"], "reminder_rules.active", "rule-active-" + row["code"]),
        rx.el.fieldset(
            rx.el.legend(t("reminder_rules.channels")),
            rx.el.label(rx.el.input(type="checkbox", checked=True, disabled=True, class_name="rule-check",
                                    aria_label=t("reminder_rules.channel.app")),
                        rx.el.span(t("reminder_rules.channel.app")), class_name="rule-field"),
            _check("email", row["email"], "reminder_rules.channel.email", "rule-email-" + row["code"]),
            _check("push", row["push"], "reminder_rules.channel.push", "rule-push-" + row["code"]),
            class_name="rule-channels"),
        rx.el.button(t("reminder_rules.save"), type="submit", class_name="btn-primary rule-save",
                     aria_label=row["save_label"], id="rule-save-" + row["code"]),
        on_submit=S.save, reset_on_submit=False,
        class_name=rx.cond(S.saved == row["code"], "rule-form saved", "rule-form"),
        id="rule-" + row["code"], key=row["code"] + "-" + row["lead_days"] + row["active"] + row["email"] + row["push"],
    ))


def reminder_rules_body() -> rx.Component:
    return rx.el.div(
        rx.el.h1(t("reminder_rules.title"), class_name="page-title"),
        rx.el.p(t("reminder_rules.intro"), class_name="muted"),
        rx.cond(S.error != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(S.error), role="alert",
                                         class_name="alert", id="rules-error")),
        rx.cond(S.loaded & ~S.push_configured,
                rx.el.p(t("reminder_rules.push_off"), class_name="muted", id="rules-push-off")),
        rx.el.ul(rx.foreach(S.rules, _rule), class_name="rules-list", id="rules-list",
                 aria_busy=rx.cond(S.loaded, "false", "true")),
        class_name="page card", id="reminder-rules-page",
    )
