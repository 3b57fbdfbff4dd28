"""Tag rules: the condition language, its validation, and its two evaluators.

A rule's definition is a JSON condition tree::

    {"all": [cond, ...]}        every condition holds (AND)
    {"any": [cond, ...]}        at least one holds (OR)
    {"not": cond}               the condition does not hold
    {"field": ..., "op": ..., "value": ..., <parameters>}   a leaf

Leaf fields (see FIELDS): customer fields (segment, status, kind, gender, source_channel, risk_level,
aml_risk, kyc_status, branch_id, team_id, owner_id), ``age`` (whole years from the birth date),
``custom.<key>`` (admin-defined custom fields; operators by the field's type), holdings
(``holdings_value`` / ``holdings_count`` with optional ``product_types``, ``min_risk``, ``premium``),
``aum`` (deposit-like balances plus holdings at market value; liabilities excluded) and ``liabilities``,
and aggregates over a window of the last ``days`` days: ``tx_sum`` / ``tx_count`` (transactions of the
given ``kinds``, amounts signed as booked), ``event_count`` (behaviour events of ``event_kind``,
optionally only on ``premium`` products) and ``interaction_count`` (optionally of given ``kinds``).
Operators: >=, >, <=, <, ==, !=, in, not_in, allowed by the operand's type.

A condition on a missing value (no birth date, custom field not set, no risk level) is false; its
NOT is true. Both evaluators keep to that, so they agree on every customer.

Windows are measured back from ``as_of``, which is now by the one clock (services/clock.py), in demo mode
too: the demo seed writes a snapshot of the bank as of the day it is seeded. Windows have no upper bound, so
data booked after ``as_of`` still counts.

Evaluators:
- SQL (SQLAlchemy Core, SQLite and PostgreSQL): ``condition_sql`` gives a WHERE clause over the customer
  table for counting, previews and the nightly pass; ``operand_sql`` the per-customer value of each leaf
  operand (the evidence).
- Python: ``holds`` evaluates the tree over operand values (as fetched by ``operand_sql`` for one customer:
  the incremental path), and ``reference_values`` computes the same operand values from raw rows, the
  reference the property tests check the SQL against.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from sqlalchemy import (Numeric, String, and_, bindparam, case, cast, exists, false, func, literal, not_, or_, select, true,
                        type_coerce)
from sqlalchemy.sql.elements import ColumnElement

from services import clock
from services.activities.models import BehaviourEvent, EventKind, Interaction, InteractionKind
from services.customers.models import (AmlRisk, Customer, CustomerKind, CustomerStatus, CustomFieldDefinition,
                                       CustomFieldType, Gender, KycStatus, Segment, SourceChannel)
from services.errors import FieldError, ValidationFailed
from services.portfolio.models import (Account, AccountKind, Holding, Product, ProductType, RiskLevel,
                                       Transaction, TransactionKind)
from services.types import Money, UTCDateTime

MAX_DEPTH = 4  # groups inside groups
MAX_LEAVES = 30
MAX_DAYS = 3650
MAX_LIST = 50
MAX_NUMBER = Decimal("1e13")
OPS = (">=", ">", "<=", "<", "==", "!=", "in", "not_in")
ORDER_OPS = frozenset({">=", ">", "<=", "<"})
EQ_OPS = frozenset({"==", "!="})
LIST_OPS = frozenset({"in", "not_in"})

# Accounts whose balance is owed, and the ones that are not assets under management.
LIABILITY_KINDS = (AccountKind.LOAN.value, AccountKind.CREDIT_CARD.value)
NON_AUM_KINDS = LIABILITY_KINDS + (AccountKind.INSURANCE.value,)

C = Customer.__table__
T = Transaction.__table__
E = BehaviourEvent.__table__
P = Product.__table__
H = Holding.__table__
A = Account.__table__
I = Interaction.__table__  # noqa: E741


# ---------------------------------------------------------------- the operand catalogue

@dataclass(frozen=True)
class FieldSpec:
    type: str  # choice, ordered, id, integer, number, money, text, date, multi
    choices: tuple[str, ...] = ()
    params: frozenset[str] = frozenset()  # allowed parameters
    required: frozenset[str] = frozenset()  # required parameters


_RISK_C = ("C1", "C2", "C3", "C4", "C5")
_WINDOW = frozenset({"days"})
_HOLD = frozenset({"product_types", "min_risk", "premium"})

FIELDS: dict[str, FieldSpec] = {
    "segment": FieldSpec("choice", tuple(Segment)),
    "status": FieldSpec("choice", tuple(CustomerStatus)),
    "kind": FieldSpec("choice", tuple(CustomerKind)),
    "gender": FieldSpec("choice", tuple(Gender)),
    "source_channel": FieldSpec("choice", tuple(SourceChannel)),
    "risk_level": FieldSpec("ordered", _RISK_C),
    "aml_risk": FieldSpec("choice", tuple(AmlRisk)),
    "kyc_status": FieldSpec("choice", tuple(KycStatus)),
    "branch_id": FieldSpec("id"),
    "team_id": FieldSpec("id"),
    "owner_id": FieldSpec("id"),
    "age": FieldSpec("integer"),
    "aum": FieldSpec("money"),
    "liabilities": FieldSpec("money"),
    "holdings_value": FieldSpec("money", params=_HOLD),
    "holdings_count": FieldSpec("integer", params=_HOLD),
    "tx_sum": FieldSpec("money", params=frozenset({"kinds", "days"}), required=frozenset({"kinds", "days"})),
    "tx_count": FieldSpec("integer", params=frozenset({"kinds", "days"}), required=frozenset({"kinds", "days"})),
    "event_count": FieldSpec("integer", params=frozenset({"event_kind", "days", "premium"}),
                             required=frozenset({"event_kind", "days"})),
    "interaction_count": FieldSpec("integer", params=frozenset({"kinds", "days"}), required=_WINDOW),
}
CUSTOMER_COLUMNS = ("segment", "status", "kind", "gender", "source_channel", "risk_level", "aml_risk",
                    "kyc_status", "branch_id", "team_id", "owner_id")

_CUSTOM_TYPES = {CustomFieldType.TEXT: "text", CustomFieldType.NUMBER: "number", CustomFieldType.MONEY: "money",
                 CustomFieldType.DATE: "date", CustomFieldType.CHOICE: "choice",
                 CustomFieldType.MULTI_CHOICE: "multi"}
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NUMERIC_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
_NUMERIC_RE = re.compile(_NUMERIC_TEXT)

TYPE_OPS = {
    "choice": EQ_OPS | LIST_OPS,
    "text": EQ_OPS | LIST_OPS,
    "id": EQ_OPS | LIST_OPS,
    "ordered": EQ_OPS | LIST_OPS | ORDER_OPS,
    "integer": EQ_OPS | ORDER_OPS,
    "number": EQ_OPS | ORDER_OPS,
    "money": EQ_OPS | ORDER_OPS,
    "date": EQ_OPS | ORDER_OPS,
    "multi": LIST_OPS,
}
PARAM_CHOICES = {
    "kinds": None,  # per field: transaction kinds or interaction kinds (param_choices)
    "event_kind": tuple(EventKind),
    "product_types": tuple(p for p in ProductType),
    "min_risk": tuple(RiskLevel),
}


def param_choices(field: str, param: str) -> tuple[str, ...]:
    """The codes a parameter of `field` may take (the editor offers them; validation accepts only them)."""
    if param == "kinds":
        return tuple(TransactionKind) if field in ("tx_sum", "tx_count") else tuple(InteractionKind)
    return tuple(PARAM_CHOICES.get(param) or ())


@dataclass(frozen=True)
class Leaf:
    """A validated leaf: the operand (field + parameters), the operator and the normalised value."""

    field: str
    type: str
    op: str
    value: Any
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def key(self) -> str:
        """The operand's name in evidence: readable and the same for equal operands."""
        p = self.p
        if self.field in ("tx_sum", "tx_count"):
            return f"{self.field}_{'+'.join(p['kinds'])}_{p['days']}d"
        if self.field == "event_count":
            return f"{p['event_kind']}{'_premium' if p.get('premium') else ''}_count_{p['days']}d"
        if self.field == "interaction_count":
            kinds = "+".join(p.get("kinds") or ()) or "all"
            return f"interaction_{kinds}_count_{p['days']}d"
        if self.field in ("holdings_value", "holdings_count"):
            parts = [self.field]
            if p.get("product_types"):
                parts.append("+".join(p["product_types"]))
            if p.get("min_risk"):
                parts.append(f"{p['min_risk']}up")
            if p.get("premium"):
                parts.append("premium")
            return "_".join(parts)
        return self.field


