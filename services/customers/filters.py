"""List filters for customer search: [{"field": ..., "op": ..., "value": ...}, ...], all ANDed.

Fields: core enum columns (segment, status, kind, source_channel, kyc_status, aml_risk, risk_level)
and custom fields as "custom.<key>". Custom values are read with a JSON path that both SQLite
(json_extract) and PostgreSQL (->>) evaluate; a custom field the actor may not see is refused as
unknown, so a filter can never reveal a hidden value. The actor's data scope is applied by the caller.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, and_, bindparam, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from services.customers import custom_fields as cf
from services.customers.models import (AmlRisk, Customer, CustomerKind, CustomerStatus, CustomFieldType, KycStatus,
                                       Segment, SourceChannel)
from services.errors import FieldError, ValidationFailed
from services.security.actor import Actor
from services.validation.text import text_problem

MAX_FILTERS = 10
MAX_IN_VALUES = 50

CORE_FIELDS: dict[str, tuple[str, ...]] = {
    "segment": tuple(Segment),
    "status": tuple(CustomerStatus),
    "kind": tuple(CustomerKind),
    "source_channel": tuple(SourceChannel),
    "kyc_status": tuple(KycStatus),
    "aml_risk": tuple(AmlRisk),
    "risk_level": ("C1", "C2", "C3", "C4", "C5"),
}
CORE_OPS = ("eq", "ne", "in", "is_set")
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    CustomFieldType.TEXT: ("eq", "ne", "contains", "is_set"),
    CustomFieldType.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "is_set"),
    CustomFieldType.MONEY: ("eq", "ne", "gt", "gte", "lt", "lte", "is_set"),
    CustomFieldType.DATE: ("eq", "ne", "gt", "gte", "lt", "lte", "is_set"),
    CustomFieldType.CHOICE: ("eq", "ne", "in", "is_set"),
    CustomFieldType.MULTI_CHOICE: ("contains", "is_set"),
}
_COMPARE = {"eq": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_set_flag(value: Any) -> bool:
    if value is None or value is True:
        return True
    if value is False:
        return False
    raise cf.BadValue("value.wrong_type")


class _Binder:
    """Values of a filter as named bind parameters (f0, f1, ...), and the filter's shape: what the statement
    looks like without its values. Two filter lists of the same shape make the same statement, so a search can
    reuse one built for an earlier call and send only the values (services/customers/search.py)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.shape: list = []

    def __call__(self, value: Any, type_: Any = None):
        name = f"f{len(self.values)}"
        self.values[name] = value
        return bindparam(name, value, type_=type_)


def _core(field: str, op: str, value: Any, bind: Any = None) -> ColumnElement[bool]:
    bind = bind or (lambda v, type_=None: v)
    column = getattr(Customer, field)
    allowed = CORE_FIELDS[field]
    if op == "is_set":
        return column.is_not(None) if _is_set_flag(value) else column.is_(None)
    items = value if op == "in" else [value]
    if not isinstance(items, list) or not 0 < len(items) <= MAX_IN_VALUES:
        raise cf.BadValue("value.wrong_type")
    for v in items:
        if v not in allowed:
            raise cf.BadValue("value.invalid_choice", choices=", ".join(allowed))
    if op == "eq":
        return column == bind(value)
    if op == "ne":
        return or_(column != bind(value), column.is_(None))
    return column.in_([bind(v) for v in items])


