"""The dashboard in the real production build (issue 13): a manager lands on it after signing in and an RM on his
book; at 390x844 and 1366x900, in both languages, every chart draws without horizontal scroll, amount axes read
万/亿 or k/M, a filter narrows the figures, and a click on a bar lists the customers behind it with phones masked."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in

pytestmark = pytest.mark.browser

DEVICES = ["phone_page", "desktop_page"]
DASHBOARD_URL = re.compile(r"/dashboard/?$")


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


def _sign_in_home(page: Page, username: str) -> None:
    """Sign in without a page to return to: each role lands on its home page."""
    page.goto("/login")
    page.click("#lang-zh_CN")
    expect(page.locator("#login-submit")).to_have_text("登录")
    page.fill("#login-username", username)
    page.fill("#login-password", "demo1234")
    page.click("#login-submit")


def _charts_drawn(page: Page) -> None:
    for chart in ("aum-trend", "aum-unit-trend", "aum-by-unit", "customers-new-lost", "pipeline-funnel", "sales-by-type",
                  "sales-by-risk", "channel-quality", "repurchase-rate", "sales-forecast"):
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_attached(timeout=20_000)


@pytest.mark.parametrize("device", DEVICES)
def test_a_manager_lands_on_the_dashboard_and_drills_into_a_bar(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    _sign_in_home(page, "manager")
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator("#dash-title")).to_have_text("经营看板")
    expect(page.locator("#dash-scope")).to_contain_text("本分行")
    expect(page.locator("#dash-kpi-aum")).to_be_visible()
    _charts_drawn(page)
    _no_horizontal_scroll(page)
    ticks = " ".join(page.locator("#chart-aum-trend .ytick text").all_text_contents())
    assert re.search(r"(万|亿)", ticks), ticks
    # A click on a team's bar: the customers behind it, phones masked.
    bar = page.locator("#chart-aum-by-unit .bars path").first
    expect(bar).to_be_visible()
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    # Plotly reports a click on the point it last hovered: the pointer rests on the bar first.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page.mouse.down()
    page.mouse.up()
    expect(page.locator("#drilldown")).to_be_visible()
    rows = page.locator("#drill-table tbody tr")
    expect(rows.first).to_be_visible()
    phones = page.locator("#drill-table tbody tr td.mono").all_inner_texts()
    assert phones and all("*" in p or p == "—" for p in phones), phones
    _no_horizontal_scroll(page)
    page.click("#drill-close")
    expect(page.locator("#drilldown")).to_have_count(0)
    # English: the same page in words and k/M axes; a product type narrows the sales.
    page.click("#lang-en")
    expect(page.locator("#dash-title")).to_have_text("Dashboard")
    expect(page.locator("#chart-aum-trend .ytick text").first).to_have_text(re.compile(r"^(0|[\d.]+[kMB])$"))
    traces = "() => document.querySelector('#chart-sales-by-type .js-plotly-plot').data.map(t => t.name).join('|')"
    assert "Deposit" in page.evaluate(traces)
    page.select_option("#dash-product-type", "fund")
    page.wait_for_function(traces.replace("() => ", "() => (") + ") === 'Fund'", timeout=5_000)
    _no_horizontal_scroll(page)
    # A range that runs backwards: said in words.
    page.fill("#dash-from", "2026-06-01")
    page.fill("#dash-to", "2026-05-01")
    page.click("#dash-apply")
    expect(page.locator("#dash-error")).to_contain_text("must not be before the start date")


@pytest.mark.parametrize("device", DEVICES)
def test_an_rm_lands_on_his_book(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    _sign_in_home(page, "rm")
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator("#dash-title")).to_have_text("我的客户经营")
    expect(page.locator("#dash-scope")).to_contain_text("本人名下客户")
    expect(page.locator("#dash-kpi-sales")).to_be_visible()
    _charts_drawn(page)
    expect(page.locator("#chart-rm-leaderboard")).to_have_count(0)
    expect(page.locator("#dash-branch")).to_have_count(0)
    _no_horizontal_scroll(page)


def test_ops_lands_on_the_customer_list(phone_page: Page, live_app) -> None:
    _sign_in_home(phone_page, "ops")
    phone_page.wait_for_url(re.compile(r"/customers/?$"))


def _sql(live_app, statement: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(live_app.db_url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(statement), params).all()
    finally:
        engine.dispose()


def test_a_customer_sent_by_api_shows_on_an_open_dashboard_within_two_seconds(desktop_page: Page, live_app) -> None:
    """Live: the manager's dashboard is open; another system sends a new customer of his branch with a deposit
    account through the API; the key figures change without a reload, within 2 seconds."""
    import subprocess
    import time
    import uuid
    from datetime import date

    import httpx
    from live_app import ROOT, _bin
    from services.validation.identity import make_id_number

    page = desktop_page
    client_id = f"live-{uuid.uuid4().hex[:8]}"
    out = subprocess.run([_bin("fincrm"), "client", "create", client_id, "--scope", "customers:write",
                          "--scope", "accounts:write"], cwd=ROOT, env=live_app.env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    secret = out.rsplit(":", 1)[-1].strip()
    [(branch,)] = _sql(live_app, "SELECT branch_id FROM app_user WHERE username = 'manager'")
    [(owner,)] = _sql(live_app, "SELECT id FROM app_user WHERE branch_id = :b AND team_id IS NOT NULL "
                                "AND roles LIKE '%\"rm\"%' ORDER BY id LIMIT 1", b=branch)
    _sign_in_home(page, "manager")
    page.wait_for_url(DASHBOARD_URL)
    expect(page.locator("#dash-updated")).to_be_visible()
    customers = page.locator("#dash-kpi-customers .stat-value")
    before = int(customers.inner_text().replace(",", ""))
    aum = page.locator("#dash-kpi-aum .stat-value")
    aum_before = aum.inner_text()
    with httpx.Client(base_url=live_app.url, timeout=30) as http:
        token = http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client_id, secret)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        seq = int(uuid.uuid4().int % 900) + 50
        r = http.put(f"/api/v1/customers/LIVE-{seq}", headers=headers, json={
            "name": "实时客户", "id_type": "resident_id", "id_number": make_id_number("110105", date(1979, 5, 6), seq),
            "phone": f"1371234{seq:04d}", "segment": "hnw", "owner_id": owner})
        committed = time.monotonic()  # the answer comes once the write is committed
        assert r.status_code == 201, r.text
        expect(customers).to_have_text(f"{before + 1:,}", timeout=5_000)
        elapsed = time.monotonic() - committed
        r = http.put(f"/api/v1/customers/LIVE-{seq}/accounts/D-{seq}", headers=headers, json={
            "kind": "deposit", "account_no": f"62220088{seq:06d}", "opened_on": date.today().isoformat(),
            "balance": "5000000.00"})
        assert r.status_code == 201, r.text
        expect(aum).not_to_have_text(aum_before, timeout=5_000)
    assert elapsed <= 2.0, f"the dashboard changed {elapsed:.2f} s after the write"


def test_a_charts_table_and_image_download(desktop_page: Page, live_app) -> None:
    page = desktop_page
    _sign_in_home(page, "manager")
    page.wait_for_url(DASHBOARD_URL)
    _charts_drawn(page)
    with page.expect_download() as info:
        page.click("#export-customers-new-lost-csv")
    download = info.value
    assert download.suggested_filename.startswith("customers_new_lost-") and download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as fh:
        assert fh.readline().strip() == "期间,新增客户,流失客户"
    # The chart as a PNG from its mode bar.
    page.hover("#chart-aum-trend .main-svg")
    with page.expect_download() as info:
        page.click("#chart-aum-trend .modebar-btn[data-title]")
    assert info.value.suggested_filename.endswith(".png")
