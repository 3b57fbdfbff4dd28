"""The customer's questionnaire in the real app, on a phone (390x844): the RM issues a link from the 360 page;
the customer opens it with no staff login, confirms name and ID, enters the code from the outbox, answers,
sees the level explained, signs with a finger (npm signature_pad, under the strict CSP) and submits; the
level reaches the 360 page. A wrong identity is refused, a used link is dead, the pages speak both languages.
Screenshots go to the pytest cache (browser-screenshots) for a person to look at."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from ui_steps import sign_in_ok

ID_NUMBER = "110105197912310023"  # with a valid check digit (GB 11643)
PHONE = "13900139000"


def _shots(request) -> Path:
    cache = getattr(request.config, "cache", None)
    path = Path(str(cache.mkdir("browser-screenshots"))) if cache else Path("/tmp/fincrm-browser-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def customer(live_app) -> int:
    """A customer of the demo rm, created through the API by the demo core-banking client (so the test knows
    the ID number and phone, which the app keeps encrypted)."""
    r = httpx.post(f"{live_app.url}/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                   auth=("demo-core-banking", "demo-secret"), timeout=30)
    token = r.json()["access_token"]
    r = httpx.put(f"{live_app.url}/api/v1/customers/Q-BROWSER-1", timeout=30,
                  headers={"Authorization": f"Bearer {token}"},
                  json={"name": "问卷测试", "id_type": "resident_id", "id_number": ID_NUMBER, "phone": PHONE})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _code(live_app, customer_id: int) -> str:
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as c:
            body = c.execute(text("SELECT body FROM customer_message WHERE customer_id = :c ORDER BY id DESC"),
                             {"c": customer_id}).scalar()
    finally:
        engine.dispose()
    return re.search(r"(\d{6})", body).group(1)


def _issue_link(page: Page, customer_id: int) -> str:
    sign_in_ok(page, "rm")
    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#suit-level")).to_be_visible()
    page.click("#suit-issue")
    url = page.locator("#suit-url")
    expect(url).to_have_value(re.compile(r"/q/"))
    expect(page.locator("#suit-qr")).to_be_visible()
    return url.input_value()


def _sign(page: Page) -> None:
    canvas = page.locator("#q-signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(box["x"] + 30 + i * 10, box["y"] + box["height"] / 2 + (12 if i % 2 else -12), steps=2)
    page.mouse.up()


def test_the_customer_answers_signs_and_submits_on_a_phone(request, live_app, desktop_page, phone_page, customer):
    url = _issue_link(desktop_page, customer)
    shots = _shots(request)
    desktop_page.screenshot(path=str(shots / "suitability-360-link-1366-zh.png"), full_page=True)
    path = url.split("://", 1)[1].split("/", 1)[1]

    page = phone_page
    page.goto("/" + path)
    page.click("#q-lang-zh_CN")
    expect(page.locator("#q-identify")).to_be_visible()
    page.screenshot(path=str(shots / "questionnaire-identity-390-zh.png"), full_page=True)
    # A wrong identity: refused, nothing revealed.
    page.fill("#q-name", "别人")
    page.fill("#q-id6", "000000")
    page.click("#q-identify")
    expect(page.locator("#q-error")).to_contain_text("不正确")
    page.fill("#q-name", "问卷测试")
    page.fill("#q-id6", ID_NUMBER[-6:].lower())
    page.click("#q-identify")
    expect(page.locator("#q-code-help")).to_contain_text("139****9000")
    page.click("#q-lang-en")
    expect(page.locator("#q-verify")).to_have_text("Verify and start")
    page.screenshot(path=str(shots / "questionnaire-code-390-en.png"), full_page=True)
    page.fill("#q-code", _code(live_app, customer))
    page.click("#q-verify")
    page.wait_for_url(re.compile(r"/q/answer/?$"))
    expect(page.locator("#q-position")).to_have_text("Question 1 of 10")
    page.screenshot(path=str(shots / "questionnaire-question-390-en.png"), full_page=True)
    page.click("#q-lang-zh_CN")
    expect(page.locator("#q-position")).to_have_text("第 1 / 10 题")
    page.screenshot(path=str(shots / "questionnaire-question-390-zh.png"), full_page=True)
    for n in range(10):
        expect(page.locator("#q-position")).to_have_text(f"第 {n + 1} / 10 题")
        page.locator(".q-option").nth(2).click()
    expect(page.locator("#q-level")).to_contain_text("C")
    level = page.locator("#q-level").inner_text()
    expect(page.locator("#q-submit")).to_be_disabled()  # no signature yet
    _sign(page)
    expect(page.locator("#q-submit")).to_be_enabled()
    page.screenshot(path=str(shots / "questionnaire-review-390-zh.png"), full_page=True)
    page.click("#q-lang-en")
    expect(page.locator("#q-submit")).to_have_text("Sign and submit")
    page.screenshot(path=str(shots / "questionnaire-review-390-en.png"), full_page=True)
    page.click("#q-submit")
    expect(page.locator("#q-done")).to_contain_text("valid until")
    page.screenshot(path=str(shots / "questionnaire-done-390-en.png"), full_page=True)

    # The level reached the customer, through the sanctioned writer, signed.
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as c:
            row = c.execute(text("SELECT c.risk_level, a.level, s.image_sha256, json_array_length(s.strokes) "
                                 "FROM customer c JOIN risk_assessment a ON a.customer_id = c.id "
                                 "JOIN signature s ON s.id = a.signature_id WHERE c.id = :c"), {"c": customer}).one()
    finally:
        engine.dispose()
    assert row[0] == row[1] and row[0] in level and len(row[2]) == 64 and row[3] >= 1

    # The link is used up: opening it again reveals nothing.
    page.goto("/" + path)
    expect(page.locator("#q-invalid")).to_be_visible()
    page.goto("/q/answer")
    expect(page.locator("#q-ended")).to_be_visible()
    desktop_page.reload()
    expect(desktop_page.locator("#suit-level")).to_contain_text(row[0])


def test_a_tampered_link_and_no_session_show_nothing(request, live_app, phone_page):
    page = phone_page
    page.goto("/q/WzEsIm5vdC1hLXJlYWwtc2VjcmV0LWF0LWFsbCJd.bm90YXNpZ25hdHVyZQ")
    expect(page.locator("#q-invalid")).to_be_visible()
    page.screenshot(path=str(_shots(request) / "questionnaire-invalid-390-zh.png"), full_page=True)
    page.goto("/q/answer")
    expect(page.locator("#q-ended")).to_be_visible()


def test_in_the_branch_the_rm_hands_the_device_to_the_customer(request, live_app, desktop_page, customer):
    """The RM has seen the customer's ID: "start on this device" signs the RM out of it and opens the
    questionnaire for the customer, with no code to enter."""
    page = desktop_page
    _issue_link(page, customer)
    page.click("#suit-in-branch")
    page.wait_for_url(re.compile(r"/q/answer/?$"))
    expect(page.locator(".q-note")).to_be_visible()  # "in the branch: identity confirmed in person"
    expect(page.locator("#q-position")).to_contain_text("1")
    page.screenshot(path=str(_shots(request) / "questionnaire-branch-1366-zh.png"), full_page=True)
    page.goto("/customers")  # the RM is signed out of this device
    page.wait_for_url(re.compile(r"/login"))
