"""The customer create and edit forms (/customers/new, /customers/<id>/edit): their state.

The form shows each field as the actor may see it and lets him change only what he may change (the services
decide again on save). An edit sends only the fields the person changed, with the version it was loaded at: when
someone else changed the customer meanwhile, the save is refused (ConcurrentModification) and the page shows what
they changed beside what this person changed; nothing is overwritten unless he then chooses to save his changes
on top of theirs (a new save, against the new version).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from typing import Any

import reflex as rx

from services.customers import changes as customer_changes
from services.customers import forms
from services.customers import service as customers
from services.customers.forms import CustomerForm
from services.db import unit_of_work
from services.errors import ConcurrentModification, DomainError, ValidationFailed
from services.i18n import field_label, translate
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

_EDIT_PATH = re.compile(r"^/customers/(\d{1,12})/edit/?$")
KINDS = ("individual", "institution")
ID_TYPES = {"individual": ("resident_id", "passport", "hk_macao_permit", "taiwan_permit"), "institution": ("uscc",)}
CHOICES = {"gender": ("male", "female"), "segment": ("mass", "affluent", "hnw", "uhnw", "corporate"),
           "source_channel": ("branch", "referral", "online", "event", "campaign", "partner"),
           "status": ("prospect", "active", "dormant", "closed")}
_LABEL_KEYS = {"gender": "gender.{}", "segment": "segment.{}", "source_channel": "channel.{}", "status": "status.{}",
               "id_type": "id_type.{}"}
MAX_VALUE = 400


@dataclass
class ChoiceOption:
    value: str = ""
    label: str = ""
    checked: str = ""  # "1" when a multi-choice value holds it


@dataclass
class CustomInput:
    """A custom field as the form shows it (display data only)."""

    key: str = ""
    label: str = ""
    type: str = ""  # text | number | money | date | choice | multi_choice
    value: str = ""
    editable: str = ""  # "1" when the actor may set it
    required: str = ""
    choices: list[ChoiceOption] = dc_field(default_factory=list)


def display(field: str, value: Any, loc: str, owners: dict[str, str] | None = None) -> str:
    """A field's value as people read it (for the conflict table)."""
    if value in (None, "", []):
        return label("cf.conflict_none", loc)
    if field == "owner_id":
        return (owners or {}).get(str(value), str(value))
    pattern = _LABEL_KEYS.get(field)
    if pattern:
        return label(pattern.format(value), loc)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def submitted(form_data: dict, fields: list[str], custom: list[CustomInput]) -> dict[str, Any]:
    """The form's values by field ("custom.<key>" for custom fields; a multi-choice field's ticked values as a
    list), as text stripped of surrounding blanks. Unknown and oversized entries are dropped."""
    out: dict[str, Any] = {}
    for f in fields:
        v = form_data.get(f)
        if isinstance(v, str) and len(v) <= MAX_VALUE:
            out[f] = v.strip()
    for c in custom:
        name = f"custom.{c.key}"
        if c.type == "multi_choice":
            out[name] = [ch.value for ch in c.choices if form_data.get(f"{name}::{ch.value}") == "on"]
        else:
            v = form_data.get(name)
            if isinstance(v, str) and len(v) <= MAX_VALUE:
                out[name] = v.strip()
    return out


def edit_changes(values: dict[str, Any], loaded: dict[str, Any], editable: set[str], masked: set[str],
                 custom_editable: set[str]) -> dict[str, Any]:
    """What update_customer gets: only the fields the person changed (a masked field he left empty is kept)."""
    out: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in values.items():
        before = loaded.get(name)
        if name.startswith("custom."):
            key = name.removeprefix("custom.")
            if key in custom_editable and (value or None) != (before or None):
                custom[key] = value if value not in ("", []) else None
            continue
        if name not in editable or name == "kind":
            continue
        if name in masked:
            if value:
                out[name] = value
            continue
        if value != (before or ""):
            out[name] = int(value) if name == "owner_id" and value.isdigit() else (value or None)
    if custom:
        out["custom"] = custom
    return out


