"""Bulk actions, saved views and recently viewed customers of the customer list (issue 9, points 4 and 5): each
bulk action permission-checked and audited per customer, all or nothing, refused whole beyond 10,000 customers or
with one outside the actor's scope; views per user and shared with a team; recently viewed per user, in scope."""
from __future__ import annotations

import csv
import io
import json
import secrets

import pytest
from sqlalchemy import func, insert, select

from services import clock
from services.customer360.models import OwnerChange
from services.customer_list import bulk, recent, saved_views
from services.customer_list.listing import MAX_SELECTION
from services.customers.models import Customer
from services.errors import NotFound, NotPermitted, OutOfScope, RefusedInput, ValidationFailed
from services.security.models import AuditEvent
from services.tags import manual, service as tags
from services.tags.models import CustomerTag, CustomerTagChange
from conftest import valid_id


def _events(connection, action: str) -> list:
    return list(connection.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _owner(connection, cid: int) -> int:
    return connection.execute(select(Customer.owner_id).where(Customer.id == cid)).scalar_one()


@pytest.fixture
def three(new_customer):
    return [new_customer(owner="rm_a1", name=n, id_number=valid_id(600 + i)) for i, n in enumerate(("陈一", "陈二", "陈三"))]


# ---------------------------------------------------------------- bulk reassign

def test_bulk_reassign_changes_each_customer_through_the_pipeline_and_audits_each(uow_factory, actors, three,
                                                                                  connection):
    ids = [c.id for c in three]
    with uow_factory() as uow:
        result = bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection={"ids": ids},
                                    owner_id=actors["rm_a2"].id)
        uow.commit()
    assert (result.selected, result.changed) == (3, 3)
    assert {_owner(connection, i) for i in ids} == {actors["rm_a2"].id}
    events = _events(connection, "customer.reassign")
    assert sorted(int(e.entity_id) for e in events) == sorted(ids)
    assert all(json.loads(e.changes)["owner_id"] == [actors["rm_a1"].id, actors["rm_a2"].id] for e in events)
    assert connection.execute(select(func.count()).select_from(OwnerChange)).scalar_one() == 3
    versions = connection.execute(select(Customer.version).where(Customer.id.in_(ids))).scalars().all()
    assert set(versions) == {2}
    # Everything the list shows (its search) is a selection too; customers already his stay as they are.
    with uow_factory() as uow:
        again = bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection={"matching": {"q": "陈"}},
                                   owner_id=actors["rm_a2"].id)
    assert (again.selected, again.changed) == (3, 0)


def test_bulk_with_a_customer_outside_the_actors_scope_is_refused_whole_and_audited(uow_factory, actors, three,
                                                                                   new_customer, connection):
    foreign = new_customer(owner="rm_b1", name="外一", id_number=valid_id(650))
    ids = [c.id for c in three] + [foreign.id]
    with pytest.raises(OutOfScope), uow_factory() as uow:
        bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection={"ids": ids}, owner_id=actors["rm_a2"].id)
    assert {_owner(connection, c.id) for c in three} == {actors["rm_a1"].id}  # nothing half-applied
    assert _events(connection, "customer.reassign") == []
    [refusal] = _events(connection, "access.refused")
    assert refusal.entity_id == str(foreign.id) and json.loads(refusal.changes)["outside_scope"] == 1


def test_bulk_reassign_to_an_rm_outside_scope_or_by_an_rm_is_refused(uow_factory, actors, three, connection):
    ids = [c.id for c in three]
    with pytest.raises(RefusedInput), uow_factory() as uow:
        bulk.bulk_reassign(uow=uow, actor=actors["lead_a1"], selection={"ids": ids}, owner_id=actors["rm_a2"].id)
    with pytest.raises(NotPermitted), uow_factory() as uow:
        bulk.bulk_reassign(uow=uow, actor=actors["rm_a1"], selection={"ids": ids}, owner_id=actors["rm_a1b"].id)
    assert {_owner(connection, i) for i in ids} == {actors["rm_a1"].id}
    assert len(_events(connection, "access.refused")) == 2


def _many_customers(connection, owner_id: int, n: int) -> None:
    """n customers of one RM written straight into the table (the bulk limit needs more than 10,000)."""
    now = clock.now()
    start = connection.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one() + 1
    connection.execute(insert(Customer.__table__), [{
        "customer_no": f"B{start + i:09d}", "kind": "individual", "name": f"批量{i}", "name_pinyin": "piliang",
        "name_initials": "pl", "id_type": "resident_id", "id_number_enc": "x", "id_number_bidx": secrets.token_hex(16),
        "id_last4": "0000", "segment": "mass", "owner_id": owner_id, "team_id": 1, "branch_id": 1,
        "source_channel": "branch", "status": "active", "kyc_status": "pending", "aml_risk": "pending", "custom": {},
        "version": 1, "created_at": now, "updated_at": now} for i in range(n)])


