"""Every word a person can see exists in both languages (issue 9, point 7), found by reading the code, not
from a list kept by hand:

- every label key the UI uses: `t("...")` in components and pages, `label("...")` / `_lbl(...)` / `t(...)`
  in states, literal keys in the page registry's titles and menus;
- every family of keys built from a code (`f"tx.{kind}"`, `f"segment.{...}"`): the domain enum the family
  names (found by the values the family already has) has a label for each of its values, so a new
  transaction kind cannot appear raw ("card repayment") again;
- every message the services can say (services/i18n.py and each domain's messages, merged on import),
  and every message code the services raise (FieldError, InvalidValue, DomainError subclasses' `code`);
- both texts of each label and message are non-empty and name the same {placeholders}.
"""
from __future__ import annotations

import ast
import enum
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import services
from services import i18n
from state.i18n import LABELS

ROOT = Path(__file__).resolve().parents[2]
UI_DIRS = ("components", "fincrm_app", "state")
LABEL_CALLS = {"t", "label", "_lbl", "_label", "_first", "lbl"}
_PLACEHOLDER = re.compile(r"{(\w*)}")


def _sources(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py") if "labels" not in p.parts)


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            yield name, node


def _label_uses() -> tuple[dict[str, list[str]], dict[tuple[str, ...], list[str]]]:
    """Literal label keys, and f-string key prefixes, the UI passes to its label functions, with where. The
    prefixes of one call are one family: `_lbl(loc, f"rel.{k}", f"c360.rel.{k}")` looks in both."""
    literal: dict[str, list[str]] = {}
    prefixes: dict[tuple[str, ...], list[str]] = {}
    for path in _sources(*UI_DIRS):
        where = str(path.relative_to(ROOT))
        for name, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if name not in LABEL_CALLS:
                continue
            family = []
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _looks_like_key(arg.value):
                    literal.setdefault(arg.value, []).append(where)
                elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
                    head = str(arg.values[0].value)
                    if head.endswith(".") and _looks_like_key(head + "x"):
                        family.append(head)
            if family:
                prefixes.setdefault(tuple(family), []).append(where)
    return literal, prefixes


def _looks_like_key(text: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_<>=!]+)+", text) is not None


def _registry_keys() -> set[str]:
    from fincrm_app.pages import registry

    pages = registry.discover()
    return {p.title for p in pages} | {p.menu.label for p in pages if p.menu is not None}


def _both(zh: str, en: str) -> bool:
    return bool(zh and zh.strip() and en and en.strip())


def test_every_label_key_the_ui_uses_exists_in_both_languages():
    literal, _ = _label_uses()
    assert len(literal) > 300, "the scan found too few keys: has the way components call t() changed?"
    keys = set(literal) | _registry_keys()
    missing = sorted(f"{k} ({', '.join(sorted(set(literal.get(k, ['registry']))))})" for k in keys
                     if k not in LABELS)
    assert missing == [], "label keys used but not defined in state/labels (or state/i18n.py):\n" + "\n".join(missing)


def test_every_label_has_both_texts_with_the_same_placeholders():
    bad = [k for k, (zh, en) in LABELS.items() if not _both(zh, en)]
    assert bad == [], f"labels without both texts: {bad}"
    uneven = [k for k, (zh, en) in LABELS.items()
              if set(_PLACEHOLDER.findall(zh)) != set(_PLACEHOLDER.findall(en))]
    assert uneven == [], f"labels whose languages name different placeholders: {uneven}"


