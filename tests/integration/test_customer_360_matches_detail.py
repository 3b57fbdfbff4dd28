"""The 360 view reads its first screen with its own statements (for speed, services/customer360/service.py); what it
shows must stay exactly what the customer detail use case shows (services.customer360.service.get_customer):
the same profile, masking, accounts, holdings, latest transactions, relationships and interactions, for
every kind of viewer, and the same refusals."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

from services.activities.models import Interaction
from services.customer360 import service as c360
from services.customers.models import Customer, Household, Relationship
from services.errors import DomainError, Refusal
from services.portfolio.models import Account, Holding, Product, Transaction
from services.security.keys import get_cipher
from services.types import utcnow

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def _account(connection, customer_id: int, kind: str, balance: str) -> int:
    cipher = get_cipher()
    no = f"6222{customer_id:08d}{kind[:3].encode().hex()}"[:19]
    return connection.execute(insert(Account).values(
        customer_id=customer_id, kind=kind, account_no_enc=cipher.encrypt(no, context="account.no"),
        account_no_bidx=cipher.blind_index(no, context="account.no"), account_no_last4=no[-4:], currency="CNY",
        balance=Decimal(balance), branch_id=1, opened_on=date(2024, 1, 1), status="open").returning(Account.id)
    ).scalar_one()


@pytest.fixture
def book(connection, new_customer, org):
    """A customer with accounts of every kind, holdings, transactions (some with a product), interactions,
    and relatives: one in scope, one owned by another branch's RM; all in one household."""
    me = new_customer(name="王建国", phone="13800138000", email="wjg@example.com")
    wife = new_customer(name="李秀兰")
    brother = new_customer(owner="rm_b1", name="王建军")
    hh = connection.execute(insert(Household).values(name="王家", created_at=utcnow())
                            .returning(Household.id)).scalar_one()
    connection.execute(update(Customer).where(Customer.id.in_([me.id, wife.id, brother.id])).values(household_id=hh))
    connection.execute(insert(Relationship), [
        {"customer_id": me.id, "related_customer_id": wife.id, "kind": "spouse", "created_at": utcnow()},
        {"customer_id": me.id, "related_customer_id": brother.id, "kind": "related_party", "created_at": utcnow()}])
    accounts = {kind: _account(connection, me.id, kind, balance) for kind, balance in (
        ("deposit", "800000.00"), ("wealth", "0.00"), ("loan", "1200000.00"), ("credit_card", "3200.50"),
        ("insurance", "50000.00"))}
    fund = connection.execute(insert(Product).values(
        code="FDX001", name="稳健债券基金", name_en="Steady Bond Fund", product_type="fund", risk_level="R2",
        currency="CNY", is_active=True, is_premium=False).returning(Product.id)).scalar_one()
    wealth = connection.execute(insert(Product).values(
        code="WMX001", name="安享理财", name_en="Secure Wealth", product_type="wealth", risk_level="R3",
        currency="CNY", is_active=True, is_premium=True).returning(Product.id)).scalar_one()
    connection.execute(insert(Holding), [
        {"account_id": accounts["wealth"], "customer_id": me.id, "product_id": pid, "quantity": Decimal(q),
         "cost": Decimal(c), "market_value": Decimal(v), "currency": "CNY", "as_of": date(2026, 10, 31)}
        for pid, q, c, v in ((fund, "1000.5", "100000.00", "103500.25"), (wealth, "200000", "200000.00",
                                                                            "204000.00"))])
    connection.execute(insert(Transaction), [
        {"account_id": accounts["deposit"], "customer_id": me.id, "product_id": fund if i % 7 == 0 else None,
         "kind": ("deposit", "withdrawal", "purchase")[i % 3], "amount": Decimal(("60000.00", "-1000.00",
                                                                                  "-5000.00")[i % 3]),
         "currency": "CNY", "booked_at": NOW - timedelta(days=i, minutes=i % 2), "channel": "mobile",
         "description": f"第{i}笔", "created_at": utcnow()} for i in range(45)])
    connection.execute(insert(Interaction), [
        {"customer_id": me.id, "user_id": org.users["rm_a1"], "kind": ("call", "visit")[i % 2],
         "occurred_at": NOW - timedelta(days=3 * i), "subject": f"回访{i}", "notes": "客户表示满意" if i % 2 else None,
         "created_at": utcnow()} for i in range(25)])
    return {"me": me, "wife": wife, "brother": brother}


@pytest.mark.parametrize("viewer", ["rm_a1", "lead_a1", "bm_a", "compliance", "auditor", "ops_a"])
def test_first_screen_shows_what_the_detail_shows(uow_factory, actors, book, viewer):
    actor = actors[viewer]
    with uow_factory() as uow:
        detail = c360.get_customer(uow=uow, actor=actor, customer_id=book["me"].id)
        view = c360.customer_360(uow=uow, actor=actor, customer_id=book["me"].id)
    assert view.detail == detail
    assert len(view.detail.recent_transactions) == 20 and len(view.detail.interactions) == 20
    assert (view.header.aum, view.header.liabilities) == (detail.aum, detail.liabilities)


@pytest.mark.parametrize("viewer", ["rm_a1", "compliance"])
def test_a_relative_outside_scope_shows_the_same_masked_name(uow_factory, actors, book, viewer):
    with uow_factory() as uow:
        detail = c360.get_customer(uow=uow, actor=actors[viewer], customer_id=book["me"].id)
        view = c360.customer_360(uow=uow, actor=actors[viewer], customer_id=book["me"].id)
    assert view.detail.relationships == detail.relationships
    brother = next(r for r in detail.relationships if r.kind == "related_party")
    assert (brother.related_customer_id is None) == (viewer == "rm_a1")


@pytest.mark.parametrize("customer_id", [0, -1, True, "1", 2**62, 10**30, 987654])
def test_refuses_as_the_detail_refuses(uow_factory, actors, customer_id):
    for use_case in (c360.get_customer, c360.customer_360):
        with uow_factory() as uow, pytest.raises(DomainError) as refused:
            use_case(uow=uow, actor=actors["rm_a1"], customer_id=customer_id)
        if use_case is c360.get_customer:
            expected = (type(refused.value), getattr(refused.value, "code", None))
        else:
            assert (type(refused.value), getattr(refused.value, "code", None)) == expected


@pytest.mark.parametrize(("viewer", "whom"), [("rm_b1", "me"), ("rm_a1b", "me"), ("rm_a1", "brother"),
                                             ("lead_a1", "brother")])
def test_out_of_scope_refused_alike(uow_factory, actors, book, viewer, whom):
    """Another branch's RM, a colleague in the same team (not the owner), an RM and a team lead looking at a
    customer of another branch: refused exactly as the detail refuses."""
    outcomes = []
    for use_case in (c360.get_customer, c360.customer_360):
        with uow_factory() as uow:
            try:
                use_case(uow=uow, actor=actors[viewer], customer_id=book[whom].id)
                outcomes.append("shown")
            except Refusal as refused:
                outcomes.append((type(refused), refused.code))
    assert outcomes[0] == outcomes[1] and outcomes[0] != "shown"
