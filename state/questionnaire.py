"""The customer's questionnaire pages: their own states, holding no staff data and trusting no staff session.

Security model (DESIGN.md, "Security model"): every public handler here is callable by any socket client, so
each one resolves the customer's own credential on every event: the HttpOnly `fincrm_q` cookie (set by the
route fincrm_app/api/questionnaire.py after the identity check and one-time code) as the socket presented it,
through services.suitability.links. That session opens one questionnaire of one link and nothing else. Staff
cookies are never read here. What a state loaded under one questionnaire session is purged before any event
(the hydrate included) of a socket that does not present that session (`QuestionnaireGuard`).

- QuestionnaireLinkState (/q/<token>): whether the link can still be used, which step (identity, code) and
  which error to show; the forms post to the routes, not to handlers here.
- QuestionnaireState (/q/answer): the questions in both languages, the answers so far, the result explained,
  the signature (strokes and image, kept backend-only until submitted), the submission.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from http.cookies import CookieError, SimpleCookie
from typing import Any

import reflex as rx
from reflex.middleware import Middleware

from services.db import unit_of_work
from services.errors import ConcurrentModification, DomainError, ValidationFailed
from services.i18n import LOCALES, translate
from services.suitability import links
from state.i18n import LOCALE_COOKIE, label, locale_or_default, ui_default_locale
from state.session import _HandlersOffTheLoop

log = logging.getLogger(__name__)

QUESTIONNAIRE_COOKIE = "fincrm_q"  # the questionnaire session (HttpOnly, set by the route)
CHALLENGE_COOKIE = "fincrm_qc"  # the browser that passed the identity check holds its challenge
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{10,300}$")
_MAX_COOKIE_HEADER = 8192
_DEFAULT_LOCALE = ui_default_locale()
MAX_SIGNATURE_CHARS = 700_000  # strokes and image as sent by the pad; the services check them precisely


def cookie_value(header: Any, name: str) -> str | None:
    """One cookie's value from a Cookie header (None when absent or the header is malformed)."""
    if not isinstance(header, str) or not header or len(header) > _MAX_COOKIE_HEADER:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                return value.strip('"') or None
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def _digest(token: str | None) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest() if token else ""


class PublicState(_HandlersOffTheLoop, rx.State):
    """Base of the pages a customer reaches without any staff login: the language only."""

    locale: str = rx.Cookie(_DEFAULT_LOCALE, name=LOCALE_COOKIE, path="/", max_age=365 * 24 * 3600,
                            same_site="strict")

    @rx.var
    def lang(self) -> str:
        return locale_or_default(self.locale, _DEFAULT_LOCALE)

    def _cookie(self, name: str) -> str | None:
        try:
            return cookie_value(self.router.headers.cookie or "", name)
        except AttributeError:
            return None

    def _ip(self) -> str | None:
        try:
            return (self.router.session.client_ip or None) and str(self.router.session.client_ip)[:64]
        except AttributeError:
            return None

    @rx.event
    def set_locale(self, locale: Any):
        if isinstance(locale, str) and locale in LOCALES:
            self.locale = locale