def _domain_enums() -> list[type[enum.Enum]]:
    found = {}
    for info in pkgutil.walk_packages(services.__path__, "services."):
        if ".demo" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, enum.Enum) and obj.__module__ == module.__name__ \
                    and all(isinstance(m.value, str) for m in obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


# Families whose codes are plain strings that happen to look like an enum's values (no enum to follow).
NOT_AN_ENUM = {"aml.severity.": "a screening hit's severity (low, medium, high), not the AML risk rating"}


def _families() -> dict[tuple[str, ...], set[str]]:
    """Label key families the UI builds from a code: its prefixes -> the codes they have labels for."""
    _, prefixes = _label_uses()
    return {family: {k[len(p):] for p in family for k in LABELS if k.startswith(p) and "." not in k[len(p):]}
            for family in prefixes}


def test_every_code_a_label_family_names_has_a_label():
    """f"tx.{kind}" and its kin: the domain enum a family stands for (the one most of whose values it already
    names) must be named whole, so no code is ever shown as its key's last part (`label()`'s fallback). A family
    that names only some values of every enum (warnings for a lapsed KYC only) is left alone."""
    enums = _domain_enums()
    gaps, matched = [], set()
    for family, have in _families().items():
        if family[0] in NOT_AN_ENUM:
            continue
        scored = [(len({m.value for m in e} & have) / len(e), len({m.value for m in e} & have), e)
                  for e in enums if len(e) >= 2]
        ratio, overlap, best = max(scored, key=lambda x: (x[0], x[1]))
        if ratio >= 0.75 and overlap >= 2 and overlap / max(1, len(have)) >= 0.75:
            matched.add(family[0])
            gaps += [f"{family[0]}{m.value} ({best.__module__}.{best.__name__})" for m in best
                     if m.value not in have]
    assert {"tx.", "segment.", "product.", "account.", "c360.event."} <= matched, matched
    assert gaps == [], "codes without a label (they would be shown raw):\n" + "\n".join(gaps)


def _messages() -> dict[str, dict[str, str]]:
    for info in pkgutil.walk_packages(services.__path__, "services."):  # domains add theirs on import
        if ".demo" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    from services import bootstrap

    bootstrap.configure()
    return i18n.MESSAGES


def test_every_service_message_exists_in_both_languages_with_the_same_placeholders():
    messages = _messages()
    bad = [code for code, texts in messages.items() if not _both(texts.get("zh_CN", ""), texts.get("en", ""))]
    assert bad == [], f"messages without both languages: {bad}"
    uneven = [code for code, t in messages.items()
              if set(_PLACEHOLDER.findall(t["zh_CN"])) != set(_PLACEHOLDER.findall(t["en"]))]
    assert uneven == [], f"messages whose languages name different placeholders: {uneven}"


_CODE_ARG = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def _raised_codes() -> dict[str, str]:
    """Message codes written literally where services raise them: FieldError(field, "code"), InvalidValue("code"),
    SomeError("code"), and the `code = "..."` of DomainError subclasses."""
    out: dict[str, str] = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "demo" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, call in _calls(tree):
            args = call.args[1:2] if name == "FieldError" else call.args[:1] if name and (
                name == "InvalidValue" or name.endswith(("Error", "Refused", "Failed", "Rejected", "Refusal",
                                                         "NotPermitted", "NotFound", "Conflict"))) else []
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _CODE_ARG.match(arg.value):
                    out.setdefault(arg.value, where)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code"
                                                             for t in stmt.targets)
                            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                            and _CODE_ARG.match(stmt.value.value)):
                        out.setdefault(stmt.value.value, where)
    return out


def test_every_message_code_the_services_raise_has_its_words():
    messages = _messages()
    codes = _raised_codes()
    assert len(codes) > 100, "the scan found too few codes: has the way services raise errors changed?"
    missing = sorted(f"{c} ({where})" for c, where in codes.items() if c not in messages)
    assert missing == [], "codes raised without a message in services/i18n.py (shown raw):\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_missing_label_is_caught_by_this_scan(locale, monkeypatch):
    """The scan is not vacuous: a key removed from the table is reported."""
    literal, _ = _label_uses()
    key = "c360.tx_filter"
    assert key in literal
    monkeypatch.delitem(LABELS, key)
    with pytest.raises(AssertionError, match=re.escape(key)):
        test_every_label_key_the_ui_uses_exists_in_both_languages()
