"""Sales in the real app: an RM proposes a sale from the customer's 360 page on a phone (the suitability check
answers first), the customer signs the disclosure with a finger, the RM uploads the recording in chunks (a
file that is not audio or video is refused from its bytes), compliance reviews the recording on a desktop and
the sale cools off; operations find and preview the signed disclosure; the outbox and the rules page show.
Screenshots at 390x844 and 1366x900, both languages, go to the pytest cache (browser-screenshots)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from ui_steps import sign_in_ok

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(range(256)) * 64


def _shots(request) -> Path:
    cache = getattr(request.config, "cache", None)
    path = Path(str(cache.mkdir("browser-screenshots"))) if cache else Path("/tmp/fincrm-browser-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _db(live_app, sql: str, **params):
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as c:
            return c.execute(text(sql), params).all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def c5_customer(live_app) -> tuple[int, str]:
    """One of the demo rm's customers with a valid C5 assessment and no professional classification."""
    rows = _db(live_app, "SELECT c.id, c.name FROM customer c JOIN app_user u ON u.id = c.owner_id "
                         "WHERE u.username = 'rm' AND c.risk_level = 'C5' AND c.risk_valid_until >= date('now') "
                         "AND c.id NOT IN (SELECT customer_id FROM investor_classification) ORDER BY c.id")
    assert rows
    return rows[0][0], rows[0][1]


def _sign(page: Page, canvas_id: str) -> None:
    canvas = page.locator(f"#{canvas_id}")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for i in range(1, 20):
        page.mouse.move(box["x"] + 20 + i * 12, box["y"] + box["height"] / 2 + (15 if i % 2 else -15), steps=2)
    page.mouse.up()


def test_a_sale_from_proposal_to_cooling_off(request, live_app, phone_page, desktop_page, tmp_path, c5_customer):
    shots = _shots(request)
    cid, name = c5_customer
    page = phone_page
    sign_in_ok(page, "rm")
    page.goto(f"/sales/new?customer={cid}")
    expect(page.locator("#new-sale-customer")).to_have_text(name)
    page.select_option("#new-sale-product", "FD0501")
    expect(page.locator("#new-sale-verdict")).to_contain_text("匹配")
    page.fill("#new-sale-amount", "150000")
    page.screenshot(path=str(shots / "sale-new-390-zh.png"), full_page=True)
    page.click("#new-sale-submit")
    page.wait_for_url(re.compile(r"/sales/\d+/?$"))
    sale_id = int(re.search(r"/sales/(\d+)", page.url).group(1))
    expect(page.locator("#sale-status")).to_have_text("待客户签署")
    expect(page.locator("#sale-sign")).to_be_disabled()
    _sign(page, "sale-signature")
    expect(page.locator("#sale-sign")).to_be_enabled()
    page.screenshot(path=str(shots / "sale-sign-390-zh.png"), full_page=True)
    page.click("#sale-sign")
    expect(page.locator("#sale-status")).to_have_text("待双录")  # R5: a recording is required
    expect(page.locator("#sale-disclosure-preview")).to_be_visible()
    # A file that says it is a video but is not: refused from its bytes.
    bad = tmp_path / "visit.mp4"
    bad.write_bytes(b"MZ\x90\x00" + b"\x00" * 5000)
    page.set_input_files("#rec-file", str(bad))
    page.click("#rec-start")
    expect(page.locator("#rec-error")).to_contain_text("不是音频或视频")
    good = tmp_path / "双录.mp4"
    good.write_bytes(MP4)
    page.set_input_files("#rec-file", str(good))
    page.click("#rec-start")
    expect(page.locator("[id^=recording-]").first).to_contain_text("待审核")
    page.click("#lang-en")
    expect(page.locator("#sale-status")).to_have_text("Waiting for recording")
    page.screenshot(path=str(shots / "sale-recorded-390-en.png"), full_page=True)
    sha = _db(live_app, "SELECT sha256 FROM recording WHERE sale_id = :s AND status = 'submitted'", s=sale_id)[0][0]
    assert len(sha) == 64

    review = desktop_page
    sign_in_ok(review, "compliance")
    review.goto("/sales")
    review.click("#queue-recordings")
    expect(review.locator(f"#sale-row-{sale_id}")).to_be_visible()
    review.goto(f"/sales/{sale_id}")
    expect(review.locator("video")).to_be_visible()
    for key in ("identity_shown", "risk_disclosed", "levels_explained", "no_promise", "voluntary", "cooling_off"):
        review.check(f"#check-{key}")
    review.check("#rec-approve")
    review.screenshot(path=str(shots / "sale-review-1366-zh.png"), full_page=True)
    review.click("#rec-decide")
    expect(review.locator("#sale-status")).to_have_text("冷静期中")
    review.click("#lang-en")
    expect(review.locator("#sale-status")).to_have_text("Cooling off")
    review.screenshot(path=str(shots / "sale-cooling-1366-en.png"), full_page=True)
    status, doc = _db(live_app, "SELECT status, disclosure_document_id FROM sale WHERE id = :s", s=sale_id)[0]
    assert status == "cooling_off" and doc


def test_operations_find_and_preview_disclosures_and_staff_see_the_outbox(request, live_app, desktop_page,
                                                                          phone_page):
    shots = _shots(request)
    page = desktop_page
    sign_in_ok(page, "ops")
    row = _db(live_app, "SELECT c.customer_no, c.id FROM sale s JOIN customer c ON c.id = s.customer_id "
                        "WHERE s.disclosure_document_id IS NOT NULL ORDER BY s.id LIMIT 1")[0]
    page.goto("/disclosures")
    page.fill("#disc-search", row[0])
    page.click("#disc-search-go")
    page.click(f"#disc-customer-{row[1]}")
    preview = page.locator(".suit-preview").first
    expect(preview).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('.suit-preview'); return i && i.naturalWidth > 100; }")
    page.screenshot(path=str(shots / "disclosures-1366-zh.png"), full_page=True)
    rm = phone_page
    sign_in_ok(rm, "rm")
    rm.goto("/outbox")
    expect(rm.locator("#outbox")).to_contain_text("验证码")
    rm.screenshot(path=str(shots / "outbox-390-zh.png"), full_page=True)


def test_the_rules_page_shows_versions_regimes_and_rules_to_compliance(request, live_app, desktop_page, phone_page):
    shots = _shots(request)
    for page, size in ((desktop_page, "1366"), (phone_page, "390")):
        sign_in_ok(page, "compliance")
        page.goto("/admin/suitability")
        expect(page.locator("[id^=version-]").first).to_be_visible()
        expect(page.locator("#regime-save-bank_wealth")).to_be_visible()
        page.screenshot(path=str(shots / f"suitability-admin-{size}-zh.png"), full_page=True)
    page = desktop_page
    first = page.locator("[id^=edit-]").first
    first.click()
    editor = page.locator("#admin-suit-json")
    expect(editor).to_contain_text("questions")
    page.click("#admin-suit-save")
    expect(page.locator("#admin-suit-notice")).to_contain_text("第 2 版")
