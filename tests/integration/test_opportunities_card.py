"""The 360 page's pipeline card (state/opportunities.py): an RM opens an opportunity on his customer, moves it
through the stages and wins it with a reason (a reason of the other outcome is refused in words), and the dashboards'
funnel counts it at once; suggestions of the customer are listed and marked done; the card offers nothing on a
customer outside the RM's scope."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services import clock
from services.analytics import figures
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


def test_an_rm_works_an_opportunity_from_the_360_page(page_state, actors, new_customer, connection, monkeypatch,
                                                      uow_factory):
    c = new_customer(segment="hnw")
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch)
    assert st.rows == []
    call_handler(st, "toggle_form")
    form = {"subject": "基金定投", "product_type": "fund", "amount": "200000",
            "expected_close": (clock.today() + timedelta(days=30)).isoformat(), "stage": "lead"}
    # The browser sends each field by name and again by its element's id.
    form.update({"opp_subject": "基金定投", "opp_product_type": "fund", "opp_amount": "200000",
                 "opp_expected": form["expected_close"], "opp_stage": "lead"})
    call_handler(st, "create", form)
    assert st.error == "" and len(st.rows) == 1 and st.rows[0]["stage"] == "lead"
    oid = st.rows[0]["id"]
    call_handler(st, "move", oid, "proposal")
    assert st.rows[0]["stage"] == "proposal"
    call_handler(st, "move", oid, "won")  # not a move the card offers: won goes through the close form
    assert st.rows[0]["stage"] == "proposal"
    call_handler(st, "start_close", oid, "won")
    assert {r["value"] for r in st.reasons} >= {"need_met", "relationship"}
    call_handler(st, "close", {"close_reason": "price", "close_note": ""})  # a reason for losing
    assert "does not fit a won opportunity" in st.error and st.rows[0]["stage"] == "proposal"
    call_handler(st, "start_close", oid, "won")
    call_handler(st, "close", {"close_reason": "need_met", "close_note": "客户认可"})
    assert st.error == "" and st.rows[0]["stage"] == "won" and st.rows[0]["closed"]
    assert connection.execute(select(Opportunity.stage).where(Opportunity.id == int(oid))).scalar_one() == "won"
    # The funnel of the RM's dashboard counts it at once.
    with uow_factory() as uow:
        funnel = figures.figure(uow=uow, actor=actors["rm_a1"], figure="pipeline_funnel", filters={})
    assert {r["stage"]: r["count"] for r in funnel.rows}["won"] == 1
    # A bad amount is said in words.
    call_handler(st, "create", {"subject": "x", "amount": "-5", "stage": "lead"})
    assert st.error and "error." not in st.error


def test_nothing_is_offered_on_another_rms_customer(page_state, actors, new_customer, monkeypatch):
    c = new_customer(owner="rm_b1")
    st = _card(page_state, actors["rm_a1"], c.id, monkeypatch)
    assert st.rows == [] and st.suggestions == []
    call_handler(st, "create", {"subject": "x", "amount": "1000", "stage": "lead"})
    assert st.rows == []
