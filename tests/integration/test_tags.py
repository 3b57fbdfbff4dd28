"""Tags from rules on a real database: rules, versions, previews, incremental and nightly application."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import Session

from services.activities.models import BehaviourEvent
from services.errors import Refusal, ValidationFailed
from services.integration.models import OutboxMessage
from services.portfolio.models import Account, Product, Transaction
from services.security.models import AuditEvent
from services.tags import service as tags
from services.tags.models import CustomerTag, CustomerTagChange, TagRule

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

HNW_RULE = {"all": [
    {"field": "tx_sum", "kinds": ["deposit"], "days": 30, "op": ">=", "value": 500000},
    {"field": "event_count", "event_kind": "product_view", "premium": True, "days": 30, "op": ">=", "value": 3},
]}


@pytest.fixture
def products(connection):
    connection.execute(insert(Product), [
        {"id": 901, "code": "PE901", "name": "私募精选", "name_en": "PE Select", "product_type": "wealth",
         "risk_level": "R5", "currency": "CNY", "is_active": True, "is_premium": True},
        {"id": 902, "code": "MM902", "name": "货币基金", "name_en": "Money fund", "product_type": "fund",
         "risk_level": "R1", "currency": "CNY", "is_active": True, "is_premium": False},
    ])
    return {"premium": 901, "plain": 902}


@pytest.fixture
def feed(connection, products, org):
    """Write a customer's account, deposits and product views the way ingestion would."""
    seq = iter(range(1, 10_000))

    def deposit(customer_id: int, amount: str, at: datetime) -> None:
        acc = connection.execute(select(Account.id).where(Account.customer_id == customer_id)).scalar()
        if acc is None:
            acc = connection.execute(insert(Account).values(
                customer_id=customer_id, kind="deposit", account_no_enc="x", account_no_bidx=f"b{customer_id}",
                account_no_last4="0000", currency="CNY", balance=Decimal(amount), branch_id=org.branch_a,
                opened_on=date(2020, 1, 1), status="open").returning(Account.id)).scalar_one()
        connection.execute(insert(Transaction).values(
            account_id=acc, customer_id=customer_id, kind="deposit", amount=Decimal(amount), currency="CNY",
            booked_at=at, channel="counter", source="test", external_ref=f"t{next(seq)}",
            created_at=at))

    def view(customer_id: int, at: datetime, premium: bool = True, n: int = 1) -> None:
        for _ in range(n):
            connection.execute(insert(BehaviourEvent).values(
                customer_id=customer_id, kind="product_view", occurred_at=at,
                product_id=products["premium" if premium else "plain"], attributes={}, source="test",
                external_id=f"e{next(seq)}"))

    return type("Feed", (), {"deposit": staticmethod(deposit), "view": staticmethod(view)})


@pytest.fixture
def hnw(uow_factory, actors):
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "hnw_potential", "name": "高净值潜力客户", "name_en": "High-net-worth potential", "color": "gold"})
        rule = tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "hnw_potential", "tag_code": "hnw_potential", "name": "高净值潜力",
            "definition": HNW_RULE})
        uow.commit()
    return rule


def _changed(uow_factory, customer_id, as_of=NOW):
    with uow_factory() as uow:
        changes = tags.on_customer_changed(uow.session, customer_id, reason="transaction", as_of=as_of)
        uow.commit()
    return changes


