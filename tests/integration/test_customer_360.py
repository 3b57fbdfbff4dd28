"""The 360 view's services: header, household roll-up, paged transactions, one timeline, quick actions."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from services.activities import service as activities
from services.activities.models import BehaviourEvent, Interaction, Ticket, TicketEvent
from services import clock
from services.customer360 import service as c360
from services.customers.models import CreditRating, Customer, Household, Relationship
from services.errors import Refusal, ValidationFailed
from services.portfolio.models import Account, AumSnapshot, Transaction
from services.security.keys import get_cipher
from services.security.models import AuditEvent
from services.tags.models import CustomerTag, CustomerTagChange, Tag
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


def _tx(connection, customer_id, account_id, kind, amount, booked, **extra):
    connection.execute(insert(Transaction).values(
        account_id=account_id, customer_id=customer_id, kind=kind, amount=Decimal(amount), currency="CNY",
        booked_at=booked, channel="mobile", description=extra.get("description", kind), created_at=utcnow()))


@pytest.fixture
def family(connection, new_customer):
    """Husband (rm_a1), wife (rm_a1), and a son owned by another branch's RM, in one household."""
    husband = new_customer(name="张伟")
    wife = new_customer(name="李娜")
    son = new_customer(owner="rm_b1", name="张小明")
    hh = connection.execute(insert(Household).values(name="张氏家庭", created_at=utcnow())
                            .returning(Household.id)).scalar_one()
    connection.execute(update(Customer).where(Customer.id.in_([husband.id, wife.id, son.id]))
                       .values(household_id=hh))
    connection.execute(insert(Relationship), [
        {"customer_id": husband.id, "related_customer_id": wife.id, "kind": "spouse", "created_at": utcnow()},
        {"customer_id": husband.id, "related_customer_id": son.id, "kind": "child", "created_at": utcnow()},
    ])
    dep = _account(connection, husband.id, "deposit", "800000.00")
    _account(connection, husband.id, "loan", "1200000.00")
    _account(connection, wife.id, "deposit", "300000.00")
    _account(connection, son.id, "deposit", "50000.00")
    for i in range(30):
        _tx(connection, husband.id, dep, "deposit" if i % 3 else "withdrawal",
            "60000.00" if i % 3 else "-1000.00", NOW - timedelta(days=i * 10))
    return {"husband": husband, "wife": wife, "son": son, "deposit": dep, "household": hh}


def test_header_and_household_roll_up(uow_factory, actors, family, connection):
    h = family["husband"]
    connection.execute(update(Customer).where(Customer.id == h.id).values(
        risk_level="C3", risk_valid_until=date(2020, 1, 1), kyc_status="verified", aml_risk="medium"))
    connection.execute(insert(AumSnapshot), [
        {"customer_id": h.id, "month": date(2026, m, 1), "aum": Decimal(700000 + m * 10000),
         "liabilities": Decimal("1200000")} for m in range(1, 12)])
    connection.execute(insert(CreditRating).values(customer_id=h.id, rating="AA", source="内部评分卡",
                                                   rated_on=date(2026, 3, 1)))
    with uow_factory() as uow:
        v = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=h.id)
    assert v.header.aum == Decimal("800000.00") and v.header.liabilities == Decimal("1200000.00")
    assert v.header.risk_level == "C3" and v.header.risk_expired and v.header.aml_risk == "medium"
    assert [p.month.month for p in v.aum_history] == list(range(1, 12))
    assert v.credit_ratings[0].rating == "AA"
    assert v.holdings_by_type[0].key == "deposit"
    hh = v.household
    members = {m.relation: m for m in hh.members}
    assert members["self"].customer_id == h.id and members["spouse"].aum == Decimal("300000.00")
    # The son belongs to another branch: the RM sees no detail of him, and so no household totals (they
    # would give his figures away by subtraction).
    assert members["child"].customer_id is None and members["child"].aum is None
    assert members["child"].name == "张**"
    assert hh.aum is None and hh.liabilities is None and hh.hidden_members == 1
    # Compliance sees every member, and the totals over all of them.
    with uow_factory() as uow:
        full = c360.customer_360(uow=uow, actor=actors["compliance"], customer_id=h.id).household
    assert full.hidden_members == 0
    assert full.aum == Decimal("1150000.00") and full.liabilities == Decimal("1200000.00")


