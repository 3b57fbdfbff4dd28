"""Untrusted input into FinCRM's types: the strict base of every input model, bounded integers, and
pydantic validation errors as FinCRM's field errors (codes, not English text)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.errors import FieldError, ValidationFailed
from services.validation.dates import OUT_OF_RANGE, RANGE_PARAMS
from services.validation.text import text_problem

M = TypeVar("M", bound=BaseModel)

# Integers a caller sends end up in database columns, where an int beyond the column's range is an
# OverflowError (SQLite) or a DataError (PostgreSQL), a server error either way. Ids are INTEGER
# columns (32-bit on PostgreSQL); nothing FinCRM stores is wider than a 64-bit signed integer.
ID_LIMIT = 2**31
INT64_LIMIT = 2**63

RowId = Annotated[int, Field(gt=0, lt=ID_LIMIT)]
"""The id of a row (a user, team, customer, household ...): 1 .. 2**31-1."""

StoredInt = Annotated[int, Field(gt=-INT64_LIMIT, lt=INT64_LIMIT)]
"""Any other integer kept as it was sent (for example in a JSON attribute): a 64-bit signed integer."""


class StrictInput(BaseModel):
    """The base of every model that validates input from outside: unknown fields are refused,
    text is stripped, and no text field may hold control, invisible or bidirectional-override
    characters or lone surrogates (services/validation/text.py says why)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, v: Any) -> Any:
        items = v if isinstance(v, (list, tuple)) else (v,)
        for item in items:
            if isinstance(item, str):
                problem = text_problem(item)
                if problem:
                    raise ValueError(problem)
        return v


_TYPE_CODES = {
    "missing": "value.required",
    "string_too_long": "value.too_long",
    "string_too_short": "value.too_short",
    "too_short": "value.required",
    "greater_than": "value.invalid",
    "less_than_equal": "value.invalid",
    "literal_error": "value.invalid_choice",
    "enum": "value.invalid_choice",
    "extra_forbidden": "value.unknown_field",
    # Say what a value should look like, never a bare "is not valid" (a filter form's date or amount).
    "date_from_datetime_parsing": "date.format",
    "date_from_datetime_inexact": "date.format",
    "date_parsing": "date.format",
    "date_type": "date.format",
    "decimal_parsing": "value.not_a_number",
    "decimal_type": "value.not_a_number",
    "finite_number": "value.not_a_number",
    "float_parsing": "value.not_a_number",
    "int_parsing": "value.not_a_whole_number",
    "int_from_float": "value.not_a_whole_number",
    "decimal_max_places": "value.too_many_decimals",
    "string_unicode": "value.invalid_encoding",
    "timezone_aware": "value.needs_timezone",
}
# Reasons a validator gives as ValueError(<reason>), and the message code each stands for.
_REASON_CODES = {
    "email": "email.format",
    "control": "value.control_characters",
    "share": "value.share_only_for_owners",
    "naive": "value.needs_timezone",
    "channel": "value.invalid_choice",
}
_TEXT_CODES = frozenset({"value.control_characters", "value.invisible_characters", "value.invalid_encoding"})


def _int_bounds(kind: str, ctx: dict) -> tuple[str, dict] | None:
    """An integer out of its range as 'must be at least / at most N' (inclusive bounds, as people read them)."""
    if kind == "greater_than" and isinstance(ctx.get("gt"), int):
        return "value.below_min", {"min": ctx["gt"] + 1}
    if kind == "greater_than_equal" and isinstance(ctx.get("ge"), int):
        return "value.below_min", {"min": ctx["ge"]}
    if kind == "less_than" and isinstance(ctx.get("lt"), int):
        return "value.above_max", {"max": ctx["lt"] - 1}
    if kind == "less_than_equal" and isinstance(ctx.get("le"), int):
        return "value.above_max", {"max": ctx["le"]}
    return None