def test_hnw_tag_applied_with_evidence_history_outbox_and_audit(uow_factory, actors, new_customer, feed, hnw,
                                                                connection):
    c = new_customer("rm_a1")
    feed.deposit(c.id, "400000.00", NOW - timedelta(days=3))
    feed.view(c.id, NOW - timedelta(days=1), n=4)
    assert _changed(uow_factory, c.id) == []  # 400k is not enough
    feed.deposit(c.id, "220000.00", NOW - timedelta(days=2))
    changes = _changed(uow_factory, c.id)
    assert [(ch.tag_code, ch.action, ch.rule_version) for ch in changes] == [("hnw_potential", "added", 1)]
    assert changes[0].evidence == {"tx_sum_deposit_30d": "620000.00", "product_view_premium_count_30d": 4}
    assert _changed(uow_factory, c.id) == []  # idempotent

    with uow_factory() as uow:
        shown = tags.tags_for_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id)
    assert [(t.code, t.name_en, t.rule_key, t.rule_version) for t in shown] == [
        ("hnw_potential", "High-net-worth potential", "hnw_potential", 1)]
    assert shown[0].evidence["tx_sum_deposit_30d"] == "620000.00"

    s = Session(connection)
    hist = s.execute(select(CustomerTagChange).where(CustomerTagChange.customer_id == c.id)).scalars().all()
    assert [(h.action, h.rule_version) for h in hist] == [("added", 1)]
    msg = s.execute(select(OutboxMessage).where(OutboxMessage.event_type == "customer.tagged")).scalars().all()
    assert [(m.payload["customer_id"], m.payload["tag"], m.payload["action"]) for m in msg] == [
        (c.id, "hnw_potential", "added")]
    assert "phone" not in msg[0].payload and "id_number" not in msg[0].payload
    last = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert last.action == "customer.tags_changed" and last.entity_id == str(c.id)


def test_tag_removed_when_condition_stops_holding(uow_factory, new_customer, feed, hnw, connection):
    c = new_customer("rm_a1")
    feed.deposit(c.id, "600000.00", NOW - timedelta(days=10))
    feed.view(c.id, NOW - timedelta(days=5), n=3)
    assert [ch.action for ch in _changed(uow_factory, c.id)] == ["added"]
    # Three weeks later the deposit has left the 30-day window.
    later = NOW + timedelta(days=21)
    changes = _changed(uow_factory, c.id, as_of=later)
    assert [(ch.action, ch.evidence["tx_sum_deposit_30d"]) for ch in changes] == [("removed", "0.00")]
    s = Session(connection)
    assert s.execute(select(func.count()).select_from(CustomerTag).where(CustomerTag.customer_id == c.id)
                     ).scalar_one() == 0
    actions = s.execute(select(CustomerTagChange.action).where(CustomerTagChange.customer_id == c.id)
                        .order_by(CustomerTagChange.id)).scalars().all()
    assert actions == ["added", "removed"]


def test_non_premium_views_and_other_kinds_do_not_count(uow_factory, new_customer, feed, hnw):
    c = new_customer("rm_a1")
    feed.deposit(c.id, "900000.00", NOW - timedelta(days=1))
    feed.view(c.id, NOW - timedelta(days=1), premium=False, n=5)
    feed.view(c.id, NOW - timedelta(days=40), premium=True, n=5)  # outside the window
    assert _changed(uow_factory, c.id) == []


def test_only_admins_write_and_preview(uow_factory, actors, hnw):
    for who in ("rm_a1", "bm_a", "compliance", "auditor"):
        with uow_factory() as uow:
            with pytest.raises(Refusal):
                tags.save_rule(uow=uow, actor=actors[who], data={
                    "rule_key": "x_rule", "tag_code": "hnw_potential", "name": "x", "definition": HNW_RULE})
            with pytest.raises(Refusal):
                tags.preview(uow=uow, actor=actors[who], definition=HNW_RULE)
            with pytest.raises(Refusal):
                tags.set_rule_active(uow=uow, actor=actors[who], rule_key="hnw_potential", active=False)


