"""The customer's questionnaire pages, outside the staff frame: /q/<token> (identity, one-time code) and
/q/answer (the questions one at a time, the result in plain words, the finger signature, the submission).

Built for a phone first (390 px): one question per screen, whole-row answer buttons of at least 48 px, the
signature pad across the width. The forms of /q/<token> post to fincrm_app/api/questionnaire.py (HttpOnly
cookies); everything on /q/answer goes through QuestionnaireState, which trusts only the questionnaire cookie.
"""
from __future__ import annotations

import reflex as rx

from components.icons import icon
from components.shell import brand, plain_form
from components.signature_pad import signature_pad
from fincrm_app.pages.registry import page
from state.i18n import LABELS
from state.questionnaire import PublicState, QuestionnaireLinkState, QuestionnaireState


def qt(key: str) -> rx.Var:
    """A label in the customer's language (the public pages' own, never the staff state's)."""
    zh, en = LABELS[key]
    return rx.cond(PublicState.lang == "en", en, zh)


def _lang_switch() -> rx.Component:
    def button(code: str, text: str) -> rx.Component:
        return rx.el.button(text, type="button", id=f"q-lang-{code}",
                            class_name=rx.cond(PublicState.lang == code, "lang-btn active", "lang-btn"),
                            aria_pressed=rx.cond(PublicState.lang == code, "true", "false"),
                            on_click=PublicState.set_locale(code))

    return rx.el.div(button("zh_CN", "中文"), button("en", "EN"), class_name="lang-switch", role="group",
                     aria_label="Language")


def _frame(*children: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.header(brand(), rx.el.div(class_name="grow"), _lang_switch(), class_name="q-top"),
            *children,
            rx.el.p(icon("shield-check", size=14), qt("q.privacy"), class_name="q-privacy"),
            class_name="q-card",
        ),
        class_name="q-page",
    )


def _field(label_key: str, **props) -> rx.Component:
    return rx.el.label(rx.el.span(qt(label_key), class_name="field-label"),
                       rx.el.input(class_name="field-input", **props), class_name="field")


def _alert(message: rx.Var) -> rx.Component:
    return rx.cond(message != "", rx.el.div(icon("circle-alert", size=16), rx.el.span(message), role="alert",
                                            id="q-error", class_name="alert"))


def _identity_form() -> rx.Component:
    return rx.el.div(
        rx.el.h2(qt("q.identity_title"), class_name="q-h2"),
        rx.el.p(qt("q.identity_help"), class_name="q-muted"),
        plain_form(
            _field("q.name", id="q-name", name="name", type="text", auto_complete="name", max_length=100,
                   required=True),
            _field("q.id_last6", id="q-id6", name="id_last6", type="text", max_length=6, min_length=6,
                   required=True, auto_complete="off", auto_capitalize="characters", spell_check=False,
                   pattern="[0-9A-Za-z]{6}"),
            rx.el.button(qt("q.continue"), type="submit", id="q-identify", class_name="btn-primary wide"),
            action=QuestionnaireLinkState.action_identify, class_name="q-form"),
    )


def _code_form() -> rx.Component:
    return rx.el.div(
        rx.el.h2(qt("q.code_title"), class_name="q-h2"),
        rx.el.p(QuestionnaireLinkState.code_help, class_name="q-muted", id="q-code-help"),
        plain_form(
            _field("q.code", id="q-code", name="code", type="text", input_mode="numeric", pattern="[0-9]{6}",
                   max_length=6, min_length=6, required=True, auto_complete="one-time-code"),
            rx.el.button(qt("q.verify"), type="submit", id="q-verify", class_name="btn-primary wide"),
            action=QuestionnaireLinkState.action_verify, class_name="q-form"),
        rx.el.a(qt("q.restart"), href=QuestionnaireLinkState.router.url.path, class_name="q-link", id="q-restart"),
    )


@page(route="/q/[token]", title="q.title", framed=False, on_load=QuestionnaireLinkState.load)
def questionnaire_link_page() -> rx.Component:
    return _frame(
        rx.el.h1(qt("q.title"), class_name="q-h1"),
        rx.cond(
            QuestionnaireLinkState.link_ok,
            rx.el.div(
                rx.el.p(qt("q.intro"), class_name="q-muted"),
                _alert(QuestionnaireLinkState.error_message),
                rx.cond(QuestionnaireLinkState.step == "code", _code_form(), _identity_form()),
                class_name="q-stack"),
            rx.cond(
                QuestionnaireLinkState.checked,
                rx.el.div(icon("link-2-off", size=28), rx.el.h2(qt("q.invalid_title"), class_name="q-h2"),
                          rx.el.p(qt("q.invalid_body"), class_name="q-muted"), class_name="q-ended",
                          id="q-invalid"),
                rx.el.p(qt("q.loading"), class_name="q-muted"),
            ),
        ),
    )


# ---------------------------------------------------------------- /q/answer

