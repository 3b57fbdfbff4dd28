"""Bulk creation (imports): each customer validated as a form would be, the valid ones written together."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from services.customers import service
from services.customers.models import Customer
from services.errors import Refusal, ValidationFailed
from services.integration.models import OutboxMessage
from services.security import audit
from services.security.models import AuditEvent
from services.tags import service as tags
from services.tags.models import CustomerTag
from services.validation.identity import make_id_number

COMPARED = ("kind", "name", "name_pinyin", "name_initials", "gender", "birth_date", "id_type", "id_number_bidx",
            "id_last4", "id_number_masked", "phone_bidx", "phone_last4", "phone_masked", "email", "segment",
            "owner_id", "team_id", "branch_id", "source_channel", "status", "custom", "version")


def _person(seq: int, **extra) -> dict:
    return {"name": "王小明", "id_type": "resident_id", "id_number": make_id_number("110105", date(1985, 6, 15), seq), "phone": f"1390000{seq:04d}",
            "email": f"w{seq}@example.com", **extra}


@pytest.fixture
def affluent_rule(uow_factory, actors):
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "affluent", "name": "富裕客户", "name_en": "Affluent", "color": "blue"})
        tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "affluent", "tag_code": "affluent", "name": "富裕",
            "definition": {"all": [{"field": "segment", "op": "==", "value": "affluent"}]}})
        uow.commit()


def test_valid_items_are_written_and_refusals_name_their_fields(uow_factory, actors, org, connection, affluent_rule):
    rm = org.users["rm_a1"]
    items = [_person(701, owner_id=rm, segment="affluent"),
             _person(702, owner_id=rm, phone="12345"),  # not a phone number
             _person(703, owner_id=org.users["rm_b1"]),  # an RM of another branch: not for this actor
             _person(704, owner_id=rm, birth_date="2099-01-01"),
             _person(705, owner_id=rm)]
    with uow_factory() as uow:
        results = service.create_customer_records(uow=uow, actor=actors["bm_a"], items=items)
        uow.commit()
    assert isinstance(results[0], int) and isinstance(results[4], int)
    assert [[e.field for e in r.errors] for r in results[1:4]] == [["phone"], ["owner_id"],
                                                                 ["birth_date", "birth_date"]]
    made = connection.execute(select(Customer.customer_no, Customer.phone_masked, Customer.id_number_masked)
                              .where(Customer.id.in_([results[0], results[4]])).order_by(Customer.id)).all()
    assert [c.customer_no for c in made] == [f"C{results[0]:09d}", f"C{results[4]:09d}"]
    assert made[0].phone_masked == "139****0701" and made[0].id_number_masked.startswith("110105********")
    assert connection.execute(select(func.count()).select_from(Customer)
                              .where(Customer.name == "王小明")).scalar_one() == 2
    # One audit event each, chained; one outbox message each; the tag rules ran.
    events = connection.execute(select(AuditEvent.entity_id, AuditEvent.changes)
                                .where(AuditEvent.action == "customer.create").order_by(AuditEvent.seq)).all()
    assert [e.entity_id for e in events] == [str(results[0]), str(results[4])]
    assert "13900000701" not in events[0].changes and json.loads(events[0].changes)["phone"] == "139****0701"
    with uow_factory() as uow:
        assert audit.verify(uow.session).ok
    created = connection.execute(select(OutboxMessage.payload).where(OutboxMessage.event_type == "customer.created")
                                 ).scalars().all()
    assert sorted(p["customer_no"] for p in created) == sorted(c.customer_no for c in made)
    tagged = connection.execute(select(CustomerTag.customer_id)).scalars().all()
    assert tagged == [results[0]]


def test_bulk_and_single_creation_store_the_same_customer(uow_factory, actors, org, connection):
    rm = org.users["rm_a1"]
    with uow_factory() as uow:
        single = service.create_customer(uow=uow, actor=actors["ops_a"], data=_person(711, owner_id=rm)).id
        [bulk] = service.create_customer_records(uow=uow, actor=actors["ops_a"], items=[_person(712, owner_id=rm)])
        uow.commit()
    a, b = (connection.execute(select(*[getattr(Customer, f) for f in COMPARED]).where(Customer.id == cid)).one()
            for cid in (single, bulk))
    differs = {f for f, x, y in zip(COMPARED, a, b) if x != y}
    # Only what follows from the other ID number and phone (sequence 711 vs 712) may differ.
    assert differs <= {"id_number_bidx", "id_last4", "id_number_masked", "phone_bidx", "phone_last4",
                       "phone_masked", "email", "gender"}
    assert {"name", "name_pinyin", "owner_id", "team_id", "branch_id", "version", "segment"}.isdisjoint(differs)


def test_the_same_id_number_twice_in_one_batch_is_refused_the_second_time(uow_factory, actors, org):
    rm = org.users["rm_a1"]
    with uow_factory() as uow:
        first, second = service.create_customer_records(uow=uow, actor=actors["ops_a"], items=[
            _person(721, owner_id=rm), _person(721, owner_id=rm, phone="13900009999")])
    assert isinstance(first, int)
    assert [(e.field, e.code) for e in second.errors] == [("id_number", "value.duplicate_in_batch")]


def test_roles_that_may_not_create_customers_are_refused(uow_factory, actors, org):
    with uow_factory() as uow, pytest.raises(Refusal):
        service.create_customer_records(uow=uow, actor=actors["compliance"], items=[_person(731)])


def test_a_batch_of_refusals_writes_nothing(uow_factory, actors, connection):
    before = connection.execute(select(func.count()).select_from(Customer)).scalar_one()
    with uow_factory() as uow:
        results = service.create_customer_records(uow=uow, actor=actors["ops_a"], items=[{"name": ""}, "x"])
        uow.commit()
    assert all(isinstance(r, ValidationFailed) for r in results)
    assert connection.execute(select(func.count()).select_from(Customer)).scalar_one() == before
