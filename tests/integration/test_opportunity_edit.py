"""Editing an open opportunity (services/opportunities/service.py edit_opportunity, issue 13): its subject, amount,
expected close date and product change against the version the editor read; a change made meanwhile by someone
else is refused as a conflict, never overwritten; the customer's scope and the opportunity.write permission are
checked in the service; each edit is audited with old and new values and counted again by the dashboards' funnel;
bad input is said in words and writes nothing. On the real database (SQLite, and PostgreSQL when
FINCRM_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services import clock
from services.analytics import figures
from services.errors import ConcurrentModification, NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.opportunities import service as opportunities
from services.opportunities.models import Opportunity
from services.security.models import AuditEvent
from suitability_helpers import add_products


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def products(connection):
    return add_products(connection)


@pytest.fixture
def opportunity(uow_factory, actors, new_customer):
    c = new_customer(segment="hnw")
    with uow_factory() as uow:
        view = opportunities.create_opportunity(uow=uow, actor=actors["rm_a1"], customer_id=c.id, data={
            "subject": "养老规划", "product_type": "fund", "amount": "300000",
            "expected_close": (clock.today() + timedelta(days=30)).isoformat()})
        uow.commit()
    return view


def _edit(uow_factory, actor, opp_id, version, **data):
    with uow_factory() as uow:
        view = opportunities.edit_opportunity(uow=uow, actor=actor, opportunity_id=opp_id, version=version, data=data)
        uow.commit()
    return view


def _form(view, **changes):
    data = {"subject": view.title, "product_type": view.product_type or "", "product_code": view.product_code or "",
            "amount": str(view.amount), "expected_close": view.expected_close.isoformat() if view.expected_close else ""}
    data.update(changes)
    return data


def _audits(connection, opp_id):
    return [(r.action, json.loads(r.changes)) for r in connection.execute(
        select(AuditEvent.action, AuditEvent.changes).where(AuditEvent.entity_type == "opportunity",
                                                           AuditEvent.entity_id == str(opp_id))
        .order_by(AuditEvent.seq)).all()]


def test_an_rm_edits_subject_amount_close_date_and_product(uow_factory, actors, opportunity, products, connection):
    close = clock.today() + timedelta(days=60)
    fund = next(code for code in products if code.startswith("FD")) if any(c.startswith("FD") for c in products) \
        else None
    code = fund or next(iter(products))
    view = _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version,
                 **_form(opportunity, subject="养老规划（加保）", amount="450000.50", expected_close=close.isoformat(),
                         product_type="", product_code=code))
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opportunity.id)).one()
    assert (row.title, row.amount, row.expected_close, row.product_id) == ("养老规划（加保）", Decimal("450000.50"),
                                                                           close, products[code])
    assert row.version == opportunity.version + 1 and view.version == row.version
    assert view.product_code == code and view.product_type == row.product_type and row.stage == "lead"
    action, changes = _audits(connection, opportunity.id)[-1]
    assert action == "opportunity.edit"
    assert changes["subject"] == {"from": "养老规划", "to": "养老规划（加保）"}
    assert changes["amount"] == {"from": "300000.00", "to": "450000.50"}
    assert changes["expected_close"]["to"] == close.isoformat() and "stage" not in changes
    # The funnel of the dashboards counts the new amount, once.
    with uow_factory() as uow:
        funnel = figures.figure(uow=uow, actor=actors["rm_a1"], figure="pipeline_funnel", filters={})
    lead = {r["stage"]: r for r in funnel.rows}["lead"]
    assert lead["count"] == 1 and Decimal(str(lead["amount"])) == Decimal("450000.50")


def test_an_edit_made_meanwhile_by_someone_else_is_a_conflict(uow_factory, actors, opportunity, connection):
    # The team lead changes the amount; the RM, who read the first version, then saves his own edit.
    _edit(uow_factory, actors["lead_a1"], opportunity.id, opportunity.version, **_form(opportunity, amount="320000"))
    with pytest.raises(ConcurrentModification):
        _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version,
              **_form(opportunity, subject="RM 的改动"))
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opportunity.id)).one()
    assert row.title == "养老规划" and row.amount == Decimal("320000")  # the lead's edit stands, nothing overwritten
    assert ConcurrentModification().message("zh_CN") and ConcurrentModification().message("en")
    # A move in between is a change too.
    with uow_factory() as uow:
        moved = opportunities.move_opportunity(uow=uow, actor=actors["rm_a1"], opportunity_id=opportunity.id,
                                               version=row.version, stage="qualified")
        uow.commit()
    with pytest.raises(ConcurrentModification):
        _edit(uow_factory, actors["rm_a1"], opportunity.id, row.version, **_form(moved, amount="1"))


def test_scope_and_permission_are_checked_in_the_service(uow_factory, actors, opportunity, connection):
    data = _form(opportunity, subject="别人的商机")
    with pytest.raises(OutOfScope) as caught:  # another branch's RM: as if it did not exist
        _edit(uow_factory, actors["rm_b1"], opportunity.id, opportunity.version, **data)
    assert caught.value.message("en") == NotFound(what="customer", id=opportunity.customer_id).message("en")
    with pytest.raises(NotPermitted):  # an auditor reads, never writes
        _edit(uow_factory, actors["auditor"], opportunity.id, opportunity.version, **data)
    with pytest.raises(NotFound):
        _edit(uow_factory, actors["rm_a1"], 2**31 - 5, 1, **data)
    assert connection.execute(select(Opportunity.title).where(Opportunity.id == opportunity.id)).scalar_one() == "养老规划"
    refused = connection.execute(select(AuditEvent.action).where(AuditEvent.action == "access.refused")).scalars().all()
    assert len(refused) >= 2  # the out-of-scope read and the missing permission are on the audit trail


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"amount": "-5"}, "amount", "more than 0"),
    ({"amount": "abc"}, "amount", ""),
    ({"amount": "1.234"}, "amount", ""),
    ({"subject": "   "}, "subject", ""),
    ({"expected_close": "2020-01-01"}, "expected_close", "cannot be in the past"),
    ({"expected_close": "2026-02-30"}, "expected_close", ""),
    ({"product_type": "crypto"}, "product_type", ""),
    ({"product_code": "NO-SUCH"}, "product_code", ""),
])
def test_bad_input_is_said_in_words_and_writes_nothing(uow_factory, actors, opportunity, connection, changes, field,
                                                       words):
    with pytest.raises(ValidationFailed) as caught:
        _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version, **_form(opportunity, **changes))
    assert [e.field for e in caught.value.errors] == [field]
    for loc in ("en", "zh_CN"):
        text = caught.value.message(loc)
        assert text and "value." not in text and "opportunity." not in text, text
    assert words in caught.value.message("en")
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opportunity.id)).one()
    assert row.version == opportunity.version and row.amount == Decimal("300000")
    assert [a for a, _ in _audits(connection, opportunity.id)] == ["opportunity.create"]


def test_unknown_fields_a_wrong_version_and_a_closed_opportunity_are_refused(uow_factory, actors, opportunity,
                                                                             products):
    with pytest.raises(ValidationFailed):
        _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version, **_form(opportunity, stage="won"))
    with pytest.raises(ValidationFailed):
        _edit(uow_factory, actors["rm_a1"], opportunity.id, "1", **_form(opportunity))
    # A product of another type than the one chosen.
    deposit = next(code for code in products if code.startswith("D")) if any(c.startswith("D") for c in products) \
        else None
    if deposit is not None:
        with pytest.raises(ValidationFailed) as caught:
            _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version,
                  **_form(opportunity, product_type="insurance", product_code=deposit))
        assert caught.value.errors[0].field == "product_code"
    with uow_factory() as uow:
        won = opportunities.close_opportunity(uow=uow, actor=actors["rm_a1"], opportunity_id=opportunity.id,
                                              version=opportunity.version,
                                              data={"outcome": "won", "close_reason": "need_met"})
        uow.commit()
    with pytest.raises(ValidationFailed) as caught:
        _edit(uow_factory, actors["rm_a1"], opportunity.id, won.version, **_form(won, amount="1"))
    assert "no longer edited" in caught.value.message("en") and "不能再编辑" in caught.value.message("zh_CN")


def test_an_unchanged_form_writes_nothing(uow_factory, actors, opportunity, connection):
    view = _edit(uow_factory, actors["rm_a1"], opportunity.id, opportunity.version, **_form(opportunity))
    assert view.version == opportunity.version
    assert [a for a, _ in _audits(connection, opportunity.id)] == ["opportunity.create"]
