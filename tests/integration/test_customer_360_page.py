"""The customer 360 page's state layer on a real database: the views the services return, turned into
display rows, figures and service inputs the way CustomerState does it (SQLite, and PostgreSQL in CI)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from services.activities import service as activities
from services.activities.models import Interaction, Task, Ticket
from services.customer360 import service as c360
from services.customers.models import Customer
from services.customers.search import ACCOUNT_NO_CONTEXT
from services.errors import Refusal, ValidationFailed
from services.portfolio.models import Account, AumSnapshot, Holding, Product, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from services.security.keys import get_cipher
from services.tags.models import CustomerTag, Tag
from services.types import utcnow
from state import customers as page


@pytest.fixture
def rich_customer(uow_factory, new_customer, org):
    """A customer with a deposit and a loan, a fund holding, 31 transactions (one large), AUM history, a tag."""
    p = new_customer(name="李四")
    cipher = get_cipher()
    now = utcnow()
    with uow_factory() as uow:
        s = uow.session
        accounts = []
        for kind, no, balance in (("deposit", "6222020000001234", Decimal("600000.00")),
                                  ("loan", "6222020000005678", Decimal("150000.00"))):
            a = Account(customer_id=p.id, kind=kind, account_no_enc=cipher.encrypt(no, context=ACCOUNT_NO_CONTEXT),
                        account_no_bidx=cipher.blind_index(no, context=ACCOUNT_NO_CONTEXT), account_no_last4=no[-4:],
                        balance=balance, branch_id=org.branch_a, opened_on=date(2020, 1, 2))
            s.add(a)
            accounts.append(a)
        prod = Product(code="F360TEST", name="稳健增长基金", name_en="Steady Growth Fund", product_type="fund",
                       risk_level="R3", is_premium=True)
        s.add(prod)
        s.flush()
        s.add(Holding(account_id=accounts[0].id, customer_id=p.id, product_id=prod.id, quantity=Decimal("1000"),
                      cost=Decimal("100000"), market_value=Decimal("120000.50"), as_of=date.today()))
        for i in range(30):
            kind = ("deposit", "withdrawal", "purchase")[i % 3]
            amount = Decimal(1000 * (i + 1)) * (-1 if kind == "withdrawal" else 1)
            s.add(Transaction(account_id=accounts[0].id, customer_id=p.id, kind=kind, amount=amount,
                              booked_at=now - timedelta(days=i), channel="mobile",
                              product_id=prod.id if kind == "purchase" else None))
        s.add(Transaction(account_id=accounts[0].id, customer_id=p.id, kind="deposit", amount=Decimal("80000"),
                          booked_at=now - timedelta(days=40), channel="counter", description="工资"))
        month = date.today().replace(day=1)
        for i in range(24):
            s.add(AumSnapshot(customer_id=p.id, month=month, aum=Decimal(500000 + i * 1000),
                              liabilities=Decimal(150000)))
            month = (month - timedelta(days=1)).replace(day=1)
        tag = Tag(code="hnw_potential_t", name="高净值潜力客户", name_en="High-net-worth potential", color="#8e4ec6")
        s.add(tag)
        s.flush()
        s.add(CustomerTag(customer_id=p.id, tag_id=tag.id, rule_version=3,
                          evidence={"deposits_30d": 600000, "premium_views_30d": 4}, applied_at=now))
        # What ingestion and the tag rules would have written, put here directly: on record like any write.
        audit.record(s, SYSTEM, "test.seed", entity_type="customer", entity_id=p.id)
        uow.commit()
    return p


def test_header_formats_money_risk_and_aml_in_both_languages(uow_factory, actors, rich_customer):
    with uow_factory() as uow:
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id)
    zh = page.header_view(view.header, view.open_tickets, "zh_CN")
    en = page.header_view(view.header, view.open_tickets, "en")
    assert zh["aum"] == "¥720,000.50" and en["aum"] == "CN¥720,000.50"
    assert zh["liabilities"] == "¥150,000.00"
    assert zh["risk"] == "未评估" and en["risk"] == "Not assessed" and zh["risk_expired"] == ""
    # No list was in force when the customer arrived: not yet screened, and said so (never "low").
    assert en["kyc"] == "Pending" and zh["aml"] == "未筛查" and en["aml"] == "Not yet screened"
    assert zh["aml_high"] == "" and zh["aml_pending"] == "1" and zh["aml_work"] == ""  # an RM sees no AML work
    tags = page.tag_rows(view.header.tags, "en")
    assert tags[0]["name"] == "High-net-worth potential" and tags[0]["color"] == "#8e4ec6"
    assert "Rule version 3" in tags[0]["why"] and "deposits_30d: 600,000" in tags[0]["evidence"]
    assert page.tag_rows(view.header.tags, "zh_CN")[0]["name"] == "高净值潜力客户"


def test_expired_risk_and_high_aml_are_flagged(uow_factory, actors, rich_customer, connection):
    from sqlalchemy import update

    connection.execute(update(Customer).where(Customer.id == rich_customer.id).values(
        risk_level="C4", risk_valid_until=date.today() - timedelta(days=1), aml_risk="high"))
    with uow_factory() as uow:
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id)
    h = page.header_view(view.header, 0, "en")
    assert h["risk"] == "C4" and h["risk_expired"] == "1" and h["risk_validity"].startswith("expired ")
    assert h["aml"] == "High" and h["aml_high"] == "1"


def test_figures_are_localized_and_small(uow_factory, actors, rich_customer):
    with uow_factory() as uow:
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id)
    donut = page.holdings_figure(view, "zh_CN")
    pie = donut.data[0]
    assert pie.type == "pie" and pie.hole > 0
    assert set(pie.labels) == {"存款", "基金"}
    assert sum(pie.values) == pytest.approx(720000.50)
    line = page.aum_figure(view, "en")
    assert [tr.name for tr in line.data] == ["AUM", "Liabilities"]
    assert len(line.data[0].x) == 24 and line.data[1].y[0] == 150000.0
    assert len(line.to_json()) < 20_000  # what the state holds and sends per figure
    # The amount axis in the reader's units: 万 / 亿 in Chinese, k / M in English (issue 9, point 7).
    top = max(max(tr.y) for tr in line.data)
    assert line.layout.yaxis.ticktext[0] == "0" and line.layout.yaxis.tickvals[-1] >= top
    assert all(t == "0" or t.endswith(("k", "M")) for t in line.layout.yaxis.ticktext)
    zh = page.aum_figure(view, "zh_CN").layout.yaxis.ticktext
    assert all(t == "0" or t.endswith(("万", "亿")) for t in zh) and not any("k" in t for t in zh)


def test_transaction_filter_form_pages_on_the_server(uow_factory, actors, rich_customer):
    filters = page.transaction_filters({"kind_withdrawal": "on", "min_amount": "5000", "date_from": "",
                                        "unknown": "x"})
    assert filters == {"kinds": ["withdrawal"], "min_amount": "5000"}
    with uow_factory() as uow:
        result = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                   filters={**filters, "page": 1, "page_size": page.TX_PAGE_SIZE})
    # withdrawals are i = 1, 4, ..., 28 with |amount| = 1000 * (i + 1): 9 of them reach 5,000
    assert result.total == 9 and len(result.items) == 9
    rows = page.transaction_rows(result, "en")
    assert {r["kind"] for r in rows} == {"Withdrawal"} and all(r["negative"] == "1" for r in rows)
    with uow_factory() as uow:
        everything = c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                       filters={"page": 2, "page_size": page.TX_PAGE_SIZE})
    assert everything.total == 31 and len(everything.items) == 11


def test_bad_filters_are_named_in_the_users_language(uow_factory, actors, rich_customer):
    with pytest.raises(ValidationFailed) as bad_amount:
        with uow_factory() as uow:
            c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                              filters=page.transaction_filters({"min_amount": "lots"}))
    # What is wrong, never a bare "invalid" (issue 9, point 7).
    assert bad_amount.value.message("zh_CN") == "最小金额: 必须是数字"
    assert bad_amount.value.message("en") == "Min amount: must be a number"
    said = {}
    for form in ({"date_from": "2025-05-02", "date_to": "2025-05-01"}, {"min_amount": "10", "max_amount": "9"},
                 {"date_from": "2025-02-30"}, {"date_to": "May 1"}, {"min_amount": "-1"}):
        with pytest.raises(ValidationFailed) as refused:
            with uow_factory() as uow:
                c360.transactions(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                  filters=page.transaction_filters(form))
        said[tuple(form)] = refused.value.message("en")
        assert "not valid" not in refused.value.message("en") and "无效" not in refused.value.message("zh_CN")
    assert said[("date_from", "date_to")] == "To: must not be before the start date"
    assert said[("min_amount", "max_amount")] == "Max amount: must not be below the minimum amount"
    assert said[("date_from",)] == "From: is not a real date"
    assert said[("date_to",)] == "To: must be a date such as 1985-06-15"
    assert said[("min_amount",)] == "Min amount: must be at least 0"
    for hostile in ("kinds=all", ["x"], {"min_amount": {"$gt": 0}}, {"date_from": "x" * 5000}):
        with pytest.raises(ValidationFailed):
            page.transaction_filters(hostile)


def test_log_a_call_and_it_heads_the_timeline(uow_factory, actors, rich_customer):
    data = page.interaction_data({"kind": "call", "subject": "电话回访", "notes": "客户关注养老理财",
                                  "occurred_at": ""})
    with uow_factory() as uow:
        activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id, data=data)
        uow.commit()
    with uow_factory() as uow:
        items = c360.timeline(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                              request={"limit": page.TIMELINE_PAGE})
    rows = page.timeline_rows(items, "CNY", "zh_CN")
    assert rows[0]["kind"] == "interaction" and rows[0]["title"] == "电话回访" and rows[0]["subtype"] == "电话"
    large = [r for r in rows if r["kind"] == "large_transaction"]
    assert [(r["title"], r["amount"], r["detail"]) for r in large] == [("工资", "¥80,000.00", "柜面")]


def test_quick_action_forms_validate_before_anything_is_written(uow_factory, actors, rich_customer, connection):
    def count(model):
        return connection.execute(select(func.count()).select_from(model)).scalar_one()

    before = (count(Interaction), count(Task), count(Ticket))
    for build, form in ((page.interaction_data, {"kind": "fax", "subject": "x"}),
                        (page.interaction_data, {"kind": "call", "subject": "x", "occurred_at": "yesterday"}),
                        (page.interaction_data, "kind=call"),
                        (page.task_data, {"title": "t", "priority": "urgent"}),
                        (page.ticket_data, {"kind": "complaint", "subject": "s", "channel": "pigeon"})):
        with pytest.raises(ValidationFailed):
            build(form)
    # Values that pass the form but not the service: the whole action is refused, in the user's words.
    with pytest.raises(ValidationFailed) as empty_subject:
        with uow_factory() as uow:
            activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                       data=page.interaction_data({"kind": "visit", "subject": ""}))
    assert empty_subject.value.message("en").startswith("Subject")
    future = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(ValidationFailed) as in_future:
        with uow_factory() as uow:
            activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                       data=page.interaction_data({"kind": "visit", "subject": "s",
                                                                   "occurred_at": future}))
    assert in_future.value.message("zh_CN").startswith("发生时间")
    with pytest.raises(Refusal):
        with uow_factory() as uow:
            activities.open_ticket(uow=uow, actor=actors["rm_b1"], customer_id=rich_customer.id,
                                   data=page.ticket_data({"kind": "complaint", "subject": "s"}))
    assert (count(Interaction), count(Task), count(Ticket)) == before


def test_task_and_ticket_forms_reach_the_services(uow_factory, actors, rich_customer):
    due = page.task_data({"title": "寄送对账单", "due_at": "2030-01-31T17:30", "priority": "high"})
    assert due["due_at"].tzinfo is not None and due["due_at"].astimezone(timezone.utc).hour == 9
    with uow_factory() as uow:
        task = activities.add_task(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id, data=due)
        ticket = activities.open_ticket(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                                        data=page.ticket_data({"kind": "complaint", "subject": "到账延迟",
                                                               "channel": "phone", "priority": "high",
                                                               "complaint_reason": "process",
                                                               "category": "complaint_payment"}))
        uow.commit()
    assert task.priority == "high" and ticket.channel == "phone"
    with uow_factory() as uow:
        rows = page.ticket_rows(c360.tickets(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id), "en")
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id)
    # Opened by the customer's own RM: assigned to her at once.
    assert rows[0]["subject"] == "到账延迟" and rows[0]["status"] == "Assigned" and rows[0]["overdue"] == ""
    assert rows[0]["sla"].startswith("SLA due") and rows[0]["channel"] == "Phone"
    assert page.header_view(view.header, view.open_tickets, "en")["open_tickets"] == "1"


def test_household_members_outside_scope_are_masked_without_links(uow_factory, actors, new_customer, connection):
    from sqlalchemy import insert, update

    from services.customers.models import Household, Relationship

    me = new_customer(name="王五")
    spouse = new_customer(owner="rm_b1", name="赵六")  # another branch
    hh = connection.execute(insert(Household).values(name="王氏家庭", created_at=utcnow())).inserted_primary_key[0]
    connection.execute(update(Customer).where(Customer.id.in_([me.id, spouse.id])).values(household_id=hh))
    connection.execute(insert(Relationship).values(customer_id=me.id, related_customer_id=spouse.id, kind="spouse",
                                                   created_at=utcnow()))
    with uow_factory() as uow:
        view = c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=me.id)
    summary, members = page.household_rows(view.household, "CNY", "en")
    assert summary["name"] == "王氏家庭" and summary["aum"] == "—" and summary["liabilities"] == "—"
    assert summary["hidden"] == "Includes 1 member(s) outside your scope, so the household totals are not shown"
    own = next(m for m in members if m["relation"] == "This customer")
    other = next(m for m in members if m is not own)
    assert own["href"] == "" and own["masked"] == ""
    assert other["name"] == "赵*" and other["href"] == "" and other["aum"] == ""
    assert other["masked"] == "Outside your book" and "赵六" not in str(members)


def test_custom_fields_and_consent_cards_follow_field_permissions(uow_factory, actors, rich_customer, connection):
    from sqlalchemy import update

    from services.customers import consent, custom_fields

    with uow_factory() as uow:
        custom_fields.create_definition(uow=uow, actor=actors["admin"], data={
            "key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money"})
        custom_fields.create_definition(uow=uow, actor=actors["admin"], data={
            "key": "aml_note", "label": "反洗钱备注", "label_en": "AML note", "field_type": "text",
            "visible_to": ["compliance"]})
        uow.commit()
    connection.execute(update(Customer).where(Customer.id == rich_customer.id).values(
        custom={"annual_income": "1200000.00", "aml_note": "watch"}))
    with uow_factory() as uow:
        rm_sees = c360.custom_values(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id)
        compliance_sees = c360.custom_values(uow=uow, actor=actors["compliance"], customer_id=rich_customer.id)
    assert [v.label_for("en") for v in rm_sees] == ["Annual income"]
    assert "1,200,000" in rm_sees[0].display("zh_CN")
    assert {v.key for v in compliance_sees} == {"annual_income", "aml_note"}
    with pytest.raises(Refusal):
        with uow_factory() as uow:
            c360.custom_values(uow=uow, actor=actors["rm_b1"], customer_id=rich_customer.id)

    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                               data={"purpose": "marketing", "granted": True, "channel": "branch"})
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=rich_customer.id,
                               data={"purpose": "marketing", "granted": False, "channel": "app"})
        uow.commit()
    with uow_factory() as uow:
        rows = page.consent_rows(consent.current_consents(uow=uow, actor=actors["rm_a1"],
                                                          customer_id=rich_customer.id), "en")
    marketing = next(r for r in rows if r["status"] != "never")
    assert marketing["purpose"] == "Marketing" and marketing["status_label"] == "Withdrawn"
    assert marketing["channel"] == "App" and marketing["when"]
    assert {r["status"] for r in rows} == {"withdrawn", "never"}