# Validated trees: ("all"|"any", [nodes]) / ("not", node) / Leaf
Node = Any


# ---------------------------------------------------------------- validation

class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, code: str, **params: Any) -> None:
        if len(self.items) < 20:
            self.items.append(FieldError("definition", code, {"path": path or "1", **params}))


def custom_field_types(session) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Active custom fields: key -> (rule type, choices)."""
    rows = session.execute(
        select(CustomFieldDefinition.key, CustomFieldDefinition.field_type, CustomFieldDefinition.choices)
        .where(CustomFieldDefinition.active.is_(True))
    ).all()
    out = {}
    for key, ftype, choices in rows:
        if ftype in {t.value for t in CustomFieldType}:
            values = tuple(str(c["value"]) if isinstance(c, dict) else str(c) for c in (choices or []))
            out[key] = (_CUSTOM_TYPES[CustomFieldType(ftype)], values)
    return out


def validate(definition: Any, custom_fields: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> Node:
    """Check a definition and return its validated tree, or raise ValidationFailed naming each condition.

    Paths in errors count from 1: "2.1" is the first condition inside the second one.
    """
    errors = _Errors()
    counter = [0]
    node = _validate_node(definition, "", 0, errors, custom_fields or {}, counter)
    if counter[0] > MAX_LEAVES:
        errors.add("", "tag_rule.too_many", max=MAX_LEAVES)
    if errors.items:
        raise ValidationFailed(errors.items)
    return node


def _validate_node(raw: Any, path: str, depth: int, errors: _Errors, custom, counter) -> Node:
    if not isinstance(raw, dict) or not raw:
        errors.add(path, "tag_rule.not_a_condition")
        return None
    group = [k for k in ("all", "any", "not") if k in raw]
    if group:
        if len(raw) != 1:
            errors.add(path, "tag_rule.not_a_condition")
            return None
        if depth >= MAX_DEPTH:
            errors.add(path, "tag_rule.too_deep", max=MAX_DEPTH)
            return None
        key = group[0]
        if key == "not":
            return ("not", _validate_node(raw["not"], path, depth + 1, errors, custom, counter))
        items = raw[key]
        if not isinstance(items, list) or not items:
            errors.add(path, "tag_rule.empty_group")
            return None
        return (key, [_validate_node(item, f"{path}.{i}" if path else str(i), depth + 1, errors, custom, counter)
                      for i, item in enumerate(items, start=1)])
    counter[0] += 1
    return _validate_leaf(raw, path, errors, custom)


def _validate_leaf(raw: dict, path: str, errors: _Errors, custom) -> Leaf | None:
    field = raw.get("field")
    n_before = len(errors.items)
    choices: tuple[str, ...] = ()
    if not isinstance(field, str) or len(field) > 60:
        errors.add(path, "tag_rule.unknown_field", name=str(field)[:60])
        return None
    if field.startswith("custom."):
        key = field[len("custom."):]
        if not _CUSTOM_KEY.match(key) or key not in custom:
            errors.add(path, "tag_rule.unknown_field", name=field)
            return None
        ftype, choices = custom[key]
        spec = FieldSpec(ftype, choices)
    elif field in FIELDS:
        spec = FIELDS[field]
        choices = spec.choices
    else:
        errors.add(path, "tag_rule.unknown_field", name=field)
        return None
    allowed_keys = {"field", "op", "value"} | spec.params
    for k in raw:
        if k not in allowed_keys:
            errors.add(path, "tag_rule.unknown_parameter", name=str(k)[:40])
    op = raw.get("op")
    if op not in OPS:
        errors.add(path, "tag_rule.unknown_op", op=str(op)[:10])
        return None
    if op not in TYPE_OPS[spec.type]:
        errors.add(path, "tag_rule.op_not_allowed", op=op, ops=" ".join(o for o in OPS if o in TYPE_OPS[spec.type]))
        return None
    for k in spec.required:
        if k not in raw:
            errors.add(path, "tag_rule.missing_parameter", name=k)
    params: dict[str, Any] = {}
    if "days" in raw:
        days = raw["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            errors.add(path, "tag_rule.bad_window", max=MAX_DAYS)
        else:
            params["days"] = days
    if "kinds" in raw:
        allowed = param_choices(field, "kinds")
        kinds = raw["kinds"]
        if (not isinstance(kinds, list) or not kinds or len(kinds) > len(allowed)
                or any(k not in allowed for k in kinds)):
            errors.add(path, "tag_rule.bad_parameter", name="kinds", choices=", ".join(allowed))
        else:
            params["kinds"] = tuple(sorted(set(kinds)))
    if "event_kind" in raw:
        if raw["event_kind"] not in PARAM_CHOICES["event_kind"]:
            errors.add(path, "tag_rule.bad_parameter", name="event_kind",
                       choices=", ".join(PARAM_CHOICES["event_kind"]))
        else:
            params["event_kind"] = str(raw["event_kind"])
    if "product_types" in raw:
        pts = raw["product_types"]
        if (not isinstance(pts, list) or not pts or len(pts) > len(ProductType)
                or any(p not in PARAM_CHOICES["product_types"] for p in pts)):
            errors.add(path, "tag_rule.bad_parameter", name="product_types",
                       choices=", ".join(PARAM_CHOICES["product_types"]))
        else:
            params["product_types"] = tuple(sorted(set(pts)))
    if "min_risk" in raw:
        if raw["min_risk"] not in PARAM_CHOICES["min_risk"]:
            errors.add(path, "tag_rule.bad_parameter", name="min_risk", choices=", ".join(RiskLevel))
        else:
            params["min_risk"] = str(raw["min_risk"])
    if "premium" in raw:
        if not isinstance(raw["premium"], bool):
            errors.add(path, "tag_rule.bad_parameter", name="premium", choices="true, false")
        elif raw["premium"]:
            params["premium"] = True
    value = _validate_value(raw.get("value"), spec.type, op, choices, path, errors)
    if len(errors.items) > n_before:
        return None
    return Leaf(field=field, type=spec.type, op=op, value=value, params=tuple(sorted(params.items())))


def _scalar(v: Any, ftype: str, choices: tuple[str, ...]) -> Any:
    """One normalised value of the operand's type, or raise ValueError."""
    if ftype in ("choice", "ordered"):
        if not isinstance(v, str) or (choices and v not in choices):
            raise ValueError
        return v
    if ftype == "text":
        if not isinstance(v, str) or len(v) > 200 or re.search(r"[\x00-\x1f\x7f]", v):
            raise ValueError
        return v
    if ftype == "id":
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**62:
            raise ValueError
        return v
    if ftype == "integer":
        if isinstance(v, bool) or not isinstance(v, int) or abs(v) > 10**9:
            raise ValueError
        return v
    if ftype in ("number", "money"):
        if isinstance(v, bool) or not isinstance(v, (int, str, float, Decimal)):
            raise ValueError
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise ValueError from None
        if not d.is_finite() or abs(d) >= MAX_NUMBER:
            raise ValueError
        if ftype == "money" and d != d.quantize(Decimal("0.01")):
            raise ValueError
        if ftype == "number" and d != d.quantize(Decimal("0.0001")):
            raise ValueError
        return d
    if ftype == "date":
        if not isinstance(v, str):
            raise ValueError
        return date.fromisoformat(v).isoformat()
    raise ValueError


