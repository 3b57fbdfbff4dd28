"""/admin/tags: admins list tag rules, build a rule's conditions without code, preview, save, switch on/off.

Thin: every handler resolves the actor from the session cookie, validates its arguments, turns the editor's
rows into a condition tree and calls services.tags.service, which checks that the actor is an admin and
validates the tree (errors name the condition). The editor holds one flat group of condition rows (AND or
OR, each row with its own NOT); a rule nested deeper is shown as JSON instead.

Nobody types an internal code: each field offers only the operators its type supports, and values and
parameters that are codes or ids (segments, transaction kinds, product types, branches, RMs ...) are chosen
from lists of their names (services.tags.service.field_catalogue says which). Whatever is shown in words
(errors, notices, the editor's title) is kept as codes and parameters and worded again in the user's
language when he switches it.
"""
from __future__ import annotations

import asyncio
import copy
import json
import re
from typing import Any

import reflex as rx

from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import field_label, format_number, translate
from services.tags import service as tags
from state.i18n import LABELS, label
from state.session import DataState

MAX_ROWS = 20
NEW_TAG = "__new"
COLORS = tags.COLORS
ROW_KEYS = ("field", "op", "value", "days", "kinds", "event_kind", "premium", "min_risk", "product_types", "negate")
FORM_KEYS = ("f_rule_key", "f_name", "f_tag", "f_tag_code", "f_tag_name", "f_tag_name_en", "f_color")
LIST_OPS = ("in", "not_in")
# Multi-valued parts of a row (codes joined by commas) that are picked from a list, never typed.
CHOICE_KEYS = ("value", "kinds", "product_types")
_SPLIT = re.compile(r"[,，、\s]+")
_INT = re.compile(r"^-?\d{1,12}$")

# How the UI names the codes of a field's values and a parameter's choices (label key prefixes, state/labels).
VALUE_LABELS = {"segment": "segment", "status": "status", "kind": "kind", "gender": "gender",
                "source_channel": "channel", "aml_risk": "c360.aml", "kyc_status": "c360.kyc",
                "risk_level": "q.level"}
PARAM_SETS = {"event_kind": ("param.event_kind", "c360.event"), "product_types": ("param.product_types", "product"),
              "min_risk": ("param.min_risk", "")}
KIND_SETS = {"tx_sum": ("param.tx_kinds", "tx"), "tx_count": ("param.tx_kinds", "tx"),
             "interaction_count": ("param.interaction_kinds", "interaction")}
PARAM_LABELS = {"days": "tags.days", "kinds": "tags.kinds", "event_kind": "tags.event_kind",
                "product_types": "tags.product_types", "min_risk": "tags.min_risk", "premium": "tags.premium"}
# Editor fields that tag and rule errors name (the service's field -> the label the form shows).
RULE_FORM_LABELS = {"rule_key": "tags.rule_key", "name": "tags.rule_name", "tag_code": "tags.tag",
                    "definition": "tags.conditions"}
TAG_FORM_LABELS = {"code": "tags.tag_code", "name": "tags.tag_name", "name_en": "tags.tag_name_en",
                   "color": "tags.tag_color"}


def _shape(info: dict | None) -> str:
    params = set((info or {}).get("params", []))
    if "event_kind" in params:
        return "event"
    if "kinds" in params:
        return "window"
    if "min_risk" in params:
        return "holding"
    return "plain"


def value_input(info: dict | None, op: str) -> str:
    """The control a row's value needs: a number, a date, text, or one / several values picked by name."""
    ftype = (info or {}).get("type", "text")
    if ftype in ("integer", "number", "money", "date"):
        return ftype
    if ftype == "id":
        return "picks" if op in LIST_OPS else "pick"
    if ftype in ("choice", "ordered", "multi"):
        return "choices" if op in LIST_OPS else "choice"
    return "text"


def _items(text: str) -> list[str]:
    return [x for x in _SPLIT.split(text.strip()) if x]


def _typed(value: str, ftype: str) -> Any:
    if ftype in ("integer", "id") and _INT.match(value):
        return int(value)
    return value  # anything else goes as typed; the service says what is wrong with it


