"""Note 13 of the hostile review: a household member hidden from the actor must not be inferable by
subtracting the visible members' figures from the household total."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import insert, update

from services.customer360 import service as c360
from services.customers.models import Customer, Household
from services.portfolio.models import Account
from services.security.keys import get_cipher
from services.types import utcnow


def _deposit(connection, customer_id: int, balance: str, n: int) -> None:
    cipher = get_cipher()
    no = f"62220000{customer_id:06d}{n:05d}"
    connection.execute(insert(Account).values(
        customer_id=customer_id, kind="deposit", account_no_enc=cipher.encrypt(no, context="account.no"),
        account_no_bidx=cipher.blind_index(no, context="account.no"), account_no_last4=no[-4:], currency="CNY",
        balance=Decimal(balance), branch_id=1, opened_on=utcnow().date(), status="open"))


def test_no_actor_can_subtract_a_hidden_members_wealth(uow_factory, actors, connection, new_customer):
    mine = new_customer(name="周一")
    other = new_customer(owner="rm_b1", name="周二")  # another branch's customer, same household
    hh = connection.execute(insert(Household).values(name="周家", created_at=utcnow()).returning(Household.id)
                            ).scalar_one()
    connection.execute(update(Customer).where(Customer.id.in_([mine.id, other.id])).values(household_id=hh))
    _deposit(connection, mine.id, "100000.00", 1)
    _deposit(connection, other.id, "4321987.65", 2)

    with uow_factory() as uow:
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=mine.id)
    shown = view.model_dump_json()
    assert "4321987.65" not in shown and "4421987.65" not in shown  # neither the member nor the total
    assert view.household.aum is None and view.household.hidden_members == 1
