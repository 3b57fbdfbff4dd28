"""Every model the services validate untrusted input with is safe by construction, so a new field cannot
forget it: every integer is range-checked (an int beyond a column's range is a server error, not a 422),
every untyped value has a named validator, and every text field refuses control, invisible and bidi
characters and lone surrogates."""
from __future__ import annotations

import pytest
from pydantic import BaseModel

from services.integration import ingest
from services.portfolio.conventions import AMOUNT_SIGN, CREDIT, DEBIT
from services.portfolio.models import TransactionKind
from services.validation.input import INT64_LIMIT, StrictInput
from test_field_labels import MODELS  # every `parse(Model, ...)` in services, and the API's batch rows

# Fields whose value is free-form JSON on purpose, and the code that validates what is inside.
UNTYPED = {
    ("CustomerCreate", "custom"): "custom_fields.clean_custom_values (numbers below MAX_ABS, dates 1900-2200)",
    ("CustomerUpdate", "custom"): "custom_fields.clean_custom_values",
    ("RuleSave", "definition"): "tags.rules validation (ids below 2**62, integers within 10**9, days bounded)",
}


def _problems(schema: dict, defs: dict, path: str, out: list[str], seen: set[str]) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            _problems(defs[name], defs, path, out, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _problems(sub, defs, path, out, seen)
    kind = schema.get("type")
    if kind == "integer":
        high = schema.get("exclusiveMaximum", schema.get("maximum", None))
        low = schema.get("exclusiveMinimum", schema.get("minimum", None))
        if high is None or low is None or high > INT64_LIMIT or low < -INT64_LIMIT:
            out.append(f"{path}: unbounded integer (use services.validation.input.RowId / StoredInt)")
    elif kind == "object":
        extra = schema.get("additionalProperties")
        if "properties" in schema:
            for name, sub in schema["properties"].items():
                _problems(sub, defs, f"{path}.{name}" if path else name, out, seen)
        elif isinstance(extra, dict) and extra:
            _problems(extra, defs, f"{path}.*", out, seen)
        else:
            out.append(f"{path}: untyped object")
    elif kind == "array":
        _problems(schema.get("items", {}), defs, f"{path}[]", out, seen)
    elif kind is None and not any(k in schema for k in ("anyOf", "oneOf", "allOf", "enum", "const")):
        out.append(f"{path}: untyped value")


@pytest.mark.parametrize("model", sorted(MODELS), ids=str)
def test_every_integer_an_input_model_takes_is_range_checked(model):
    schema = MODELS[model].model_json_schema()
    problems: list[str] = []
    _problems(schema, schema.get("$defs", {}), "", problems, set())
    problems = [p for p in problems if (model, p.split(":")[0].split(".")[0]) not in UNTYPED]
    assert problems == [], f"{model}: {problems}"


def test_the_untyped_allow_list_names_only_fields_that_exist():
    for model, field in UNTYPED:
        assert field in MODELS[model].model_fields, (model, field)


@pytest.mark.parametrize("model", sorted(MODELS), ids=str)
def test_every_input_model_refuses_hidden_text(model):
    """StrictInput checks each text field; batch rows are checked by the ingest (one regex per value)."""
    cls: type[BaseModel] = MODELS[model]
    assert issubclass(cls, (StrictInput, ingest._Row)), f"{model} must build on services.validation.input.StrictInput"


def test_every_transaction_kind_has_a_sign_on_both_kinds_of_account():
    assert set(AMOUNT_SIGN) == set(TransactionKind)
    assert all(set(signs) <= {CREDIT, DEBIT} and len(signs) == 2 for signs in AMOUNT_SIGN.values())