@pytest.mark.parametrize("definition, code, path", [
    ({"all": [{"field": "salary", "op": ">=", "value": 1}]}, "tag_rule.unknown_field", "1"),
    ({"all": [{"field": "aum", "op": ">=", "value": 1}, {"field": "segment", "op": ">", "value": "hnw"}]},
     "tag_rule.op_not_allowed", "2"),
    ({"any": [{"field": "tx_sum", "kinds": ["deposit"], "days": 0, "op": ">=", "value": 1}]},
     "tag_rule.bad_window", "1"),
    ({"any": [{"field": "tx_sum", "kinds": ["deposit"], "op": ">=", "value": 1}]},
     "tag_rule.missing_parameter", "1"),
    ({"all": [{"any": [{"field": "segment", "op": "==", "value": "gold"}]}]}, "tag_rule.bad_value_choice", "1.1"),
    ({"all": [{"field": "aum", "op": ">=", "value": "12.345"}]}, "tag_rule.bad_value_money", "1"),
    ({"not": {"not": {"not": {"not": {"not": {"field": "aum", "op": ">=", "value": 1}}}}}}, "tag_rule.too_deep", "1"),
    ({"all": []}, "tag_rule.empty_group", "1"),
    ({"all": [{"field": "custom.vip_level", "op": "==", "value": "a"}]}, "tag_rule.unknown_field", "1"),
])
def test_invalid_rules_are_refused_naming_the_condition(uow_factory, actors, hnw, definition, code, path):
    with uow_factory() as uow:
        with pytest.raises(ValidationFailed) as err:
            tags.save_rule(uow=uow, actor=actors["admin"], data={
                "rule_key": "bad_rule", "tag_code": "hnw_potential", "name": "x", "definition": definition})
    e = err.value.errors[0]
    assert (e.field, e.code, e.params["path"]) == ("definition", code, path)
    assert f"{path}" in err.value.message("en") and "条件" in err.value.message("zh_CN")


def test_preview_counts_and_samples_before_saving(uow_factory, actors, new_customer, feed, hnw):
    a = new_customer("rm_a1")
    b = new_customer("rm_b1")
    for c in (a, b):
        feed.deposit(c.id, "700000.00", NOW - timedelta(days=2))
        feed.view(c.id, NOW - timedelta(days=2), n=3)
    with uow_factory() as uow:
        result = tags.preview(uow=uow, actor=actors["admin"], definition=HNW_RULE, as_of=NOW)
        assert result.count == 2
        assert {s.id for s in result.sample} == {a.id, b.id}
        narrower = {"all": [HNW_RULE, {"field": "branch_id", "op": "==", "value": 2}]}
        assert tags.preview(uow=uow, actor=actors["admin"], definition=narrower, as_of=NOW).count == 1
        # Previewing writes nothing.
        assert uow.session.execute(select(func.count()).select_from(CustomerTag)).scalar_one() == 0


def test_edit_makes_a_new_version_and_run_records_it(uow_factory, actors, new_customer, feed, hnw, connection):
    c = new_customer("rm_a1")
    feed.deposit(c.id, "600000.00", NOW - timedelta(days=2))
    feed.view(c.id, NOW - timedelta(days=2), n=3)
    with uow_factory() as uow:
        first = tags.run_rule_now(uow=uow, actor=actors["admin"], rule_key="hnw_potential", as_of=NOW)
        uow.commit()
    assert (first.matched, first.added, first.removed) == (1, 1, 0)
    looser = {"all": [HNW_RULE["all"][0], dict(HNW_RULE["all"][1], value=2)]}
    with uow_factory() as uow:
        v2 = tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "hnw_potential", "tag_code": "hnw_potential", "name": "高净值潜力 v2", "definition": looser})
        again = tags.run_rule_now(uow=uow, actor=actors["admin"], rule_key="hnw_potential", as_of=NOW)
        uow.commit()
    assert v2.version == 2 and (again.added, again.removed, again.revised) == (0, 0, 1)
    s = Session(connection)
    versions = s.execute(select(TagRule.version, TagRule.is_current).where(TagRule.rule_key == "hnw_potential")
                         .order_by(TagRule.version)).all()
    assert [tuple(v) for v in versions] == [(1, False), (2, True)]
    assert s.execute(select(CustomerTag.rule_version).where(CustomerTag.customer_id == c.id)).scalar_one() == 2
    with uow_factory() as uow:
        listed = tags.list_rules(uow=uow, actor=actors["admin"])
    assert [(r.rule_key, r.version, r.match_count, r.active) for r in listed] == [("hnw_potential", 2, 1, True)]


