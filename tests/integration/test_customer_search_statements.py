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
        assert prepared is not None, f"{kind} should run as driver SQL"
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
        assert customer_search.driver_statements("name", Scope.ALL, connection.dialect) is None
    finally:
        customer_search.driver_statements.cache_clear()