def test_tags_show_why(uow_factory, actors, family, connection):
    h = family["husband"]
    tag = connection.execute(insert(Tag).values(code="hnw_potential", name="高净值潜力客户",
                                                name_en="High-net-worth potential", color="amber",
                                                created_at=utcnow()).returning(Tag.id)).scalar_one()
    connection.execute(insert(CustomerTag).values(customer_id=h.id, tag_id=tag, rule_version=2,
                                                  evidence={"deposits_30d": "620000.00"}, applied_at=NOW))
    with uow_factory() as uow:
        v = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=h.id)
    assert v.header.tags[0].name_en == "High-net-worth potential"
    assert v.header.tags[0].rule_version == 2 and v.header.tags[0].evidence == {"deposits_30d": "620000.00"}


def test_transactions_are_paged_and_filtered_on_the_server(uow_factory, actors, family):
    h = family["husband"]
    with uow_factory() as uow:
        p1 = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=h.id, filters={"page_size": 7})
        p5 = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                               filters={"page": 5, "page_size": 7})
        deposits = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                                     filters={"kinds": ["deposit"], "page_size": 100})
        large = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                                  filters={"min_amount": "50000", "page_size": 100})
        window = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=h.id, filters={
            "date_from": (NOW - timedelta(days=45)).date().isoformat(), "date_to": NOW.date().isoformat()})
    assert p1.total == 30 and len(p1.items) == 7 and len(p5.items) == 2
    assert p1.items[0].booked_at >= p1.items[-1].booked_at
    assert deposits.total == 20 and all(t.kind == "deposit" for t in deposits.items)
    assert large.total == 20 and all(abs(t.amount) >= 50000 for t in large.items)
    assert window.total == 5


@pytest.mark.parametrize("bad", [
    {"page": 0}, {"page_size": 1000}, {"kinds": ["bribe"]}, {"min_amount": "-5"}, {"date_from": "yesterday"},
    {"unknown": 1}, {"page": "1; DROP TABLE"},
])
def test_bad_transaction_filters_are_refused(uow_factory, actors, family, bad):
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=family["husband"].id, filters=bad)


def test_other_branch_rm_gets_nothing(uow_factory, actors, family):
    h = family["husband"]
    for call in (c360.customer_360, c360.transactions, c360.timeline, c360.tickets, c360.documents):
        with uow_factory() as uow, pytest.raises(Refusal):
            call(uow=uow, actor=actors["rm_b1"], customer_id=h.id)


def test_timeline_merges_sources_newest_first(uow_factory, actors, family, connection, org):
    h = family["husband"]
    connection.execute(insert(Interaction).values(customer_id=h.id, user_id=org.users["rm_a1"], kind="visit",
                                                  occurred_at=NOW + timedelta(hours=1), subject="上门拜访",
                                                  created_at=utcnow()))
    ticket = connection.execute(insert(Ticket).values(
        customer_id=h.id, kind="complaint", category="complaint_payment", subject="转账延迟", channel="app",
        priority="normal", status="new", opened_at=NOW + timedelta(hours=2), sla_due_at=NOW + timedelta(days=3))
        .returning(Ticket.id)).scalar_one()
    connection.execute(insert(TicketEvent).values(ticket_id=ticket, customer_id=h.id, at=NOW + timedelta(hours=2),
                                                  step="open", to_status="new"))
    connection.execute(insert(BehaviourEvent).values(customer_id=h.id, kind="product_view",
                                                     occurred_at=NOW + timedelta(hours=3),
                                                     attributes={}, source="app"))
    tag = connection.execute(insert(Tag).values(code="t1", name="标签", name_en="Tag", color="blue",
                                                created_at=utcnow()).returning(Tag.id)).scalar_one()
    connection.execute(insert(CustomerTagChange).values(customer_id=h.id, tag_id=tag, action="added",
                                                        evidence={}, at=NOW + timedelta(hours=4)))
    with uow_factory() as uow:
        items = c360.timeline(uow=uow, actor=actors["rm_a1"], customer_id=h.id, request={"limit": 8})
        older = c360.timeline(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                              request={"limit": 50, "before": items[-1].at.isoformat()})
    kinds = [i.kind for i in items[:5]]
    assert kinds == ["tag_added", "event", "ticket", "interaction", "large_transaction"]
    assert all(abs(i.amount) >= 50000 for i in items if i.kind == "large_transaction")
    assert older and all(i.at < items[-1].at for i in older)