def create_data(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """What create_customer gets: every field given (empty ones left out)."""
    data: dict[str, Any] = {"kind": kind}
    custom = {}
    for name, value in values.items():
        if value in ("", [], None):
            continue
        if name.startswith("custom."):
            custom[name.removeprefix("custom.")] = value
        elif name == "owner_id":
            data[name] = int(value) if value.isdigit() else value
        else:
            data[name] = value
    if custom:
        data["custom"] = custom
    return data


def conflicts(loaded: dict[str, Any], current: dict[str, Any], mine: dict[str, Any], labels: dict[str, str],
              loc: str, owners: dict[str, str]) -> list[dict[str, str]]:
    """The fields someone else changed since the form was loaded: what it was, what they made it, and what this
    person wants (when he changed it too)."""
    rows = []
    for name in current:
        if (current.get(name) or None) == (loaded.get(name) or None):
            continue
        field = name.removeprefix("custom.")
        rows.append({
            "field": labels.get(name, field),
            "was": display(field, loaded.get(name), loc, owners),
            "theirs": display(field, current.get(name), loc, owners),
            "mine": display(field, mine[name], loc, owners) if name in mine else "",
            "both": "1" if name in mine else "",
        })
    return rows


def _flat(form: CustomerForm) -> dict[str, Any]:
    values: dict[str, Any] = dict(form.values)
    for c in form.custom:
        values[f"custom.{c.key}"] = c.value if c.value is not None else ("" if c.field_type != "multi_choice" else [])
    return values


class CustomerFormState(DataState):
    """/customers/new and /customers/<id>/edit."""

    mode: str = ""  # "new" | "edit"
    found: bool = False
    page_error: str = ""
    kind: str = "individual"
    customer_id: str = ""
    form_key: str = "0"  # changes whenever the inputs must show new values (they are uncontrolled)
    values: dict[str, str] = {}  # what each input starts with ("" for masked fields)
    placeholders: dict[str, str] = {}  # masked values, shown as placeholders
    editable: list[str] = []
    hidden: list[str] = []
    id_types: list[dict[str, str]] = []
    owner_options: list[dict[str, str]] = []
    custom: list[CustomInput] = []
    field_errors: dict[str, str] = {}
    form_error: str = ""
    conflict: list[dict[str, str]] = []
    saving: bool = False

    _loaded: dict[str, Any] = {}
    _version: int = 0
    _masked: list[str] = []
    _pending: dict[str, Any] = {}  # the person's changes, kept while a conflict is shown
    _conflict_version: int = 0
    _owner_names: dict[str, str] = {}
    _labels: dict[str, str] = {}

    def _purge(self) -> None:
        self.mode = ""
        self.found = False
        self.page_error = ""
        self.kind = "individual"
        self.customer_id = ""
        self.values = {}
        self.placeholders = {}
        self.editable = []
        self.hidden = []
        self.id_types = []
        self.owner_options = []
        self.custom = []
        self.field_errors = {}
        self.form_error = ""
        self.conflict = []
        self.saving = False
        self._loaded = {}
        self._version = 0
        self._masked = []
        self._pending = {}
        self._conflict_version = 0
        self._owner_names = {}
        self._labels = {}

    # ---------------------------------------------------------------- showing a form

    def _show(self, form: CustomerForm, loc: str) -> None:
        self.kind = form.kind
        self.customer_id = str(form.customer_id or "")
        masked = set(form.masked)
        self.values = {k: ("" if k in masked else v) for k, v in form.values.items()}
        self.placeholders = {k: form.values[k] for k in masked}
        self.editable = list(form.editable)
        self.hidden = list(form.hidden)
        self.id_types = [{"value": v, "label": label(f"id_type.{v}", loc)} for v in ID_TYPES[form.kind]]
        self._owner_names = {str(o.id): o.name for o in form.owners}
        self.owner_options = [{"value": str(o.id), "label": o.name + (
            f" · {o.team_en if loc == 'en' and o.team_en else o.team}" if o.team else "")} for o in form.owners]
        self.custom = [CustomInput(
            key=c.key, label=c.label_en if loc == "en" else c.label, type=c.field_type,
            value=c.value if isinstance(c.value, str) else "", editable="1" if c.editable else "",
            required="1" if c.required else "",
            choices=[ChoiceOption(value=ch.value, label=ch.label_en if loc == "en" else ch.label,
                                  checked="1" if isinstance(c.value, list) and ch.value in c.value else "")
                     for ch in c.choices]) for c in form.custom]
        self._labels = {**{f: label(f"cf.f.{f}", loc) for f in forms.FIELDS},
                        **{f"custom.{c.key}": (c.label_en if loc == "en" else c.label) for c in form.custom}}
        self._loaded = _flat(form)
        self._version = form.version or 0
        self._masked = sorted(masked)
        self.form_key = str(int(self.form_key) + 1)
        self.found = True

    def _show_errors(self, exc: DomainError, loc: str) -> None:
        if isinstance(exc, ValidationFailed):
            self.field_errors = {e.field: translate(e.code, loc, **e.params) for e in exc.errors}
            known = set(forms.FIELDS) | {f"custom.{c.key}" for c in self.custom}
            stray = [e for e in exc.errors if e.field not in known]
            self.form_error = "; ".join(f"{field_label(e.field, loc, e.params)}: {translate(e.code, loc, **e.params)}"
                                        for e in stray) or label("cf.fix_errors", loc)
        else:
            self.field_errors = {}
            self.form_error = exc.message(loc)

    def _edit_id(self) -> int | None:
        match = _EDIT_PATH.match(self._current_path())
        return whole_number(match.group(1), low=1, high=2**31) if match else None

    def _load_edit(self, actor: Any) -> None:
        loc = self._locale()
        customer_id = self._edit_id()
        if customer_id is None:
            self.page_error = label("error.invalid_id", loc)
            return
        try:
            with unit_of_work() as uow:
                form = forms.edit_customer_form(uow=uow, actor=actor, customer_id=customer_id)
                uow.commit()  # the audited read
        except DomainError as exc:
            self.page_error = exc.message(loc)
            return
        self._show(form, loc)

    def _load_new(self, actor: Any, kind: str) -> None:
        loc = self._locale()
        try:
            with unit_of_work(readonly=True) as uow:
                form = forms.new_customer_form(uow=uow, actor=actor, kind=kind)
        except DomainError as exc:
            self.page_error = exc.message(loc)
            return
        self._show(form, loc)

    # ---------------------------------------------------------------- handlers

    @rx.event
    def load_new(self):
        """on_load of /customers/new (?kind=institution for an institution)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._purge()
        self._mark_loaded(actor)
        self.mode = "new"
        try:
            kind = self.router.url.query_parameters.get("kind", "individual")
        except AttributeError:
            kind = "individual"
        self._load_new(actor, kind if kind in KINDS else "individual")
        return None

    @rx.event
    def load_edit(self):
        """on_load of /customers/<id>/edit: the id comes from the URL path and is validated."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self._purge()
        self._mark_loaded(actor)
        self.mode = "edit"
        self._load_edit(actor)
        return None

    @rx.event
    def set_kind(self, kind: Any):
        """A new customer: individual or institution (the form's fields follow)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if self.mode != "new" or kind not in KINDS or kind == self.kind:
            return None
        self.field_errors = {}
        self.form_error = ""
        self._load_new(actor, kind)
        return None

    @rx.event
    def save(self, form_data: Any):
        """The form submitted: create the customer, or save the fields the person changed."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        loc = self._locale()
        if not self.found or not isinstance(form_data, dict) or len(form_data) > 400:
            self.form_error = translate("error.validation", loc)
            return None
        names = [f for f in forms.FIELDS if f in self.editable or self.mode == "new"]
        values = submitted(form_data, names, self.custom)
        if self.mode == "new":
            return self._create(actor, values, loc)
        mine = edit_changes(values, self._loaded, set(self.editable), set(self._masked),
                            {c.key for c in self.custom if c.editable})
        if not mine:
            self.form_error = label("cf.nothing_changed", loc)
            return None
        return self._update(actor, mine, self._version, loc)

    def _create(self, actor: Any, values: dict[str, Any], loc: str):
        try:
            with unit_of_work() as uow:
                profile = customers.create_customer(uow=uow, actor=actor, data=create_data(self.kind, values))
                uow.commit()
        except DomainError as exc:
            self._show_errors(exc, loc)
            return None
        self.field_errors = {}
        self.form_error = ""
        return [rx.redirect(f"/customers/{profile.id}"),
                rx.toast.success(label("cf.created", loc, name=profile.name), id="customer-form-toast")]

    def _update(self, actor: Any, mine: dict[str, Any], version: int, loc: str):
        customer_id = int(self.customer_id)
        try:
            with unit_of_work() as uow:
                customer_changes.update_customer(uow=uow, actor=actor, customer_id=customer_id, version=version,
                                                 changes=mine, source="form")
                uow.commit()
        except ConcurrentModification:
            return self._show_conflict(actor, mine, loc)
        except DomainError as exc:
            self._show_errors(exc, loc)
            return None
        self.field_errors = {}
        self.form_error = ""
        self.conflict = []
        self._pending = {}
        return [rx.redirect(f"/customers/{customer_id}"),
                rx.toast.success(label("cf.saved", loc), id="customer-form-toast")]

    def _show_conflict(self, actor: Any, mine: dict[str, Any], loc: str):
        """Someone else saved first: show what they changed; keep this person's changes, unsaved."""
        try:
            with unit_of_work() as uow:
                current = forms.edit_customer_form(uow=uow, actor=actor, customer_id=int(self.customer_id))
                uow.commit()
        except DomainError as exc:
            self.form_error = exc.message(loc)
            return None
        flat_mine = {k: v for k, v in mine.items() if k != "custom"}
        flat_mine.update({f"custom.{k}": v for k, v in (mine.get("custom") or {}).items()})
        owners = {**self._owner_names, **{str(o.id): o.name for o in current.owners}}
        self.conflict = conflicts(self._loaded, _flat(current), flat_mine, self._labels, loc, owners)
        self._pending = mine
        self._conflict_version = current.version or 0
        self.form_error = ""
        self.field_errors = {}
        return None

    @rx.event
    def save_over(self):
        """After a conflict: save this person's changes on top of the other's (against the new version)."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        if not self._pending or not self._conflict_version or self.mode != "edit":
            return None
        return self._update(actor, dict(self._pending), self._conflict_version, self._locale())

    @rx.event
    def discard(self):
        """After a conflict: forget this person's changes and show the customer as it is now."""
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.conflict = []
        self._pending = {}
        self.field_errors = {}
        self.form_error = ""
        if self.mode == "edit":
            self._load_edit(actor)
        return None

    @rx.event
    def change_locale(self, locale: Any):
        """Language switch: reload the form in the new language (unsaved input is kept only in the browser)."""
        self._apply_locale(locale)
        actor, stop = self._actor_or_redirect()
        if actor is None:
            return stop
        self.field_errors = {}
        self.form_error = ""
        if self.mode == "edit" and not self.conflict:
            self._load_edit(actor)
        elif self.mode == "new":
            self._load_new(actor, self.kind)
        return None
