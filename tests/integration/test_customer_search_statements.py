"""The search's statements run as driver SQL give exactly what the same statements give through Core."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.customers import search as customer_search
from services.customers.models import Customer
from services.security.policy import Scope, scope_key
from services.types import UTCDateTime

QUERIES = ["张", "zs", "zhangsan", "0002", "C000000001", "13800130002", "", "nobody-matches"]


@pytest.mark.parametrize("who", ["rm_a1", "bm_a", "compliance"])
def test_driver_sql_returns_the_same_rows_as_core(connection, new_customer, actors, who):
    for i, name in enumerate(("张三", "张三丰", "李四", "张伟")):
        new_customer(owner="rm_a1" if i % 2 == 0 else "rm_a2", name=name)
    scope, scope_value = scope_key(actors[who])
    for q in QUERIES:
        kind, params = customer_search.prepare(q)
        params.update(scope_value=scope_value, offset=0, limit=20)
        page, count = customer_search.statements(kind, scope)
        prepared = customer_search.driver_statements(kind, scope, connection.dialect)
        assert isinstance(prepared[0], customer_search.DriverStatement), f"{kind} should run as driver SQL"
        assert [tuple(r) for r in prepared[0].execute(connection, params)] == \
            [tuple(r) for r in connection.execute(page, params)], q
        assert prepared[1].execute(connection, params).scalar_one() == connection.execute(count, params).scalar_one()


def test_statements_that_need_type_conversion_stay_on_core(connection, monkeypatch):
    """A column with a result processor (our UTC datetimes) would come back raw from the driver: not allowed."""
    page = select(Customer.id, Customer.created_at).where(Customer.id > 0)
    assert isinstance(Customer.__table__.c.created_at.type, UTCDateTime)
    monkeypatch.setattr(customer_search, "statements", lambda kind, scope: (page, page))
    customer_search.driver_statements.cache_clear()
    try:
        assert customer_search.driver_statements("name", Scope.ALL, connection.dialect) == (page, page)
    finally:
        customer_search.driver_statements.cache_clear()


FILTER_VALUES = [
    [{"field": "segment", "op": "eq", "value": "mass"}],
    [{"field": "segment", "op": "eq", "value": "hnw"}],
    [{"field": "segment", "op": "in", "value": ["mass", "hnw"]}],
    [{"field": "segment", "op": "in", "value": ["affluent", "hnw"]}],
    [{"field": "status", "op": "ne", "value": "closed"}, {"field": "kind", "op": "eq", "value": "individual"}],
    [{"field": "status", "op": "ne", "value": "active"}, {"field": "kind", "op": "eq", "value": "individual"}],
    [{"field": "risk_level", "op": "is_set", "value": True}],
    [{"field": "risk_level", "op": "is_set", "value": False}],
]


def test_a_filter_shape_is_built_once_and_each_call_gets_its_own_values(uow_factory, new_customer, actors, connection):
    """Filtered searches reuse the statements of an earlier call with the same filter shape
    (services/customers/search.py filtered_statements): each call must still get exactly its own values'
    answer, as the statement built afresh for it gives."""
    from sqlmodel import Session

    from services.customers import filters as customer_filters
    from services.customers import service

    for i, (name, segment) in enumerate((("张三", "mass"), ("张三丰", "hnw"), ("李四", "affluent"), ("张伟", "hnw"))):
        new_customer(owner="rm_a1", name=name, segment=segment)
    actor = actors["compliance"]
    scope, scope_value = scope_key(actor)
    s = Session(connection)
    for filters in FILTER_VALUES:
        for q in ("", "张"):
            with uow_factory() as uow:
                found = service.search_customers(uow=uow, actor=actor, query=q, filters=filters)
            kind, params = customer_search.prepare(q)
            params.update(scope_value=scope_value, offset=0, limit=20)
            page, count = customer_search.build_statements(
                kind, scope, customer_filters.filter_condition(s, actor, filters))
            expected = [r[0] for r in connection.execute(page, params)]
            assert [c.id for c in found.items] == expected, (q, filters)
            assert found.total == connection.execute(count, params).scalar_one(), (q, filters)