def _marks(text: str) -> str:
    """Codes "a,b" as "|a|b|", so a component can ask whether a code is chosen with one `contains`."""
    return "|" + "|".join(_items(text)) + "|"


def row_to_leaf(row: dict[str, str], info: dict | None) -> dict:
    """One editor row as a leaf condition (wrapped in NOT when ticked)."""
    ftype = (info or {}).get("type", "text")
    params = set((info or {}).get("params", []))
    leaf: dict[str, Any] = {"field": row.get("field", ""), "op": row.get("op", "")}
    raw = row.get("value", "").strip()
    if leaf["op"] in LIST_OPS:
        leaf["value"] = [_typed(x, ftype) for x in _items(raw)]
    else:
        leaf["value"] = _typed(raw, ftype)
    if "days" in params and row.get("days", "").strip():
        d = row["days"].strip()
        leaf["days"] = int(d) if _INT.match(d) else d
    if "kinds" in params and row.get("kinds", "").strip():
        leaf["kinds"] = _items(row["kinds"])
    if "event_kind" in params:
        leaf["event_kind"] = row.get("event_kind") or "product_view"
    if "premium" in params and row.get("premium"):
        leaf["premium"] = True
    if "min_risk" in params and row.get("min_risk"):
        leaf["min_risk"] = row["min_risk"]
    if "product_types" in params and row.get("product_types", "").strip():
        leaf["product_types"] = _items(row["product_types"])
    return {"not": leaf} if row.get("negate") else leaf


def rows_to_definition(combine: str, rows: list[dict[str, str]], catalogue: dict[str, dict]) -> dict:
    return {("any" if combine == "any" else "all"): [row_to_leaf(r, catalogue.get(r.get("field", ""))) for r in rows]}


