"""The platform's extension points (issue "The platform the next five domains stand on"): domain events
published inside the unit of work and handled in the same transaction, and one way to change a customer
(relationships and households included), with sanctioned writers for risk level, KYC status and AML risk."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import select

from services.customers import changes, relationships
from services.customers import service as customers
from services.customers.events import (CustomerChanged, CustomerIdentityChanged, CustomerReassigned,
                                       CustomersCreated, RiskLevelChanged)
from services.customers.models import Customer
from services.errors import NotPermitted, ValidationFailed
from services.events import MessageBus, NotConfigured, bus
from services.integration.models import OutboxMessage
from services.security.models import AuditEvent


@contextmanager
def captured(*event_types):
    """Record the events of these types published meanwhile (a subscriber, as bootstrap would add one)."""
    seen: list = []

    def record(session, event):
        seen.append(event)

    for t in event_types:
        bus.subscribe(t, record)
    try:
        yield seen
    finally:
        for t in event_types:
            bus.unsubscribe(t, record)


def _outbox(connection, event_type: str) -> list[dict]:
    rows = connection.execute(select(OutboxMessage.__table__.c.payload).where(
        OutboxMessage.__table__.c.event_type == event_type)).scalars().all()
    return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def _audit(connection, action: str) -> list:
    return connection.execute(select(AuditEvent.__table__).where(AuditEvent.action == action)).all()


def test_publishing_before_bootstrap_is_an_error_not_a_silent_no_op():
    fresh = MessageBus()
    with pytest.raises(NotConfigured):
        fresh.publish(None, CustomerIdentityChanged(customer_id=1, fields=("name",)))


def test_a_new_customer_is_announced_once_to_tags_and_the_outbox(uow_factory, actors, connection):
    with captured(CustomersCreated) as seen:
        with uow_factory() as uow:
            c = customers.create_customer(uow=uow, actor=actors["rm_a1"], data={
                "name": "钱一", "id_type": "resident_id", "id_number": "11010519491231002X"})
            uow.commit()
    assert [e.customer_ids for e in seen] == [[c.id]]
    [payload] = _outbox(connection, "customer.created")
    assert payload["customer_id"] == c.id and payload["changes"]["id_number"].endswith("002X")
    assert "11010519491231002X" not in json.dumps(payload)  # masked, as the audit trail holds it


def test_a_failing_handler_rolls_the_whole_change_back(uow_factory, actors, connection, new_customer):
    c = new_customer(name="孙二")
    before = len(_audit(connection, "customer.update"))

    def broken(session, event):
        raise RuntimeError("a subscriber failed")

    bus.subscribe(CustomerChanged, broken)
    try:
        with pytest.raises(RuntimeError), uow_factory() as uow:
            customers.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                      changes={"occupation": "教师"})
            uow.commit()
    finally:
        bus.unsubscribe(CustomerChanged, broken)
    row = connection.execute(select(Customer.__table__).where(Customer.__table__.c.id == c.id)).one()
    assert (row.occupation, row.version) == (None, c.version)
    assert len(_audit(connection, "customer.update")) == before
    assert _outbox(connection, "customer.updated") == []


def test_a_change_says_which_fields_and_who_owns_the_customer_now(uow_factory, actors, connection, new_customer, org):
    c = new_customer(name="周三")
    with captured(CustomerChanged, CustomerIdentityChanged, CustomerReassigned) as seen:
        with uow_factory() as uow:
            customers.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=c.id, version=c.version,
                                      changes={"phone": "13911112222", "owner_id": org.users["rm_a1b"],
                                               "occupation": "医生"})
            uow.commit()
    changed, identity, reassigned = seen
    assert set(changed.fields) == {"phone", "owner_id", "occupation"} and changed.version == c.version + 1
    assert changed.changes["phone"] == [c.phone, "139****2222"]
    assert identity.fields == ("phone",)
    assert (reassigned.old_owner_id, reassigned.new_owner_id) == (org.users["rm_a1"], org.users["rm_a1b"])


def test_sending_what_is_stored_changes_nothing(uow_factory, actors, new_customer):
    c = new_customer(name="吴四", phone="13800001234")
    with captured(CustomerChanged) as seen:
        with uow_factory() as uow:
            p = customers.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                          changes={"name": "吴四", "phone": "138 0000 1234"})
            uow.commit()
    assert seen == [] and p.version == c.version  # the same phone, spaced differently, is no change


def test_a_stale_version_is_a_conflict_never_a_silent_overwrite(uow_factory, actors, new_customer):
    from services.errors import ConcurrentModification

    c = new_customer(name="郑五")
    with uow_factory() as uow:
        customers.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                  changes={"occupation": "律师"})
        uow.commit()
    with pytest.raises(ConcurrentModification), uow_factory() as uow:
        customers.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                  changes={"occupation": "会计"})


def test_only_fields_that_change_need_edit_rights(uow_factory, actors, new_customer):
    c = new_customer(name="王六")
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        customers.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                  changes={"name": "王六六"})  # an RM may not rename
    assert [(e.field, e.code) for e in refused.value.errors] == [("name", "value.not_editable")]


def test_relationships_and_households_change_both_customers_through_the_pipeline(
        uow_factory, actors, connection, new_customer):
    a = new_customer(name="冯甲")
    b = new_customer(name="冯乙")
    with captured(CustomerChanged) as seen:
        with uow_factory() as uow:
            relationships.add_relationship(uow=uow, actor=actors["rm_a1"], customer_id=a.id,
                                           data={"related_customer_id": b.id, "kind": "spouse"})
            relationships.assign_household(uow=uow, actor=actors["rm_a1"], customer_id=a.id, data={"name": "冯家"})
            uow.commit()
    assert [(e.customer_id, e.fields) for e in seen] == [
        (a.id, ("relationships",)), (b.id, ("relationships",)), (a.id, ("household",))]
    versions = dict(connection.execute(select(Customer.id, Customer.version).where(Customer.id.in_([a.id, b.id]))).all())
    assert versions == {a.id: a.version + 2, b.id: b.version + 1}
    assert len(_outbox(connection, "customer.updated")) == 3
    assert len(_audit(connection, "relationship.create")) == 2 and len(_audit(connection, "household.assign")) == 1


def test_risk_level_has_a_sanctioned_writer_with_its_own_permission(uow_factory, actors, connection, new_customer):
    c = new_customer(name="陈七")
    with pytest.raises(NotPermitted), uow_factory() as uow:  # an RM cannot set it, whatever the form says
        changes.set_risk_level(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                               data={"risk_level": "C5", "valid_until": "2027-06-30"}, source="test")
    with captured(RiskLevelChanged) as seen:
        with uow_factory() as uow:
            row = changes.set_risk_level(uow=uow, actor=actors["compliance"], customer_id=c.id,
                                         data={"risk_level": "C4", "valid_until": "2027-06-30"}, source="suitability")
            uow.commit()
    assert (row.risk_level, row.risk_valid_until, row.version) == ("C4", date(2027, 6, 30), c.version + 1)
    assert [(e.old_level, e.new_level) for e in seen] == [(None, "C4")]
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        changes.set_risk_level(uow=uow, actor=actors["compliance"], customer_id=c.id,
                               data={"risk_level": "C9"}, source="test")
    # KYC and AML have theirs.
    with uow_factory() as uow:
        changes.set_kyc_status(uow=uow, actor=actors["ops_a"], customer_id=c.id, status="verified", source="kyc")
        changes.set_aml_risk(uow=uow, actor=actors["compliance"], customer_id=c.id, risk="high", source="aml")
        uow.commit()
    with pytest.raises(NotPermitted), uow_factory() as uow:
        changes.set_aml_risk(uow=uow, actor=actors["ops_a"], customer_id=c.id, risk="low", source="test")
    row = connection.execute(select(Customer.kyc_status, Customer.aml_risk).where(Customer.id == c.id)).one()
    assert tuple(row) == ("verified", "high")
