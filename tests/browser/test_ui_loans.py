"""/loans (issue 11) in Chromium: the RM submits a loan application on a phone (390x844) - the customer found by
name, a bad amount refused by field, then submitted and shown waiting for the branch approver - and downloads
the decision letter (a PDF) of an approved demo application; on a desktop in English the list and an item."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ui_steps import sign_in


def _sign_in(page: Page, username: str) -> None:
    sign_in(page, username)
    page.wait_for_url(lambda url: "/login" not in url)


def test_the_rm_submits_an_application_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    _sign_in(page, "rm")
    page.goto("/loans")
    expect(page.locator("h1")).to_have_text("贷款申请")
    expect(page.locator("#loan-list > li").first).to_be_visible()
    page.click("#loan-new")
    page.fill("#loan-customer-search", "zs")
    choice = page.locator("[id^=loan-choose-]").first
    expect(choice).to_be_visible()
    choice.click()
    expect(page.locator("#loan-chosen")).to_be_visible()
    page.fill("#loan-amount", "-5")
    page.fill("#loan-term_months", "36")
    page.fill("#loan-purpose", "家庭装修")
    page.fill("#loan-monthly_income", "30000")
    page.click("#loan-submit")
    expect(page.locator("#loan-form-error")).to_contain_text("金额")
    page.fill("#loan-amount", "180000")
    page.click("#loan-submit")
    expect(page.locator("#loans-notice")).to_contain_text(re.compile(r"已提交：LA-\d+"))
    expect(page.locator("#loan-waiting")).to_contain_text("分行审批")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


def test_the_decision_letter_of_an_approved_application(desktop_page: Page) -> None:
    page = desktop_page
    _sign_in(page, "rm")
    page.goto("/loans")
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Loan applications")
    page.click("#loans-filter-approved")
    first = page.locator("#loan-list > li").first
    expect(first).to_contain_text("approved")
    first.locator("button").click()
    letter = page.locator("#loan-letter")
    expect(letter).to_be_visible()
    expect(page.locator("#loan-decisions")).to_contain_text("approved")
    answer = page.request.get(letter.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")