def test_deactivating_a_rule_takes_its_tags_away(uow_factory, actors, new_customer, feed, hnw, connection):
    c = new_customer("rm_a1")
    feed.deposit(c.id, "600000.00", NOW - timedelta(days=2))
    feed.view(c.id, NOW - timedelta(days=2), n=3)
    _changed(uow_factory, c.id)
    with uow_factory() as uow:
        view = tags.set_rule_active(uow=uow, actor=actors["admin"], rule_key="hnw_potential", active=False)
        uow.commit()
    assert not view.active and view.match_count == 0
    assert _changed(uow_factory, c.id) == []  # inactive rules are not applied
    s = Session(connection)
    assert s.execute(select(CustomerTagChange.action).where(CustomerTagChange.customer_id == c.id)
                     .order_by(CustomerTagChange.id)).scalars().all() == ["added", "removed"]
    with uow_factory() as uow:
        with pytest.raises(ValidationFailed):
            tags.run_rule_now(uow=uow, actor=actors["admin"], rule_key="hnw_potential")


def test_nightly_pass_in_batches_adds_and_removes(uow_factory, actors, new_customer, feed, hnw, connection):
    people = [new_customer("rm_a1") for _ in range(5)]
    for c in people[:3]:
        feed.deposit(c.id, "500000.00", NOW - timedelta(days=29))
        feed.view(c.id, NOW - timedelta(days=1), n=3)
    report = tags.nightly_pass(uow_factory, as_of=NOW, batch=2)
    assert (report.rules, report.matched, report.added, report.removed, report.failed) == (1, 3, 3, 0, [])
    # Two days later the deposits are 31 days old.
    report = tags.nightly_pass(uow_factory, as_of=NOW + timedelta(days=2), batch=2)
    assert (report.added, report.removed) == (0, 3)
    s = Session(connection)
    assert s.execute(select(func.count()).select_from(CustomerTag)).scalar_one() == 0


def test_customers_out_of_scope_see_no_tags(uow_factory, actors, new_customer, hnw):
    c = new_customer("rm_a1")
    with uow_factory() as uow:
        with pytest.raises(Refusal):
            tags.tags_for_customer(uow=uow, actor=actors["rm_b1"], customer_id=c.id)
        with pytest.raises(ValidationFailed):
            tags.tags_for_customer(uow=uow, actor=actors["rm_a1"], customer_id="1 or 1=1")


def test_rule_keeps_its_tag_and_a_tag_has_one_rule(uow_factory, actors, hnw):
    with uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={"code": "other", "name": "其他", "name_en": "Other"})
        with pytest.raises(ValidationFailed) as err:
            tags.save_rule(uow=uow, actor=actors["admin"], data={
                "rule_key": "hnw_potential", "tag_code": "other", "name": "x", "definition": HNW_RULE})
        assert err.value.errors[0].code == "tag_rule.tag_fixed"
        with pytest.raises(ValidationFailed) as err:
            tags.save_rule(uow=uow, actor=actors["admin"], data={
                "rule_key": "second", "tag_code": "hnw_potential", "name": "x", "definition": HNW_RULE})
        assert err.value.errors[0].code == "tag_rule.tag_taken"
        with pytest.raises(ValidationFailed) as err:
            tags.create_tag(uow=uow, actor=actors["admin"], data={"code": "Bad Code", "name": "x", "name_en": "x"})
        assert err.value.errors[0].field == "code"


