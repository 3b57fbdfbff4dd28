"""JSON from outside (API bodies, the export's filter parameter), parsed so that no input can crash what
reads it next.

- Nesting is bounded (MAX_DEPTH levels; no FinCRM body needs more than four). Python's parser guards its
  own recursion and stops pathological nesting ("[[[[…" thousands deep) near a thousand levels with a
  RecursionError, refused here as too deep; a level-by-level walk (no recursion) then refuses anything
  deeper than MAX_DEPTH before the value reaches code that recurses once per level (the idempotency
  hash, pydantic, the audit's JSON, the error response).
- A lone surrogate ("\\ud800", legal JSON escape syntax but not text) is refused naming where it is: it
  cannot be encoded as UTF-8, so hashing, storing or even echoing it in an error message fails.
- NaN and Infinity (not JSON, though Python's parser accepts them) are refused, and so is a number that
  only a float's infinity can hold (1e999).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from services.errors import FieldError, ValidationFailed
from services.validation.text import ENCODING

MAX_DEPTH = 32
INVALID = "api.invalid_json"
TOO_DEEP = "value.too_deeply_nested"

_SURROGATE = re.compile("[\ud800-\udfff]")
# Where a parsed value may hold one: UTF-8 bytes cannot carry a surrogate, so only a "\ud8..".."\udf.." escape
# makes one (a bytes search, one byte a character); text may also hold one as it is.
_MAY_HOLD_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_MAY_HOLD_SURROGATE_TEXT = re.compile("\\\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def nesting_exceeds(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in `value` nest more than `max_depth` levels (a scalar is level 0)."""
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below: list = []
        for container in level:
            items = container.values() if type(container) is dict else container
            kinds = set(map(type, items))  # C speed: most containers of a batch hold only scalars
            if dict in kinds or list in kinds:
                below.extend(item for item in items if type(item) is dict or type(item) is list)
        level = below
    return False


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def unencodable_at(value: Any, root: str = "") -> str | None:
    """The path ('rows[3].description') of the first string or key holding a lone surrogate, or None.
    A key that itself holds one is named by the object that contains it ('' for the top level).
    Iterative, so any depth is safe."""
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                return path
        elif isinstance(v, dict):
            for k, item in v.items():
                if isinstance(k, str) and _SURROGATE.search(k):
                    return path
                stack.append((_path(path, k), item))
        elif isinstance(v, list):
            stack.extend((_path(path, i), item) for i, item in enumerate(v))
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999: a number in JSON's grammar, infinity in Python's
        raise ValueError(f"{literal} is out of range")
    return value


def load_json(raw: bytes | str, *, field: str = "body", max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `raw`, or ValidationFailed naming `field` (for broken text, the path to it
    inside the body, like 'rows[3].description')."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        raise ValidationFailed([FieldError(field, INVALID)]) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        value, deep = None, True
    except ValueError:
        raise ValidationFailed([FieldError(field, INVALID)]) from None
    else:
        deep = nesting_exceeds(value, max_depth)
    if deep:
        raise ValidationFailed([FieldError(field, TOO_DEEP, {"max": max_depth})])
    suspect = (_MAY_HOLD_SURROGATE_BYTES.search(raw) if isinstance(raw, (bytes, bytearray))
               else _MAY_HOLD_SURROGATE_TEXT.search(text))
    if suspect:  # most bodies skip the walk
        where = unencodable_at(value, "" if field == "body" else field)
        if where is not None:
            raise ValidationFailed([FieldError(where or field, ENCODING)])
    return value
