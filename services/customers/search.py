"""Customer search: name prefix, pinyin or initials prefix, last 4 of phone or ID, exact ID/phone.

Every branch is an index range scan ordered by (key, id) with LIMIT, so a page
costs the same at 5,000 or 1,000,000 customers; the total is counted up to a cap.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Integer, String, and_, bindparam, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from services import holds
from services.customers.models import Customer
from services.customers.pinyin import QueryKind, prepare_query
from services.security.keys import get_cipher
from services.security.policy import Scope, client_customers
from services.validation.identity import InvalidValue, normalize_id_number

COUNT_CAP = 1000
ID_CONTEXT = "customer.id_number"
PHONE_CONTEXT = "customer.phone"
ACCOUNT_NO_CONTEXT = "account.no"


def id_blind_index(id_type: str, number: str) -> str:
    return get_cipher().blind_index(f"{id_type}:{number}", context=ID_CONTEXT)


def phone_blind_index(phone: str) -> str:
    return get_cipher().blind_index(phone, context=PHONE_CONTEXT)


# A query is a kind (which index) plus values; each kind's SQL is built once with bind
# parameters, so a search costs one cached statement and its parameters.
_NO_MATCH = "no_match"
_EMPTY = "empty"


def prepare(query: str) -> tuple[str, dict]:
    """The statement template to use for a search-box query, and its parameter values."""
    kind, term = prepare_query(query)
    if not term:
        return _EMPTY, {}
    if kind is QueryKind.FULL_ID:
        try:
            number = normalize_id_number(term)
        except InvalidValue:
            return _NO_MATCH, {}
        return kind.value, {"q_bidx": id_blind_index("resident_id", number)}
    if kind is QueryKind.FULL_PHONE:
        return kind.value, {"q_bidx": phone_blind_index(term)}
    # "column starts with term" as the range [term, hi): indexed on SQLite and PostgreSQL (C collation).
    hi = term[:-1] + chr(ord(term[-1]) + 1)
    return kind.value, {"q_term": term, "q_hi": hi, "q_upper": term.upper()}


@lru_cache(maxsize=None)
def template(kind: str) -> tuple[ColumnElement[bool], tuple]:
    """WHERE and ORDER BY for a query kind; the ORDER BY is what the kind's index serves."""
    c = Customer
    term, hi = bindparam("q_term", type_=String), bindparam("q_hi", type_=String)

    def starts(col):
        return and_(col >= term, col < hi)

    if kind == _EMPTY:
        return true(), (c.id.desc(),)
    if kind == _NO_MATCH:
        return false(), (c.id,)
    if kind == QueryKind.DIGITS4.value:
        return or_(c.phone_last4 == term, c.id_last4 == term), (c.id,)
    if kind == QueryKind.ID_LAST4.value:
        return c.id_last4 == term, (c.id,)
    if kind == QueryKind.FULL_ID.value:
        return c.id_number_bidx == bindparam("q_bidx", type_=String), (c.id,)
    if kind == QueryKind.FULL_PHONE.value:
        return c.phone_bidx == bindparam("q_bidx", type_=String), (c.id,)
    if kind == QueryKind.PINYIN.value:
        return or_(starts(c.name_pinyin), starts(c.name_initials)), (c.name_pinyin, c.id)
    if kind == QueryKind.NAME.value:
        return starts(c.name), (c.name, c.id)
    # Anything else (customer numbers, latin names with digits): exact customer number or name prefix.
    return or_(c.customer_no == bindparam("q_upper", type_=String), starts(c.name)), (c.name, c.id)


def match_condition(query: str) -> tuple[ColumnElement[bool], tuple, dict]:
    """The WHERE clause for a search-box query, the ORDER BY its index serves, and the parameter
    values to execute the statement with (bound at execution: SQLAlchemy binds values into whole
    statements only)."""
    kind, params = prepare(query)
    where, order = template(kind)
    return where, order, params


# The stored masks serve every role that sees these fields masked; the ciphertexts are there
# for a role the policy lets see them in full.
SUMMARY_COLUMNS = (Customer.id, Customer.customer_no, Customer.name, Customer.kind, Customer.segment,
                   Customer.status, Customer.phone_masked, Customer.id_number_masked, Customer.phone_enc,
                   Customer.id_number_enc)


@lru_cache(maxsize=None)
def statements(kind: str, scope: Scope):
    """The page and capped-count statements for a query kind and scope kind, built once."""
    return build_statements(kind, scope)


