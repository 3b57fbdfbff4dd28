"""The customer 360 page on a phone, in the real production build: header, charts, server-side
transaction filtering, and a quick action that lands at the top of the timeline."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

pytestmark = pytest.mark.browser


def test_rm_sees_zhangsans_360_filters_transactions_and_logs_a_call_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    open_customer(page)

    # Header: money in the locale, risk, KYC and AML, open tickets.
    expect(page.locator("#customer-aum")).to_have_text(re.compile(r"^¥[\d,]+\.\d{2}$"))
    expect(page.locator("#customer-liabilities")).to_contain_text("¥")
    for stat in ("#customer-risk", "#customer-kyc", "#customer-aml", "#customer-open-tickets"):
        expect(page.locator(stat)).not_to_be_empty()

    # Both overview charts are drawn by Plotly, without the modebar, inside the phone's width.
    expect(page.locator("#chart-holdings .js-plotly-plot")).to_have_count(1)
    expect(page.locator("#chart-aum .js-plotly-plot")).to_have_count(1)
    expect(page.locator("#chart-aum .js-plotly-plot .scatterlayer .trace")).to_have_count(2)
    expect(page.locator(".modebar-btn")).to_have_count(0)
    box = page.locator("#chart-aum .js-plotly-plot").bounding_box()
    assert box is not None and box["width"] <= 390

    # Transactions: one server-side page; filter by kind and the page changes.
    info = page.locator("#tx-page-info")
    expect(info).to_contain_text("笔")
    unfiltered = info.inner_text()
    assert page.locator("#tx-list .tx-row").count() <= 20
    page.click("#tx-filter-toggle")
    page.locator("label.check-chip", has=page.locator("#tx-kind-deposit")).click()
    page.click("#tx-filter-apply")
    expect(info).not_to_have_text(unfiltered)
    kinds = page.locator("#tx-list .tx-kind")
    expect(kinds.first).to_have_text("存入")
    assert set(kinds.all_inner_texts()) == {"存入"}
    # A bad amount is refused, naming the field; the page stays as it was.
    filtered = info.inner_text()
    page.fill("#tx-min-amount", "很多")
    page.click("#tx-filter-apply")
    expect(page.locator("#tx-error")).to_contain_text("最小金额")
    expect(info).to_have_text(filtered)

    # Quick action: log a call; it appears at the top of the timeline.
    subject = f"电话回访 {uuid.uuid4().hex[:6]}"
    expect(page.locator("#qa-log")).to_be_visible()
    page.click("#qa-log")
    expect(page.locator("#qa-log-dialog")).to_be_visible()
    page.select_option("#qa-log-kind", "call")
    page.fill("#qa-log-subject", subject)
    page.fill("#qa-log-notes", "客户关注养老理财产品")
    page.click("#qa-log-submit")
    expect(page.locator("#qa-log-dialog")).to_have_count(0)
    first = page.locator("#timeline-list .tl-item").first
    expect(first.locator(".tl-title")).to_have_text(subject)
    expect(first).to_contain_text("电话")
    expect(page.get_by_text("已记录沟通。")).to_be_visible()

    # The same page in English: labels and figures follow.
    page.click("#lang-en")
    expect(page.locator("#customer-aum")).to_contain_text("CN¥")
    expect(page.locator("#timeline")).to_contain_text("Timeline")
    expect(page.locator("#timeline-list .tl-item").first.locator(".tl-title")).to_have_text(subject)


def test_desktop_lays_the_360_out_in_columns_and_explains_a_tag(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "rm")
    open_customer(page)
    holdings, aum = page.locator("#chart-holdings"), page.locator("#chart-aum")
    expect(aum.locator(".js-plotly-plot")).to_have_count(1)
    hb, ab = holdings.bounding_box(), aum.bounding_box()
    assert hb and ab and abs(hb["y"] - ab["y"]) < 2 and ab["x"] > hb["x"] + hb["width"] - 1  # side by side
    tl, prof = page.locator("#timeline").bounding_box(), page.locator("#profile").bounding_box()
    assert tl and prof and prof["x"] > tl["x"] + tl["width"] - 1  # two columns
    expect(page.locator("#qa-task")).to_be_visible()


# ------------------------------------------------------------------ the new handlers over a raw socket

DETAIL_STATE = ("reflex___state____state.state___session____app_state.state___session____data_state"
                ".state___customers____customer_state")


def _counts(db_url: str, customer_id: int) -> tuple[int, int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(f"SELECT count(*) FROM {t} WHERE customer_id = :c"), {"c": customer_id})
                         .scalar_one() for t in ("interaction", "task", "ticket"))
    finally:
        engine.dispose()


def test_quick_actions_and_paging_handlers_refuse_foreign_customers_and_bad_arguments(live_app) -> None:
    """A socket client calls the 360 handlers the way no page would: on a customer of another branch,
    with hostile arguments. Nothing is written and nothing of that customer is sent."""
    import asyncio
    import concurrent.futures
    import json
    import time

    import httpx
    import socketio
    from sqlalchemy import create_engine, text

    engine = create_engine(live_app.db_url)
    with engine.connect() as conn:
        rm = conn.execute(text("SELECT id, branch_id FROM app_user WHERE username = 'rm'")).one()
        foreign = conn.execute(text("SELECT id, name, customer_no FROM customer WHERE branch_id != :b "
                                    "AND length(name) >= 2 ORDER BY id LIMIT 1"), {"b": rm.branch_id}).one()
    engine.dispose()
    r = httpx.post(f"{live_app.url}/auth/login", data={"username": "rm", "password": "demo1234"},
                   headers={"Origin": live_app.url}, follow_redirects=False, timeout=30)
    session = r.cookies.get("fincrm_session")
    assert r.status_code == 303 and session
    before = _counts(live_app.db_url, foreign.id)
    path = f"/customers/{foreign.id}"
    calls = [
        ("load", {}),
        ("log_interaction", {"form_data": {"kind": "call", "subject": "x"}}),
        ("add_task", {"form_data": {"title": "x", "priority": "high"}}),
        ("open_ticket", {"form_data": {"kind": "complaint", "subject": "x"}}),
        ("log_interaction", {"form_data": "kind=call"}),
        ("log_interaction", {"form_data": {"kind": {"$ne": 1}, "subject": ["x"]}}),
        ("filter_transactions", {"form_data": {"kind_deposit": "on"}}),
        ("filter_transactions", {"form_data": ["x"] * 1000}),
        ("transactions_next", {}),
        ("timeline_more", {}),
        ("open_quick_action", {"name": "../../admin"}),
        ("quick_action_open_change", {"is_open": {"x": 1}}),
        ("setvar", {"var_name": "_customer_id", "value": foreign.id}),
        ("_quick_action", {"name": "log"}),
    ]
    frames: list = []

    async def scenario() -> None:
        sio = socketio.AsyncClient(reconnection=False)

        async def record(event: str, data=None) -> None:
            frames.append(data)

        sio.on("*", record, namespace="/_event")
        await sio.connect(f"{live_app.url}?token=t360-{time.time_ns()}", socketio_path="/_event",
                          namespaces=["/_event"], transports=["websocket"],
                          headers={"Origin": live_app.url, "Cookie": f"fincrm_session={session}"}, wait_timeout=20)
        try:
            await sio.emit("event", {"name": "reflex___state____state.hydrate", "payload": {},
                                     "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")
            for name, payload in calls:
                await sio.emit("event", {"name": f"{DETAIL_STATE}.{name}", "payload": payload,
                                         "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")
                await asyncio.sleep(0.3)
            await asyncio.sleep(1.0)
        finally:
            await sio.disconnect()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()
    sent = json.dumps(frames, ensure_ascii=False)
    # Refused in the user's language, exactly as a customer that does not exist (nobody learns which ids exist).
    assert f"未找到：客户 {foreign.id}。" in sent
    assert foreign.name not in sent and foreign.customer_no not in sent
    assert _counts(live_app.db_url, foreign.id) == before