def _custom(dialect: str, d, op: str, value: Any, bind: Any = None) -> ColumnElement[bool]:
    bind = bind or (lambda v, type_=None: v)
    raw = Customer.custom[d.key]
    text = raw.as_string()
    t = d.field_type
    if op == "is_set":
        return text.is_not(None) if _is_set_flag(value) else text.is_(None)
    if t == CustomFieldType.MULTI_CHOICE:  # op == "contains": the list holds this choice
        choice = cf.choice_value(d, value)
        if dialect == "postgresql":
            return cast(raw, JSONB).contains(bind([choice], JSONB))
        # SQLite: json_each over the stored list (keys match [a-z][a-z0-9_]*, safe in a JSON path).
        each = func.json_each(Customer.__table__.c.custom, f'$."{d.key}"').table_valued("value").alias("je")
        return exists(select(literal(1)).select_from(each).where(each.c.value == bind(choice)))
    if op == "contains":  # text: substring, case-insensitive
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise cf.BadValue("value.wrong_type")
        if text_problem(value):
            raise cf.BadValue(text_problem(value))
        return text.ilike(bind(f"%{_like_escape(value.strip())}%", String()), escape="\\")
    if op == "in":  # choice
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN_VALUES:
            raise cf.BadValue("value.wrong_type")
        return text.in_([bind(cf.choice_value(d, v)) for v in value])
    parsed = cf.parse_value(d, value, check_range=False)
    if parsed is None:
        raise cf.BadValue("value.required")
    if t in cf.NUMERIC_TYPES:
        left, right = cast(text, Numeric(28, 4)), Decimal(parsed)
    else:  # text and choice compare as strings; ISO dates order as strings
        left, right = cast(text, String), parsed
    right = bind(right)
    if op == "ne":
        return or_(left != right, text.is_(None))
    return getattr(left, _COMPARE[op])(right)


def filter_condition(session: Session, actor: Actor, filters: Any) -> ColumnElement[bool]:
    """One WHERE clause for all filters (ANDed), or raise ValidationFailed naming each bad filter's field."""
    return filter_parts(session, actor, filters)[0]


def filter_parts(session: Session, actor: Actor, filters: Any) -> tuple[ColumnElement[bool], dict[str, Any], tuple]:
    """`filter_condition`, with its values as named bind parameters, those values, and the filters' shape
    (hashable): the same shape always builds the same statement, whatever the values."""
    bind = _Binder()
    if filters is None or filters == []:
        return and_(True), {}, ()
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        raise ValidationFailed([FieldError("filters", "filter.too_many", {"max": MAX_FILTERS})])
    dialect = session.get_bind().dialect.name
    # Custom field definitions only when a filter names one: core-field filters need no read of them.
    wants_custom = any(isinstance(i, dict) and isinstance(i.get("field"), str) and i["field"].startswith("custom.")
                       for i in filters)
    defs = {d.key: d for d in cf.visible_definitions(session, actor)} if wants_custom else {}
    conditions: list[ColumnElement[bool]] = []
    errors: list[FieldError] = []
    for item in filters:
        if not isinstance(item, dict) or set(item) - {"field", "op", "value"} or not isinstance(item.get("field"), str):
            errors.append(FieldError("filters", "value.wrong_type"))
            continue
        if text_problem(item["field"]):  # it would be echoed in the error, audited, and sent to the database
            errors.append(FieldError("filters", text_problem(item["field"])))
            continue
        field, op, value = item["field"], item.get("op", "eq"), item.get("value")
        try:
            if field in CORE_FIELDS:
                if op not in CORE_OPS:
                    raise cf.BadValue("filter.bad_op", ops=", ".join(CORE_OPS))
                before = len(bind.values)
                conditions.append(_core(field, op, value, bind))
                bind.shape.append((field, op, len(bind.values) - before, _flag(op, value)))
                continue
            key = field.removeprefix("custom.")
            d = defs.get(key) if field.startswith("custom.") else None
            if d is None:
                errors.append(FieldError("filters", "filter.unknown_field", {"field": field[:60]}))
                continue
            ops = OPS_BY_TYPE[d.field_type]
            if op not in ops:
                raise cf.BadValue("filter.bad_op", ops=", ".join(ops), **cf.label_params(d))
            before = len(bind.values)
            conditions.append(_custom(dialect, d, op, value, bind))
            bind.shape.append((field, d.field_type, op, len(bind.values) - before, _flag(op, value)))
        except cf.BadValue as bad:
            params = dict(bad.params)
            if field.startswith("custom.") and field.removeprefix("custom.") in defs:
                params.update(cf.label_params(defs[field.removeprefix("custom.")]))
            errors.append(FieldError(field, bad.code, params))
    if errors:
        raise ValidationFailed(errors)
    return (and_(*conditions) if conditions else and_(True)), bind.values, (dialect, *bind.shape)


def _flag(op: str, value: Any) -> Any:
    """What of a value changes the statement itself rather than a parameter: is_set's yes or no."""
    return _is_set_flag(value) if op == "is_set" else None
