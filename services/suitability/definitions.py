"""The shape of suitability's rules-as-data, checked before anything is stored: questionnaire versions,
professional-investor criteria and sale-rule conditions. An administrator's JSON goes through these models;
so do the shipped defaults (services/suitability/defaults.py), so a default can never be malformed either.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from services.validation.input import StrictInput

LEVELS = ("C1", "C2", "C3", "C4", "C5")
PRODUCT_LEVELS = ("R1", "R2", "R3", "R4", "R5")
Level = Literal["C1", "C2", "C3", "C4", "C5"]
ProductLevel = Literal["R1", "R2", "R3", "R4", "R5"]
Key = str  # validated by the pattern on each field below

_KEY = r"^[a-z0-9_]{1,24}$"


def level_rank(level: str) -> int:
    """C1..C5 and R1..R5 as 1..5."""
    return int(level[1])


class Words(StrictInput):
    """A text people read, in both languages."""

    zh_CN: str = Field(min_length=1, max_length=600)
    en: str = Field(min_length=1, max_length=600)

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh_CN


class Option(StrictInput):
    key: str = Field(pattern=_KEY)
    text: Words
    points: int = Field(ge=0, le=100)
    # A knock-out: choosing this option caps the level, whatever the score (e.g. "cannot bear any loss" -> C1).
    cap: Level | None = None
    cap_reason: Words | None = None


class Question(StrictInput):
    key: str = Field(pattern=_KEY)
    text: Words
    kind: Literal["single", "multi"] = "single"
    options: list[Option] = Field(min_length=2, max_length=12)
    max_points: int | None = Field(default=None, ge=1, le=100)  # multi: the sum is capped here

    @model_validator(mode="after")
    def _unique_options(self) -> "Question":
        keys = [o.key for o in self.options]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate option keys")
        return self

    @property
    def most(self) -> int:
        if self.kind == "single":
            return max(o.points for o in self.options)
        total = sum(o.points for o in self.options)
        return min(total, self.max_points) if self.max_points else total


class Band(StrictInput):
    level: Level
    min_score: int = Field(ge=0, le=10_000)
    max_score: int = Field(ge=0, le=10_000)
    explanation: Words  # the level in plain words, shown to the customer


class AgeCap(StrictInput):
    """A knock-out by age: from `min_age` on, the level is at most `max_level`."""

    min_age: int = Field(ge=18, le=120)
    max_level: Level
    reason: Words


class QuestionnaireDefinition(StrictInput):
    questions: list[Question] = Field(min_length=1, max_length=40)
    bands: list[Band] = Field(min_length=5, max_length=5)
    age_caps: list[AgeCap] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _consistent(self) -> "QuestionnaireDefinition":
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate question keys")
        if [b.level for b in self.bands] != list(LEVELS):
            raise ValueError("bands must be C1, C2, C3, C4, C5 in this order")
        if self.bands[0].min_score != 0:
            raise ValueError("the C1 band must start at 0")
        for lower, upper in zip(self.bands, self.bands[1:]):
            if lower.max_score < lower.min_score or upper.min_score != lower.max_score + 1:
                raise ValueError("bands must be contiguous and ascending")
        if self.bands[-1].max_score < self.max_score:
            raise ValueError("the C5 band must reach the highest possible score")
        return self

    @property
    def max_score(self) -> int:
        return sum(q.most for q in self.questions)

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


class Criterion(StrictInput):
    key: str = Field(pattern=_KEY)
    text: Words
    evidence: Words  # what proves it, e.g. "asset statements of the last 3 years"


class CriteriaGroup(StrictInput):
    """One condition of the classification: at least one of these criteria must be met."""

    any_of: list[str] = Field(min_length=1, max_length=10)


class CriteriaDefinition(StrictInput):
    criteria: list[Criterion] = Field(min_length=1, max_length=20)
    groups: list[CriteriaGroup] = Field(min_length=1, max_length=10)  # every group must be satisfied

    @model_validator(mode="after")
    def _known_keys(self) -> "CriteriaDefinition":
        keys = {c.key for c in self.criteria}
        if len(keys) != len(self.criteria):
            raise ValueError("duplicate criterion keys")
        for g in self.groups:
            if not set(g.any_of) <= keys:
                raise ValueError("a group names an unknown criterion")
        return self

    def satisfied_by(self, met: set[str]) -> bool:
        return all(set(g.any_of) & met for g in self.groups)


class SaleRuleConditions(StrictInput):
    """When a sale rule applies: every condition given must hold (at least one must be given)."""

    min_product_risk: ProductLevel | None = None
    min_age: int | None = Field(default=None, ge=0, le=150)
    first_purchase_of_type: bool = False
    product_types: list[Literal["deposit", "wealth", "fund", "bond", "equity", "insurance"]] | None = None
    verdicts: list[Literal["allowed", "warning_required"]] | None = None
    investor_classes: list[Literal["ordinary", "professional"]] | None = None

    @model_validator(mode="after")
    def _something(self) -> "SaleRuleConditions":
        if (self.min_product_risk is None and self.min_age is None and not self.first_purchase_of_type
                and not self.product_types and not self.verdicts and not self.investor_classes):
            raise ValueError("a rule needs at least one condition")
        return self


class ChecklistItem(StrictInput):
    key: str = Field(pattern=_KEY)
    text: Words
