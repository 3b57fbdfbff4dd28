"""Editing an opportunity on the 360 page at phone size (390x844), in the real build (issue 13): the RM opens an
opportunity on 张三, edits its subject, amount and expected close date; a change someone else saved meanwhile is
shown as a conflict with the current values in the form, not overwritten; a bad amount is said in words; both
languages, no horizontal scroll."""
from __future__ import annotations

import os
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("FINCRM_TEST_SHOTS_DIR")  # screenshots for a person to look at (outside the repository)


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


def _sql(live_app, statement: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(live_app.db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _open_opportunity(page: Page, subject: str):
    card = page.locator("#pipeline")
    card.scroll_into_view_if_needed()
    page.click("#opp-new")
    page.fill("#opp-subject", subject)
    page.select_option("#opp-product-type", "fund")
    page.fill("#opp-amount", "300000")
    page.click("#opp-save")
    row = page.locator("#opportunities li", has_text=subject)
    expect(row).to_contain_text("线索")
    return row


@pytest.mark.parametrize("device", ["phone_page", "desktop_page"])
def test_an_rm_edits_an_opportunity_and_sees_a_conflict(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    subject = f"教育金规划 {uuid.uuid4().hex[:6]}"
    sign_in_ok(page, "rm")
    open_customer(page)
    row = _open_opportunity(page, subject)
    oid = row.get_attribute("id").removeprefix("opp-")
    # The edit form, filled with what the card shows.
    row.locator(f"#opp-modify-{oid}").click()
    form = page.locator("#opp-edit-form")
    expect(form).to_be_visible()
    expect(page.locator("#opp-edit-subject")).to_have_value(subject)
    expect(page.locator("#opp-edit-amount")).to_have_value("300000.00")
    expect(page.locator("#opp-edit-product-type")).to_have_value("fund")
    _no_horizontal_scroll(page)
    if SHOTS:
        form.screenshot(path=f"{SHOTS}/opp-edit-{device}-zh.png")
    # A bad amount: said in words, nothing saved, what was typed stays.
    page.fill("#opp-edit-amount", "-5")
    page.click("#opp-edit-save")
    expect(page.locator("#opp-edit-error")).to_contain_text("金额")
    expect(page.locator("#opp-edit-amount")).to_have_value("-5")
    # A good edit.
    close = (date.today() + timedelta(days=40)).isoformat()
    page.fill("#opp-edit-subject", subject + " 加码")
    page.fill("#opp-edit-amount", "450000")
    page.fill("#opp-edit-expected", close)
    page.click("#opp-edit-save")
    expect(form).to_have_count(0)
    row = page.locator(f"#opp-{oid}")
    expect(row).to_contain_text(subject + " 加码")
    expect(row).to_contain_text("450,000")
    [(title, amount, version)] = _sql(live_app, "SELECT title, amount, version FROM opportunity WHERE id = :i",
                                      i=int(oid))
    assert title == subject + " 加码" and amount == 450000 * 100 and version == 2  # money in cents (services/types.py)
    if SHOTS:
        page.locator("#pipeline").screenshot(path=f"{SHOTS}/opp-card-{device}-zh.png")
    # Someone else saves a change while the RM edits: the RM's save is a conflict, the other change stands.
    row.locator(f"#opp-modify-{oid}").click()
    expect(page.locator("#opp-edit-subject")).to_have_value(subject + " 加码")
    _sql(live_app, "UPDATE opportunity SET title = :t, version = version + 1 WHERE id = :i",
         t=subject + " 主管改", i=int(oid))
    page.fill("#opp-edit-amount", "999999")
    page.click("#opp-edit-save")
    expect(page.locator("#opp-edit-error")).to_contain_text("他人修改")
    expect(page.locator("#opp-edit-subject")).to_have_value(subject + " 主管改")  # the current values
    expect(page.locator("#opp-edit-amount")).to_have_value("450000.00")
    [(title, amount)] = _sql(live_app, "SELECT title, amount FROM opportunity WHERE id = :i", i=int(oid))
    assert title == subject + " 主管改" and amount == 450000 * 100
    _no_horizontal_scroll(page)
    if SHOTS:
        page.locator("#opp-edit-form").screenshot(path=f"{SHOTS}/opp-conflict-{device}-zh.png")
    # In English: the form's words and the conflict said again.
    page.click("#lang-en")
    expect(page.locator("#pipeline")).to_contain_text("Pipeline and suggestions")
    page.locator(f"#opp-{oid}").scroll_into_view_if_needed()
    if SHOTS:
        page.locator("#pipeline").screenshot(path=f"{SHOTS}/opp-card-{device}-en.png")
    page.locator(f"#opp-modify-{oid}").click()
    expect(page.locator("#opp-edit-save")).to_have_text("Save changes")
    _sql(live_app, "UPDATE opportunity SET version = version + 1 WHERE id = :i", i=int(oid))
    page.click("#opp-edit-save")
    expect(page.locator("#opp-edit-error")).to_contain_text("Someone else changed this opportunity")
    _no_horizontal_scroll(page)
    if SHOTS:
        page.locator("#opp-edit-form").screenshot(path=f"{SHOTS}/opp-conflict-{device}-en.png")
    page.click("#opp-edit-cancel")
    expect(page.locator("#opp-edit-form")).to_have_count(0)