def _option(option: rx.Var) -> rx.Component:
    return rx.el.button(
        rx.el.span(class_name="q-radio"),
        rx.el.span(option["text"], class_name="q-option-text"),
        type="button",
        class_name=rx.cond(option["chosen"] == "yes", "q-option chosen", "q-option"),
        aria_pressed=rx.cond(option["chosen"] == "yes", "true", "false"),
        on_click=QuestionnaireState.choose(QuestionnaireState.current_key, option["key"]),
        id="q-option-" + option["key"].to(str),
    )


def _question() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.span(QuestionnaireState.position_label, id="q-position"),
            rx.el.div(rx.el.div(class_name="q-bar-fill", style={"width": QuestionnaireState.progress.to(str) + "%"}),
                      class_name="q-bar", role="progressbar", aria_valuenow=QuestionnaireState.progress,
                      aria_valuemin=0, aria_valuemax=100),
            class_name="q-progress"),
        rx.el.h2(QuestionnaireState.current_text, class_name="q-question", id="q-question"),
        rx.el.div(rx.foreach(QuestionnaireState.current_options, _option), class_name="q-options",
                  role="group"),
        rx.el.div(
            rx.el.button(icon("chevron-left", size=16), qt("q.previous"), type="button", class_name="btn",
                         id="q-previous", disabled=QuestionnaireState.index == 0,
                         on_click=QuestionnaireState.previous),
            rx.el.div(class_name="grow"),
            rx.el.button(qt("q.next"), icon("chevron-right", size=16), type="button", class_name="btn",
                         id="q-next", on_click=QuestionnaireState.next),
            class_name="q-nav"),
    )


def _review_row(row: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.span(row["number"] + ". ", class_name="q-muted"), row["text"], class_name="q-review-q"),
        rx.el.div(rx.el.span(row["answer"], class_name="q-review-a"),
                  rx.el.button(qt("q.change"), type="button", class_name="btn small",
                               on_click=QuestionnaireState.go_to(row["index"].to(int)))),
        class_name="q-review-row")


def _review() -> rx.Component:
    return rx.el.div(
        rx.el.section(
            rx.el.h2(qt("q.review_title"), class_name="q-h2"),
            rx.el.div(rx.el.span(qt("q.level"), class_name="q-muted small"),
                      rx.el.div(QuestionnaireState.level_name, class_name="q-level", id="q-level"),
                      class_name="q-result-head"),
            rx.el.p(QuestionnaireState.result_words, class_name="q-result-text", id="q-result-text"),
            rx.cond(QuestionnaireState.cap_words.length() > 0,
                    rx.el.div(rx.el.p(qt("q.capped"), class_name="small"),
                              rx.el.ul(rx.foreach(QuestionnaireState.cap_words, lambda w: rx.el.li(w))),
                              class_name="q-caps")),
            class_name="q-result"),
        rx.el.details(rx.el.summary(qt("q.answers")),
                      rx.el.ol(rx.foreach(QuestionnaireState.review_rows, _review_row), class_name="q-review"),
                      class_name="q-details"),
        rx.el.section(
            rx.el.h2(qt("q.sign_title"), class_name="q-h2"),
            rx.el.p(qt("q.sign_help"), class_name="q-muted"),
            signature_pad(on_signed=QuestionnaireState.set_signature, on_cleared=QuestionnaireState.clear_signature,
                          clear_label=qt("q.clear"), aria_label=qt("q.sign_area"), id="q-signature"),
            rx.el.button(rx.cond(QuestionnaireState.signed, qt("q.submit"), qt("q.sign_first")), type="button",
                         class_name="btn-primary wide", id="q-submit", disabled=~QuestionnaireState.signed,
                         on_click=QuestionnaireState.submit),
            class_name="q-sign"),
    )


@page(route="/q/answer", title="q.title", framed=False, on_load=QuestionnaireState.load)
def questionnaire_page() -> rx.Component:
    return _frame(
        rx.el.h1(rx.cond(QuestionnaireState.heading != "", QuestionnaireState.heading, qt("q.title")),
                 class_name="q-h1"),
        rx.cond(QuestionnaireState.in_branch, rx.el.p(icon("building-2", size=14), qt("q.branch_note"),
                                                      class_name="q-note")),
        _alert(QuestionnaireState.error_message),
        rx.match(
            QuestionnaireState.phase,
            ("answer", _question()),
            ("review", _review()),
            ("done", rx.el.div(icon("circle-check", size=32, class_name="q-done-icon"),
                               rx.el.h2(qt("q.done_title"), class_name="q-h2"),
                               rx.el.div(QuestionnaireState.level_name, class_name="q-level", id="q-level"),
                               rx.el.p(QuestionnaireState.result_words, class_name="q-result-text"),
                               rx.el.p(QuestionnaireState.done_words, class_name="q-muted", id="q-done"),
                               class_name="q-ended")),
            ("ended", rx.el.div(icon("log-out", size=28), rx.el.h2(qt("q.ended_title"), class_name="q-h2"),
                                class_name="q-ended", id="q-ended")),
            rx.el.p(qt("q.loading"), class_name="q-muted"),
        ),
        rx.cond((QuestionnaireState.phase == "answer") | (QuestionnaireState.phase == "review"),
                rx.el.button(qt("q.leave"), type="button", class_name="q-link-button", id="q-leave",
                             on_click=QuestionnaireState.leave)),
    )