def _validate_value(v: Any, ftype: str, op: str, choices, path: str, errors: _Errors) -> Any:
    item_type = "choice" if ftype == "multi" else ftype
    try:
        if op in LIST_OPS:
            if not isinstance(v, list) or not v or len(v) > MAX_LIST:
                raise ValueError
            return tuple(dict.fromkeys(_scalar(x, item_type, choices) for x in v))
        return _scalar(v, item_type, choices)
    except ValueError:
        if choices and ftype in ("choice", "ordered", "multi"):
            errors.add(path, "tag_rule.bad_value_choice", choices=", ".join(choices))
        else:
            errors.add(path, f"tag_rule.bad_value_{'list' if op in LIST_OPS else ftype}")
        return None


def leaves(node: Node) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif node[0] == "not":
        yield from leaves(node[1])
    else:
        for child in node[1]:
            yield from leaves(child)


# ---------------------------------------------------------------- time

def default_as_of() -> datetime:
    """Now, by the one clock (services/clock.py)."""
    return clock.now()


def local_date(as_of: datetime) -> date:
    return clock.local_date(as_of)


def years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February in a year that has none
        return d.replace(year=d.year - years, day=28)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ---------------------------------------------------------------- the SQL evaluator

@dataclass(frozen=True)
class Ctx:
    as_of: datetime | None
    dialect: str  # "sqlite" | "postgresql"
    template: bool = False  # windows as bind parameters (since_<days>), for statements built once

    def since(self, days: int):
        if self.template:
            return bindparam(f"since_{days}", type_=UTCDateTime())
        return self.as_of - timedelta(days=days)


