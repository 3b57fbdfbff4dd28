"""Turning pydantic validation errors into FinCRM's field errors (codes, not English text)."""
from __future__ import annotations

import re

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.errors import FieldError, ValidationFailed

M = TypeVar("M", bound=BaseModel)

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
    "date_from_datetime_parsing": "value.invalid",
    "date_parsing": "value.invalid",
    "date_type": "value.invalid",
}


def parse(model: type[M], data: Any) -> M:
    """Validate untrusted input into `model`, or raise ValidationFailed naming each field."""
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: list[FieldError] = []
        for err in exc.errors():
            # Name the top-level field: that is what the form or API caller sent.
            loc = next((str(p) for p in err.get("loc", ()) if p != "__root__"), "input")
            ctx = err.get("ctx") or {}
            if "error" in ctx and hasattr(ctx["error"], "code"):
                code = ctx["error"].code  # our InvalidValue from a field validator
            elif "error" in ctx and str(ctx["error"]) == "email":
                code = "email.format"
            elif "error" in ctx and str(ctx["error"]) == "control":
                code = "value.control_characters"
            elif "error" in ctx and str(ctx["error"]) == "share":
                code = "value.share_only_for_owners"
            elif "error" in ctx and str(ctx["error"]) == "naive":
                code = "value.needs_timezone"
            elif "error" in ctx and str(ctx["error"]) == "channel":
                code = "value.invalid_choice"
            else:
                kind = err.get("type", "")
                code = _TYPE_CODES.get(kind, "value.wrong_type" if kind.endswith("_type") else "value.invalid")
            params = {}
            if code == "value.too_long":
                params["max"] = ctx.get("max_length")
            if code == "value.too_short":
                params["min"] = ctx.get("min_length")
            if code == "value.invalid_choice" and "expected" in ctx:
                params["choices"] = ctx["expected"]
            errors.append(FieldError(loc, code, params))
        raise ValidationFailed(errors) from None


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