def test_a_bulk_action_over_10000_customers_is_refused_with_a_clear_message_and_changes_nothing(
        uow_factory, actors, connection):
    _many_customers(connection, actors["rm_a1"].id, MAX_SELECTION + 1)
    for action, kwargs in ((bulk.bulk_reassign, {"owner_id": actors["rm_a2"].id}),
                           (bulk.bulk_tag, {"tag_code": "vip"}), (bulk.bulk_export, {"fmt": "csv"})):
        with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
            action(uow=uow, actor=actors["bm_a"], selection={"matching": {"q": "批量"}}, **kwargs)
        assert [(e.field, e.code) for e in refused.value.errors] == [("selection", "bulk.too_many")]
        assert refused.value.message("en") == ("Selected customers: more than 10,000 customers are selected; a bulk "
                                               "action takes at most 10,000, so narrow the list first (nothing was "
                                               "changed)")
        assert "10,000" in refused.value.message("zh_CN")
    ids = connection.execute(select(Customer.id).limit(MAX_SELECTION + 1)).scalars().all()
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:  # ticked by hand: the same limit
        bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection={"ids": ids}, owner_id=actors["rm_a2"].id)
    assert refused.value.errors[0].code == "bulk.too_many"
    assert connection.execute(select(func.count()).select_from(Customer)
                              .where(Customer.owner_id == actors["rm_a2"].id)).scalar_one() == 0
    assert _events(connection, "customer.reassign") == []


@pytest.mark.parametrize("selection", [
    {}, {"ids": []}, {"ids": "1,2"}, {"ids": [1, 2], "matching": {}}, {"ids": [True]}, {"ids": [0]}, {"ids": [2**40]},
    {"matching": {"sort": "evil"}}, {"matching": {"q": "x" * 500}}, {"everything": True}, "all", None,
])
def test_a_bad_selection_is_refused(uow_factory, actors, selection):
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection=selection, owner_id=actors["rm_a2"].id)


# ---------------------------------------------------------------- bulk tag, bulk export

@pytest.fixture
def manual_tag(uow_factory, actors):
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={"code": "vip", "name": "重要客户", "name_en": "VIP"})
        uow.commit()
    return "vip"


def test_a_tag_added_by_hand_to_a_selection_is_audited_per_customer(uow_factory, actors, three, manual_tag,
                                                                    connection):
    ids = [c.id for c in three]
    with uow_factory() as uow:
        first = bulk.bulk_tag(uow=uow, actor=actors["rm_a1"], selection={"ids": ids[:2]}, tag_code="vip")
        uow.commit()
    with uow_factory() as uow:
        second = bulk.bulk_tag(uow=uow, actor=actors["rm_a1"], selection={"ids": ids}, tag_code="vip")
        uow.commit()
    assert (first.changed, second.changed) == (2, 1)
    rows = connection.execute(select(CustomerTag.customer_id, CustomerTag.rule_id)).all()
    assert sorted(rows) == sorted((i, None) for i in ids)  # by hand: no rule
    assert connection.execute(select(func.count()).select_from(CustomerTagChange)).scalar_one() == 3
    assert sorted(int(e.entity_id) for e in _events(connection, "customer.tag_added")) == sorted(ids)
    with uow_factory() as uow:
        offered = [t.code for t in manual.manual_tags(uow=uow, actor=actors["rm_a1"])]
    assert offered == ["vip"]


def test_a_tag_a_rule_gives_cannot_be_added_by_hand(uow_factory, actors, three, manual_tag, connection):
    with uow_factory() as uow:
        tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "vip_rule", "tag_code": "vip", "name": "VIP",
            "definition": {"all": [{"field": "segment", "op": "==", "value": "uhnw"}]}})
        uow.commit()
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        bulk.bulk_tag(uow=uow, actor=actors["rm_a1"], selection={"ids": [three[0].id]}, tag_code="vip")
    assert refused.value.errors[0].code == "tag.rule_owned"
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        bulk.bulk_tag(uow=uow, actor=actors["rm_a1"], selection={"ids": [three[0].id]}, tag_code="no_such_tag")
    with pytest.raises(NotPermitted), uow_factory() as uow:  # an auditor only reads
        bulk.bulk_tag(uow=uow, actor=actors["auditor"], selection={"ids": [three[0].id]}, tag_code="vip")
    assert connection.execute(select(func.count()).select_from(CustomerTag)).scalar_one() == 0