_operand_statements: dict[tuple, Any] = {}


def operand_statement(dialect: str, ops: dict[str, Leaf]):
    """SELECT of the operands for one customer (bind `cid` and `window_params(...)`), built once per shape."""
    key = (dialect, tuple(ops.values()))
    stmt = _operand_statements.get(key)
    if stmt is None:
        ctx = Ctx(as_of=None, dialect=dialect, template=True)
        stmt = select(*operand_columns(ctx, ops)).where(C.c.id == bindparam("cid"))
        if len(_operand_statements) > 500:
            _operand_statements.clear()
        _operand_statements[key] = stmt
    return stmt


_operand_statements_many: dict[tuple, Any] = {}


def operand_statement_many(dialect: str, ops: dict[str, Leaf]):
    """`operand_statement` for many customers at once (bind `cids`, a list, and `window_params(...)`): the
    customer id first, then the operands, one row per customer found. Built once per shape."""
    key = (dialect, tuple(ops.values()))
    stmt = _operand_statements_many.get(key)
    if stmt is None:
        ctx = Ctx(as_of=None, dialect=dialect, template=True)
        stmt = select(C.c.id, *operand_columns(ctx, ops)).where(C.c.id.in_(bindparam("cids", expanding=True)))
        if len(_operand_statements_many) > 500:
            _operand_statements_many.clear()
        _operand_statements_many[key] = stmt
    return stmt


