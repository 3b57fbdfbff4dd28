"""Linking customers: family both ways, institution roles, households; scope and validation."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from services.customers import relationships
from services.customers.models import Customer, Relationship
from services.errors import Refusal, ValidationFailed


def _links(connection, cid):
    return {(r.related_customer_id, r.kind) for r in connection.execute(
        select(Relationship.related_customer_id, Relationship.kind).where(Relationship.customer_id == cid))}


def test_family_link_is_recorded_both_ways(uow_factory, actors, new_customer, connection):
    a, b = new_customer(name="王父"), new_customer(name="王子")
    with uow_factory() as uow:
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=a.id,
                                       data={"related_customer_id": b.id, "kind": "parent"})
        uow.commit()
    assert (b.id, "parent") in _links(connection, a.id) and (a.id, "child") in _links(connection, b.id)
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=a.id,
                                       data={"related_customer_id": b.id, "kind": "parent"})
    assert err.value.errors[0].code == "value.duplicate_link"


def test_institution_roles_and_ubo_share(uow_factory, actors, new_customer, connection):
    from services.validation.identity import uscc_check_char

    body = "91110105MA00ABCD1"
    company = new_customer(name="北京示例科技有限公司", kind="institution", id_type="uscc",
                           id_number=body + uscc_check_char(body), phone=None)
    person = new_customer(name="赵董")
    with uow_factory() as uow:
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=company.id,
                                       data={"related_customer_id": person.id, "kind": "legal_representative"})
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=company.id, data={
            "related_customer_id": person.id, "kind": "beneficial_owner", "share_pct": "51.5"})
        uow.commit()
    row = connection.execute(select(Customer.legal_representative).where(Customer.id == company.id)).scalar_one()
    assert row == "赵董"
    share = connection.execute(select(Relationship.share_pct).where(
        Relationship.customer_id == company.id, Relationship.kind == "beneficial_owner")).scalar_one()
    assert share == Decimal("51.5000")
    with uow_factory() as uow, pytest.raises(ValidationFailed):  # a person has no legal representative
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=person.id,
                                       data={"related_customer_id": company.id, "kind": "legal_representative"})


@pytest.mark.parametrize("data", [
    {"related_customer_id": "x", "kind": "spouse"}, {"related_customer_id": 5, "kind": "lover"},
    {"related_customer_id": 5, "kind": "spouse", "share_pct": "10"}, {"kind": "spouse"},
])
def test_bad_links_are_refused(uow_factory, actors, new_customer, data):
    a = new_customer(name="刘一")
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=a.id, data=data)


def test_cannot_link_to_a_customer_outside_scope(uow_factory, actors, new_customer):
    mine, theirs = new_customer(name="陈一"), new_customer(owner="rm_b1", name="陈二")
    with uow_factory() as uow, pytest.raises(Refusal):
        relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=mine.id,
                                       data={"related_customer_id": theirs.id, "kind": "spouse"})


def test_households(uow_factory, actors, new_customer, connection):
    a, b, c = new_customer(name="孙一"), new_customer(name="孙二"), new_customer(owner="rm_b1", name="孙三")
    with uow_factory() as uow:
        hh = relationships.assign_household(uow=uow, actor=actors["rm_a1"], customer_id=a.id, data={})
        relationships.assign_household(uow=uow, actor=actors["rm_a1"], customer_id=b.id,
                                       data={"household_id": hh.id})
        uow.commit()
    assert hh.name == "孙氏家庭"
    # Another branch's RM cannot join a household they cannot see.
    with uow_factory() as uow, pytest.raises(Refusal):
        relationships.assign_household(uow=uow, actor=actors["rm_b1"], customer_id=c.id,
                                       data={"household_id": hh.id})
