"""Editing an opportunity from the 360 page's pipeline card (state/opportunities.py): the form opens with what the
card shows, a save changes the opportunity; an edit made meanwhile by someone else is shown as a conflict with the
current values in the form (nothing overwritten); bad input is said in words in the form, what was typed stays; an
opportunity the card did not offer (closed, another customer's) opens nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from services import clock
from services.analytics import figures
from services.opportunities import service as opportunities
from services.opportunities.models import Opportunity
from state.opportunities import OpportunitiesState
from state_helpers import call_handler


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


def _card(page_state, actor, customer_id, monkeypatch, locale="en"):
    st = page_state(OpportunitiesState, actor)
    monkeypatch.setattr(OpportunitiesState, "_current_path", lambda self: f"/customers/{customer_id}")
    st.locale = locale
    call_handler(st, "load")
    return st


def _open(uow_factory, actor, customer_id, **data):
    with uow_factory() as uow:
        view = opportunities.create_opportunity(uow=uow, actor=actor, customer_id=customer_id, data={
            "subject": "基金定投", "product_type": "fund", "amount": "200000", **data})
        uow.commit()
    return view


def _submit(values: dict) -> dict:
    """The form as the browser sends it: each field by name and again by its element's id."""
    ids = {"subject": "opp_edit_subject", "product_type": "opp_edit_product_type", "amount": "opp_edit_amount",
           "expected_close": "opp_edit_expected", "product_code": "opp_edit_product_code"}
    return {**values, **{ids[k]: v for k, v in values.items()}}


def test_an_rm_edits_an_opportunity_on_the_card(page_state, actors, new_customer, uow_factory, connection,
                                                 monkeypatch):
    c = new_customer(segment="hnw")
    opp = _open(uow_factory, actors["rm_a1"], c.id)
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch)
    call_handler(st, "start_edit", str(opp.id))
    assert st.editing == str(opp.id)
    assert st.edit_values == {"subject": "基金定投", "product_type": "fund", "product_code": "", "amount": "200000.00",
                              "expected_close": ""}
    close = (clock.today() + timedelta(days=45)).isoformat()
    call_handler(st, "save_edit", _submit({**st.edit_values, "subject": "基金定投（加仓）", "amount": "260000",
                                           "expected_close": close}))
    assert st.edit_error == "" and st.editing == ""
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opp.id)).one()
    assert (row.title, row.amount, row.expected_close.isoformat()) == ("基金定投（加仓）", Decimal("260000"), close)
    assert st.rows[0]["title"] == "基金定投（加仓）" and "260,000" in st.rows[0]["amount"]


def test_an_edit_changed_meanwhile_is_shown_as_a_conflict(page_state, actors, new_customer, uow_factory, connection,
                                                          monkeypatch):
    c = new_customer(segment="hnw")
    opp = _open(uow_factory, actors["rm_a1"], c.id)
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch, locale="zh_CN")
    call_handler(st, "start_edit", str(opp.id))
    # Meanwhile the team lead raises the amount.
    with uow_factory() as uow:
        opportunities.edit_opportunity(uow=uow, actor=actors["lead_a1"], opportunity_id=opp.id, version=opp.version,
                                       data={"subject": "基金定投", "product_type": "fund", "amount": "500000"})
        uow.commit()
    key = st.edit_key
    call_handler(st, "save_edit", _submit({**st.edit_values, "subject": "RM 的名称"}))
    assert "他人修改" in st.edit_error and st.editing == str(opp.id)
    assert st.edit_values["amount"] == "500000.00" and st.edit_values["subject"] == "基金定投"  # the current values
    assert st.edit_key > key  # the form is filled again
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opp.id)).one()
    assert row.title == "基金定投" and row.amount == Decimal("500000")  # the lead's edit stands
    # Saved again from the current values: it goes through.
    call_handler(st, "save_edit", _submit({**st.edit_values, "subject": "RM 的名称"}))
    assert st.edit_error == "" and st.editing == ""
    row = connection.execute(select(Opportunity.__table__).where(Opportunity.id == opp.id)).one()
    assert row.title == "RM 的名称" and row.amount == Decimal("500000")


def test_bad_input_is_said_in_the_form_and_kept(page_state, actors, new_customer, uow_factory, connection,
                                                monkeypatch):
    c = new_customer(segment="hnw")
    opp = _open(uow_factory, actors["rm_a1"], c.id)
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch)
    call_handler(st, "start_edit", str(opp.id))
    call_handler(st, "save_edit", _submit({**st.edit_values, "amount": "-3", "subject": "新名称"}))
    assert "Amount" in st.edit_error and "more than 0" in st.edit_error
    assert st.edit_values["amount"] == "-3" and st.edit_values["subject"] == "新名称" and st.editing == str(opp.id)
    call_handler(st, "save_edit", _submit({**st.edit_values, "amount": "1000", "expected_close": "2001-01-01"}))
    assert "in the past" in st.edit_error
    assert connection.execute(select(Opportunity.version).where(Opportunity.id == opp.id)).scalar_one() == 1


def test_the_card_opens_no_edit_it_did_not_offer(page_state, actors, new_customer, uow_factory, monkeypatch):
    c = new_customer(segment="hnw")
    other = new_customer(owner="rm_b1")
    opp = _open(uow_factory, actors["rm_a1"], c.id)
    foreign = _open(uow_factory, actors["rm_b1"], other.id)
    with uow_factory() as uow:
        won = opportunities.close_opportunity(uow=uow, actor=actors["rm_a1"], opportunity_id=opp.id,
                                              version=opp.version, data={"outcome": "won", "close_reason": "need_met"})
        uow.commit()
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch)
    for oid in (str(won.id), str(foreign.id), "abc", None):
        call_handler(st, "start_edit", oid)
        assert st.editing == ""
    call_handler(st, "save_edit", _submit({"subject": "x", "product_type": "", "product_code": "", "amount": "1",
                                           "expected_close": ""}))
    assert st.editing == "" and st.rows[0]["stage"] == "won"
