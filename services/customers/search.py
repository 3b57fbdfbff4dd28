"""Customer search: name prefix, pinyin or initials prefix, last 4 of phone or ID, exact ID/phone.

Every branch is an index range scan ordered by (key, id) with LIMIT, so a page
costs the same at 5,000 or 1,000,000 customers; the total is counted up to a cap.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Integer, String, and_, bindparam, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from services.customers.models import Customer
from services.customers.pinyin import QueryKind, prepare_query
from services.security.keys import get_cipher
from services.security.policy import Scope
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


def match_condition(query: str) -> tuple[ColumnElement[bool], tuple]:
    """The WHERE clause (values bound) for a search-box query and the ORDER BY its index serves."""
    kind, params = prepare(query)
    where, order = template(kind)
    return (where.params(**params) if params else where), order


SUMMARY_COLUMNS = (Customer.id, Customer.customer_no, Customer.name, Customer.kind, Customer.segment,
                   Customer.status, Customer.phone_enc, Customer.id_number_enc)


@lru_cache(maxsize=None)
def statements(kind: str, scope: Scope):
    """The page and capped-count statements for a query kind and scope kind, built once."""
    return build_statements(kind, scope)


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
    return {Scope.ALL: true(), Scope.BRANCH: Customer.branch_id == value, Scope.TEAM: Customer.team_id == value,
            Scope.OWN: Customer.owner_id == value}.get(scope, false())


def search_statement(query: str, scope: ColumnElement[bool], offset: int, limit: int):
    """Ids and capped count for an arbitrary scope or extra condition (export, filters, benchmarks)."""
    where, order = match_condition(query)
    ids = select(Customer.id).where(where, scope).order_by(*order).offset(offset).limit(limit)
    count = select(func.count()).select_from(
        select(Customer.id).where(where, scope).limit(COUNT_CAP + 1).subquery()
    )
    return ids, count