def test_quick_actions_write_and_audit(uow_factory, actors, family, connection):
    h = family["husband"]
    with clock.fixed(NOW), uow_factory() as uow:
        i = activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                                       data={"kind": "call", "subject": "电话回访", "notes": "客户满意"})
        t = activities.add_task(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                                data={"title": "寄送对账单", "due_at": (NOW + timedelta(days=2)).isoformat()})
        k = activities.open_ticket(uow=uow, actor=actors["rm_a1"], customer_id=h.id,
                                   data={"kind": "complaint", "subject": "收费争议", "priority": "high",
                                         "complaint_reason": "pricing_fees"})
        uow.commit()
    assert k.sla_due_at - k.opened_at == timedelta(hours=24)
    actions = [r[0] for r in connection.execute(
        select(AuditEvent.action).where(AuditEvent.action.in_(["interaction.create", "task.create", "ticket.open"])))]
    assert sorted(actions) == ["interaction.create", "task.create", "ticket.open"]
    with uow_factory() as uow:
        top = c360.timeline(uow=uow, actor=actors["rm_a1"], customer_id=h.id, request={"limit": 3})
    assert {x.ref_id for x in top if x.kind == "interaction"} == {i.id}
    assert t.assignee_id == h.owner_id


@pytest.mark.parametrize("action, data", [
    (activities.log_interaction, {"kind": "fax", "subject": "x"}),
    (activities.log_interaction, {"kind": "call", "subject": ""}),
    (activities.log_interaction, {"kind": "call", "subject": "x", "occurred_at": "2999-01-01T00:00:00+00:00"}),
    (activities.add_task, {"title": "x", "due_at": "2026-12-01T10:00:00"}),
    (activities.open_ticket, {"kind": "complaint", "subject": "x", "channel": "pigeon"}),
    (activities.open_ticket, {"kind": "complaint", "subject": "x" * 201}),
])
def test_quick_action_bad_input_writes_nothing(uow_factory, actors, family, connection, action, data):
    before = connection.execute(select(AuditEvent.id)).all()
    with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
        action(uow=uow, actor=actors["rm_a1"], customer_id=family["husband"].id, data=data)
        uow.commit()
    assert err.value.message("zh_CN") and err.value.message("en")
    assert connection.execute(select(AuditEvent.id)).all() == before


def test_admins_and_auditors_see_customers_but_add_nothing_to_their_records(uow_factory, actors, family,
                                                                           connection):
    """Customer records are written by the roles that work with customers (CUSTOMER_RECORD_ROLES)."""
    from services import documents
    from services.customers import consent

    h = family["husband"]
    before = connection.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    writes = [
        lambda uow, a: activities.log_interaction(uow=uow, actor=a, customer_id=h.id,
                                                  data={"kind": "call", "subject": "回访"}),
        lambda uow, a: activities.add_task(uow=uow, actor=a, customer_id=h.id, data={"title": "回电"}),
        lambda uow, a: activities.open_ticket(uow=uow, actor=a, customer_id=h.id, data={
            "kind": "complaint", "subject": "投诉", "channel": "phone", "priority": "normal"}),
        lambda uow, a: consent.record_consent(uow=uow, actor=a, customer_id=h.id, data={
            "purpose": "marketing", "granted": True, "channel": "branch"}),
        lambda uow, a: documents.upload_customer_document(uow=uow, actor=a, customer_id=h.id, filename="x.pdf",
                                                          data=b"%PDF-1.4 x"),
    ]
    for who in ("admin", "auditor"):
        with uow_factory() as uow:
            assert c360.customer_360(uow=uow, actor=actors[who], customer_id=h.id).header.customer_id == h.id
        for write in writes:
            with uow_factory() as uow, pytest.raises(Refusal):
                write(uow, actors[who])
    with uow_factory() as uow:  # and the roles that do work with customers still may
        activities.log_interaction(uow=uow, actor=actors["compliance"], customer_id=h.id,
                                   data={"kind": "call", "subject": "核实"})
        uow.commit()
    after = connection.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).scalar()
    assert after == (before or 0) + 1
