"""Custom fields: typed fields an admin adds to individuals and/or institutions, without code.

Definitions live in `custom_field_definition`; a customer's values live in `Customer.custom`
(a JSON object keyed by field key). Stored value forms, which tag rules, filters and the API
read as they are:

    text          "free text"                 (stripped, no control characters)
    number        "1234.5"                    (canonical decimal string, at most 4 places, exact)
    money         "1234.50"                   (decimal string with exactly 2 places, CNY)
    date          "2026-11-01"                (ISO date)
    choice        "yes"                       (the choice's value, not its label)
    multi_choice  ["golf", "travel"]          (choice values, in the definition's order, no repeats)

`typed_value()` turns a stored value back into Decimal / date / str / list.

Field-level permission: `visible_to` lists the roles that see the field (empty: everyone who may
see the customer); `editable_by` lists the roles that may set it (empty: whoever may create customers,
Permission.CUSTOMER_CREATE). Both are enforced here, for every door (UI, API, import).
A field the actor may not see is treated as if it did not exist.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import Session

from services.customers.models import CustomerKind, CustomFieldDefinition, CustomFieldType
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.i18n import format_date, format_money, format_number
from services.security import audit
from services.security.actor import Actor
from services.security.models import Role
from services.security.policy import API_ROLE, Permission, permits, require, requires
from services import clock
from services.validation.input import StrictInput, parse
from services.validation.text import text_problem

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
CHOICE_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,39}$"
KEY_RE = re.compile(KEY_PATTERN)
ROLE_NAMES: tuple[str, ...] = tuple(r.value for r in Role) + (API_ROLE,)
APPLIES_TO = ("individual", "institution", "both")
MAX_DEFINITIONS = 200
MAX_CHOICES = 50
DEFAULT_TEXT_MAX = 500
MAX_TEXT = 2000
# Numbers and money stay below 900 trillion: a definition's minimum and maximum are stored as integers of
# ten-thousandths (ScaledDecimal(4), a 64-bit column), which holds at most about 922 trillion.
MAX_ABS = Decimal("9e14")
DECIMALS = {CustomFieldType.NUMBER: 4, CustomFieldType.MONEY: 2}
NUMERIC_TYPES = (CustomFieldType.NUMBER, CustomFieldType.MONEY)
CHOICE_TYPES = (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)
_MULTI_SPLIT = re.compile(r"[,;，；、|]")

RoleName = Literal["rm", "team_lead", "branch_manager", "compliance", "approver", "ops", "admin", "auditor",
                   "api"]


# ---------------------------------------------------------------- input schemas

_Strict = StrictInput  # no control, invisible or bidi characters in labels (services/validation/text.py)


class ChoiceIn(_Strict):
    value: str = Field(pattern=CHOICE_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)


class _DefinitionFields(_Strict):
    label: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    applies_to: Literal["individual", "institution", "both"] = "both"
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=MAX_CHOICES)
    required: bool = False
    min_value: Decimal | None = Field(default=None, max_digits=20, decimal_places=4, allow_inf_nan=False)
    max_value: Decimal | None = Field(default=None, max_digits=20, decimal_places=4, allow_inf_nan=False)
    max_length: int | None = Field(default=None, ge=1, le=MAX_TEXT)
    visible_to: list[RoleName] = Field(default_factory=list, max_length=len(ROLE_NAMES))
    editable_by: list[RoleName] = Field(default_factory=list, max_length=len(ROLE_NAMES))
    position: int = Field(default=0, ge=0, le=10_000)


class FieldDefinitionCreate(_DefinitionFields):
    key: str = Field(pattern=KEY_PATTERN)
    field_type: CustomFieldType


class FieldDefinitionUpdate(_DefinitionFields):
    """The whole definition except its key and type, which never change (values depend on them)."""


# ---------------------------------------------------------------- views

class ChoiceView(BaseModel):
    value: str
    label: str
    label_en: str


class CustomFieldView(BaseModel):
    id: int
    key: str
    label: str
    label_en: str
    field_type: str
    applies_to: str
    choices: list[ChoiceView]
    required: bool
    min_value: Decimal | None
    max_value: Decimal | None
    max_length: int | None
    visible_to: list[str]
    editable_by: list[str]
    active: bool
    position: int
    editable: bool  # by the actor who asked


class CustomFieldValueView(BaseModel):
    key: str
    label: str
    label_en: str
    field_type: str
    value: Any  # the stored form (see the module docstring); None when not set
    display_zh: str  # formatted for zh_CN ("" when not set)
    display_en: str
    editable: bool

    def display(self, locale: str) -> str:
        return self.display_en if locale == "en" else self.display_zh

    def label_for(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label


# ---------------------------------------------------------------- permission

def can_view(actor: Actor, d: CustomFieldDefinition) -> bool:
    return not d.visible_to or actor.has_role(*d.visible_to)


def can_edit(actor: Actor, d: CustomFieldDefinition) -> bool:
    if not can_view(actor, d):
        return False
    return actor.has_role(*d.editable_by) if d.editable_by else permits(actor, Permission.CUSTOMER_CREATE)


def applies(d: CustomFieldDefinition, kind: str) -> bool:
    return d.applies_to == "both" or d.applies_to == kind


# ---------------------------------------------------------------- definitions (admin)

def _view(actor: Actor, d: CustomFieldDefinition) -> CustomFieldView:
    return CustomFieldView(
        id=d.id, key=d.key, label=d.label, label_en=d.label_en, field_type=d.field_type, applies_to=d.applies_to,
        choices=[ChoiceView(**c) for c in d.choices or []], required=d.required, min_value=d.min_value,
        max_value=d.max_value, max_length=d.max_length, visible_to=list(d.visible_to or []),
        editable_by=list(d.editable_by or []), active=d.active, position=d.position, editable=can_edit(actor, d))


def _check_definition(field_type: str, spec: _DefinitionFields, errors: list[FieldError],
                      existing: CustomFieldDefinition | None = None) -> None:
    """Rules that tie fields of a definition together; field names as the form shows them."""
    if field_type in CHOICE_TYPES:
        if not spec.choices:
            errors.append(FieldError("choices", "custom_field.choices_required"))
        values = [c.value for c in spec.choices]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            errors.append(FieldError("choices", "custom_field.duplicate_choice", {"value": ", ".join(dupes)}))
        if existing is not None:
            removed = [c["value"] for c in existing.choices or [] if c["value"] not in values]
            if removed:
                errors.append(FieldError("choices", "custom_field.choice_removed", {"value": ", ".join(removed)}))
    elif spec.choices:
        errors.append(FieldError("choices", "custom_field.not_for_type"))
    if field_type in NUMERIC_TYPES:
        places = DECIMALS[CustomFieldType(field_type)]
        for name in ("min_value", "max_value"):
            v = getattr(spec, name)
            if v is not None and v != v.quantize(Decimal(1).scaleb(-places)):
                errors.append(FieldError(name, "value.too_many_decimals", {"places": places}))
            elif v is not None and abs(v) >= MAX_ABS:
                errors.append(FieldError(name, *_beyond_max_abs(v)))
        if spec.min_value is not None and spec.max_value is not None and spec.min_value > spec.max_value:
            errors.append(FieldError("max_value", "custom_field.min_above_max"))
    else:
        for name in ("min_value", "max_value"):
            if getattr(spec, name) is not None:
                errors.append(FieldError(name, "custom_field.not_for_type"))
    if field_type != CustomFieldType.TEXT and spec.max_length is not None:
        errors.append(FieldError("max_length", "custom_field.not_for_type"))
    if spec.visible_to:
        hidden = sorted(set(spec.editable_by) - set(spec.visible_to))
        if hidden:
            errors.append(FieldError("editable_by", "custom_field.editable_not_visible",
                                     {"roles": ", ".join(hidden)}))


def _definition_audit(d: CustomFieldDefinition) -> dict:
    return {"key": d.key, "label": d.label, "label_en": d.label_en, "field_type": d.field_type,
            "applies_to": d.applies_to, "choices": [c["value"] for c in d.choices or []],
            "required": d.required, "min_value": None if d.min_value is None else str(d.min_value),
            "max_value": None if d.max_value is None else str(d.max_value), "max_length": d.max_length,
            "visible_to": d.visible_to, "editable_by": d.editable_by, "active": d.active, "position": d.position}


@requires(Permission.CUSTOM_FIELD_MANAGE)
def create_definition(*, uow: UnitOfWork, actor: Actor, data: Any) -> CustomFieldView:
    req = parse(FieldDefinitionCreate, data)
    s = uow.session
    errors: list[FieldError] = []
    _check_definition(req.field_type, req, errors)
    if s.execute(select(CustomFieldDefinition.id).where(CustomFieldDefinition.key == req.key)).first():
        errors.append(FieldError("key", "value.taken"))
    if s.execute(select(func.count()).select_from(CustomFieldDefinition)).scalar_one() >= MAX_DEFINITIONS:
        errors.append(FieldError("key", "custom_field.too_many", {"max": MAX_DEFINITIONS}))
    if errors:
        raise ValidationFailed(errors)
    d = CustomFieldDefinition(
        key=req.key, label=req.label, label_en=req.label_en, field_type=req.field_type.value,
        applies_to=req.applies_to, choices=[c.model_dump() for c in req.choices], required=req.required,
        min_value=req.min_value, max_value=req.max_value, max_length=req.max_length,
        visible_to=sorted(set(req.visible_to)), editable_by=sorted(set(req.editable_by)), active=True,
        position=req.position, created_at=clock.now())
    s.add(d)
    s.flush()
    audit.record(s, actor, "custom_field.create", entity_type="custom_field", entity_id=d.id,
                 changes=_definition_audit(d))
    return _view(actor, d)


def _load_definition(s: Session, field_id: Any) -> CustomFieldDefinition:
    if isinstance(field_id, bool) or not isinstance(field_id, int) or not 0 < field_id < 2**62:
        raise ValidationFailed([FieldError("field_id", "value.invalid")])
    d = s.get(CustomFieldDefinition, field_id)
    if d is None:
        raise NotFound(what="custom_field", id=field_id)
    return d


@requires(Permission.CUSTOM_FIELD_MANAGE)
def update_definition(*, uow: UnitOfWork, actor: Actor, field_id: Any, data: Any) -> CustomFieldView:
    """Replace a definition's settings (not its key or type). Existing choice values must stay."""
    s = uow.session
    d = _load_definition(s, field_id)
    req = parse(FieldDefinitionUpdate, data)
    errors: list[FieldError] = []
    _check_definition(d.field_type, req, errors, existing=d)
    if errors:
        raise ValidationFailed(errors)
    before = _definition_audit(d)
    d.label, d.label_en, d.applies_to = req.label, req.label_en, req.applies_to
    d.choices = [c.model_dump() for c in req.choices]
    d.required, d.min_value, d.max_value, d.max_length = req.required, req.min_value, req.max_value, req.max_length
    d.visible_to, d.editable_by = sorted(set(req.visible_to)), sorted(set(req.editable_by))
    d.position = req.position
    s.add(d)
    s.flush()
    after = _definition_audit(d)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        audit.record(s, actor, "custom_field.update", entity_type="custom_field", entity_id=d.id,
                     changes={"key": d.key, **changed})
    return _view(actor, d)