def test_a_customer_update_reevaluates_tags_at_once(uow_factory, actors, new_customer, connection):
    """Rules on customer fields follow updates made through the ordinary use case."""
    from services.customers import service as customers
    from services.tags import service as tags_service

    c = new_customer(name="钱多多")
    with uow_factory() as uow:
        tags_service.create_tag(uow=uow, actor=actors["admin"], data={
            "code": "vip_segment", "name": "私行客户", "name_en": "Private banking", "color": "gold"})
        tags_service.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "vip_segment", "tag_code": "vip_segment", "name": "UHNW segment",
            "definition": {"all": [{"field": "segment", "op": "==", "value": "uhnw"}]}})
        uow.commit()
    with uow_factory() as uow:
        customers.update_customer(uow=uow, actor=actors["lead_a1"], customer_id=c.id, version=c.version,
                                  changes={"segment": "uhnw"})
        uow.commit()
    with uow_factory() as uow:
        assert [t.code for t in tags_service.tags_for_customer(uow=uow, actor=actors["rm_a1"],
                                                               customer_id=c.id)] == ["vip_segment"]


def test_a_kept_tag_newly_justified_by_a_later_version_is_audited(uow_factory, actors, new_customer, feed, hnw,
                                                                   connection):
    """The evidence behind a tag changes even when the tag stays: that leaves an audit event too."""
    c = new_customer("rm_a1")
    feed.deposit(c.id, "600000.00", NOW - timedelta(days=2))
    feed.view(c.id, NOW - timedelta(days=2), n=3)
    assert [ch.action for ch in _changed(uow_factory, c.id)] == ["added"]
    looser = {"all": [HNW_RULE["all"][0], dict(HNW_RULE["all"][1], value=2)]}
    with uow_factory() as uow:
        tags.save_rule(uow=uow, actor=actors["admin"], data={
            "rule_key": "hnw_potential", "tag_code": "hnw_potential", "name": "高净值潜力 v2", "definition": looser})
        uow.commit()
    assert _changed(uow_factory, c.id) == []  # nothing added or removed ...
    event = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "customer.tags_changed",
                                                                AuditEvent.entity_id == str(c.id))
                               .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert json.loads(event)["changes"] == [  # ... but the new justification is on record
        {"tag": "hnw_potential", "action": "revised", "rule_key": "hnw_potential", "version": 2}]
    assert connection.execute(select(CustomerTag.rule_version).where(CustomerTag.customer_id == c.id)).scalar_one() == 2


def test_many_customers_at_once_change_as_one_by_one(uow_factory, new_customer, feed, hnw, connection):
    """An ingested batch's or an import chunk's customers are read together (services/tags/service.py
    on_customers_changed): each gains, keeps or loses exactly what evaluating him alone would give."""
    gains, keeps, loses, nothing = (new_customer("rm_a1") for _ in range(4))
    for c in (gains, keeps, loses):
        feed.deposit(c.id, "600000.00", NOW - timedelta(days=10))
        feed.view(c.id, NOW - timedelta(days=5), n=3)
    assert [ch.action for ch in _changed(uow_factory, keeps.id)] == ["added"]
    assert [ch.action for ch in _changed(uow_factory, loses.id)] == ["added"]
    feed.deposit(loses.id, "-300000.00", NOW - timedelta(days=1))  # below the threshold now
    with uow_factory() as uow:
        changes = tags.on_customers_changed(uow.session, [nothing.id, loses.id, gains.id, keeps.id, gains.id],
                                            reason="transactions", as_of=NOW)
        uow.commit()
    assert [(ch.customer_id, ch.action) for ch in changes] == [(loses.id, "removed"), (gains.id, "added")]
    s = Session(connection)
    tagged = set(s.execute(select(CustomerTag.customer_id)).scalars())
    assert tagged == {gains.id, keeps.id}
    audited = s.execute(select(AuditEvent.entity_id).where(AuditEvent.action == "customer.tags_changed")
                        .order_by(AuditEvent.seq)).scalars().all()
    assert audited[-2:] == [str(loses.id), str(gains.id)]
