"""The customer list's filter panel, as plain functions (no Reflex, no database), tested directly.

- `field_specs(definitions)`: the fields the actor may filter on: the core enum columns and the
  custom fields the service says the actor may see (`custom_fields.list_definitions`), each with the
  operators the UI offers for its type and, for choices, the allowed values with both labels.
- `build_filters(rows, specs)`: the panel's rows ({field, op, value} as the browser sent them) to
  the service's filter list (`services.customers.filters`), or ValidationFailed naming each bad row
  ("Filter 2 (Segment): must be one of ...") in the user's language.
- `chip_text`, `field_options`, `op_options`, `choice_options`, `input_kind`: display helpers.

The UI operator "not_set" is the service's {"op": "is_set", "value": false}. The service
validates again (and is the authority on permissions); this module only gives early, per-row errors.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from typing import Any, Iterable
from urllib.parse import urlencode

from services.customers import filters as service_filters
from services.customers.models import CustomFieldType
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import format_number
from state.i18n import LABELS, label

MAX_ROWS = service_filters.MAX_FILTERS
MAX_VALUE = 200
_NUMBER = re.compile(r"^[+-]?(\d{1,16}(\.\d{0,4})?|\.\d{1,4})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CORE_ORDER = ("segment", "status", "kind", "source_channel", "kyc_status", "aml_risk", "risk_level")
# Core enum columns: the label key of each value. risk_level is the only nullable one.
_CORE_VALUE_KEYS = {
    "segment": "segment.{}", "status": "status.{}", "kind": "kind.{}", "source_channel": "channel.{}",
    "kyc_status": "c360.kyc.{}", "aml_risk": "c360.aml.{}", "risk_level": None,
}
_CORE_OPS = ("eq", "ne")
_NULLABLE_CORE_OPS = ("eq", "ne", "is_set", "not_set")
UI_OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    CustomFieldType.TEXT: ("contains", "eq", "ne", "is_set", "not_set"),
    CustomFieldType.NUMBER: ("gte", "lte", "gt", "lt", "eq", "ne", "is_set", "not_set"),
    CustomFieldType.MONEY: ("gte", "lte", "gt", "lt", "eq", "ne", "is_set", "not_set"),
    CustomFieldType.DATE: ("gte", "lte", "gt", "lt", "eq", "ne", "is_set", "not_set"),
    CustomFieldType.CHOICE: ("eq", "ne", "is_set", "not_set"),
    CustomFieldType.MULTI_CHOICE: ("contains", "is_set", "not_set"),
}
NO_VALUE_OPS = ("is_set", "not_set")


@dataclass
class FilterOption:
    """One option of a select in the panel (display data only)."""

    value: str = ""
    label: str = ""


@dataclass
class FilterRow:
    """One condition row of the panel as the page shows it (display data only)."""

    key: str = ""
    field: str = ""
    op: str = ""
    value: str = ""
    input: str = "none"  # select | text | number | date | none
    ops: list[FilterOption] = dc_field(default_factory=list)
    choices: list[FilterOption] = dc_field(default_factory=list)


@dataclass(frozen=True)
class FieldSpec:
    field: str  # "segment" | "custom.<key>"
    label_zh: str
    label_en: str
    field_type: str  # "choice" for core enums; the custom field's type otherwise
    ops: tuple[str, ...]
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, zh label, en label)
    custom: bool = False

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_zh

    def choice_label(self, value: Any, locale: str) -> str:
        for v, zh, en in self.choices:
            if v == value:
                return en if locale == "en" else zh
        return str(value)


def _pair(key: str) -> tuple[str, str]:
    zh, en = LABELS.get(key, (key, key))
    return zh, en


def field_specs(definitions: Iterable[Any]) -> dict[str, FieldSpec]:
    """Core fields, then the custom fields in `definitions` (CustomFieldView: already only the
    active ones the actor may see), keyed by the field name the service expects."""
    specs: dict[str, FieldSpec] = {}
    for name in CORE_ORDER:
        pattern = _CORE_VALUE_KEYS[name]
        choices = tuple((v, *(_pair(pattern.format(v)) if pattern else (v, v)))
                        for v in service_filters.CORE_FIELDS[name])
        zh, en = _pair(f"lf.f.{name}")
        specs[name] = FieldSpec(name, zh, en, CustomFieldType.CHOICE,
                                _NULLABLE_CORE_OPS if name == "risk_level" else _CORE_OPS, choices)
    for d in definitions:
        ftype = str(d.field_type)
        if ftype not in UI_OPS_BY_TYPE:
            continue  # a type this UI does not know: not offered rather than guessed
        choices = tuple((c.value, c.label, c.label_en) for c in d.choices or ())
        specs[f"custom.{d.key}"] = FieldSpec(f"custom.{d.key}", d.label, d.label_en, ftype,
                                             UI_OPS_BY_TYPE[ftype], choices, custom=True)
    return specs


def input_kind(spec: FieldSpec | None, op: str) -> str:
    """Which value widget a row shows: select, text, number, date or none."""
    if spec is None or op in NO_VALUE_OPS:
        return "none"
    if spec.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        return "select"
    if spec.field_type in (CustomFieldType.NUMBER, CustomFieldType.MONEY):
        return "number"
    if spec.field_type == CustomFieldType.DATE:
        return "date"
    return "text"


def field_options(specs: dict[str, FieldSpec], locale: str, *, custom: bool) -> list[FilterOption]:
    return [FilterOption(s.field, s.label(locale)) for s in specs.values() if s.custom == custom]


def op_options(spec: FieldSpec | None, locale: str) -> list[FilterOption]:
    return [] if spec is None else [FilterOption(op, label(f"lf.op.{op}", locale)) for op in spec.ops]


def choice_options(spec: FieldSpec | None, locale: str) -> list[FilterOption]:
    if spec is None:
        return []
    return [FilterOption(v, en if locale == "en" else zh) for v, zh, en in spec.choices]


def make_row(key: str, field: str, op: str, value: str, specs: dict[str, FieldSpec], locale: str) -> FilterRow:
    """A panel row for `field`; an operator the field does not offer becomes its first one."""
    spec = specs.get(field)
    if spec is None:
        return FilterRow(key=key, field=field, op=op, value=value)
    if op not in spec.ops:
        op = spec.ops[0]
    return FilterRow(key=key, field=field, op=op, value=value, input=input_kind(spec, op),
                     ops=op_options(spec, locale), choices=choice_options(spec, locale))


def _row_name(n: int, spec: FieldSpec | None) -> dict[str, str]:
    """FieldError params that make the message name the row (and its field) in either language."""
    if spec is None:
        return {"field_label_zh": label("lf.row", "zh_CN", row=n), "field_label_en": label("lf.row", "en", row=n)}
    return {"field_label_zh": label("lf.row_field", "zh_CN", row=n, field=spec.label_zh),
            "field_label_en": label("lf.row_field", "en", row=n, field=spec.label_en)}


def _one(n: int, row: Any, specs: dict[str, FieldSpec]) -> tuple[dict[str, Any] | None, FieldError | None]:
    if not isinstance(row, dict):
        return None, FieldError("filters", "value.wrong_type", _row_name(n, None))
    field, op, value = row.get("field"), row.get("op"), row.get("value")
    spec = specs.get(field) if isinstance(field, str) else None
    if spec is None:
        shown = field[:60] if isinstance(field, str) and field else "—"
        return None, FieldError("filters", "filter.unknown_field", {**_row_name(n, None), "field": shown})
    names = _row_name(n, spec)
    if op not in spec.ops:
        return None, FieldError("filters", "filter.bad_op",
                                {**names, "ops": ", ".join(label(f"lf.op.{o}", "zh_CN") for o in spec.ops),
                                 "_ops_en": ", ".join(label(f"lf.op.{o}", "en") for o in spec.ops)})
    if op in NO_VALUE_OPS:
        return {"field": field, "op": "is_set", "value": op == "is_set"}, None
    if value is None:
        value = ""
    if not isinstance(value, str):
        return None, FieldError("filters", "value.wrong_type", names)
    value = value.strip()
    if not value:
        return None, FieldError("filters", "value.required", names)
    if len(value) > MAX_VALUE:
        return None, FieldError("filters", "value.too_long", {**names, "max": MAX_VALUE})
    if _CONTROL.search(value):
        return None, FieldError("filters", "value.control_characters", names)
    kind = input_kind(spec, op)
    if kind == "select":
        if value not in {v for v, _, _ in spec.choices}:
            return None, FieldError("filters", "value.invalid_choice",
                                    {**names, "choices": ", ".join(zh for _, zh, _ in spec.choices),
                                     "_choices_en": ", ".join(en for _, _, en in spec.choices)})
    elif kind == "number":
        value = value.replace(",", "").replace("，", "").lstrip("¥￥")
        if not _NUMBER.match(value):
            return None, FieldError("filters", "value.not_a_number", names)
    elif kind == "date":
        value = value.replace("/", "-")
        if not _DATE.match(value):
            return None, FieldError("filters", "value.not_a_date", names)
    return {"field": field, "op": op, "value": value}, None


def build_filters(rows: Any, specs: dict[str, FieldSpec]) -> list[dict[str, Any]]:
    """The service's filter list for the panel's rows, or ValidationFailed naming every bad row."""
    if not isinstance(rows, list):
        raise ValidationFailed([FieldError("filters", "value.wrong_type")])
    if len(rows) > MAX_ROWS:
        raise ValidationFailed([FieldError("filters", "filter.too_many", {"max": MAX_ROWS})])
    out: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for n, row in enumerate(rows, start=1):
        item, error = _one(n, row, specs)
        if error is not None:
            errors.append(error)
        else:
            out.append(item)
    if errors:
        raise ValidationFailed(errors)
    return out


def error_message(exc: DomainError, locale: str) -> str:
    """exc.message(locale), with list parameters given in both languages ("_<name>_en") in the user's."""
    if not isinstance(exc, ValidationFailed) or not any(k.startswith("_") for e in exc.errors for k in e.params):
        return exc.message(locale)
    fixed = []
    for e in exc.errors:
        params = {k: v for k, v in e.params.items() if not k.startswith("_")}
        if locale == "en":
            params.update({k[1:-3]: v for k, v in e.params.items() if k.startswith("_") and k.endswith("_en")})
        fixed.append(FieldError(e.field, e.code, params))
    return ValidationFailed(fixed).message(locale)


