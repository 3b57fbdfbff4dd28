"""Every field a person can get an error about has a name in both languages (no message codes on screen)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import services
from services.i18n import MESSAGES, field_label
from services.integration import ingest

ROOT = Path(services.__file__).parent


def _input_models() -> dict[str, type[BaseModel]]:
    """The models services validate untrusted input with: every `parse(Model, ...)`, and the API's batch rows."""
    names = set()
    for path in ROOT.rglob("*.py"):
        names |= set(re.findall(r"\bparse\(([A-Z][A-Za-z_]+)", path.read_text(encoding="utf-8")))
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.walk_packages(services.__path__, "services."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name in names and inspect.isclass(obj) and issubclass(obj, BaseModel):
                found[name] = obj
    assert names <= set(found), f"parse() models not found: {sorted(names - set(found))}"
    for row_model in ingest._Row.__subclasses__():
        found[row_model.__name__] = row_model
    return found


MODELS = _input_models()


@pytest.mark.parametrize("model", sorted(MODELS), ids=str)
def test_every_input_field_has_a_name_in_both_languages(model):
    missing = [f for f in MODELS[model].model_fields if f"field.{f}" not in MESSAGES
               or not all(MESSAGES[f"field.{f}"].get(loc) for loc in ("zh_CN", "en"))]
    assert missing == [], f"{model}: add field.<name> labels for {missing} to services/i18n.py"


def test_batch_row_errors_name_the_row_as_people_count_and_unknown_keys_are_shown_as_sent():
    assert field_label("transactions[3].amount", "zh_CN") == "第 4 行 金额"
    assert field_label("transactions[3].amount", "en") == "row 4, Amount"
    assert field_label("no_such_field", "en") == "no_such_field"
