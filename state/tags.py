"""/admin/tags: admins list tag rules, build a rule's conditions without code, preview, save, switch on/off.

Thin: every handler resolves the actor from the session cookie, validates its arguments, turns the editor's
rows into a condition tree and calls services.tags.service, which checks that the actor is an admin and
validates the tree (errors name the condition). The editor holds one flat group of condition rows (AND or
OR, each row with its own NOT); a rule nested deeper is shown as JSON instead.
"""
from __future__ import annotations

import asyncio
import copy
import json
import re
from typing import Any

import reflex as rx

from services.db import unit_of_work
from services.errors import DomainError
from services.i18n import format_number
from services.activities.models import EventKind
from services.portfolio.models import RiskLevel
from services.tags import service as tags
from state.i18n import label
from state.session import DataState

# What the editor's selects offer (components read them from here: components never import services).
EVENT_KINDS: tuple[str, ...] = tuple(k.value for k in EventKind)
RISK_LEVELS: tuple[str, ...] = tuple(r.value for r in RiskLevel)

MAX_ROWS = 20
NEW_TAG = "__new"
COLORS = tags.COLORS
ROW_KEYS = ("field", "op", "value", "days", "kinds", "event_kind", "premium", "min_risk", "product_types", "negate")
FORM_KEYS = ("f_rule_key", "f_name", "f_tag", "f_tag_code", "f_tag_name", "f_tag_name_en", "f_color")
_SPLIT = re.compile(r"[,，、\s]+")
_INT = re.compile(r"^-?\d{1,12}$")


def _shape(info: dict | None) -> str:
    params = set((info or {}).get("params", []))
    if "event_kind" in params:
        return "event"
    if "kinds" in params:
        return "window"
    if "min_risk" in params:
        return "holding"
    return "plain"


def _items(text: str) -> list[str]:
    return [x for x in _SPLIT.split(text.strip()) if x]


def _typed(value: str, ftype: str) -> Any:
    if ftype in ("integer", "id") and _INT.match(value):
        return int(value)
    return value  # anything else goes as typed; the service says what is wrong with it


def row_to_leaf(row: dict[str, str], info: dict | None) -> dict:
    """One editor row as a leaf condition (wrapped in NOT when ticked)."""
    ftype = (info or {}).get("type", "text")
    params = set((info or {}).get("params", []))
    leaf: dict[str, Any] = {"field": row.get("field", ""), "op": row.get("op", "")}
    raw = row.get("value", "").strip()
    if leaf["op"] in ("in", "not_in"):
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


