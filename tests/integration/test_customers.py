"""Customer use cases on a real, migrated database (SQLite, and PostgreSQL in CI)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from services.customer360 import service as c360
from services.customers import service
from services.customers.models import Customer
from services.errors import ConcurrentModification, NotFound, Refusal, ValidationFailed
from services.security.models import AuditEvent


def _audit_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _customer_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(Customer)).scalar_one()


def test_create_customer_encrypts_identity_and_audits_masked(uow_factory, new_customer, connection):
    p = new_customer(name="张三", phone="+86 138-0013-8000")
    assert p.customer_no == f"C{p.id:09d}"
    assert p.id_number.startswith("110105") and "*" * 8 in p.id_number  # rm sees it masked
    assert p.phone == "138****8000"
    assert p.birth_date == date(1985, 6, 15) and p.gender in ("male", "female")
    row = connection.execute(select(Customer.id_number_enc, Customer.phone_enc).where(Customer.id == p.id)).one()
    assert "1380013" not in row.phone_enc and "19850615" not in row.id_number_enc
    ev = connection.execute(select(AuditEvent).where(AuditEvent.action == "customer.create")).one()
    changes = json.loads(ev.changes)
    assert changes["phone"] == "138****8000"
    assert "19850615" not in ev.changes and "13800138000" not in ev.changes


def test_rm_asking_for_another_branchs_customer_is_not_permitted(uow_factory, new_customer, actors):
    other = new_customer(owner="rm_b1", name="李四")
    with uow_factory() as uow, pytest.raises(Refusal):
        c360.get_customer(uow=uow, actor=actors["rm_a1"], customer_id=other.id)


def test_data_scope_follows_role(uow_factory, new_customer, actors):
    mine = new_customer(owner="rm_a1", name="王一")
    teammate = new_customer(owner="rm_a1b", name="王二")
    other_team = new_customer(owner="rm_a2", name="王三")
    other_branch = new_customer(owner="rm_b1", name="王四")
    expect = {
        "rm_a1": {mine.id},
        "lead_a1": {mine.id, teammate.id},
        "bm_a": {mine.id, teammate.id, other_team.id},
        "compliance": {mine.id, teammate.id, other_team.id, other_branch.id},
        "auditor": {mine.id, teammate.id, other_team.id, other_branch.id},
    }
    for who, ids in expect.items():
        with uow_factory() as uow:
            page = service.search_customers(uow=uow, actor=actors[who], query="王", page_size=50)
        assert {c.id for c in page.items} == ids, who


@pytest.mark.parametrize("query", ["zhangs", "zs", "ZS", "张", "zhang san"])
def test_search_by_name_pinyin_and_initials(uow_factory, new_customer, actors, query):
    zs = new_customer(name="张三")
    new_customer(name="李四")
    with uow_factory() as uow:
        page = service.search_customers(uow=uow, actor=actors["rm_a1"], query=query)
    assert [c.id for c in page.items] == [zs.id]


def test_search_by_last4_of_phone_and_id(uow_factory, new_customer, actors):
    c = new_customer(name="赵六", phone="13912345678")
    id_last4 = c.id_number[-4:]
    with uow_factory() as uow:
        by_phone = service.search_customers(uow=uow, actor=actors["rm_a1"], query="5678")
        by_id = service.search_customers(uow=uow, actor=actors["rm_a1"], query=id_last4)
        full_phone = service.search_customers(uow=uow, actor=actors["rm_a1"], query="139 1234 5678")
    assert c.id in {x.id for x in by_phone.items}
    assert c.id in {x.id for x in by_id.items}
    assert [x.id for x in full_phone.items] == [c.id]


def test_search_paginates_on_the_server(uow_factory, new_customer, actors):
    ids = [new_customer(name=f"钱{n}").id for n in range(7)]
    with uow_factory() as uow:
        p1 = service.search_customers(uow=uow, actor=actors["rm_a1"], query="qian", page=1, page_size=3)
        p3 = service.search_customers(uow=uow, actor=actors["rm_a1"], query="qian", page=3, page_size=3)
    assert p1.total == 7 and len(p1.items) == 3 and len(p3.items) == 1
    assert set(ids) >= {c.id for c in p1.items + p3.items}


def test_reveal_is_refused_to_rm_and_audited_for_compliance(uow_factory, new_customer, actors, connection):
    c = new_customer(name="孙七", phone="13712340000")
    with uow_factory() as uow, pytest.raises(Refusal):
        service.reveal_field(uow=uow, actor=actors["rm_a1"], customer_id=c.id, field="id_number")
    before = _audit_count(uow_factory)
    with uow_factory() as uow:
        full = service.reveal_field(uow=uow, actor=actors["compliance"], customer_id=c.id, field="phone")
        uow.commit()
    assert full == "13712340000"
    assert _audit_count(uow_factory) == before + 1
    ev = connection.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert ev.action == "customer.reveal" and ev.actor_name == "compliance" and "13712340000" not in ev.changes


def test_compliance_sees_masked_until_reveal(uow_factory, new_customer, actors):
    c = new_customer(name="周八")
    with uow_factory() as uow:
        d = c360.get_customer(uow=uow, actor=actors["compliance"], customer_id=c.id)
    assert "*" in d.profile.id_number and "id_number" in d.profile.revealable


@pytest.mark.parametrize("bad, field, code", [
    ({"id_number": "110105198506151234"}, "id_number", "id_number.checksum"),
    ({"id_number": "11010519850615"}, "id_number", "id_number.format"),
    ({"phone": "12345"}, "phone", "phone.format"),
    ({"name": ""}, "name", "value.required"),  # empty is missing, not "too short"
    ({"name": "张" * 201}, "name", "value.too_long"),
    ({"name": 12345}, "name", "value.wrong_type"),
    ({"email": "not-an-email"}, "email", "email.format"),
    ({"segment": "platinum"}, "segment", "value.invalid_choice"),
    ({"unknown_field": 1}, "unknown_field", "value.unknown_field"),
    ({"kind": "institution"}, "id_type", "value.wrong_id_type"),
    ({"name": "张\x00三"}, "name", "value.control_characters"),
    ({"address": "x" * 301}, "address", "value.too_long"),
])
def test_bad_input_gets_a_clear_error_and_writes_nothing(uow_factory, actors, bad, field, code):
    data = {"name": "吴九", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": "13800138000"}
    data.update(bad)
    before_c, before_a = _customer_count(uow_factory), _audit_count(uow_factory)
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        service.create_customer(uow=uow, actor=actors["rm_a1"], data=data)
    fields = {e.field for e in err.value.errors}
    assert field in fields, err.value.errors
    assert code in {e.code for e in err.value.errors}
    assert err.value.message("zh_CN") != err.value.message("en")
    assert _customer_count(uow_factory) == before_c and _audit_count(uow_factory) == before_a


def test_missing_and_wrong_type_input(uow_factory, actors):
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        service.create_customer(uow=uow, actor=actors["rm_a1"], data={"name": "x"})
    assert {("id_type", "value.required"), ("id_number", "value.required")} <= {
        (e.field, e.code) for e in err.value.errors}
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        service.create_customer(uow=uow, actor=actors["rm_a1"], data="not a dict")
    for bad_id in ("1", "abc", None, True, -5, 10**30):
        with uow_factory() as uow, pytest.raises((ValidationFailed, NotFound)):
            c360.get_customer(uow=uow, actor=actors["compliance"], customer_id=bad_id)


def test_unknown_customer_is_not_found(uow_factory, actors):
    with uow_factory() as uow, pytest.raises(NotFound) as err:
        c360.get_customer(uow=uow, actor=actors["compliance"], customer_id=987654)
    assert "987654" in err.value.message("en") and "客户" in err.value.message("zh_CN")


def test_duplicate_id_number_is_refused(uow_factory, new_customer, actors):
    c = new_customer(name="郑十")
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        service.create_customer(uow=uow, actor=actors["rm_a1"], data={
            "name": "郑十", "id_type": "resident_id", "id_number": service.decrypt(
                uow.session.get(Customer, c.id).id_number_enc, service.ID_CONTEXT)})
    assert err.value.errors[0].code == "value.duplicate"


def test_update_uses_optimistic_locking_and_field_permissions(uow_factory, new_customer, actors, connection):
    c = new_customer(name="冯一")
    with uow_factory() as uow:
        p = service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                    changes={"phone": "13600001111", "occupation": "教师"})
        uow.commit()
    assert p.version == c.version + 1 and p.phone == "136****1111" and p.occupation == "教师"
    with uow_factory() as uow, pytest.raises(ConcurrentModification):
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=c.version,
                                changes={"occupation": "律师"})
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        service.update_customer(uow=uow, actor=actors["rm_a1"], customer_id=c.id, version=p.version,
                                changes={"id_number": "11010519491231002X"})
    assert err.value.errors[0].code == "value.not_editable"
    ev = connection.execute(select(AuditEvent).where(AuditEvent.action == "customer.update")).one()
    assert json.loads(ev.changes)["phone"] == ["138****0001", "136****1111"]


def test_lists_show_the_stored_masks_kept_in_step_with_edits(uow_factory, new_customer, actors, monkeypatch):
    c = new_customer(name="冯二", phone="13800000001")
    with uow_factory() as uow:
        service.update_customer(uow=uow, actor=actors["ops_a"], customer_id=c.id, version=c.version,
                                changes={"phone": "13600002222", "id_number": "11010519491231002X"})
        uow.commit()
    # A page for masked roles decrypts nothing: the masks are stored beside the ciphertexts.
    from services.customers import access

    monkeypatch.setattr(access, "decrypt", lambda *a: pytest.fail("a masked list must not decrypt"))
    for who in ("rm_a1", "compliance"):
        with uow_factory() as uow:
            [row] = service.search_customers(uow=uow, actor=actors[who], query="冯二").items
        assert (row.phone, row.id_number) == ("136****2222", "110105********002X")


def test_creating_for_an_rm_of_another_branch_is_refused(uow_factory, actors, org):
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        service.create_customer(uow=uow, actor=actors["bm_a"], data={
            "name": "陈二", "id_type": "resident_id", "id_number": "11010519491231002X",
            "owner_id": org.users["rm_b1"]})
    assert err.value.errors[0].field == "owner_id"


def test_customer_detail_totals_and_relationships(uow_factory, new_customer, actors, connection):
    from decimal import Decimal

    from sqlalchemy import insert

    from services.customers.models import Relationship
    from services.portfolio.models import Account, Holding, Product
    from services.security.keys import get_cipher

    a = new_customer(name="褚大")
    spouse = new_customer(name="卫二")
    stranger = new_customer(owner="rm_b1", name="蒋三")
    cipher = get_cipher()

    def acct(kind, balance):
        no = f"62220200{a.id:04d}{len(kind):04d}"
        return connection.execute(insert(Account).values(
            customer_id=a.id, kind=kind, account_no_enc=cipher.encrypt(no, context="account.no"),
            account_no_bidx=cipher.blind_index(no, context="account.no"), account_no_last4=no[-4:],
            currency="CNY", balance=Decimal(balance), branch_id=1, opened_on=date(2024, 1, 1), status="open",
        ).returning(Account.id)).scalar_one()

    acct("deposit", "1000.50")
    wealth = acct("wealth", "0")
    acct("loan", "250000")
    pid = connection.execute(insert(Product).values(
        code="WM90", name="稳健理财90天", name_en="Steady 90", product_type="wealth", risk_level="R2",
        term_days=90, currency="CNY", is_active=True).returning(Product.id)).scalar_one()
    connection.execute(insert(Holding).values(
        account_id=wealth, customer_id=a.id, product_id=pid, quantity=Decimal("100000.0000"),
        cost=Decimal("100000"), market_value=Decimal("101234.56"), currency="CNY", as_of=date(2026, 11, 1)))
    connection.execute(insert(Relationship), [
        {"customer_id": a.id, "related_customer_id": spouse.id, "kind": "spouse", "created_at": _now()},
        {"customer_id": a.id, "related_customer_id": stranger.id, "kind": "related_party", "created_at": _now()},
    ])
    with uow_factory() as uow:
        d = c360.get_customer(uow=uow, actor=actors["rm_a1"], customer_id=a.id)
    assert d.aum == Decimal("102235.06") and d.liabilities == Decimal("250000.00")
    assert all("*" in acc.account_no for acc in d.accounts)
    rel = {r.kind: r for r in d.relationships}
    assert rel["spouse"].related_customer_id == spouse.id and rel["spouse"].related_name == "卫二"
    assert rel["related_party"].related_customer_id is None and rel["related_party"].related_name == "蒋*"


def _now():
    from services.types import utcnow

    return utcnow()


@pytest.mark.parametrize("query", ["\x00", "张\x00", "a" * 101, 12345, None, ["zs"]])
def test_hostile_search_queries_get_a_validation_error(uow_factory, actors, query):
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        service.search_customers(uow=uow, actor=actors["rm_a1"], query=query)
