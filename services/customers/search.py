"""Customer search: name prefix, pinyin or initials prefix, last 4 of phone or ID, exact ID/phone.

Every branch is an index range scan ordered by (key, id) with LIMIT, so a page
costs the same at 5,000 or 1,000,000 customers; the total is counted up to a cap.
"""
from __future__ import annotations

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from services.customers.models import Customer
from services.customers.pinyin import QueryKind, prepare_query
from services.security.keys import get_cipher
from services.validation.identity import InvalidValue, normalize_id_number

COUNT_CAP = 1000
ID_CONTEXT = "customer.id_number"
PHONE_CONTEXT = "customer.phone"
ACCOUNT_NO_CONTEXT = "account.no"


def prefix(column, value: str) -> ColumnElement[bool]:
    """`column` starts with `value`, as a range both SQLite and PostgreSQL (C collation) index."""
    upper = value[:-1] + chr(ord(value[-1]) + 1)
    return and_(column >= value, column < upper)


def id_blind_index(id_type: str, number: str) -> str:
    return get_cipher().blind_index(f"{id_type}:{number}", context=ID_CONTEXT)


def phone_blind_index(phone: str) -> str:
    return get_cipher().blind_index(phone, context=PHONE_CONTEXT)


def match_condition(query: str) -> tuple[ColumnElement[bool], list]:
    """The WHERE clause for a search-box query and the ORDER BY that its index serves."""
    kind, term = prepare_query(query)
    c = Customer
    if not term:
        return and_(True), [c.id.desc()]
    if kind is QueryKind.DIGITS4:
        return or_(c.phone_last4 == term, c.id_last4 == term), [c.id]
    if kind is QueryKind.ID_LAST4:
        return c.id_last4 == term, [c.id]
    if kind is QueryKind.FULL_ID:
        try:
            number = normalize_id_number(term)
        except InvalidValue:
            return false(), [c.id]
        return c.id_number_bidx == id_blind_index("resident_id", number), [c.id]
    if kind is QueryKind.FULL_PHONE:
        return c.phone_bidx == phone_blind_index(term), [c.id]
    if kind is QueryKind.PINYIN:
        return or_(prefix(c.name_pinyin, term), prefix(c.name_initials, term)), [c.name_pinyin, c.id]
    if kind is QueryKind.NAME:
        return prefix(c.name, term), [c.name, c.id]
    # Anything else (customer numbers, latin names with digits): exact customer number or name prefix.
    return or_(c.customer_no == term.upper(), prefix(c.name, term)), [c.name, c.id]


def search_statement(query: str, scope: ColumnElement[bool], offset: int, limit: int):
    where, order = match_condition(query)
    ids = select(Customer.id).where(where, scope).order_by(*order).offset(offset).limit(limit)
    count = select(func.count()).select_from(
        select(Customer.id).where(where, scope).limit(COUNT_CAP + 1).subquery()
    )
    return ids, count