@dataclass(frozen=True)
class DriverStatement:
    """A statement compiled once for a dialect and executed as driver SQL.

    The search box is the hottest read in the app, and SQLAlchemy's per-execution work
    (cache key, parameter processing, result metadata) costs as much as the indexed lookup
    itself. Only statements whose parameters and columns need no type conversion qualify
    (`driver_statements` checks), so the rows are the same as through Core.
    """
    sql: str
    names: tuple[str, ...]  # parameters in the order the driver wants them
    positional: bool
    defaults: dict[str, Any]  # values fixed in the statement (the count cap)

    def execute(self, conn: Connection, params: dict[str, Any]):
        values = {**self.defaults, **params}
        args = self._pick(values) if self.positional else {k: values[k] for k in self.names}
        return conn.exec_driver_sql(self.sql, args)

    def __post_init__(self) -> None:
        pick = itemgetter(*self.names) if self.names else (lambda values: ())
        # itemgetter of one name returns the value itself, not a 1-tuple.
        object.__setattr__(self, "_pick", pick if len(self.names) != 1 else (lambda values: (pick(values),)))


@lru_cache(maxsize=256)  # keyed by dialect too: one entry per query kind, scope and engine
def driver_statements(kind: str, scope: Scope, dialect: Dialect) -> tuple:
    """`statements(kind, scope)` compiled for the dialect as DriverStatements, or as they are when one needs
    type conversion."""
    return _compiled(statements(kind, scope), dialect)


_filtered: dict[tuple, tuple] = {}
FILTERED_CACHE_MAX = 512


def filtered_statements(kind: str, scope: Scope, shape: tuple, condition: ColumnElement[bool],
                        dialect: Dialect) -> tuple:
    """The page and count statements narrowed by list filters, built (from `condition`, whose values are named
    bind parameters) the first time this filter shape is seen and reused after; compiled as DriverStatements
    when their parameters and columns need no conversion. The caller passes the filters' values."""
    key = (kind, scope, shape, id(dialect))
    found = _filtered.get(key)
    if found is not None and found[0] is dialect:
        return found[1]
    built = _compiled(build_statements(kind, scope, condition), dialect)
    if len(_filtered) >= FILTERED_CACHE_MAX:  # shapes come from what people filter by: few, but not bounded
        _filtered.clear()
    _filtered[key] = (dialect, built)
    return built


def _compiled(stmts, dialect: Dialect) -> tuple:
    out = []
    for stmt in stmts:
        compiled = stmt.compile(dialect=dialect)
        if any(b.type.dialect_impl(dialect).bind_processor(dialect) for b in compiled.binds.values()) or any(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in stmt.selected_columns) or any(
                b.expanding for b in compiled.binds.values()):
            return tuple(stmts)
        defaults = compiled.construct_params({k: None for k, b in compiled.binds.items() if b.required})
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup) if positional else tuple(defaults)
        out.append(DriverStatement(compiled.string, names, positional,
                                   {k: v for k, v in defaults.items() if v is not None}))
    return out[0], out[1]


def build_statements(kind: str, scope: Scope, extra: ColumnElement[bool] | None = None):
    """The page (summary columns with owner and branch names) and capped-count statements;
    `extra` narrows them further (list filters), which makes them one-off statements."""
    from services.org.models import Branch
    from services.security.models import User

    where, order = template(kind)
    scoped = and_(where, _scope_clause(scope)) if extra is None else and_(where, _scope_clause(scope), extra)
    # Pick the page's ids by index first, then join names for those rows only: joining before the
    # LIMIT would look up owner and branch for every match of a broad query.
    ids = (select(Customer.id).where(scoped).order_by(*order)
           .offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer)).subquery())
    page = (select(*SUMMARY_COLUMNS, User.display_name, Branch.name)
            .select_from(ids).join(Customer, Customer.id == ids.c.id)
            .join(User, User.id == Customer.owner_id).join(Branch, Branch.id == Customer.branch_id)
            .order_by(*order))
    count = select(func.count()).select_from(select(Customer.id).where(scoped).limit(COUNT_CAP + 1).subquery())
    return page, count


def _scope_clause(scope: Scope) -> ColumnElement[bool]:
    value = bindparam("scope_value", type_=Integer)
    if scope is Scope.CLIENT:
        scoped = client_customers(value, Customer.id)
    else:
        scoped = {Scope.ALL: true(), Scope.BRANCH: Customer.branch_id == value, Scope.TEAM: Customer.team_id == value,
                  Scope.OWN: Customer.owner_id == value}.get(scope, false())
    # Customers of an import that has not finished are nobody's yet (services/holds.py). The condition is on
    # the id only, so the covering indexes still cover while no import is applying.
    return and_(holds.visible(Customer.id), scoped)