def chip_text(f: dict[str, Any], specs: dict[str, FieldSpec], locale: str) -> str:
    """"Segment is Affluent", "年收入 大于等于 500000", "是否私行客户 已填写"."""
    spec = specs.get(f.get("field"))
    name = spec.label(locale) if spec else str(f.get("field"))
    if f.get("op") == "is_set":
        return f"{name} {label('lf.op.is_set' if f.get('value') is not False else 'lf.op.not_set', locale)}"
    value = f.get("value")
    if spec and spec.choices:
        shown = spec.choice_label(value, locale)
    elif spec and spec.field_type in (CustomFieldType.NUMBER, CustomFieldType.MONEY) and _NUMBER.match(str(value)):
        shown = format_number(Decimal(str(value)), locale)
    else:
        shown = str(value)
    return f"{name} {label('lf.op.' + str(f.get('op')), locale)} {shown}"


def ui_row(f: dict[str, Any]) -> tuple[str, str, str]:
    """(field, UI op, value text) of a service filter, to put an applied filter back in the panel."""
    if f.get("op") == "is_set":
        return f["field"], ("is_set" if f.get("value") is not False else "not_set"), ""
    return f["field"], f["op"], "" if f.get("value") is None else str(f["value"])


def export_query(query: str, filters: list[dict[str, Any]]) -> str:
    """The query string of /exports/customers.{csv,xlsx} for the current search and filters."""
    params = {"q": query}
    if filters:
        params["filters"] = json.dumps(filters, ensure_ascii=False, separators=(",", ":"))
    return urlencode(params)