class QuestionnaireLinkState(PublicState):
    """/q/<token>: the identity step and the code step. Reveals nothing about whose link it is."""

    checked: bool = False
    link_ok: bool = False
    step: str = "identity"  # identity | code
    error_code: str = ""
    minutes: int = 0
    sent_to: str = ""
    action_identify: str = ""
    action_verify: str = ""

    @rx.var
    def error_message(self) -> str:
        code = {"identity": "questionnaire.identity_failed", "throttled": "questionnaire.identity_throttled",
                "code": "questionnaire.code_wrong", "code_expired": "questionnaire.code_expired",
                "no_phone": "questionnaire.no_phone", "input": "error.validation",
                "session": "questionnaire.session_invalid"}.get(self.error_code)
        return translate(code, self.lang, minutes=self.minutes or 15) if code else ""

    @rx.var
    def code_help(self) -> str:
        if self.sent_to:
            return label("q.code_help", self.lang, to=self.sent_to)
        return label("q.code_help_plain", self.lang)

    @rx.event
    def load(self):
        self.checked, self.link_ok, self.step, self.error_code = True, False, "identity", ""
        self.minutes, self.sent_to, self.action_identify, self.action_verify = 0, "", "", ""
        try:
            path = str(self.router.url.path or "")
            query = dict(self.router.url.query_parameters or {})
        except (AttributeError, TypeError, ValueError):
            return
        token = path.rstrip("/").rsplit("/", 1)[-1]
        if not _TOKEN.match(token):
            return
        try:
            with unit_of_work() as uow:
                links.link_is_open(uow=uow, token=token, ip=self._ip())
        except links.LinkInvalid:
            return  # audited as it left the unit of work; the page says only that the link is no longer valid
        self.link_ok = True
        self.action_identify = f"/q/{token}/identify"
        self.action_verify = f"/q/{token}/verify"
        error = query.get("error")
        self.error_code = error if error in ("identity", "throttled", "code", "code_expired", "no_phone", "input",
                                             "session") else ""
        minutes = query.get("minutes")
        self.minutes = int(minutes) if isinstance(minutes, str) and minutes.isdigit() and len(minutes) < 5 else 0
        if query.get("step") == "code" and self._cookie(CHALLENGE_COOKIE):
            self.step = "code"
            sent = query.get("to", "")
            self.sent_to = sent if isinstance(sent, str) and re.fullmatch(r"[0-9*]{7,20}", sent) else ""