class TagsAdminState(DataState):
    rules: list[dict[str, str]] = []
    tag_options: list[dict[str, str]] = []
    field_options: list[dict[str, str]] = []
    page_error: str = ""
    form_error: str = ""
    notice: str = ""
    preview_text: str = ""
    previewing: bool = False
    loaded: bool = False
    # the editor
    editor_open: bool = False
    editing_key: str = ""
    editor_title: str = ""
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

    def _purge(self) -> None:
        self.rules = []
        self.tag_options = []
        self.field_options = []
        self.page_error = self.form_error = self.notice = self.preview_text = ""
        self.loaded = False
        self._close()
        self._catalogue = {}

    def _close(self) -> None:
        self.editor_open = False
        self.editing_key = ""
        self.editor_title = ""
        self.f_rule_key = self.f_name = self.f_tag = self.f_tag_code = self.f_tag_name = self.f_tag_name_en = ""
        self.f_color = "blue"
        self.combine = "all"
        self.rows = []
        self.nested_json = ""
        self._nested_definition = {}
        self.form_error = ""
        self.preview_text = ""

    def _row(self, data: dict[str, str]) -> dict[str, str]:
        self._next_rid += 1
        info = self._catalogue.get(data.get("field", ""))
        return {**data, "rid": f"r{self._next_rid}", "shape": _shape(info)}

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
        self.tag_options = [{"code": t.code, "label": f"{t.name_en if loc == 'en' else t.name} ({t.code})"}
                            for t in all_tags]
        self._catalogue = {f.field: f.model_dump() for f in catalogue}
        self.field_options = [{
            "value": f.field,
            "label": ((f.label_en if loc == "en" else f.label) or f.field) if f.field.startswith("custom.")
            else label(f"tags.f.{f.field}", loc)} for f in catalogue]
        self.loaded = True
        self._mark_loaded(actor)

    def _fail(self, exc: DomainError, *, page: bool = False) -> None:
        msg = exc.message(self._locale())
        if page:
            self.page_error = msg
        else:
            self.form_error = msg

    # ---------------------------------------------------------------- handlers

    @rx.event
    def load(self):
        """on_load of /admin/tags."""
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self.page_error = ""
        try:
            self._refresh(actor)
        except DomainError as exc:
            self.rules = []
            self._fail(exc, page=True)
            self.loaded = True
            self._mark_loaded(actor)
        return None

    @rx.event
    def change_locale(self, locale: Any):
        if self._apply_locale(locale) and self.loaded and not self.page_error:
            return TagsAdminState.load
        return None

    @rx.event
    def new_rule(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        self._close()
        self.editor_open = True
        self.editor_title = label("tags.editor_new", self._locale())
        self.f_tag = self.tag_options[0]["code"] if self.tag_options else NEW_TAG
        self.rows = [self._row(_blank_row())]
        self.form_version += 1
        self.notice = ""
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
            self._fail(exc, page=True)
            return None
        self._close()
        self.editor_open = True
        self.editing_key = rule.rule_key
        self.editor_title = label("tags.editor_edit", self._locale(), rule_key=rule.rule_key)
        self.f_rule_key, self.f_name, self.f_tag = rule.rule_key, rule.name, rule.tag.code
        flat = definition_to_rows(rule.definition)
        if flat is None or len(flat[1]) > MAX_ROWS:
            # Nested groups, or more conditions than the flat editor holds: shown as JSON and saved whole
            # (never cut down, so saving a new name cannot drop a condition).
            self._nested_definition = rule.definition
            self.nested_json = json.dumps(rule.definition, ensure_ascii=False, indent=2)
        else:
            self.combine, rows = flat
            self.rows = [self._row(r) for r in rows]
        self.form_version += 1
        self.notice = ""
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
        if self.editor_open and len(self.rows) < MAX_ROWS:
            self.rows = [*self.rows, self._row(_blank_row())]
        elif len(self.rows) >= MAX_ROWS:
            self.form_error = label("tags.too_many_rows", self._locale(), max=MAX_ROWS)
        return None

    @rx.event
    def remove_row(self, index: Any):
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.rows):
            self.rows = [r for i, r in enumerate(self.rows) if i != index]
        return None

    @rx.event
    def set_row(self, index: Any, key: Any, value: Any):
        """A condition row's input changed. Checkboxes send booleans, the rest strings."""
        if (not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.rows)
                or key not in ROW_KEYS):
            return None
        if isinstance(value, bool):
            value = "1" if value else ""
        if not isinstance(value, str):
            return None
        value = value[:300]
        if key == "field" and value not in self._catalogue:
            return None
        row = dict(self.rows[index])
        row[key] = value
        if key == "field":
            info = self._catalogue[value]
            row["shape"] = _shape(info)
            if row.get("op") not in info["ops"]:
                row["op"] = info["ops"][0]
        rows = list(self.rows)
        rows[index] = row
        self.rows = rows
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
            loc = self._locale()
            self.form_error = self.preview_text = ""
            self.previewing = True
        text, error = "", None
        try:
            async with self:
                definition = self._definition()
            result = await asyncio.get_running_loop().run_in_executor(None, _preview, actor, definition)
            text = label("tags.preview_result", loc, count=format_number(result.count, loc))
            if result.sample:
                text += " — " + label("tags.preview_sample", loc,
                                      names="、".join(f"{s.name} ({s.customer_no})" for s in result.sample))
        except DomainError as exc:
            error = exc
        finally:
            async with self:
                self.previewing = False
                if error is not None:
                    self._fail(error)
                else:
                    self.preview_text = text

    @rx.event
    def save(self):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        loc = self._locale()
        self.form_error = ""
        tag_code = self.f_tag_code.strip() if self.f_tag == NEW_TAG else self.f_tag
        try:
            with unit_of_work() as uow:
                if self.f_tag == NEW_TAG and not self.editing_key:
                    tags.create_tag(uow=uow, actor=actor, data={
                        "code": tag_code, "name": self.f_tag_name, "name_en": self.f_tag_name_en,
                        "color": self.f_color if self.f_color in COLORS else "blue"})
                rule = tags.save_rule(uow=uow, actor=actor, data={
                    "rule_key": self.editing_key or self.f_rule_key.strip(), "tag_code": tag_code,
                    "name": self.f_name, "definition": self._definition()})
                uow.commit()
        except DomainError as exc:
            self._fail(exc)
            return None
        self._close()
        self.notice = label("tags.saved", loc, rule_key=rule.rule_key, version=rule.version)
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
            self._fail(exc, page=True)
            return None
        self.notice = label("tags.toggled_on" if active else "tags.toggled_off", self._locale(), rule_key=rule_key)
        self._refresh(actor)
        return None

    @rx.event
    def run(self, rule_key: Any):
        actor, redirect = self._actor_or_redirect()
        if actor is None:
            return redirect
        if not isinstance(rule_key, str) or len(rule_key) > 40:
            return None
        loc = self._locale()
        try:
            with unit_of_work() as uow:
                result = tags.run_rule_now(uow=uow, actor=actor, rule_key=rule_key)
                uow.commit()
        except DomainError as exc:
            self._fail(exc, page=True)
            return None
        self.notice = label("tags.ran", loc, rule_key=rule_key, matched=format_number(result.matched, loc),
                            added=format_number(result.added, loc), removed=format_number(result.removed, loc))
        self._refresh(actor)
        return None


def _preview(actor, definition: dict):
    """The preview in its own read-only unit of work (runs in a worker thread)."""
    with unit_of_work(readonly=True) as uow:
        return tags.preview(uow=uow, actor=actor, definition=definition)