@requires(Permission.CUSTOM_FIELD_MANAGE)
def set_definition_active(*, uow: UnitOfWork, actor: Actor, field_id: Any, active: Any) -> CustomFieldView:
    """Deactivate (hide everywhere, keep the stored values) or reactivate a field."""
    if not isinstance(active, bool):
        raise ValidationFailed([FieldError("active", "value.wrong_type")])
    s = uow.session
    d = _load_definition(s, field_id)
    if d.active != active:
        d.active = active
        s.add(d)
        s.flush()
        audit.record(s, actor, "custom_field.activate" if active else "custom_field.deactivate",
                     entity_type="custom_field", entity_id=d.id, changes={"key": d.key})
    return _view(actor, d)


@requires(Permission.CUSTOMER_READ)
def list_definitions(*, uow: UnitOfWork, actor: Actor, kind: str | None = None,
                     include_inactive: bool = False) -> list[CustomFieldView]:
    """Those who manage custom fields see every definition; everyone else the active ones they may see."""
    if include_inactive:
        require(actor, Permission.CUSTOM_FIELD_MANAGE)
    if kind is not None and kind not in ("individual", "institution"):
        raise ValidationFailed([FieldError("kind", "value.invalid_choice")])
    defs = all_definitions(uow.session, active_only=not include_inactive)
    return [_view(actor, d) for d in defs
            if (include_inactive or can_view(actor, d)) and (kind is None or applies(d, kind))]


