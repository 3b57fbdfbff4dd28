"""The phone's bottom bar: the few pages a role opens all day as tabs, everything else under "More", every
target big enough for a thumb, in both languages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in_ok

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "d" / "browser-screenshots"


def _bar(page: Page) -> list[str]:
    return page.locator(".tabbar > .tab-link, .tabbar > .tab-more-wrap > .tab-more").evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).map(e => e.id)")


@pytest.mark.parametrize("user", ["rm", "manager", "ops"])
def test_the_bottom_bar_keeps_a_few_tabs_and_the_rest_under_more(phone_page: Page, user: str) -> None:
    page = phone_page
    sign_in_ok(page, user)
    expect(page.locator(".tabbar")).to_be_visible()
    expect(page.locator("#nav-customers-tab")).to_be_visible()
    bar = _bar(page)
    assert 2 <= len(bar) <= 5 and bar[-1] == "nav-more", bar
    for box in page.locator(".tabbar > .tab-link, .tab-more").evaluate_all(
            "els => els.filter(e => e.offsetParent !== null).map(e => [e.offsetWidth, e.offsetHeight])"):
        assert box[0] >= 44 and box[1] >= 44, box
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390

    page.click("#nav-more")
    sheet = page.locator("#nav-more-sheet")
    expect(sheet).to_be_visible()
    entries = sheet.locator("a").evaluate_all("els => els.filter(e => e.offsetParent !== null).map(e => e.id)")
    assert entries and not set(entries) & set(bar), entries
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"phone-menu-{user}-390-zh.png"))
    first = sheet.locator("a").filter(has=page.locator("span")).first
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url(re.compile(re.escape(href.rstrip("/")) + "/?$"))
    page.click("#lang-en")
    page.click("#nav-more")
    expect(page.locator("#nav-more")).to_contain_text("More")
    page.screenshot(path=str(SHOTS / f"phone-menu-{user}-390-en.png"))
