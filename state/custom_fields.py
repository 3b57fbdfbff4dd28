"""/admin/fields: admins list, create and edit custom field definitions, without code.

Thin: every handler resolves the actor from the session cookie, turns the form into the service's
input (the service validates it and checks that the actor is an admin) and shows the result or
the field-named error in the user's language.
"""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.customers import custom_fields as cf
from services.db import unit_of_work
from services.errors import DomainError
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

ROLES = cf.ROLE_NAMES
TYPES = ("text", "number", "money", "date", "choice", "multi_choice")
APPLIES = cf.APPLIES_TO
_MAX_FORM_VALUE = 4000


def _text(form: dict, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    return value[:limit].strip()


def _choices_text(choices: list) -> str:
    return "\n".join(f"{c.value}|{c.label}|{c.label_en}" for c in choices)


def parse_choices(text: str) -> list[dict[str, str]]:
    """One option per line: value|中文名称|English label."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        out.append({"value": parts[0], "label": parts[1] if len(parts) > 1 else "",
                    "label_en": parts[2] if len(parts) > 2 else ""})
    return out


def form_to_input(form: Any) -> dict[str, Any]:
    """The browser's form data as the definition service's input (which validates every field)."""
    if not isinstance(form, dict):
        form = {}
    data: dict[str, Any] = {
        "label": _text(form, "label", 120), "label_en": _text(form, "label_en", 120),
        "applies_to": _text(form, "applies_to", 20) or "both",
        "required": form.get("required") in ("on", "true", True),
        "choices": parse_choices(_text(form, "choices", _MAX_FORM_VALUE)),
        "visible_to": [r for r in ROLES if form.get(f"visible__{r}") in ("on", "true", True)],
        "editable_by": [r for r in ROLES if form.get(f"editable__{r}") in ("on", "true", True)],
    }
    for name in ("min_value", "max_value", "max_length", "position"):
        value = _text(form, name, 30)
        if value:
            data[name] = value
    return data


class FieldsAdminState(DataState):
    fields: list[dict[str, str]] = []
    page_error: str = ""
    form_error: str = ""
    notice: str = ""
    loaded: bool = False
    # the form: editing_id 0 means a new field; form_version remounts the (uncontrolled) form
    editing_id: int = 0
    form_version: int = 0
    f_key: str = ""
    f_label: str = ""
    f_label_en: str = ""
    f_type: str = "text"
    f_applies: str = "both"
    f_required: bool = False
    f_min: str = ""
    f_max: str = ""
    f_max_length: str = ""
    f_position: str = "0"
    f_choices: str = ""
    f_visible: list[str] = []
    f_editable: list[str] = []

    def _purge(self) -> None:
        self.fields = []
        self.page_error = ""
        self.loaded = False
        self._reset_form()
        self.form_error = ""
        self.notice = ""

    def _reset_form(self) -> None:
        self.editing_id = 0
        self.f_key = self.f_label = self.f_label_en = ""
        self.f_type, self.f_applies, self.f_required = "text", "both", False
        self.f_min = self.f_max = self.f_max_length = self.f_choices = ""
        self.f_position = "0"
        self.f_visible, self.f_editable = [], []
        self.form_version += 1

    def _refresh(self, actor) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                defs = cf.list_definitions(uow=uow, actor=actor, include_inactive=True)
        except DomainError as exc:
            self.fields = []
            self.page_error = exc.message(loc)
            self.loaded = True
            self._mark_loaded(actor)
            return
        roles = lambda names: ", ".join(label(f"fields.role.{r}", loc) for r in names)  # noqa: E731
        self.fields = [{
            "id": str(d.id),
            "key": d.key,
            "label": d.label_en if loc == "en" else d.label,
            "type": label(f"fields.type.{d.field_type}", loc),
            "applies": label(f"fields.applies.{d.applies_to}", loc),
            "required": label("fields.required", loc) if d.required else "",
            "visible": roles(d.visible_to) or label("fields.everyone", loc),
            "editable": roles(d.editable_by) or label("fields.default_editors", loc),
            "active": "1" if d.active else "",
            "choices": ("、" if loc != "en" else ", ").join(
                (c.label_en if loc == "en" else c.label) for c in d.choices),
        } for d in defs]
        self.page_error = ""
        self.loaded = True
        self._mark_loaded(actor)

    @rx.event
    def load(self):
        """on_load of /admin/fields."""
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        self.form_error = self.notice = ""
        self._refresh(actor)
        return None

    @rx.event
    def change_locale(self, locale: Any):
        self._apply_locale(locale)
        return FieldsAdminState.load  # a chained event: handlers run off the loop, never call one directly

    @rx.event
    def new_field(self):
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        self._reset_form()
        self.form_error = self.notice = ""
        return None

    @rx.event
    def edit(self, field_id: Any):
        """Fill the form with one definition (`field_id` from the list; checked against the service)."""
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        loc = self._locale()
        wanted = whole_number(field_id) or -1
        try:
            with unit_of_work(readonly=True) as uow:
                defs = cf.list_definitions(uow=uow, actor=actor, include_inactive=True)
        except DomainError as exc:
            self.form_error = exc.message(loc)
            return None
        d = next((x for x in defs if x.id == wanted), None)
        if d is None:
            self.form_error = label("fields.not_found", loc)
            return None
        self.editing_id = d.id
        self.f_key, self.f_label, self.f_label_en = d.key, d.label, d.label_en
        self.f_type, self.f_applies, self.f_required = d.field_type, d.applies_to, d.required
        self.f_min = "" if d.min_value is None else format(d.min_value.normalize(), "f")
        self.f_max = "" if d.max_value is None else format(d.max_value.normalize(), "f")
        self.f_max_length = "" if d.max_length is None else str(d.max_length)
        self.f_position = str(d.position)
        self.f_choices = _choices_text(d.choices)
        self.f_visible, self.f_editable = list(d.visible_to), list(d.editable_by)
        self.form_version += 1
        self.form_error = self.notice = ""
        return None

    @rx.event
    def save(self, form_data: Any):
        """Create (editing_id 0) or update the definition from the form."""
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        loc = self._locale()
        data = form_to_input(form_data)
        try:
            with unit_of_work() as uow:
                if self.editing_id:
                    view = cf.update_definition(uow=uow, actor=actor, field_id=self.editing_id, data=data)
                else:
                    data["key"] = _text(form_data if isinstance(form_data, dict) else {}, "key", 60)
                    data["field_type"] = _text(form_data if isinstance(form_data, dict) else {}, "field_type", 20)
                    view = cf.create_definition(uow=uow, actor=actor, data=data)
                uow.commit()
        except DomainError as exc:
            self.form_error = exc.message(loc)
            self.notice = ""
            return None
        self._refresh(actor)
        self._reset_form()
        self.form_error = ""
        self.notice = label("fields.saved", loc, name=view.key)
        return None

    @rx.event
    def set_active(self, field_id: Any, active: Any):
        actor, redirect = self._actor_or_redirect()
        if redirect:
            return redirect
        loc = self._locale()
        wanted = whole_number(field_id) or field_id  # the service names a bad id in its error
        try:
            with unit_of_work() as uow:
                view = cf.set_definition_active(uow=uow, actor=actor, field_id=wanted, active=active)
                uow.commit()
        except DomainError as exc:
            self.form_error = exc.message(loc)
            return None
        self._refresh(actor)
        self.notice = label("fields.saved", loc, name=view.key)
        return None
