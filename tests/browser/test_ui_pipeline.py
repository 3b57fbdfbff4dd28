"""The 360 page's pipeline card in the real build (issue 13): the rm opens an opportunity on 张三, moves it to a
proposal and wins it with a reason, at phone and desktop size, without horizontal scroll; the customer's suggestions
are listed beside it."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

pytestmark = pytest.mark.browser

DEVICES = ["phone_page", "desktop_page"]


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


@pytest.mark.parametrize("device", DEVICES)
def test_an_opportunity_from_lead_to_won_on_the_360_page(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    subject = f"养老规划 {uuid.uuid4().hex[:6]}"
    sign_in_ok(page, "rm")
    open_customer(page)
    card = page.locator("#pipeline")
    card.scroll_into_view_if_needed()
    expect(card).to_contain_text("商机与行动建议")
    page.click("#opp-new")
    page.fill("#opp-subject", subject)
    page.select_option("#opp-product-type", "insurance")
    page.fill("#opp-amount", "300000")
    page.click("#opp-save")
    row = page.locator("#opportunities li", has_text=subject)
    expect(row).to_contain_text("线索")
    _no_horizontal_scroll(page)
    row.locator("[id$='-proposal']").click()
    expect(row).to_contain_text("已提交方案")
    row.locator("[id^=opp-win-]").click()
    page.select_option("#opp-close-reason", "need_met")
    page.click("#opp-close-confirm")
    expect(row).to_contain_text("赢单")
    expect(row.locator("[id^=opp-win-]")).to_have_count(0)
    _no_horizontal_scroll(page)
