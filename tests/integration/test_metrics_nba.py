"""Next-best-actions (services/analytics/nba.py): ranked, explained suggestions per customer; an offer is only ever
a product the suitability rules allow the customer today (never one needing a warning or refused, never on an
expired assessment); an expiring assessment, a lapsed customer are suggested; RMs see their own and mark them done
or dismissed once; the dashboards count how suggestions convert."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services import clock
from services.analytics import figures, nba
from services.analytics.models import NextBestAction
from services.customers.models import Customer
from services.errors import NotFound, OutOfScope, ValidationFailed
from services.i18n import translate
from services.suitability import catalogue
from services.suitability import service as suitability
from services.suitability.models import Verdict
from metrics_helpers import make_world
from suitability_helpers import set_level


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def world(uow_factory, actors, org, connection, make_client):
    made = make_world(uow_factory, actors, org, connection, make_client)
    ids = made["ids"]
    today = clock.today()
    # Assessed customers: most valid for long, one expiring soon, one expired, a few never assessed.
    for n, cid in enumerate(ids[:10]):
        until = today + timedelta(days=10) if n == 1 else today - timedelta(days=3) if n == 2 else \
            today + timedelta(days=300)
        set_level(uow_factory, cid, ("C1", "C2", "C3", "C4", "C5")[n % 5], until)
    return made


def _refresh(uow_factory, ids):
    from services.security import audit
    from services.security.actor import SYSTEM

    with uow_factory() as uow:
        out = nba.refresh(uow.session, ids)
        audit.record(uow.session, SYSTEM, "nba.refresh", entity_type="job", entity_id="test", changes=out)
        uow.commit()
    return out


def test_suggestions_are_explained_ranked_and_offers_always_suitable(uow_factory, actors, org, connection, world):
    ids = world["ids"]
    made = _refresh(uow_factory, ids)
    assert made["suggested"] > 0
    rows = connection.execute(select(NextBestAction.__table__)).all()
    kinds = {r.kind for r in rows}
    assert {"offer", "reassess"} <= kinds
    today = clock.today()
    risk = dict(connection.execute(select(Customer.id, Customer.risk_valid_until)).all())
    for r in rows:
        assert translate(r.reason, "en", **r.params) != r.reason and translate(r.reason, "zh_CN", **r.params)
        if r.kind == "offer":
            # Offered only on a valid assessment, and allowed (no warning, not refused) by the rules today.
            assert risk[r.customer_id] is not None and risk[r.customer_id] >= today
            with uow_factory() as uow:
                customer = uow.session.get(Customer, r.customer_id)
                product = catalogue.product_by_id(uow.session, r.product_id)
                _cf, decision, _steps = suitability.evaluate(uow.session, customer, product)
            assert decision.verdict == Verdict.ALLOWED, (r.key, decision)
    expired = [r for r in rows if r.reason == "nba.reason.reassess_expired"]
    assert [r.customer_id for r in expired] == [ids[2]]
    assert not any(r.kind == "offer" and r.customer_id == ids[2] for r in rows)
    assert any(r.reason == "nba.reason.reassess_due" and r.customer_id == ids[1] for r in rows)
    # An RM sees his own, best first; a colleague's are not his.
    with uow_factory() as uow:
        mine = nba.suggestions(uow=uow, actor=actors["rm_a1"])
    owners = dict(connection.execute(select(Customer.id, Customer.owner_id)).all())
    assert mine and all(owners[a.customer_id] == org.users["rm_a1"] for a in mine)
    assert [a.score for a in mine] == sorted((a.score for a in mine), reverse=True)
    # Refreshing again suggests nothing new and keeps one suggestion per key.
    again = _refresh(uow_factory, ids)
    assert again["suggested"] == 0
    assert len(connection.execute(select(NextBestAction.id)).all()) == len(rows)


def test_marking_done_or_dismissed_once_and_the_conversion_figure(uow_factory, actors, org, connection, world):
    ids = world["ids"]
    _refresh(uow_factory, ids)
    with uow_factory() as uow:
        mine = nba.suggestions(uow=uow, actor=actors["rm_a1"], limit=50)
    assert len(mine) >= 2
    with uow_factory() as uow:
        done = nba.decide(uow=uow, actor=actors["rm_a1"], action_id=mine[0].id, outcome="done")
        uow.commit()
    assert done.status == "done"
    with uow_factory() as uow, pytest.raises(ValidationFailed) as caught:
        nba.decide(uow=uow, actor=actors["rm_a1"], action_id=mine[0].id, outcome="dismissed")
    assert "was already marked done" in caught.value.message("en")
    # Another branch's RM cannot touch it: answered as not found.
    with uow_factory() as uow, pytest.raises((NotFound, OutOfScope)):
        nba.decide(uow=uow, actor=actors["rm_b1"], action_id=mine[1].id, outcome="done")
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        nba.decide(uow=uow, actor=actors["rm_a1"], action_id=mine[1].id, outcome="deleted")
    with uow_factory() as uow:
        nba.decide(uow=uow, actor=actors["rm_a1"], action_id=mine[1].id, outcome="dismissed", note="已电话沟通")
        uow.commit()
    # The conversion figure: what was suggested to rm_a1's customers, and what became of it.
    with uow_factory() as uow:
        fig = figures.figure(uow=uow, actor=actors["rm_a1"], figure="nba_conversion", filters={})
    suggested = sum(r["suggested"] for r in fig.rows)
    assert suggested == connection.execute(select(NextBestAction.id).join(
        Customer, Customer.id == NextBestAction.customer_id).where(Customer.owner_id == org.users["rm_a1"])).all().__len__()
    assert sum(r["done"] for r in fig.rows) == 1 and sum(r["dismissed"] for r in fig.rows) == 1


def test_the_rms_dashboard_lists_his_suggestions_and_marks_them(page_state, actors, org, connection, world):
    from state.dashboard import DashboardState
    from state_helpers import call_handler

    from services.security import audit
    from services.security.actor import SYSTEM
    from sqlmodel import Session

    with Session(connection) as s:
        nba.refresh(s, world["ids"])
        audit.record(s, SYSTEM, "nba.refresh", entity_type="job", entity_id="test", changes={})
        s.flush()
    st = page_state(DashboardState, actors["rm_a1"])
    st.locale = "en"
    call_handler(st, "load")
    assert st.actions_shown and st.actions
    owners = dict(connection.execute(select(Customer.id, Customer.owner_id)).all())
    assert all(owners[int(a["href"].rsplit("/", 1)[1])] == org.users["rm_a1"] for a in st.actions)
    assert all("nba." not in a["reason"] for a in st.actions)
    first = st.actions[0]["id"]
    call_handler(st, "action_done", first)
    assert first not in {a["id"] for a in st.actions}
    assert connection.execute(select(NextBestAction.status).where(NextBestAction.id == int(first))).scalar_one() == "done"
    # An id the page never offered (another RM's suggestion) changes nothing.
    other = connection.execute(select(NextBestAction.id).join(Customer, Customer.id == NextBestAction.customer_id)
                               .where(Customer.owner_id == org.users["rm_b1"])).scalars().first()
    if other is not None:
        call_handler(st, "action_dismiss", str(other))
        assert connection.execute(select(NextBestAction.status).where(NextBestAction.id == other)).scalar_one() == "open"
    # A branch manager's page shows no suggestion list.
    bm = page_state(DashboardState, actors["bm_a"])
    call_handler(bm, "load")
    assert not bm.actions_shown and bm.actions == []


def test_an_offer_followed_by_a_sale_counts_as_converted(uow_factory, actors, org, connection, world):
    from decimal import Decimal

    from metrics_helpers import _sale

    _refresh(uow_factory, world["ids"])
    offer = connection.execute(select(NextBestAction.__table__).join(
        Customer, Customer.id == NextBestAction.customer_id).where(
        NextBestAction.kind == "offer", Customer.owner_id == org.users["rm_a1"])).first()
    assert offer is not None
    _sale(uow_factory, offer.customer_id, offer.product_id, Decimal("50000"), clock.now(), "effective")
    assert connection.execute(select(NextBestAction.converted).where(NextBestAction.id == offer.id)).scalar_one()
    with uow_factory() as uow:
        fig = figures.figure(uow=uow, actor=actors["rm_a1"], figure="nba_conversion", filters={})
    assert {r["kind"]: r["converted"] for r in fig.rows}.get("offer") == 1
