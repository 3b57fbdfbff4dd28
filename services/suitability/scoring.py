"""Scoring a questionnaire: answers -> score -> band level -> knock-outs -> the assessed level.

Pure functions of a checked definition (services/suitability/definitions.py), the answers and the customer's
age: no database, no clock, so property tests can throw anything at them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.errors import FieldError, ValidationFailed
from services.suitability.definitions import QuestionnaireDefinition, Words, level_rank

MAX_ANSWER_TEXT = 24


@dataclass(frozen=True)
class Cap:
    """A knock-out that lowered the level: by an answer (`question`) or by age."""

    level: str
    reason: Words
    question: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "question": self.question, "reason": self.reason.model_dump()}


@dataclass(frozen=True)
class Outcome:
    score: int
    score_level: str  # the band the score falls in
    level: str  # after the knock-outs
    caps: list[Cap] = field(default_factory=list)


def check_answer(defn: QuestionnaireDefinition, key: Any, value: Any) -> str | list[str]:
    """One answer, checked against its question: a known option key (single) or a list of distinct known
    keys (multi). Raises ValidationFailed naming the question."""
    question = defn.question(key) if isinstance(key, str) and len(key) <= MAX_ANSWER_TEXT else None
    if question is None:
        raise ValidationFailed([FieldError("answers", "questionnaire.unknown_question")])
    keys = {o.key for o in question.options}
    where = f"answers.{question.key}"
    if question.kind == "single":
        if not isinstance(value, str) or value not in keys:
            raise ValidationFailed([FieldError(where, "questionnaire.answer_out_of_range")])
        return value
    if (not isinstance(value, list) or not 1 <= len(value) <= len(keys)
            or not all(isinstance(v, str) and v in keys for v in value) or len(set(value)) != len(value)):
        raise ValidationFailed([FieldError(where, "questionnaire.answer_out_of_range")])
    return sorted(value)


def check_answers(defn: QuestionnaireDefinition, answers: Any, *, complete: bool) -> dict[str, Any]:
    """Every answer checked; with `complete`, every question must be answered."""
    if not isinstance(answers, dict) or len(answers) > len(defn.questions):
        raise ValidationFailed([FieldError("answers", "questionnaire.answers_invalid")])
    out = {}
    errors: list[FieldError] = []
    for key, value in answers.items():
        try:
            out[key] = check_answer(defn, key, value)
        except ValidationFailed as exc:
            errors += exc.errors
    if complete:
        errors += [FieldError(f"answers.{q.key}", "questionnaire.unanswered") for q in defn.questions
                   if q.key not in answers]
    if errors:
        raise ValidationFailed(errors)
    return out


def band_level(defn: QuestionnaireDefinition, score: int) -> str:
    for band in defn.bands:
        if band.min_score <= score <= band.max_score:
            return band.level
    return defn.bands[-1].level if score > defn.bands[-1].max_score else defn.bands[0].level


def score(defn: QuestionnaireDefinition, answers: Any, *, age: int | None) -> Outcome:
    """The assessed level for complete, valid answers (checked here again: callers may not skip it)."""
    checked = check_answers(defn, answers, complete=True)
    total = 0
    caps: list[Cap] = []
    for q in defn.questions:
        chosen = checked[q.key]
        picked = [o for o in q.options if o.key in (chosen if isinstance(chosen, list) else [chosen])]
        points = sum(o.points for o in picked)
        total += min(points, q.max_points) if q.max_points else points
        caps += [Cap(o.cap, o.cap_reason or q.text, q.key) for o in picked if o.cap]
    if age is not None:
        caps += [Cap(c.max_level, c.reason) for c in defn.age_caps if age >= c.min_age]
    by_score = band_level(defn, total)
    level = min([by_score, *(c.level for c in caps)], key=level_rank)
    applied = [c for c in caps if level_rank(c.level) < level_rank(by_score)]
    return Outcome(score=total, score_level=by_score, level=level, caps=applied)


def explanation(defn: QuestionnaireDefinition, level: str, locale: str) -> str:
    band = next(b for b in defn.bands if b.level == level)
    return band.explanation.get(locale)