def _text(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    return "" if v is None else str(v)


def definition_to_rows(definition: Any) -> tuple[str, list[dict[str, str]]] | None:
    """A stored definition as (combine, rows), or None when it does not fit one flat group."""
    if not isinstance(definition, dict):
        return None
    if "field" in definition or "not" in definition:
        definition = {"all": [definition]}
    combine = "any" if "any" in definition else "all"
    items = definition.get(combine)
    if not isinstance(items, list) or len(definition) != 1:
        return None
    rows = []
    for item in items:
        negate = isinstance(item, dict) and set(item) == {"not"}
        leaf = item["not"] if negate else item
        if not isinstance(leaf, dict) or "field" not in leaf:
            return None
        rows.append({"field": _text(leaf.get("field")), "op": _text(leaf.get("op")), "value": _text(leaf.get("value")),
                     "days": _text(leaf.get("days")), "kinds": _text(leaf.get("kinds")),
                     "event_kind": _text(leaf.get("event_kind")), "premium": "1" if leaf.get("premium") else "",
                     "min_risk": _text(leaf.get("min_risk")), "product_types": _text(leaf.get("product_types")),
                     "negate": "1" if negate else ""})
    return combine, rows


def _blank_row() -> dict[str, str]:
    return {"field": "aum", "op": ">=", "value": "", "days": "", "kinds": "", "event_kind": "product_view",
            "premium": "", "min_risk": "", "product_types": "", "negate": ""}


def _named(prefix: str, code: str, locale: str) -> str:
    key = f"{prefix}.{code}"
    return label(key, locale) if prefix and key in LABELS else code


def choice_sets(catalogue: dict[str, dict], locale: str) -> dict[str, list[dict[str, str]]]:
    """Every list the editor picks from, in `locale`: a field's values (by field name) and each parameter's."""
    en = locale == "en"
    sets: dict[str, list[dict[str, str]]] = {}
    for name, info in catalogue.items():
        if info.get("options"):  # branches, teams, RMs, custom fields' options: named by the service
            sets[name] = [{"value": o["value"], "label": o["label_en"] if en else o["label"]}
                          for o in info["options"]]
        elif info.get("choices"):
            sets[name] = [{"value": c, "label": _named(VALUE_LABELS.get(name, ""), c, locale)}
                          for c in info["choices"]]
        for param, codes in (info.get("param_choices") or {}).items():
            set_name, prefix = KIND_SETS[name] if param == "kinds" else PARAM_SETS.get(param, (f"param.{param}", ""))
            sets.setdefault(set_name, [{"value": c, "label": _named(prefix, c, locale)} for c in codes])
    return sets


def op_label(op: str, locale: str) -> str:
    return label(f"tags.op.{op}", locale) if f"tags.op.{op}" in LABELS else op


def field_name(name: str, catalogue: dict[str, dict], locale: str) -> str:
    """A field as the editor's field list names it."""
    info = catalogue.get(name) or {}
    if name.startswith("custom."):
        return (info.get("label_en") if locale == "en" else info.get("label")) or name.removeprefix("custom.")
    return label(f"tags.f.{name}", locale) if f"tags.f.{name}" in LABELS else name


def _choice_names(codes: str, set_name: str, sets: dict[str, list[dict[str, str]]], locale: str) -> str:
    names = {o["value"]: o["label"] for o in sets.get(set_name, [])}
    return _joined([names.get(c.strip(), c.strip()) for c in codes.split(",") if c.strip()], locale)


def _joined(words: list[str], locale: str) -> str:
    return ("、" if locale != "en" else ", ").join(words)


def condition_problem(err: Any, rows: list[dict[str, str]], catalogue: dict[str, dict], locale: str) -> str:
    """One of the rule validator's errors (tag_rule.*) in the editor's words: "Condition 2 (AUM): ..." with the
    field, parameter, operator and choice names the form shows, never the codes or symbols it does not."""
    p = dict(err.params)
    path = str(p.get("path") or "1")
    sets = choice_sets(catalogue, locale)
    where = label("tags.err.where", locale, path=path)
    top = path.split(".", 1)[0]
    row = rows[int(top) - 1] if top.isdigit() and "." not in path and 0 < int(top) <= len(rows) else None
    if row is not None:
        where = label("tags.err.where_field", locale, path=path, field=field_name(row.get("field", ""), catalogue,
                                                                                  locale))
    code = err.code.removeprefix("tag_rule.")
    name = str(p.get("name", ""))
    words = {"name": label(PARAM_LABELS[name], locale) if name in PARAM_LABELS else name,
             "max": format_number(p["max"], locale) if isinstance(p.get("max"), int) else p.get("max", ""),
             "op": op_label(str(p.get("op", "")), locale)}
    if code == "bad_parameter" and name in ("kinds", "event_kind", "product_types", "min_risk") and row is not None:
        set_name = KIND_SETS.get(row.get("field", ""), ("",))[0] if name == "kinds" else PARAM_SETS[name][0]
        words["choices"] = _choice_names(str(p.get("choices", "")).replace(" ", ""), set_name, sets, locale)
    elif code == "bad_value_choice" and row is not None:
        words["choices"] = _choice_names(str(p.get("choices", "")).replace(" ", ""), row.get("field", ""), sets, locale)
    elif code == "op_not_allowed":
        words["ops"] = _joined([op_label(o, locale) for o in str(p.get("ops", "")).split()], locale)
    elif code == "unknown_field":
        words["name"] = name
    key = f"tags.err.{code}"
    text = label(key, locale, **words) if key in LABELS else translate(err.code, locale, **p)
    return f"{where}{text}"


def error_text(exc: DomainError, scope: str, rows: list[dict[str, str]], catalogue: dict[str, dict],
               locale: str) -> str:
    """A refusal from the service, in the editor's words: each rule condition named by its row and field, each
    form field by the label the form shows it with."""
    if not isinstance(exc, ValidationFailed):
        return exc.message(locale)
    names = TAG_FORM_LABELS if scope == "tag" else RULE_FORM_LABELS
    parts = []
    for e in exc.errors:
        if e.code.startswith("tag_rule.") and e.field == "definition":
            parts.append(condition_problem(e, rows, catalogue, locale))
        else:
            field, names_of = ((e.field[4:], TAG_FORM_LABELS) if e.field.startswith("tag:") else (e.field, names))
            what = label(names_of[field], locale) if field in names_of else field_label(field, locale, e.params)
            parts.append(f"{what}: {translate(e.code, locale, **e.params)}")
    return "; ".join(parts) or exc.message(locale)


class TagsAdminState(DataState):
    rules: list[dict[str, str]] = []
    tag_options: list[dict[str, str]] = []
    field_options: list[dict[str, str]] = []
    choice_sets: dict[str, list[dict[str, str]]] = {}
    picked: dict[str, list[dict[str, str]]] = {}  # row id -> the branches / teams / RMs chosen, by name
    page_error: str = ""
    form_error: str = ""
    notice: str = ""
    preview_text: str = ""
    previewing: bool = False
    loaded: bool = False
    # the editor
    editor_open: bool = False
    editing_key: str = ""
    form_version: int = 0
    f_rule_key: str = ""
    f_name: str = ""
    f_tag: str = ""
    f_tag_code: str = ""
    f_tag_name: str = ""
    f_tag_name_en: str = ""
    f_color: str = "blue"
    combine: str = "all"
    rows: list[dict[str, str]] = []
    nested_json: str = ""  # display only; what is saved is _nested_definition
    _nested_definition: dict = {}
    _catalogue: dict[str, dict] = {}
    _next_rid: int = 0
    # What the words on the page were made from, to say them again in another language.
    _error: dict = {}  # {"scope": "rule" | "tag" | "page", "code", "params", "errors"} or {"scope", "label", "params"}
    _notice: tuple = ()  # (label key, params)
    _preview: tuple = ()  # (count, [(name, customer_no)])

    def _purge(self) -> None:
        self.rules = []
        self.tag_options = []
        self.field_options = []
        self.choice_sets = {}
        self.page_error = self.notice = ""
        self._notice = ()
        self.loaded = False
        self._close()
        self._catalogue = {}

    def _close(self) -> None:
        self.editor_open = False
        self.editing_key = ""
        self.f_rule_key = self.f_name = self.f_tag = self.f_tag_code = self.f_tag_name = self.f_tag_name_en = ""
        self.f_color = "blue"
        self.combine = "all"
        self.rows = []
        self.picked = {}
        self.nested_json = ""
        self._nested_definition = {}
        self.form_error = ""
        self.preview_text = ""
        self._preview = ()
        if self._error.get("scope") != "page":
            self._error = {}

    # ---------------------------------------------------------------- rows

    def _dress(self, data: dict[str, str], rid: str | None = None) -> dict[str, str]:
        """A row with what its controls need: its shape (which parameters), the value's control, the operators
        its field supports and the chosen codes marked for the check boxes."""
        if rid is None:
            self._next_rid += 1
            rid = f"r{self._next_rid}"
        info = self._catalogue.get(data.get("field", ""))
        field = data.get("field", "")
        return {**{k: data.get(k, "") for k in ROW_KEYS}, "rid": rid, "shape": _shape(info),
                "input": value_input(info, data.get("op", "")),
                "ops": "|" + "|".join((info or {}).get("ops", [])) + "|",
                "kset": KIND_SETS.get(field, ("",))[0],
                "value_sel": _marks(data.get("value", "")), "kinds_sel": _marks(data.get("kinds", "")),
                "types_sel": _marks(data.get("product_types", ""))}

    def _set_rows(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        picked = {}
        for r in rows:
            if r.get("input") == "picks":
                names = {o["value"]: o["label"] for o in self.choice_sets.get(r["field"], [])}
                picked[r["rid"]] = [{"value": c, "label": names.get(c, c)} for c in _items(r.get("value", ""))]
        self.picked = picked

    def _restyle_rows(self) -> None:
        """The rows again after the catalogue changed (a new language, a reload): same ids, same values."""
        self._set_rows([self._dress(r, r["rid"]) for r in self.rows])

    # ---------------------------------------------------------------- words

    def _say_error(self) -> None:
        loc = self._locale()
        scope = self._error.get("scope")
        if not self._error:
            text = ""
        elif "label" in self._error:
            text = label(self._error["label"], loc, **self._error.get("params", {}))
        else:
            exc = (ValidationFailed([FieldError(f, c, dict(p)) for f, c, p in self._error["errors"]])
                   if self._error.get("errors") else DomainError(self._error["code"], **self._error["params"]))
            text = error_text(exc, scope, self.rows, self._catalogue, loc)
        if scope == "page":
            self.page_error = text
        else:
            self.form_error = text

    def _fail(self, exc: DomainError, *, scope: str = "rule") -> None:
        """Show a refusal; kept as its codes (plain data: state is pickled) to be worded again in another
        language."""
        self._error = {"scope": scope, "code": exc.code, "params": dict(exc.params),
                       "errors": [(e.field, e.code, dict(e.params)) for e in getattr(exc, "errors", None) or []]}
        self._say_error()

    def _say_notice(self) -> None:
        self.notice = label(self._notice[0], self._locale(), **self._notice[1]) if self._notice else ""

    def _say_preview(self) -> None:
        if not self._preview:
            self.preview_text = ""
            return
        loc = self._locale()
        count, sample = self._preview
        text = label("tags.preview_result", loc, count=format_number(count, loc))
        if sample:
            text += " — " + label("tags.preview_sample", loc, names="、".join(f"{n} ({no})" for n, no in sample))
        self.preview_text = text

    def _refresh(self, actor) -> None:
        loc = self._locale()
        with unit_of_work(readonly=True) as uow:
            rules = tags.list_rules(uow=uow, actor=actor)
            all_tags = tags.list_tags(uow=uow, actor=actor)
            catalogue = tags.field_catalogue(uow=uow, actor=actor)
        self.rules = [{
            "rule_key": r.rule_key, "name": r.name, "version": label("tags.version", loc, version=r.version),
            "tag": r.tag.name_en if loc == "en" else r.tag.name, "color": r.tag.color,
            "active": "1" if r.active else "",
            "matches": label("tags.matches", loc, count=format_number(r.match_count, loc)),
        } for r in rules]
        self.tag_options = [{"code": t.code, "label": t.name_en if loc == "en" else t.name} for t in all_tags]
        self._catalogue = {f.field: f.model_dump() for f in catalogue}
        self.field_options = [{"value": f.field, "label": field_name(f.field, self._catalogue, loc)}
                              for f in catalogue]
        self.choice_sets = choice_sets(self._catalogue, loc)
        self._restyle_rows()
        self.loaded = True
        self._mark_loaded(actor)

    # ---------------------------------------------------------------- handlers

    @rx.event
    def load(self):
        """on_load of /admin/tags."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self.page_error = ""
        if self._error.get("scope") == "page":
            self._error = {}
        try:
            self._refresh(actor)
        except DomainError as exc:
            self.rules = []
            self._fail(exc, scope="page")
            self.loaded = True
            self._mark_loaded(actor)
        return None

    @rx.event
    def change_locale(self, locale: Any):
        """The language switch: everything on the page in the new language, the open editor as it was."""
        if not self._apply_locale(locale):
            return None
        self._say_notice()
        self._say_preview()
        if self.loaded and self._error.get("scope") != "page":
            actor, redirect = self._actor_or_redirect()
            if actor is None:
                return redirect
            try:
                self._refresh(actor)
            except DomainError as exc:
                self._fail(exc, scope="page")
                return None
        self._say_error()
        return None

    @rx.event
    def new_rule(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._close()
        self.editor_open = True
        self.f_tag = self.tag_options[0]["code"] if self.tag_options else NEW_TAG
        self._set_rows([self._dress(_blank_row())])
        self.form_version += 1
        self.notice, self._notice = "", ()
        return None

    @rx.event
    def edit(self, rule_key: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(rule_key, str) or len(rule_key) > 40:
            return None
        try:
            with unit_of_work(readonly=True) as uow:
                rule = tags.get_rule(uow=uow, actor=actor, rule_key=rule_key)
        except DomainError as exc:
            self._fail(exc, scope="page")
            return None
        self._close()
        self.editor_open = True
        self.editing_key = rule.rule_key
        self.f_rule_key, self.f_name, self.f_tag = rule.rule_key, rule.name, rule.tag.code
        flat = definition_to_rows(rule.definition)
        if flat is None or len(flat[1]) > MAX_ROWS:
            # Nested groups, or more conditions than the flat editor holds: shown as JSON and saved whole
            # (never cut down, so saving a new name cannot drop a condition).
            self._nested_definition = rule.definition
            self.nested_json = json.dumps(rule.definition, ensure_ascii=False, indent=2)
        else:
            self.combine, rows = flat
            self._set_rows([self._dress(r) for r in rows])
        self.form_version += 1
        self.notice, self._notice = "", ()
        return None

    @rx.event
    def cancel(self):
        self._close()
        return None

    @rx.event
    def set_form(self, key: Any, value: Any):
        """One editor field changed: key is one of FORM_KEYS."""
        if key not in FORM_KEYS or not isinstance(value, str):
            return None
        setattr(self, key, value[:100])
        return None

    @rx.event
    def set_combine(self, value: Any):
        if value in ("all", "any"):
            self.combine = value
        return None

    @rx.event
    def add_row(self):
        if self.editor_open and not self.nested_json and len(self.rows) < MAX_ROWS:
            self._set_rows([*self.rows, self._dress(_blank_row())])
        elif len(self.rows) >= MAX_ROWS:
            self._error = {"scope": "rule", "label": "tags.too_many_rows", "params": {"max": MAX_ROWS}}
            self._say_error()
        return None

    @rx.event
    def remove_row(self, index: Any):
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.rows):
            self._set_rows([r for i, r in enumerate(self.rows) if i != index])
        return None

    def _row_at(self, index: Any) -> dict[str, str] | None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.rows):
            return None
        return dict(self.rows[index])

    def _put_row(self, index: int, row: dict[str, str]) -> None:
        rows = list(self.rows)
        rows[index] = self._dress(row, row["rid"])
        self._set_rows(rows)

    @rx.event
    def set_row(self, index: Any, key: Any, value: Any):
        """A condition row's input changed. Checkboxes send booleans, the rest strings."""
        row = self._row_at(index)
        if row is None or key not in ROW_KEYS:
            return None
        if isinstance(value, bool):
            value = "1" if value else ""
        if not isinstance(value, str):
            return None
        value = value[:300]
        if key == "field" and value not in self._catalogue:
            return None
        if key == "op" and value not in (self._catalogue.get(row["field"]) or {}).get("ops", ()):
            return None  # only the operators the field's type supports
        row[key] = value
        if key == "field":
            info = self._catalogue[value]
            if row.get("op") not in info["ops"]:
                row["op"] = info["ops"][0]
            # Another field's values mean nothing here (a segment is no branch): start afresh.
            row["value"] = ""
            for param in ("kinds", "product_types", "min_risk"):
                row[param] = ""
        elif key == "op" and value_input(self._catalogue.get(row["field"]), value) in ("choice", "pick"):
            row["value"] = (_items(row["value"]) or [""])[0]  # from "one of these" to "equals": the first one
        self._put_row(index, row)
        return None

    @rx.event
    def toggle_choice(self, index: Any, key: Any, code: Any, on: Any = None):
        """Tick or untick one value of a row's list (its values, transaction kinds or product types); `on`
        True / False sets it, anything else flips it. Only values the field offers are taken."""
        row = self._row_at(index)
        if row is None or key not in CHOICE_KEYS or not isinstance(code, str):
            return None
        set_name = (row["field"] if key == "value" else KIND_SETS.get(row["field"], ("",))[0] if key == "kinds"
                    else "param.product_types")
        offered = [o["value"] for o in self.choice_sets.get(set_name, [])]
        if code not in offered:
            return None
        chosen = set(_items(row.get(key, "")))
        want = (code not in chosen) if not isinstance(on, bool) else on
        chosen = (chosen | {code}) if want else (chosen - {code})
        row[key] = ",".join(c for c in offered if c in chosen)  # in the list's order, as people read it
        self._put_row(index, row)
        return None

    def _definition(self) -> dict:
        if self.nested_json:
            return copy.deepcopy(self._nested_definition)
        return rows_to_definition(self.combine, self.rows, self._catalogue)

    @rx.event(background=True)
    async def preview(self):
        """Counting a rule's matches scans the book (seconds at a million customers), so it runs in a
        worker thread, off the state lock: the page stays responsive and the lock cannot expire."""
        async with self:
            actor, redirect = await asyncio.to_thread(self._actor_or_redirect)  # the session, off the loop
            if actor is None:
                yield redirect
                return
            if self.previewing:
                return
            self.form_error = self.preview_text = ""
            self._error, self._preview = {}, ()
            self.previewing = True
        result, error = None, None
        try:
            async with self:
                definition = self._definition()
            result = await asyncio.get_running_loop().run_in_executor(None, _preview, actor, definition)
        except DomainError as exc:
            error = exc
        finally:
            async with self:
                self.previewing = False
                if error is not None:
                    self._fail(error)
                elif result is not None:
                    self._preview = (result.count, [(s.name, s.customer_no) for s in result.sample])
                    self._say_preview()

    @rx.event
    def save(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self.form_error = ""
        self._error = {}
        tag_code = self.f_tag_code.strip() if self.f_tag == NEW_TAG else self.f_tag
        scope = "tag"
        try:
            with unit_of_work() as uow:
                tag_refused: ValidationFailed | None = None
                if self.f_tag == NEW_TAG and not self.editing_key:
                    try:
                        tags.create_tag(uow=uow, actor=actor, data={
                            "code": tag_code, "name": self.f_tag_name, "name_en": self.f_tag_name_en,
                            "color": self.f_color if self.f_color in COLORS else "blue"})
                    except ValidationFailed as exc:
                        tag_refused = exc  # said together with what is wrong with the rule, not one after another
                scope = "rule"
                try:
                    rule = tags.save_rule(uow=uow, actor=actor, data={
                        "rule_key": self.editing_key or self.f_rule_key.strip(), "tag_code": tag_code,
                        "name": self.f_name, "definition": self._definition()})
                except ValidationFailed as exc:
                    if tag_refused is None:
                        raise
                    # The rule's own complaint about the tag it names is the new tag's refusal, said once.
                    raise ValidationFailed([FieldError(f"tag:{e.field}", e.code, dict(e.params))
                                            for e in tag_refused.errors]
                                           + [e for e in exc.errors if e.field != "tag_code"]) from None
                if tag_refused is not None:
                    scope = "tag"
                    raise tag_refused
                uow.commit()
        except DomainError as exc:
            self._fail(exc, scope=scope)
            return None
        self._close()
        self._notice = ("tags.saved", {"rule_key": rule.rule_key, "version": rule.version})
        self._say_notice()
        self._refresh(actor)
        return None

    @rx.event
    def toggle(self, rule_key: Any, active: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(rule_key, str) or len(rule_key) > 40 or not isinstance(active, bool):
            return None
        try:
            with unit_of_work() as uow:
                tags.set_rule_active(uow=uow, actor=actor, rule_key=rule_key, active=active)
                uow.commit()
        except DomainError as exc:
            self._fail(exc, scope="page")
            return None
        self._notice = ("tags.toggled_on" if active else "tags.toggled_off", {"rule_key": rule_key})
        self._say_notice()
        self._refresh(actor)
        return None

    @rx.event
    def run(self, rule_key: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(rule_key, str) or len(rule_key) > 40:
            return None
        try:
            with unit_of_work() as uow:
                result = tags.run_rule_now(uow=uow, actor=actor, rule_key=rule_key)
                uow.commit()
        except DomainError as exc:
            self._fail(exc, scope="page")
            return None
        loc = self._locale()
        self._notice = ("tags.ran", {"rule_key": rule_key, "matched": format_number(result.matched, loc),
                                     "added": format_number(result.added, loc),
                                     "removed": format_number(result.removed, loc)})
        self._say_notice()
        self._refresh(actor)
        return None


def _preview(actor, definition: dict):
    """The preview in its own read-only unit of work (runs in a worker thread)."""
    with unit_of_work(readonly=True) as uow:
        return tags.preview(uow=uow, actor=actor, definition=definition)
