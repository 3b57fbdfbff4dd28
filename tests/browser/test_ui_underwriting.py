"""/underwriting (issue 11) in Chromium: the RM submits an insurance proposal with its health questionnaire on a
phone (390x844, Chinese) and reads the automatic triage; on a desktop in English the underwriter-referred demo
cases are listed and one shows where it waits."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ui_steps import sign_in


def _sign_in(page: Page, username: str) -> None:
    sign_in(page, username)
    page.wait_for_url(lambda url: "/login" not in url)


def test_the_rm_submits_a_proposal_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    _sign_in(page, "rm")
    page.goto("/underwriting")
    expect(page.locator("h1")).to_have_text("核保案件")
    expect(page.locator("#uw-list > li").first).to_be_visible()
    page.click("#uw-new")
    page.fill("#uw-customer-search", "zs")
    choice = page.locator("[id^=uw-choose-]").first
    expect(choice).to_be_visible()
    choice.click()
    expect(page.locator("#uw-chosen")).to_be_visible()
    page.select_option("#uw-product_type", "critical_illness")
    page.fill("#uw-sum_insured", "500000")
    page.fill("#uw-height_cm", "172")
    page.fill("#uw-weight_kg", "68")
    page.check("#uw-smoker")
    page.click("#uw-submit")
    expect(page.locator("#uw-notice")).to_contain_text(re.compile(r"已提交：UW-\d+"))
    expect(page.locator("#uw-facts")).to_contain_text("吸烟")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


def test_referred_cases_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    _sign_in(page, "underwriter")
    page.goto("/underwriting")
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Underwriting cases")
    page.click("#uw-filter-referred")
    first = page.locator("#uw-list > li").first
    expect(first).to_contain_text("with an underwriter")
    first.locator("button").click()
    expect(page.locator("#uw-waiting")).to_contain_text("Underwriter review")
    expect(page.locator("#uw-new")).to_have_count(0)  # the underwriter decides, he does not propose