def test_exporting_a_selection_gives_those_rows_masked_and_audits_each(uow_factory, actors, three, connection):
    ids = [three[0].id, three[2].id]
    with uow_factory() as uow:
        out = bulk.bulk_export(uow=uow, actor=actors["rm_a1"], selection={"ids": ids}, fmt="csv", locale="zh_CN")
        uow.commit()
    rows = list(csv.reader(io.StringIO(out.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["客户号", "姓名"] and sorted(r[1] for r in rows[1:]) == ["陈一", "陈三"]
    phone = rows[0].index("手机号")
    assert all("****" in r[phone] for r in rows[1:])
    assert sorted(int(e.entity_id) for e in _events(connection, "customer.export")) == sorted(ids)


# ---------------------------------------------------------------- saved views

def test_saved_views_are_per_user_and_shared_with_the_team(uow_factory, actors, connection):
    params = {"q": "陈", "filters": [{"field": "segment", "op": "eq", "value": "hnw"}], "sort": "aum", "dir": "desc",
              "page": 4}
    with uow_factory() as uow:
        mine = saved_views.save_view(uow=uow, actor=actors["rm_a1"], data={"name": "高净值", "params": params})
        shared = saved_views.save_view(uow=uow, actor=actors["rm_a1"],
                                       data={"name": "到期复评", "params": {"sort": "risk_valid"}, "shared": True})
        uow.commit()
    assert mine.params == {"q": "陈", "filters": params["filters"], "sort": "aum", "dir": "desc"}  # no page kept

    def names(who):
        with uow_factory() as uow:
            return [v.name for v in saved_views.list_saved_views(uow=uow, actor=actors[who])]

    assert names("rm_a1") == ["到期复评", "高净值"]
    assert names("rm_a1b") == ["到期复评"]  # same team
    assert names("rm_a2") == []  # another team
    with uow_factory() as uow:
        assert saved_views.get_saved_view(uow=uow, actor=actors["rm_a1b"], view_id=shared.id).mine is False
    with pytest.raises(OutOfScope), uow_factory() as uow:  # another person's private view: "not found", audited
        saved_views.get_saved_view(uow=uow, actor=actors["rm_a1b"], view_id=mine.id)
    with pytest.raises(OutOfScope), uow_factory() as uow:  # a team's view is deleted only by its owner
        saved_views.delete_view(uow=uow, actor=actors["rm_a1b"], view_id=shared.id)
    with pytest.raises(NotFound), uow_factory() as uow:
        saved_views.get_saved_view(uow=uow, actor=actors["rm_a1"], view_id=mine.id + 100)
    assert len(_events(connection, "access.refused")) == 2
    # Saving under the same name replaces the view; deleting removes it; both audited.
    with uow_factory() as uow:
        again = saved_views.save_view(uow=uow, actor=actors["rm_a1"], data={"name": "高净值", "params": {"q": "李"}})
        saved_views.delete_view(uow=uow, actor=actors["rm_a1"], view_id=shared.id)
        uow.commit()
    assert again.id == mine.id and again.params["q"] == "李"
    assert names("rm_a1") == ["高净值"] and names("rm_a1b") == []
    assert [e.action for e in connection.execute(select(AuditEvent.action).where(
        AuditEvent.action.like("saved_view.%")).order_by(AuditEvent.seq))] == [
        "saved_view.save", "saved_view.save", "saved_view.save", "saved_view.delete"]


@pytest.mark.parametrize("data, code", [
    ({"name": "", "params": {}}, "value.required"), ({"name": "x" * 61, "params": {}}, "value.too_long"),
    ({"name": "坏", "params": {"sort": "evil"}}, "value.invalid_choice"),
    ({"name": "坏", "params": {"filters": [{"field": "custom.nope", "op": "eq", "value": 1}]}}, "filter.unknown_field"),
    ({"name": "坏", "params": {}, "extra": 1}, "value.unknown_field"),
    ({"name": "坏\u202e", "params": {}}, "value.invisible_characters"),
])
def test_a_bad_saved_view_is_refused(uow_factory, actors, data, code):
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        saved_views.save_view(uow=uow, actor=actors["rm_a1"], data=data)
    assert code in [e.code for e in refused.value.errors]


def test_sharing_needs_a_team(uow_factory, actors):
    with pytest.raises(ValidationFailed) as refused, uow_factory() as uow:
        saved_views.save_view(uow=uow, actor=actors["bm_a"], data={"name": "分行", "params": {}, "shared": True})
    assert refused.value.errors[0].code == "saved_view.no_team"


# ---------------------------------------------------------------- recently viewed

def test_recently_viewed_is_per_user_newest_first_and_in_scope(uow_factory, actors, three, connection):
    for c in (three[0], three[1], three[0], three[2]):
        with uow_factory() as uow:
            recent.record_customer_view(uow=uow, actor=actors["rm_a1"], customer_id=c.id)
            uow.session.flush()
            from services.security import audit

            audit.record(uow.session, actors["rm_a1"], "customer.read", entity_type="customer", entity_id=c.id)
            uow.commit()

    def shown(who):
        with uow_factory() as uow:
            return [r.name for r in recent.recently_viewed(uow=uow, actor=actors[who])]

    assert shown("rm_a1") == ["陈三", "陈一", "陈二"]
    assert shown("rm_a1b") == []  # per user
    with uow_factory() as uow:  # 陈三 goes to another team: out of rm_a1's sight, and out of his list
        bulk.bulk_reassign(uow=uow, actor=actors["bm_a"], selection={"ids": [three[2].id]},
                           owner_id=actors["rm_a2"].id)
        uow.commit()
    assert shown("rm_a1") == ["陈一", "陈二"]
    with pytest.raises(OutOfScope), uow_factory() as uow:
        recent.record_customer_view(uow=uow, actor=actors["rm_a1"], customer_id=three[2].id)