def window_params(ops: dict[str, Leaf], as_of: datetime) -> dict[str, datetime]:
    return {f"since_{d}": as_of - timedelta(days=d) for d in {leaf.p["days"] for leaf in ops.values()
                                                              if "days" in leaf.p}}


def _custom_json(ctx: Ctx, key: str):
    """(json type name, text value) expressions for custom.<key>."""
    if ctx.dialect == "sqlite":
        jpath = f'$."{key}"'
        return func.json_type(C.c.custom, jpath), type_coerce(func.json_extract(C.c.custom, jpath), String())
    node = C.c.custom.op("->")(literal(key))
    return func.json_typeof(node), type_coerce(C.c.custom.op("->>")(literal(key)), String())


_JSON_TEXT = {"sqlite": "text", "postgresql": "string"}
_JSON_NUMBER = {"sqlite": ("integer", "real"), "postgresql": ("number",)}
_JSON_ARRAY = {"sqlite": "array", "postgresql": "array"}


def _custom_operand(ctx: Ctx, leaf: Leaf):
    key = leaf.field[len("custom."):]
    jtype, jtext = _custom_json(ctx, key)
    if leaf.type in ("number", "money"):
        numeric_ok = or_(jtype.in_(_JSON_NUMBER[ctx.dialect]),
                         and_(jtype == _JSON_TEXT[ctx.dialect], jtext.regexp_match(_NUMERIC_TEXT)))
        return case((numeric_ok, cast(jtext, Numeric)), else_=None)
    if leaf.type == "multi":
        return None  # handled by _multi_condition
    return case((jtype == _JSON_TEXT[ctx.dialect], jtext), else_=None)