class QuestionnaireState(PublicState):
    """/q/answer: one questionnaire, reached only with its questionnaire session cookie."""

    phase: str = "loading"  # loading | answer | review | done | ended
    title: str = ""
    title_en: str = ""
    questions: list[dict[str, Any]] = []  # {key, text, text_en, options: [{key, text, text_en}]}
    answers: dict[str, str] = {}
    index: int = 0
    draft_version: int = 0
    result_level: str = ""
    result_text: str = ""
    result_text_en: str = ""
    caps: list[dict[str, str]] = []  # {text, text_en}
    valid_until: str = ""
    signed: bool = False
    error: str = ""
    in_branch: bool = False
    _signature: dict = {}
    _loaded_under: str = ""  # digest of the questionnaire session the data was loaded under

    # ---------------------------------------------------------------- derived (computed in the browser)

    @rx.var
    def total(self) -> int:
        return len(self.questions)

    @rx.var
    def answered(self) -> int:
        keys = {q["key"] for q in self.questions}
        return len([k for k in self.answers if k in keys])

    def _current(self) -> dict[str, Any]:
        if 0 <= self.index < len(self.questions):
            return self.questions[self.index]
        return {"key": "", "text": "", "text_en": "", "options": []}

    @rx.var
    def current_key(self) -> str:
        return self._current()["key"]

    @rx.var
    def current_text(self) -> str:
        q = self._current()
        return q["text_en"] if self.lang == "en" else q["text"]

    @rx.var
    def current_options(self) -> list[dict[str, str]]:
        """The current question's options in the page's language, the chosen one marked."""
        q = self._current()
        chosen = self.answers.get(q["key"], "")
        return [{"key": o["key"], "text": o["text_en"] if self.lang == "en" else o["text"],
                 "chosen": "yes" if o["key"] == chosen else ""} for o in q["options"]]

    @rx.var
    def review_rows(self) -> list[dict[str, str]]:
        """Every question with the answer given, in the page's language (the review before signing)."""
        en = self.lang == "en"
        rows = []
        for i, q in enumerate(self.questions):
            chosen = next((o for o in q["options"] if o["key"] == self.answers.get(q["key"])), None)
            rows.append({"index": str(i), "number": str(i + 1), "text": q["text_en"] if en else q["text"],
                         "answer": (chosen["text_en"] if en else chosen["text"]) if chosen else "—"})
        return rows

    @rx.var
    def result_words(self) -> str:
        return self.result_text_en if self.lang == "en" else self.result_text

    @rx.var
    def cap_words(self) -> list[str]:
        return [c["text_en"] if self.lang == "en" else c["text"] for c in self.caps]

    @rx.var
    def position_label(self) -> str:
        return label("q.question_of", self.lang, n=self.index + 1, total=len(self.questions))

    @rx.var
    def level_name(self) -> str:
        return label(f"q.level.{self.result_level}", self.lang) if self.result_level else ""

    @rx.var
    def done_words(self) -> str:
        return label("q.done_body", self.lang, date=self.valid_until)

    @rx.var
    def heading(self) -> str:
        return self.title_en if self.lang == "en" else self.title

    @rx.var
    def progress(self) -> int:
        return round(100 * self.answered / len(self.questions)) if self.questions else 0

    @rx.var
    def error_message(self) -> str:
        return self.error

    # ---------------------------------------------------------------- helpers

    def _purge(self) -> None:
        self.title = self.title_en = ""
        self.questions, self.answers, self.index, self.draft_version = [], {}, 0, 0
        self.result_level = self.result_text = self.result_text_en = self.valid_until = ""
        self.caps, self.signed, self._signature, self.in_branch = [], False, {}, False
        self._loaded_under = ""

    def _end(self, exc: DomainError | None = None) -> None:
        self._purge()
        self.phase = "ended"
        self.error = (exc or links.QuestionnaireSessionInvalid("ended")).message(self.lang)

    def _token(self) -> str | None:
        return self._cookie(QUESTIONNAIRE_COOKIE)

    def _fail(self, exc: DomainError) -> None:
        if isinstance(exc, links.QuestionnaireSessionInvalid):
            self._end(exc)
        else:
            self.error = exc.message(self.lang)

    def _fill(self, opened: links.Opened) -> None:
        q, d = opened.questionnaire, opened.definition
        self.title, self.title_en = q.title, q.title_en
        self.questions = [{"key": x.key, "text": x.text.zh_CN, "text_en": x.text.en, "kind": x.kind,
                           "options": [{"key": o.key, "text": o.text.zh_CN, "text_en": o.text.en}
                                       for o in x.options]} for x in d.questions]
        draft = opened.link.draft or {}
        self.answers = {k: v for k, v in draft.items() if isinstance(v, str)}
        self.draft_version = opened.link.draft_version
        self.in_branch = opened.session.confirmed_by is not None
        unanswered = [i for i, x in enumerate(d.questions) if x.key not in self.answers]
        self.index = unanswered[0] if unanswered else len(d.questions) - 1

    # ---------------------------------------------------------------- handlers

    @rx.event
    def load(self):
        """on_load: the questionnaire of this browser's questionnaire session, with the answers so far."""
        self._load()

    def _load(self) -> None:
        self.error = ""
        token = self._token()
        try:
            with unit_of_work(readonly=True) as uow:
                opened = links.open_session(uow.session, token, ip=self._ip())
                self._fill(opened)
        except links.QuestionnaireSessionInvalid as exc:
            self._end(exc)
            return
        self._loaded_under = _digest(token)
        self.phase = "answer" if len(self.answers) < len(self.questions) else "review"
        if self.phase == "review":
            self._preview(token)

    @rx.event
    def choose(self, question: Any, option: Any):
        """Answer one question (kept at once: the customer may leave and come back)."""
        if self.phase not in ("answer", "review"):
            return
        keys = {q["key"]: {o["key"] for o in q["options"]} for q in self.questions}
        if not isinstance(question, str) or question not in keys or not isinstance(option, str) \
                or option not in keys[question]:
            self.error = ValidationFailed([]).message(self.lang)
            return
        token = self._token()
        try:
            with unit_of_work() as uow:
                version = links.save_answer(uow=uow, session_token=token, question=question, answer=option,
                                            ip=self._ip())
                uow.commit()
        except DomainError as exc:
            self._fail(exc)
            return
        self.error = ""
        self.answers = {**self.answers, question: option}
        self.draft_version = version
        self.signed, self._signature = False, {}  # a changed answer needs a new signature
        position = next(i for i, q in enumerate(self.questions) if q["key"] == question)
        if position + 1 < len(self.questions):
            self.index = position + 1
        elif len(self.answers) == len(self.questions):
            self.phase = "review"
            self._preview(token)

    @rx.event
    def go_to(self, index: Any):
        if self.phase in ("answer", "review") and isinstance(index, int) and not isinstance(index, bool) \
                and 0 <= index < len(self.questions):
            self.index = index
            self.phase = "answer"

    @rx.event
    def previous(self):
        if self.phase == "answer" and self.index > 0:
            self.index -= 1

    @rx.event
    def next(self):
        if self.phase != "answer":
            return
        if self.index + 1 < len(self.questions):
            self.index += 1
        elif len(self.answers) == len(self.questions):
            self.phase = "review"
            self._preview(self._token())

    def _preview(self, token: str | None) -> None:
        try:
            with unit_of_work(readonly=True) as uow:
                result = links.preview(uow=uow, session_token=token, ip=self._ip())
        except DomainError as exc:
            self._fail(exc)
            return
        self.result_level = result.level
        self.result_text, self.result_text_en = result.explanation, result.explanation_en
        self.caps = [{"text": c["reason"]["zh_CN"], "text_en": c["reason"]["en"]} for c in result.caps]

    @rx.event
    def set_signature(self, data: Any):
        """What the signature pad drew so far (strokes and image). Kept backend-only until submitted."""
        if self.phase != "review":
            return
        if not isinstance(data, dict) or set(data) - {"strokes", "image"} \
                or len(str(data.get("image", ""))) + len(str(data.get("strokes", ""))) > MAX_SIGNATURE_CHARS:
            self.signed, self._signature = False, {}
            self.error = translate("signature.invalid", self.lang)
            return
        self._signature = {"strokes": data.get("strokes"), "image": data.get("image")}
        self.signed = True
        self.error = ""

    @rx.event
    def clear_signature(self):
        self.signed, self._signature = False, {}

    @rx.event
    def submit(self):
        """Sign and submit: the assessment is recorded and the link used up."""
        if self.phase != "review":
            return
        token = self._token()
        try:
            with unit_of_work() as uow:
                result = links.submit(uow=uow, session_token=token, draft_version=self.draft_version,
                                      signature=self._signature or None, ip=self._ip())
                uow.commit()
        except ConcurrentModification:
            self._load()
            self.error = translate("error.concurrent_modification", self.lang)
            return
        except ValidationFailed as exc:
            self.error = exc.message(self.lang)
            return
        except DomainError as exc:
            self._fail(exc)
            return
        self._purge()
        self.result_level = result.level
        self.result_text, self.result_text_en = result.explanation, result.explanation_en
        self.valid_until = result.valid_until.isoformat() if result.valid_until else ""
        self.phase = "done"
        self.error = ""

    @rx.event
    def leave(self):
        """Finish later: the session ends here; the answers stay with the link."""
        token = self._token()
        try:
            with unit_of_work() as uow:
                links.end_session(uow=uow, session_token=token, ip=self._ip())
                uow.commit()
        except DomainError:
            pass
        self._purge()
        self.phase = "ended"
        self.error = translate("questionnaire.left", self.lang)


@dataclasses.dataclass(init=True)
class QuestionnaireGuard(Middleware):
    """Before any event (the hydrate too): a questionnaire loaded under one questionnaire session is purged
    for a socket that does not present that session's cookie (a client token replayed from elsewhere)."""

    async def preprocess(self, app, state, event):  # noqa: ANN001 - Reflex's signature
        root = state._get_root_state() if hasattr(state, "_get_root_state") else state
        try:
            sub = await root.get_state(QuestionnaireState)
        except Exception:  # not in this app's tree
            return None
        if not sub._loaded_under:
            return None
        try:
            header = root.router.headers.cookie or ""
        except AttributeError:
            header = ""
        if _digest(cookie_value(header, QUESTIONNAIRE_COOKIE)) != sub._loaded_under:
            sub._purge()
            sub.phase = "ended"
        return None

