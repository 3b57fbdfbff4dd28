"""Creating and editing customers as people do it (issue 9, point 1), with every bad input the issue lists: a
duplicate customer, a field the role may not edit, a stale edit and a reassignment outside the actor's scope are
each refused with a clear message, change nothing, and leave an audit event; reassignment is a team lead's or a
branch manager's action (customer.reassign) and shows on the customer's timeline."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from services.customer360 import service as c360
from services.customer360.models import OwnerChange
from services.customers import service
from services.customers.models import Customer
from services.errors import ConcurrentModification, NotPermitted, RefusedInput, ValidationFailed
from services.security.models import AuditEvent
from conftest import valid_id


def _refusals(connection) -> list[dict]:
    return [json.loads(r.changes) | {"_actor": r.actor_id, "_entity": r.entity_id}
            for r in connection.execute(select(AuditEvent).where(AuditEvent.action == "access.refused")
                                        .order_by(AuditEvent.seq))]


def _customer(connection, cid: int):
    return connection.execute(select(Customer.__table__).where(Customer.id == cid)).one()


def _count(connection) -> int:
    return connection.execute(select(func.count()).select_from(Customer)).scalar_one()


def test_a_duplicate_customer_is_refused_naming_the_existing_one_and_audited(uow_factory, actors, new_customer,
                                                                              connection):
    first = new_customer(owner="rm_a1", name="郑十", id_number=valid_id(501))
    before = _count(connection)
    with pytest.raises(RefusedInput) as refused, uow_factory() as uow:
        service.create_customer(uow=uow, actor=actors["rm_a1"], data={
            "name": "郑十一", "id_type": "resident_id", "id_number": valid_id(501)})
    assert isinstance(refused.value, ValidationFailed) and refused.value.http_status == 422
    assert [(e.field, e.code) for e in refused.value.errors] == [("id_number", "value.duplicate")]
    assert first.customer_no in refused.value.message("zh_CN") and "已属于客户" in refused.value.message("zh_CN")
    # Another branch's RM learns that the number is taken, never by whom.
    with pytest.raises(RefusedInput) as elsewhere, uow_factory() as uow:
        service.create_customer(uow=uow, actor=actors["rm_b1"], data={
            "name": "郑十二", "id_type": "resident_id", "id_number": valid_id(501)})
    assert elsewhere.value.errors[0].code == "value.duplicate_elsewhere"
    assert first.customer_no not in elsewhere.value.message("en")
    assert _count(connection) == before
    events = _refusals(connection)
    assert [e["fields"] for e in events] == [{"id_number": "value.duplicate"},
                                             {"id_number": "value.duplicate_elsewhere"}]
    assert [e["_actor"] for e in events] == [str(actors["rm_a1"].id), str(actors["rm_b1"].id)]


def test_an_edit_of_a_field_the_role_may_not_edit_is_refused_whole_and_audited(uow_factory, actors, new_customer,
                                                                                connection):
    c = new_customer(owner="rm_a1", name="冯一")
    with pytest.raises(RefusedInput) as refused, uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                changes={"name": "冯二", "occupation": "律师"})
    assert [(e.field, e.code) for e in refused.value.errors] == [("name", "value.not_editable")]
    assert refused.value.message("zh_CN") == "姓名: 您无权修改"
    row = _customer(connection, c.id)
    assert (row.name, row.occupation, row.version) == ("冯一", None, c.version)  # nothing half-applied
    [event] = _refusals(connection)
    assert event["fields"] == {"name": "value.not_editable"} and event["_entity"] == str(c.id)


def test_a_stale_edit_is_refused_and_never_overwrites_the_other_change(uow_factory, actors, new_customer,
                                                                       connection):
    c = new_customer(owner="rm_a1", name="冯三")
    with uow_factory() as uow:  # the team lead saves first
        service.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=c.id, version=c.version,
                                changes={"occupation": "医生"})
        uow.commit()
    with pytest.raises(ConcurrentModification) as stale, uow_factory() as uow:  # the RM saves what he loaded
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                changes={"occupation": "教师", "address": "北京市朝阳区"})
    assert stale.value.http_status == 409 and "他人修改" in stale.value.message("zh_CN")
    row = _customer(connection, c.id)
    assert (row.occupation, row.address, row.version) == ("医生", None, c.version + 1)


def test_a_team_lead_reassigns_a_customer_audited_and_on_the_timeline(uow_factory, actors, new_customer, connection):
    c = new_customer(owner="rm_a1", name="冯四")
    with uow_factory() as uow:
        profile = service.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=c.id, version=c.version,
                                          changes={"owner_id": actors["rm_a1b"].id})
        uow.commit()
    assert profile.owner_id == actors["rm_a1b"].id and profile.version == c.version + 1
    audit = connection.execute(select(AuditEvent).where(AuditEvent.action == "customer.update",
                                                        AuditEvent.entity_id == str(c.id))).one()
    assert json.loads(audit.changes)["owner_id"] == [actors["rm_a1"].id, actors["rm_a1b"].id]
    assert audit.actor_id == str(actors["lead_a1"].id)
    [change] = connection.execute(select(OwnerChange.__table__)).all()
    assert (change.customer_id, change.old_owner_id, change.new_owner_id, change.actor_name) == (
        c.id, actors["rm_a1"].id, actors["rm_a1b"].id, "lead_a1")
    with uow_factory() as uow:  # the new RM sees it on the customer's timeline
        items = c360.timeline(uow=uow, actor=actors["rm_a1b"], customer_id=c.id)
    [item] = [i for i in items if i.kind == "reassigned"]
    assert (item.title, item.detail) == ("RM_A1 → RM_A1B", "LEAD_A1")


def test_a_reassignment_to_an_rm_outside_the_actors_scope_is_refused_and_audited(uow_factory, actors, new_customer,
                                                                                 connection):
    c = new_customer(owner="rm_a1", name="冯五")
    with pytest.raises(RefusedInput) as refused, uow_factory() as uow:  # rm_a2 works in the other team
        service.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=c.id, version=c.version,
                                changes={"owner_id": actors["rm_a2"].id})
    assert [(e.field, e.code) for e in refused.value.errors] == [("owner_id", "value.not_an_rm")]
    assert refused.value.message("en") == "Relationship manager: must be an active relationship manager you may assign"
    assert _customer(connection, c.id).owner_id == actors["rm_a1"].id
    assert connection.execute(select(func.count()).select_from(OwnerChange)).scalar_one() == 0
    [event] = _refusals(connection)
    assert event["fields"] == {"owner_id": "value.not_an_rm"} and event["_actor"] == str(actors["lead_a1"].id)


@pytest.mark.parametrize("who", ["rm_a1", "ops_a", "compliance"])
def test_reassigning_is_for_team_leads_and_branch_managers_only(uow_factory, actors, new_customer, connection, who):
    c = new_customer(owner="rm_a1", name="冯六")
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors[who], customer_id=c.id, version=c.version,
                                changes={"owner_id": actors["rm_a1b"].id})
    assert ("owner_id", "value.not_editable") in [(e.field, e.code) for e in refused.value.errors]
    assert _customer(connection, c.id).owner_id == actors["rm_a1"].id
    from services.customers.reassign import reassign_customers

    with pytest.raises(NotPermitted), uow_factory() as uow:
        reassign_customers(uow=uow, actor=actors[who], customer_ids=[c.id], owner_id=actors["rm_a1b"].id)
    assert _customer(connection, c.id).owner_id == actors["rm_a1"].id
    assert len(_refusals(connection)) == 2


def test_a_branch_manager_may_give_a_customer_to_any_rm_of_the_branch(uow_factory, actors, new_customer):
    c = new_customer(owner="rm_a1", name="冯七")
    with uow_factory() as uow:
        p = service.update_customer(uow=uow, actor=actors["bm_a"], customer_id=c.id, version=c.version,
                                    changes={"owner_id": actors["rm_a2"].id})
        uow.commit()
    assert (p.owner_id, p.team_name) == (actors["rm_a2"].id, "财富二组")
    with pytest.raises(RefusedInput), uow_factory() as uow:  # the other branch's RM is out of his reach
        service.update_customer(uow=uow, actor=actors["bm_a"], customer_id=c.id, version=p.version,
                                changes={"owner_id": actors["rm_b1"].id})


def test_create_with_custom_fields_contact_and_address_through_the_one_use_case(uow_factory, actors, connection):
    from services.customers import custom_fields as cf

    with uow_factory() as uow:
        cf.create_definition(uow=uow, actor=actors["admin"], data={
            "key": "hobby", "label": "爱好", "label_en": "Hobby", "field_type": "text", "applies_to": "both"})
        uow.commit()
    from services.validation.identity import uscc_check_char

    body = "91110108MA01ABCD1"
    with uow_factory() as uow:
        p = service.create_customer(uow=uow, actor=actors["lead_a1"], data={
            "kind": "institution", "name": "北京示例科技有限公司", "id_type": "uscc",
            "id_number": body + uscc_check_char(body), "phone": "13912345678", "email": "ir@example.com",
            "address": "北京市海淀区中关村大街1号", "segment": "corporate", "owner_id": actors["rm_a1b"].id,
            "custom": {"hobby": "高尔夫"}})
        uow.commit()
    row = _customer(connection, p.id)
    assert (row.kind, row.owner_id, row.team_id, row.custom) == ("institution", actors["rm_a1b"].id, 1,
                                                                 {"hobby": "高尔夫"})
    assert p.phone == "139****5678" and p.address == "北京市海淀区中关村大街1号"