def _multi_condition(ctx: Ctx, leaf: Leaf) -> ColumnElement[bool]:
    key = leaf.field[len("custom."):]
    jtype, _ = _custom_json(ctx, key)
    values = list(leaf.value)
    if ctx.dialect == "sqlite":
        elems = func.json_each(C.c.custom, f'$."{key}"').table_valued("value").alias("mc")
        any_of = exists(select(literal(1)).select_from(elems).where(elems.c.value.in_(values)))
    else:
        elems = func.json_array_elements_text(C.c.custom.op("->")(literal(key))).table_valued("value").alias("mc")
        any_of = exists(select(literal(1)).select_from(elems).where(elems.c.value.in_(values)))
    is_array = func.coalesce(jtype, "missing") == _JSON_ARRAY[ctx.dialect]  # never NULL, so NOT works
    return and_(is_array, any_of) if leaf.op == "in" else and_(is_array, not_(any_of))


def operand_sql(ctx: Ctx, leaf: Leaf):
    """The per-customer value of a leaf's operand, correlated to the customer table."""
    f, p = leaf.field, leaf.p
    if f in CUSTOMER_COLUMNS:
        return C.c[f]
    if f == "age":
        return C.c.birth_date
    if f.startswith("custom."):
        if leaf.type == "multi":
            key = f[len("custom."):]
            return func.json_extract(C.c.custom, f'$."{key}"') if ctx.dialect == "sqlite" else \
                C.c.custom.op("->")(literal(key))
        return _custom_operand(ctx, leaf)
    if f in ("tx_sum", "tx_count"):
        agg = func.coalesce(func.sum(T.c.amount), 0) if f == "tx_sum" else func.count()
        q = select(agg).where(T.c.customer_id == C.c.id, T.c.kind.in_(p["kinds"]),
                              T.c.booked_at >= ctx.since(p["days"]))
        sub = q.scalar_subquery()
        return type_coerce(sub, Money()) if f == "tx_sum" else sub
    if f == "event_count":
        q = select(func.count()).select_from(E).where(
            E.c.customer_id == C.c.id, E.c.kind == p["event_kind"], E.c.occurred_at >= ctx.since(p["days"]))
        if p.get("premium"):
            q = q.where(E.c.product_id.in_(select(P.c.id).where(P.c.is_premium.is_(True))))
        return q.scalar_subquery()
    if f == "interaction_count":
        q = select(func.count()).select_from(I).where(I.c.customer_id == C.c.id,
                                                      I.c.occurred_at >= ctx.since(p["days"]))
        if p.get("kinds"):
            q = q.where(I.c.kind.in_(p["kinds"]))
        return q.scalar_subquery()
    if f in ("holdings_value", "holdings_count"):
        agg = func.coalesce(func.sum(H.c.market_value), 0) if f == "holdings_value" else func.count()
        q = select(agg).select_from(H).where(H.c.customer_id == C.c.id)
        if p:
            prod = select(P.c.id)
            if p.get("product_types"):
                prod = prod.where(P.c.product_type.in_(p["product_types"]))
            if p.get("min_risk"):
                prod = prod.where(P.c.risk_level >= p["min_risk"])
            if p.get("premium"):
                prod = prod.where(P.c.is_premium.is_(True))
            q = q.where(H.c.product_id.in_(prod))
        sub = q.scalar_subquery()
        return type_coerce(sub, Money()) if f == "holdings_value" else sub
    if f in ("aum", "liabilities"):
        kinds_filter = A.c.kind.notin_(NON_AUM_KINDS) if f == "aum" else A.c.kind.in_(LIABILITY_KINDS)
        bal = select(func.coalesce(func.sum(A.c.balance), 0)).where(A.c.customer_id == C.c.id, kinds_filter)
        if f == "liabilities":
            return type_coerce(bal.scalar_subquery(), Money())
        held = select(func.coalesce(func.sum(H.c.market_value), 0)).where(H.c.customer_id == C.c.id)
        return type_coerce(bal.scalar_subquery() + held.scalar_subquery(), Money())
    raise AssertionError(f"no SQL for {f}")