def all_definitions(session: Session, *, active_only: bool = True) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)
    if active_only:
        stmt = stmt.where(CustomFieldDefinition.active.is_(True))
    return list(session.execute(stmt).scalars())


def visible_definitions(session: Session, actor: Actor, kind: str | None = None) -> list[CustomFieldDefinition]:
    """Active definitions the actor may see (for a customer kind, or for any kind)."""
    return [d for d in all_definitions(session) if can_view(actor, d) and (kind is None or applies(d, kind))]


# ---------------------------------------------------------------- values

class BadValue(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


def label_params(d: CustomFieldDefinition) -> dict:
    """FieldError params that let error messages name the field in the user's language."""
    return {"field_label_zh": d.label, "field_label_en": d.label_en}


def _decimal(d: CustomFieldDefinition, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise BadValue("value.not_a_number")
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, str):
        raw = raw.strip().replace(",", "").replace(" ", "").replace("，", "")
        if raw.startswith(("¥", "￥")):
            raw = raw[1:]
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", raw):
            raise BadValue("value.not_a_number")
    if not isinstance(raw, (int, str, Decimal)):
        raise BadValue("value.not_a_number")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise BadValue("value.not_a_number") from None
    if not value.is_finite():
        raise BadValue("value.not_a_number")
    if abs(value) >= MAX_ABS:
        code, params = _beyond_max_abs(value)
        raise BadValue(code, **params)
    places = DECIMALS[CustomFieldType(d.field_type)]
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise BadValue("value.too_many_decimals", places=places)
    return value


def _beyond_max_abs(value: Decimal) -> tuple[str, dict]:
    limit = format_number(MAX_ABS - 1, "en")
    return ("value.above_max", {"max": limit}) if value > 0 else ("value.below_min", {"min": "-" + limit})


def choice_value(d: CustomFieldDefinition, raw: Any) -> str:
    """The choice value that `raw` names (by value, Chinese label or English label). Raises BadValue."""
    if not isinstance(raw, str):
        raise BadValue("value.wrong_type")
    text = raw.strip()
    for c in d.choices or []:
        if text == c["value"] or text == c["label"] or text.casefold() == c["label_en"].casefold():
            return c["value"]
    raise BadValue("value.invalid_choice", choices=", ".join(c["value"] for c in d.choices or []))


def parse_value(d: CustomFieldDefinition, raw: Any, *, check_range: bool = True) -> Any:
    """The stored form of `raw` for field `d`, or None for "no value". Raises BadValue."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw):
        return None
    t = d.field_type
    if t == CustomFieldType.TEXT:
        if not isinstance(raw, str):
            raise BadValue("value.wrong_type")
        problem = text_problem(raw)
        if problem:
            raise BadValue(problem)
        text = raw.strip()
        limit = d.max_length or DEFAULT_TEXT_MAX
        if len(text) > limit:
            raise BadValue("value.too_long", max=limit)
        return text
    if t in NUMERIC_TYPES:
        value = _decimal(d, raw)
        if check_range and d.min_value is not None and value < d.min_value:
            raise BadValue("value.below_min", min=format_number(d.min_value, "en"))
        if check_range and d.max_value is not None and value > d.max_value:
            raise BadValue("value.above_max", max=format_number(d.max_value, "en"))
        if t == CustomFieldType.MONEY:
            return str(value.quantize(Decimal("0.01")))
        return format(value.normalize(), "f") if value else "0"
    if t == CustomFieldType.DATE:
        if isinstance(raw, datetime) or not isinstance(raw, (date, str)):
            raise BadValue("value.not_a_date")
        if isinstance(raw, str):
            m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw.strip())
            if m is None:
                raise BadValue("value.not_a_date")
            try:
                raw = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise BadValue("value.not_a_date") from None
        if not date(1900, 1, 1) <= raw <= date(2200, 12, 31):
            raise BadValue("value.not_a_date")
        return raw.isoformat()
    if t == CustomFieldType.CHOICE:
        return choice_value(d, raw)
    if t == CustomFieldType.MULTI_CHOICE:
        items = _MULTI_SPLIT.split(raw) if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)):
            raise BadValue("value.wrong_type")
        picked = {choice_value(d, item) for item in items if not (isinstance(item, str) and not item.strip())}
        ordered = [c["value"] for c in d.choices or [] if c["value"] in picked]
        return ordered or None
    raise BadValue("value.invalid")  # a type this code does not know: refuse rather than guess


def typed_value(field_type: str, stored: Any) -> Any:
    """A stored value as Python: Decimal for number/money, date for date, list for multi_choice."""
    if stored is None:
        return None
    if field_type in NUMERIC_TYPES:
        return Decimal(str(stored))
    if field_type == CustomFieldType.DATE:
        return date.fromisoformat(stored)
    return stored


def collect_custom_values(session: Session, actor: Actor, *, kind: str, values: Any, current: dict | None,
                          errors: list[FieldError], definitions: list[CustomFieldDefinition] | None = None) -> dict:
    """Like `clean_custom_values`, but appends field errors to `errors` (for use cases that
    gather every error of a form before refusing it). Returns the values to store."""
    try:
        return clean_custom_values(session, actor, kind=kind, values=values, current=current,
                                   definitions=definitions)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return dict(current or {})


def clean_custom_values(session: Session, actor: Actor, *, kind: str, values: Any,
                        current: dict | None, definitions: list[CustomFieldDefinition] | None = None) -> dict:
    """Validate custom values from any door and return the whole dict to store in Customer.custom.

    `values` maps field keys to raw values (None or "" clears a field); keys not given keep their
    current value. `current` is the customer's stored dict, or None for a new customer (then every
    required field the actor may edit must be given). Values of fields the actor may not see, or of
    inactive fields, are kept as they are. Raises ValidationFailed with fields `custom.<key>`.
    """
    out = dict(current or {})
    if values is None:
        if current is None:
            values = {}
        else:
            return out
    if not isinstance(values, dict) or len(values) > MAX_DEFINITIONS:
        raise ValidationFailed([FieldError("custom", "value.wrong_type")])
    if kind not in (CustomerKind.INDIVIDUAL, CustomerKind.INSTITUTION):
        raise ValidationFailed([FieldError("kind", "value.invalid_choice")])
    # `definitions`: the active ones, already loaded by a use case that validates many customers.
    defs = {d.key: d for d in (all_definitions(session) if definitions is None else definitions)
            if applies(d, kind)}
    errors: list[FieldError] = []
    for key, raw in values.items():
        valid_key = isinstance(key, str) and bool(KEY_RE.match(key))
        name = f"custom.{key}" if valid_key else "custom"
        d = defs.get(key) if valid_key else None
        if d is None or not can_view(actor, d):
            errors.append(FieldError(name, "value.unknown_field"))
            continue
        if not can_edit(actor, d):
            errors.append(FieldError(name, "value.not_editable", label_params(d)))
            continue
        try:
            value = parse_value(d, raw)
        except BadValue as bad:
            errors.append(FieldError(name, bad.code, {**bad.params, **label_params(d)}))
            continue
        if value is None:
            if d.required:
                errors.append(FieldError(name, "value.required", label_params(d)))
            out.pop(key, None)
        else:
            out[key] = value
    if current is None:
        for d in defs.values():
            if d.required and d.key not in out and can_edit(actor, d) and d.key not in values:
                errors.append(FieldError(f"custom.{d.key}", "value.required", label_params(d)))
    if errors:
        raise ValidationFailed(errors)
    return out


def audit_custom_changes(session: Session, before: dict | None, after: dict | None) -> dict:
    """Changes for the audit event and the outbox: values of fields every role may see in full,
    and only the fact of a change for restricted fields."""
    before, after = before or {}, after or {}
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not keys:
        return {}
    defs = {d.key: d for d in session.execute(
        select(CustomFieldDefinition).where(CustomFieldDefinition.key.in_(keys))).scalars()}
    out: dict[str, Any] = {}
    for k in keys:
        d = defs.get(k)
        if d is None or d.visible_to:
            out[f"custom.{k}"] = "changed"
        else:
            out[f"custom.{k}"] = [before.get(k), after.get(k)]
    return out


# ---------------------------------------------------------------- presenting

def display_value(d: CustomFieldDefinition, stored: Any, locale: str) -> str:
    """A stored value formatted for people in `locale` ("" when not set)."""
    if stored is None or stored == [] or stored == "":
        return ""
    try:
        t = d.field_type
        if t == CustomFieldType.MONEY:
            return format_money(Decimal(str(stored)), "CNY", locale)
        if t == CustomFieldType.NUMBER:
            return format_number(Decimal(str(stored)), locale)
        if t == CustomFieldType.DATE:
            return format_date(date.fromisoformat(stored), locale)
        if t in CHOICE_TYPES:
            labels = {c["value"]: (c["label_en"] if locale == "en" else c["label"]) for c in d.choices or []}
            items = stored if isinstance(stored, list) else [stored]
            sep = ", " if locale == "en" else "、"
            return sep.join(labels.get(str(v), str(v)) for v in items)
    except (InvalidOperation, ValueError, TypeError):
        pass  # a value stored before the definition changed: show it as it is
    return stored if isinstance(stored, str) else str(stored)


def present_custom_values(session: Session, actor: Actor, kind: str, values: dict | None, *,
                          include_empty: bool = True) -> list[CustomFieldValueView]:
    """The customer's custom values the actor may see, in the admin's order, formatted in both
    languages. Fields the actor may not see (and inactive ones) are left out."""
    values = values or {}
    out = []
    for d in visible_definitions(session, actor, kind):
        stored = values.get(d.key)
        if stored is None and not include_empty:
            continue
        out.append(CustomFieldValueView(
            key=d.key, label=d.label, label_en=d.label_en, field_type=d.field_type, value=stored,
            display_zh=display_value(d, stored, "zh_CN"), display_en=display_value(d, stored, "en"),
            editable=can_edit(actor, d)))
    return out
