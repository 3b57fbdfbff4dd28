"""The rule editor's rows <-> condition tree conversion (state/tags.py), which the service then validates."""
from __future__ import annotations

import pytest

from services.errors import ValidationFailed
from services.tags import rules as R
from state.tags import definition_to_rows, rows_to_definition

CATALOGUE = {name: {"type": spec.type, "params": sorted(spec.params), "ops": []} for name, spec in R.FIELDS.items()}
HNW = {"all": [
    {"field": "tx_sum", "op": ">=", "value": 500000, "days": 30, "kinds": ["deposit"]},
    {"field": "event_count", "op": ">=", "value": 3, "days": 30, "event_kind": "product_view", "premium": True},
]}


def test_a_flat_rule_round_trips_through_the_editor_rows():
    combine, rows = definition_to_rows(HNW)
    assert combine == "all" and [r["field"] for r in rows] == ["tx_sum", "event_count"]
    back = rows_to_definition(combine, rows, CATALOGUE)
    # Amounts come back as typed text; the validator normalises both the same way.
    assert R.validate(back) == R.validate(HNW)


def test_not_and_lists_and_or():
    rows = [{"field": "segment", "op": "in", "value": "hnw，uhnw", "negate": "1"},
            {"field": "age", "op": ">=", "value": "65"}]
    d = rows_to_definition("any", rows, CATALOGUE)
    assert d == {"any": [{"not": {"field": "segment", "op": "in", "value": ["hnw", "uhnw"]}},
                         {"field": "age", "op": ">=", "value": 65}]}
    assert definition_to_rows(d)[1][0]["negate"] == "1"


def test_nested_groups_do_not_fit_the_form():
    assert definition_to_rows({"all": [HNW, {"field": "age", "op": ">=", "value": 1}]}) is None
    assert definition_to_rows("junk") is None


def test_bad_row_values_reach_the_validator_and_are_named():
    rows = [{"field": "aum", "op": ">=", "value": "1"}, {"field": "age", "op": ">=", "value": "sixty"}]
    with pytest.raises(ValidationFailed) as err:
        R.validate(rows_to_definition("all", rows, CATALOGUE))
    assert [(e.code, e.params["path"]) for e in err.value.errors] == [("tag_rule.bad_value_integer", "2")]