def _compare(expr, op: str, value: Any) -> ColumnElement[bool]:
    if op == ">=":
        return expr >= value
    if op == ">":
        return expr > value
    if op == "<=":
        return expr <= value
    if op == "<":
        return expr < value
    if op == "==":
        return expr == value
    if op == "!=":
        return expr != value
    if op == "in":
        return expr.in_(list(value))
    if op == "not_in":
        return expr.notin_(list(value))
    raise AssertionError(op)


def _age_condition(ctx: Ctx, leaf: Leaf) -> ColumnElement[bool]:
    """age <op> n as a range on the birth date (index-friendly and the same on both databases)."""
    on = local_date(ctx.as_of)
    b = C.c.birth_date
    n = leaf.value

    def at_least(k: int):  # age >= k
        return b <= years_before(on, k)

    def below(k: int):  # age < k
        return b > years_before(on, k)

    cond = {">=": lambda: at_least(n), ">": lambda: at_least(n + 1), "<=": lambda: below(n + 1),
            "<": lambda: below(n), "==": lambda: and_(at_least(n), below(n + 1)),
            "!=": lambda: or_(below(n), at_least(n + 1))}[leaf.op]()
    return and_(b.is_not(None), cond)


def leaf_sql(ctx: Ctx, leaf: Leaf) -> ColumnElement[bool]:
    if leaf.field == "age":
        return _age_condition(ctx, leaf)
    if leaf.type == "multi":
        return _multi_condition(ctx, leaf)
    expr = operand_sql(ctx, leaf)
    cond = _compare(expr, leaf.op, leaf.value)  # dates: ISO text compares in date order
    if leaf.field in CUSTOMER_COLUMNS or leaf.field.startswith("custom."):
        return and_(expr.is_not(None), cond)
    return cond


def condition_sql(ctx: Ctx, node: Node) -> ColumnElement[bool]:
    """A WHERE clause over the customer table that holds exactly for the customers the tree matches."""
    if isinstance(node, Leaf):
        return leaf_sql(ctx, node)
    kind, body = node
    if kind == "not":
        return not_(condition_sql(ctx, body))
    parts = [condition_sql(ctx, child) for child in body]
    return and_(true(), *parts) if kind == "all" else or_(false(), *parts)


def operands(nodes: Iterable[Node]) -> dict[str, Leaf]:
    """Distinct operands (by evidence key) of the given trees, a representative leaf for each."""
    out: dict[str, Leaf] = {}
    for node in nodes:
        for leaf in leaves(node):
            out.setdefault(leaf.key, leaf)
    return out


def operand_columns(ctx: Ctx, ops: dict[str, Leaf]) -> list:
    return [operand_sql(ctx, leaf).label(f"o{i}") for i, leaf in enumerate(ops.values())]


def normalise_operand(leaf: Leaf, raw: Any, as_of: datetime) -> Any:
    """A value from operand_sql as the Python evaluator compares it."""
    if raw is None:
        return None
    if leaf.field == "age":
        b = raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])
        return age_on(b, local_date(as_of))
    if leaf.field.startswith("custom."):
        return _custom_value(leaf.type, raw if leaf.type != "multi" else _json_list(raw))
    if leaf.type == "money":
        return Decimal(raw)
    if leaf.type == "integer":
        return int(raw)
    return raw


def _json_list(raw: Any) -> Any:
    if isinstance(raw, str):
        import json

        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def _custom_value(ftype: str, v: Any) -> Any:
    """A stored custom value as rules see it: None when it is missing or of the wrong JSON type."""
    if v is None or isinstance(v, bool):
        return None
    if ftype in ("number", "money"):
        if isinstance(v, (int, float, Decimal)):
            return Decimal(str(v))
        if isinstance(v, str) and _NUMERIC_RE.match(v):
            return Decimal(v)
        return None
    if ftype == "multi":
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else None
    return v if isinstance(v, str) else None


# ---------------------------------------------------------------- the Python evaluator

