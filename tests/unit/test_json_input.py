"""JSON from outside: whatever the bytes, the answer is a value or a ValidationFailed naming where,
never RecursionError, UnicodeEncodeError or a value that crashes the code reading it next."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.errors import ValidationFailed
from services.integration.idempotency import request_hash
from services.validation.json_input import MAX_DEPTH, load_json, nesting_exceeds, unencodable_at


def _refused(raw) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        load_json(raw)
    return [(e.field, e.code) for e in exc.value.errors]


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")])
def test_nesting_thousands_deep_is_refused_not_a_recursion_error(opening, closing):
    for depth in (MAX_DEPTH + 1, 5_000, 200_000):
        assert _refused((opening * depth + "1" + closing * depth).encode()) == [("body", "value.too_deeply_nested")]
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_unclosed_nesting_is_refused_too():
    assert _refused(b"[" * 100_000) in ([("body", "value.too_deeply_nested")], [("body", "api.invalid_json")])


def test_a_lone_surrogate_is_named_where_it_is():
    assert _refused(b'{"rows": [{"a": "x"}, {"description": "ok \\ud800"}]}') == [
        ("rows[1].description", "value.invalid_encoding")]
    assert _refused(b'{"\\udfff": 1}') == [("body", "value.invalid_encoding")]  # in a key: its object
    assert _refused(b'{"rows": [{"\\ud800": 1}]}') == [("rows[0]", "value.invalid_encoding")]
    assert load_json(b'"\\ud83d\\ude00"') == "\U0001F600"  # a pair is one character, and fine


@pytest.mark.parametrize("raw", [b"[NaN]", b"[Infinity]", b"-Infinity", b"[1e999]", b"\xff\xfe", b"1" * 5000, b"{",
                                 b""])
def test_what_is_not_json_is_refused_as_invalid(raw):
    assert _refused(raw) == [("body", "api.invalid_json")]


def test_the_idempotency_hash_never_fails_on_text_and_is_unchanged_for_plain_text():
    assert request_hash({"a": "\ud800"}) != request_hash({"a": "\ud801"})
    assert request_hash({"b": "工资", "a": 1}) == request_hash({"a": 1, "b": "工资"})


# Text with lone surrogates (Cs), invisible formatting (Cf) and ordinary letters.
_text = st.text(st.characters(categories=["Cs", "Cf", "Lo", "Ll", "Nd", "Zs"]), max_size=8)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | _text, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                     max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=_json, extra_depth=st.integers(0, 3 * MAX_DEPTH))
def test_any_json_value_parses_back_or_is_refused_naming_a_field(value, extra_depth):
    raw = "[" * extra_depth + json.dumps(value) + "]" * extra_depth
    try:
        parsed = load_json(raw.encode("utf-8", "surrogatepass"))
    except ValidationFailed as exc:
        [error] = exc.errors
        assert error.code in ("value.too_deeply_nested", "value.invalid_encoding"), error
        if error.code == "value.too_deeply_nested":
            assert nesting_exceeds(json.loads(raw), MAX_DEPTH)
        else:
            assert unencodable_at(json.loads(raw)) is not None
        return
    assert not nesting_exceeds(parsed, MAX_DEPTH) and unencodable_at(parsed) is None
    json.dumps(parsed, ensure_ascii=False).encode("utf-8")  # what reads it next can encode it
    request_hash(parsed)
