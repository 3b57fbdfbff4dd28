"""The dashboard page's state (state/dashboard.py) over a real database: a branch manager's charts and key figures
equal the figures of his branch, the filters offered are his branch's, a filter narrows and refreshes, a bad range
says what is wrong, a click on a bar lists its customers (phones masked) and a click the charts never offered
changes nothing; an RM's page is his book in both languages; amount axes read 万/亿 or k/M."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services import clock
from services.analytics import figures
from state.dashboard import CHARTS, DashboardState
from metrics_helpers import Raw, make_world
from state_helpers import call_handler


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def world(uow_factory, actors, org, connection, make_client):
    return make_world(uow_factory, actors, org, connection, make_client)


def _bars(state, name):
    return state._bars[name]


def test_a_branch_managers_dashboard(page_state, actors, org, connection, world):
    s = page_state(DashboardState, actors["bm_a"])
    s.locale = "en"
    call_handler(s, 'load')
    assert s.error == "" and s.scope == "branch"
    assert [b["id"] for b in s.branch_options] == [str(org.branch_a)]
    assert {t["id"] for t in s.team_options} == {str(org.team_a1), str(org.team_a2)}
    assert all(s.has[name] for name in ("aum_trend", "aum_by_unit", "customers_new_lost", "pipeline_funnel",
                                        "sales_by_type", "rm_leaderboard"))
    raw = Raw(connection)
    branch_aum = sum((v for k, v in raw.aum_on(raw.keep(branch=org.branch_a), clock.today()).items()), 0)
    aum = next(k for k in s.kpis if k["key"] == "aum")
    assert aum["full"] == f"CN¥{branch_aum:,.2f}"
    assert aum["value"].endswith(("k", "M", "B"))  # the tile: short, the whole amount in its title
    # The axis of an amount chart in k / M (English); in Chinese, 万 / 亿.
    ticks = s.fig_aum_trend.layout.yaxis.ticktext
    assert any(t.endswith(("k", "M")) for t in ticks)
    call_handler(s, 'change_locale', "zh_CN")
    assert any(t.endswith(("万", "亿")) for t in s.fig_aum_trend.layout.yaxis.ticktext)
    assert s.unit_title == "各团队 AUM"
    # A team picked: its RMs offered, the figures narrowed.
    call_handler(s, 'set_team', str(org.team_a1))
    assert {r["id"] for r in s.rm_options} <= {str(org.users[n]) for n in ("rm_a1", "rm_a1b", "lead_a1")}
    assert s.unit_title == "各客户经理 AUM"
    # A team the page never offered is ignored (the service would refuse it anyway).
    call_handler(s, 'set_team', str(org.team_b1))
    assert s.team_id == str(org.team_a1)
    call_handler(s, 'reset_filters')
    # A range that runs backwards: the message says so, no figures of anything else.
    today = clock.today()
    s.locale = "en"
    call_handler(s, 'apply_dates', {"date_from": today.isoformat(), "date_to": (today - timedelta(days=5)).isoformat()})
    assert "To: must not be before the start date" in s.error
    call_handler(s, 'reset_filters')
    assert s.error == ""


def test_drill_down_from_a_click(page_state, actors, org, connection, world):
    s = page_state(DashboardState, actors["bm_a"])
    s.locale = "en"
    call_handler(s, 'load')
    bars = _bars(s, "aum_by_unit")[0]
    point = len(bars) - 1
    call_handler(s, 'drill', "aum_by_unit", [{"curveNumber": 0, "pointNumber": point}])
    team = int(bars[point].split(":")[1])
    raw = Raw(connection)
    assert s.drill_open and s.drill_error == ""
    assert {int(r["id"]) for r in s.drill_rows} == {
        cid for cid, c in raw.customers.items() if c.team_id == team and raw.aum.get(cid)}
    assert all(r["phone"] == "—" or "*" in r["phone"] for r in s.drill_rows)
    assert "AUM by unit" in s.drill_title or "AUM" in s.drill_title
    # Points the charts never drew, other shapes, another chart's name: nothing happens.
    call_handler(s, 'close_drill')
    for name, points in (("aum_by_unit", [{"curveNumber": 0, "pointNumber": 99}]),
                         ("aum_by_unit", [{"curveNumber": 5, "pointNumber": 0}]),
                         ("aum_by_unit", [{"curveNumber": True, "pointNumber": 0}]),
                         ("aum_by_unit", "segment:mass"), ("nope", [{"curveNumber": 0, "pointNumber": 0}]),
                         ("sales_forecast", [{"curveNumber": 0, "pointNumber": 0}])):
        call_handler(s, 'drill', name, points)
        assert not s.drill_open and s.drill_rows == [], (name, points)


def test_an_rms_dashboard_is_his_book(page_state, actors, org, connection, world):
    s = page_state(DashboardState, actors["rm_a1"])
    s.locale = "zh_CN"
    call_handler(s, 'load')
    assert s.scope == "own" and s.error == ""
    assert s.branch_options == [] or len(s.branch_options) <= 1
    assert [r["id"] for r in s.rm_options] == [str(org.users["rm_a1"])]
    assert s.unit_title == "各客户分层 AUM"
    raw = Raw(connection)
    mine = raw.aum_on(raw.keep(owner=org.users["rm_a1"]), clock.today())
    aum = next(k for k in s.kpis if k["key"] == "aum")
    assert aum["full"].replace(",", "").endswith(f"{sum(mine.values()):.2f}")
    assert aum["value"].startswith("¥") and aum["value"].endswith(("万", "亿"))
    for name in CHARTS:
        for trace in _bars(s, name):
            for bar in trace:
                assert not bar.startswith(("owner:", "team:", "branch:")) or bar == f"owner:{org.users['rm_a1']}"


def test_a_product_type_narrows_the_sales_charts(page_state, actors, world):
    s = page_state(DashboardState, actors["compliance"])
    s.locale = "en"
    call_handler(s, "load")
    assert len(s.fig_sales_by_type.data) > 1
    call_handler(s, "set_product_type", "fund")
    assert s.product_type == "fund" and s.error == ""
    assert [t.name for t in s.fig_sales_by_type.data] == ["Fund"]
    call_handler(s, "set_product_type", "lottery")  # not offered: ignored
    assert s.product_type == "fund"