def leaf_holds(leaf: Leaf, value: Any) -> bool:
    if value is None:
        return False
    op, ref = leaf.op, leaf.value
    if leaf.type == "multi":
        hit = any(x in ref for x in value)
        return hit if op == "in" else not hit
    if op == "in":
        return value in ref
    if op == "not_in":
        return value not in ref
    if op == ">=":
        return value >= ref
    if op == ">":
        return value > ref
    if op == "<=":
        return value <= ref
    if op == "<":
        return value < ref
    if op == "==":
        return value == ref
    return value != ref


def holds(node: Node, values: dict[str, Any]) -> bool:
    """Evaluate a validated tree over operand values keyed by Leaf.key."""
    if isinstance(node, Leaf):
        return leaf_holds(node, values.get(node.key))
    kind, body = node
    if kind == "not":
        return not holds(body, values)
    if kind == "all":
        return all(holds(child, values) for child in body)
    return any(holds(child, values) for child in body)


def evidence(node: Node, values: dict[str, Any]) -> dict[str, Any]:
    """The operand values a match rests on, JSON-ready (money as strings)."""
    out = {}
    for leaf in leaves(node):
        v = values.get(leaf.key)
        out[leaf.key] = _jsonable(v)
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v.quantize(Decimal("0.01"))) if v == v.quantize(Decimal("0.0001")) else str(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    return v


# ---------------------------------------------------------------- the reference evaluator (raw rows)

@dataclass
class RawCustomer:
    """One customer's rows as plain Python, for the reference evaluator."""

    row: dict  # customer columns incl. custom and birth_date
    transactions: list[dict]  # kind, amount (Decimal), booked_at
    events: list[dict]  # kind, occurred_at, product_id
    interactions: list[dict]  # kind, occurred_at
    holdings: list[dict]  # product_id, market_value
    accounts: list[dict]  # kind, balance


def reference_values(leaf: Leaf, cust: RawCustomer, products: dict[int, dict], as_of: datetime) -> Any:
    f, p = leaf.field, leaf.p
    if f in CUSTOMER_COLUMNS:
        return cust.row.get(f)
    if f == "age":
        b = cust.row.get("birth_date")
        return None if b is None else age_on(b, local_date(as_of))
    if f.startswith("custom."):
        return _custom_value(leaf.type, (cust.row.get("custom") or {}).get(f[len("custom."):]))
    since = as_of - timedelta(days=p.get("days", 0))
    if f == "tx_sum":
        return sum((t["amount"] for t in cust.transactions if t["kind"] in p["kinds"] and t["booked_at"] >= since),
                   Decimal("0.00"))
    if f == "tx_count":
        return sum(1 for t in cust.transactions if t["kind"] in p["kinds"] and t["booked_at"] >= since)
    if f == "event_count":
        return sum(1 for e in cust.events if e["kind"] == p["event_kind"] and e["occurred_at"] >= since
                   and (not p.get("premium") or (e["product_id"] is not None
                                                 and products[e["product_id"]]["is_premium"])))
    if f == "interaction_count":
        return sum(1 for i in cust.interactions if i["occurred_at"] >= since
                   and (not p.get("kinds") or i["kind"] in p["kinds"]))
    if f in ("holdings_value", "holdings_count"):
        def ok(h):
            prod = products[h["product_id"]]
            return ((not p.get("product_types") or prod["product_type"] in p["product_types"])
                    and (not p.get("min_risk") or prod["risk_level"] >= p["min_risk"])
                    and (not p.get("premium") or prod["is_premium"]))
        chosen = [h for h in cust.holdings if ok(h)]
        if f == "holdings_count":
            return len(chosen)
        return sum((h["market_value"] for h in chosen), Decimal("0.00"))
    if f == "aum":
        return (sum((a["balance"] for a in cust.accounts if a["kind"] not in NON_AUM_KINDS), Decimal("0.00"))
                + sum((h["market_value"] for h in cust.holdings), Decimal("0.00")))
    if f == "liabilities":
        return sum((a["balance"] for a in cust.accounts if a["kind"] in LIABILITY_KINDS), Decimal("0.00"))
    raise AssertionError(f)


def reference_holds(node: Node, cust: RawCustomer, products: dict[int, dict], as_of: datetime) -> bool:
    values = {leaf.key: reference_values(leaf, cust, products, as_of) for leaf in leaves(node)}
    return holds(node, values)

