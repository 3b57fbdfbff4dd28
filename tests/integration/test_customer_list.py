"""The customer list people work from (issue 9, point 4): sortable columns whose sort keys follow the data they
come from (AUM from accounts and holdings, last contact from interactions, next task from open tasks, segment,
risk level and validity, KYC), within the actor's scope, with the search and the filters; bad parameters refused."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services import clock
from services.activities import service as activities
from services.activities.models import Task
from services.customer_list import figures
from services.customer_list.listing import list_customers
from services.customer_list.models import NEVER, NO_TASK, CustomerFigures
from services.customers import changes, service
from services.errors import ValidationFailed
from services.portfolio.models import Account, Holding, Product
from services.security import audit
from services.security.actor import SYSTEM
from conftest import valid_id


def _names(page) -> list[str]:
    return [r.name for r in page.items]


def _list(uow_factory, actor, **params):
    with uow_factory() as uow:
        return list_customers(uow=uow, actor=actor, params=params)


def _deposit(uow_factory, customer_id: int, amount: str, kind: str = "deposit") -> None:
    """An account written as a system of record writes it (through the ORM, in an audited transaction)."""
    with uow_factory() as uow:
        s = uow.session
        s.add(Account(customer_id=customer_id, kind=kind, account_no_enc="x", account_no_bidx=f"b{customer_id}{kind}",
                      account_no_last4="0000", balance=Decimal(amount), branch_id=1, opened_on=date(2024, 1, 1)))
        audit.record(s, SYSTEM, "account.upsert", entity_type="customer", entity_id=customer_id, changes={})
        uow.commit()


@pytest.fixture
def book(new_customer):
    """Four customers of rm_a1 and one of rm_a2 (another team)."""
    return {name: new_customer(owner=owner, name=name, id_number=valid_id(seq))
            for seq, (name, owner) in enumerate([("甲一", "rm_a1"), ("乙二", "rm_a1"), ("丙三", "rm_a1"),
                                                  ("丁四", "rm_a1"), ("戊五", "rm_a2")], start=300)}


def test_aum_follows_accounts_and_holdings_and_sorts_both_ways(uow_factory, actors, book, connection):
    _deposit(uow_factory, book["甲一"].id, "500000.00")
    _deposit(uow_factory, book["乙二"].id, "2000000.00")
    _deposit(uow_factory, book["乙二"].id, "9000000.00", kind="loan")  # a liability: not AUM
    _deposit(uow_factory, book["丙三"].id, "100.00")
    with uow_factory() as uow:  # a holding moves 丙三 to the top
        s = uow.session
        product = Product(code="F001", name="基金", name_en="Fund", product_type="fund", risk_level="R3")
        s.add(product)
        s.flush()
        account = s.execute(select(Account).where(Account.customer_id == book["丙三"].id)).scalar_one()
        s.add(Holding(account_id=account.id, customer_id=book["丙三"].id, product_id=product.id,
                      quantity=Decimal("1"), cost=Decimal("1"), market_value=Decimal("3000000.00"), currency="CNY",
                      as_of=date(2026, 1, 1)))
        audit.record(s, SYSTEM, "holding.upsert", entity_type="customer", entity_id=book["丙三"].id, changes={})
        uow.commit()
    desc = _list(uow_factory, actors["rm_a1"], sort="aum", dir="desc")
    assert _names(desc) == ["丙三", "乙二", "甲一", "丁四"]  # 戊五 is another RM's
    assert [r.aum for r in desc.items] == [Decimal("3000100.00"), Decimal("2000000.00"), Decimal("500000.00"), 0]
    assert _names(_list(uow_factory, actors["rm_a1"], sort="aum", dir="asc")) == ["丁四", "甲一", "乙二", "丙三"]
    assert desc.total == 4 and not desc.total_is_capped
    # The team lead sees the team's book, the branch manager the branch's.
    assert _names(_list(uow_factory, actors["lead_a1"], sort="aum", dir="desc"))[:2] == ["丙三", "乙二"]
    assert "戊五" in _names(_list(uow_factory, actors["bm_a"], sort="aum", dir="desc"))


def test_last_contact_and_next_task_follow_interactions_and_tasks(uow_factory, actors, book):
    now = clock.now()
    for name, days in (("甲一", 30), ("乙二", 2)):
        with uow_factory() as uow:
            activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=book[name].id, data={
                "kind": "call", "subject": "回访", "occurred_at": (now - timedelta(days=days)).isoformat()})
            uow.commit()
    for name, days, status in (("丙三", 5, "open"), ("甲一", 1, "open"), ("乙二", 0, "done")):
        with uow_factory() as uow:
            uow.session.add(Task(customer_id=book[name].id, assignee_id=actors["rm_a1"].id,
                                 created_by_id=actors["rm_a1"].id, title="跟进", due_at=now + timedelta(days=days),
                                 status=status))
            audit.record(uow.session, actors["rm_a1"], "task.create", entity_type="customer",
                         entity_id=book[name].id, changes={})
            uow.commit()
    # Oldest contact first: never contacted before contacted long ago.
    page = _list(uow_factory, actors["rm_a1"], sort="last_contact", dir="asc")
    assert _names(page)[2:] == ["甲一", "乙二"] and set(_names(page)[:2]) == {"丙三", "丁四"}
    assert page.items[0].last_contact_at is None and page.items[3].last_contact_at is not None
    assert _names(_list(uow_factory, actors["rm_a1"], sort="last_contact", dir="desc"))[:2] == ["乙二", "甲一"]
    # Soonest task first; a done task is no next task; customers without one come last.
    page = _list(uow_factory, actors["rm_a1"], sort="next_task", dir="asc")
    assert _names(page)[:2] == ["甲一", "丙三"] and page.items[2].next_task_due_at is None


def test_segment_risk_and_kyc_ranks_follow_their_writers(uow_factory, actors, book):
    for name, segment in (("甲一", "uhnw"), ("乙二", "affluent"), ("丙三", "hnw")):
        c = book[name]
        with uow_factory() as uow:
            service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                    changes={"segment": segment})
            uow.commit()
    assert _names(_list(uow_factory, actors["rm_a1"], sort="segment", dir="desc")) == ["甲一", "丙三", "乙二", "丁四"]
    today = clock.today()
    for name, level, until in (("甲一", "C2", today - timedelta(days=1)), ("乙二", "C5", today + timedelta(days=300)),
                               ("丙三", "C3", today + timedelta(days=30))):
        with uow_factory() as uow:
            changes.set_risk_level(uow=uow, actor=actors["ops_a"], customer_id=book[name].id,
                                   data={"risk_level": level, "valid_until": until}, source="test")
            uow.commit()
    assert _names(_list(uow_factory, actors["rm_a1"], sort="risk", dir="desc")) == ["乙二", "丙三", "甲一", "丁四"]
    # Validity: never assessed and expired first (they need a new assessment), then by expiry.
    page = _list(uow_factory, actors["rm_a1"], sort="risk_valid", dir="asc")
    assert _names(page) == ["丁四", "甲一", "丙三", "乙二"]
    assert [r.risk_expired for r in page.items] == [True, True, False, False]
    with uow_factory() as uow:
        changes.set_kyc_status(uow=uow, actor=actors["ops_a"], customer_id=book["丙三"].id, status="expired",
                               source="test")
        changes.set_kyc_status(uow=uow, actor=actors["ops_a"], customer_id=book["甲一"].id, status="verified",
                               source="test")
        uow.commit()
    assert _names(_list(uow_factory, actors["rm_a1"], sort="kyc", dir="asc"))[0] == "丙三"
    assert _names(_list(uow_factory, actors["rm_a1"], sort="kyc", dir="asc"))[-1] == "甲一"


def test_sort_search_filters_and_pages_combine(uow_factory, actors, new_customer):
    made = [new_customer(owner="rm_a1", name=f"张{n}", id_number=valid_id(400 + n),
                         segment="hnw" if n % 2 else "mass") for n in range(7)]
    new_customer(owner="rm_a1", name="李外", id_number=valid_id(499), segment="hnw")
    for n, c in enumerate(made):
        _deposit(uow_factory, c.id, f"{(n + 1) * 1000}.00")
    params = dict(q="张", filters=[{"field": "segment", "op": "eq", "value": "hnw"}], sort="aum", dir="desc")
    first = _list(uow_factory, actors["rm_a1"], **params)
    assert _names(first) == ["张5", "张3", "张1"] and first.total == 3
    with uow_factory() as uow:
        second = list_customers(uow=uow, actor=actors["rm_a1"], params={**params, "page": 2}, page_size=2)
    assert _names(second) == ["张1"] and second.total == 3
    # Without a sort the list is the search itself, in its index order.
    assert _names(_list(uow_factory, actors["rm_a1"], q="张")) == [f"张{n}" for n in range(7)]


@pytest.mark.parametrize("params, field", [
    ({"sort": "name; DROP TABLE customer"}, "sort"), ({"dir": "sideways"}, "dir"), ({"page": 0}, "page"),
    ({"page": "zwei"}, "page"), ({"q": "x" * 101}, "q"), ({"filters": "segment=hnw"}, "filters"),
    ({"filters": [{"field": "secret", "op": "eq", "value": 1}]}, "filters"), ({"order": "aum"}, "order"),
    ({"q": "张\u202e"}, "q"),
])
def test_bad_list_parameters_are_refused_naming_the_field(uow_factory, actors, params, field):
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        list_customers(uow=uow, actor=actors["rm_a1"], params=params)
    assert field in [e.field for e in refused.value.errors]


def test_page_size_is_bounded(uow_factory, actors):
    for size in (0, 101, "20", True, None):
        with pytest.raises(ValidationFailed), uow_factory() as uow:
            list_customers(uow=uow, actor=actors["rm_a1"], params={}, page_size=size)


def test_a_rebuild_gives_the_rows_the_events_kept(uow_factory, actors, book, connection):
    _deposit(uow_factory, book["甲一"].id, "1234.56")
    with uow_factory() as uow:
        activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=book["乙二"].id,
                                   data={"kind": "visit", "subject": "拜访"})
        uow.commit()

    def rows():
        return sorted(tuple(r) for r in connection.execute(select(CustomerFigures.__table__)))

    kept = rows()
    assert len(kept) == 5
    with uow_factory() as uow:
        assert figures.rebuild(uow.session) == 5
        audit.record(uow.session, SYSTEM, "customer_figures.rebuild", changes={})
        uow.commit()
    assert rows() == kept
    by_id = {r[0]: r for r in kept}
    assert by_id[book["甲一"].id][1] == Decimal("1234.56")
    assert by_id[book["乙二"].id][6] > NEVER
    assert (by_id[book["丙三"].id][6], by_id[book["丙三"].id][7]) == (NEVER, NO_TASK)  # never contacted, no task