def _number_bounds(kind: str, ctx: dict) -> tuple[str, dict] | None:
    """A number out of its range (an amount sent as text, a decimal bound) as 'must be at least / at most N'."""
    bound = next((ctx[k] for k in ("ge", "le", "gt", "lt") if k in ctx), None)
    if isinstance(bound, bool) or not isinstance(bound, (int, float, Decimal)):
        return None
    if isinstance(bound, int):
        return _int_bounds(kind, ctx)
    shown = format(Decimal(str(bound)).normalize(), "f")
    return {"greater_than_equal": ("value.below_min", {"min": shown}),
            "greater_than": ("value.must_exceed", {"min": shown}),
            "less_than_equal": ("value.above_max", {"max": shown}),
            "less_than": ("value.must_be_below", {"max": shown})}.get(kind)


def _date_bounds(kind: str, ctx: dict) -> bool:
    """A date or time outside the business range (services/validation/dates.py). pydantic gives the bound
    as a date, a datetime or its ISO text; a field with bounds of its own gets the plain 'is not valid'."""
    bound = next((ctx[k] for k in ("ge", "le", "gt", "lt") if k in ctx), None)
    day = bound.isoformat()[:10] if isinstance(bound, date) else str(bound)[:10]
    return kind.startswith(("greater_than", "less_than")) and day in RANGE_PARAMS.values()


def _field_name(err: dict) -> str:
    """The top-level field the form or API caller sent; an unknown key that is not plain text (it would
    break the error message itself) is named as 'input'."""
    loc = next((p for p in err.get("loc", ()) if p != "__root__"), "input")
    loc = str(loc)
    return "input" if text_problem(loc) or len(loc) > 100 else loc


def parse(model: type[M], data: Any) -> M:
    """Validate untrusted input into `model`, or raise ValidationFailed naming each field."""
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: list[FieldError] = []
        for err in exc.errors():
            loc = _field_name(err)
            ctx = err.get("ctx") or {}
            kind = err.get("type", "")
            reason = ctx.get("error")
            params: dict = {}
            if reason is not None and hasattr(reason, "code"):
                code = reason.code  # our InvalidValue from a field validator
                params = dict(getattr(reason, "params", None) or {})
            elif reason is not None and str(reason) in _REASON_CODES:
                code = _REASON_CODES[str(reason)]
            elif reason is not None and str(reason) in _TEXT_CODES:
                code = str(reason)
            elif _date_bounds(kind, ctx):
                code, params = OUT_OF_RANGE, dict(RANGE_PARAMS)
            elif isinstance(err.get("input"), int) and _int_bounds(kind, ctx):
                code, params = _int_bounds(kind, ctx)
            elif _number_bounds(kind, ctx):
                code, params = _number_bounds(kind, ctx)
            elif kind in ("date_from_datetime_parsing", "date_parsing") and "range" in str(reason or ""):
                code = "date.invalid"  # 2026-02-30: the form is right, the day does not exist
            else:
                code = _TYPE_CODES.get(kind, "value.wrong_type" if kind.endswith("_type") else "value.invalid")
            if code == "value.too_long":
                params["max"] = ctx.get("max_length")
            if code == "value.too_short":
                params["min"] = ctx.get("min_length")
                if params["min"] == 1:
                    code, params = "value.required", {}  # an empty name is missing, not "too short"
            if code == "value.invalid_choice" and "expected" in ctx:
                params["choices"] = ctx["expected"]
            errors.append(FieldError(loc, code, params))
        raise ValidationFailed(_one_per_field(errors)) from None


def _one_per_field(errors: list[FieldError]) -> list[FieldError]:
    """One error per field: a union (str | int | ...) fails once per member; the first that says more than
    'wrong type' speaks for the field."""
    chosen: dict[str, FieldError] = {}
    for e in errors:
        if e.field not in chosen or (chosen[e.field].code == "value.wrong_type" and e.code != "value.wrong_type"):
            chosen[e.field] = e
    return list(chosen.values())


_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(value: Any, *, low: int = 1, high: int = 2**62) -> int | None:
    """An int in [low, high) from untrusted input (an int, or text of ASCII digits), else None.

    Not `str.isdigit()`: it accepts "²" and "①", which int() then refuses with a ValueError.
    """
    if isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value < high else None
