"""Reminders in the app (issue 14, point 3), on the demo data at 390x844 and 1366x900 in both languages: the agenda's
menu entry carries the count of open reminders (phone tab bar and sidebar) and the count falls when one is
dismissed; the agenda shows product maturities and KYC reviews and says push is not configured (the live app has no
VAPID keys); an admin edits a reminder rule on /admin/reminders (opened from the phone's More sheet), too many days
are held back by the form; an RM who opens /admin/reminders by its address gets the service's refusal, not the rules.
Screenshots go to /tmp/reminders-*.png."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from a11y import serious_a11y_violations
from ui_steps import show_all_reminders, sign_in

SHOTS = "/tmp/reminders-{}.png"
_NO_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
_SMALL = """(sel) => [...document.querySelectorAll(sel)]
  .map(e => { const r = e.getBoundingClientRect(); return [e.id || e.name || e.textContent.trim().slice(0, 20), r.width, r.height]; })
  .filter(([, w, h]) => w > 0 && (w < 44 || h < 44))"""


def _badge_count(page: Page, selector: str) -> int:
    badge = page.locator(selector)
    expect(badge).to_have_text(re.compile(r"^\d+\+?$"))
    return int(badge.inner_text().rstrip("+"))


def test_the_agenda_badge_and_new_reminder_kinds_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/agenda")
    expect(page.locator("h1")).to_have_text("今日日程")
    reminders = page.locator("#agenda-reminders > li")
    expect(reminders.first).to_be_visible()
    show_all_reminders(page)
    # The demo gives rm product maturities and KYC reviews (one overdue) beside the earlier kinds.
    expect(page.locator("[id^=agenda-reminder-product_maturity-]").first).to_be_visible()
    expect(page.locator("[id^=agenda-reminder-kyc_review-]").first).to_be_visible()
    expect(page.locator("[id^=agenda-reminder-product_maturity-]").first).to_contain_text("到期")
    # The badge on the phone's bottom bar: the open reminders, at least those the page lists.
    tab = page.locator("#nav-agenda-tab")
    expect(tab).to_be_visible()
    count = _badge_count(page, "#nav-agenda-tab-badge")
    assert count >= reminders.count() > 0
    box = tab.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # No VAPID keys on this server: the page says push is not configured and offers no button.
    expect(page.locator("#agenda-push-off")).to_contain_text("未配置推送")
    expect(page.locator("#agenda-push-enable")).to_have_count(0)
    assert page.evaluate(_NO_SCROLL), "horizontal scroll"
    assert serious_a11y_violations(page) == []
    page.screenshot(path=SHOTS.format("agenda-phone-zh"), full_page=True)

    # Dismissing a maturity reminder takes one off the badge.
    first = page.locator("[id^=agenda-reminder-product_maturity-]").first
    rid = first.get_attribute("id")
    page.click(f"#{rid} [id^=agenda-reminder-dismiss-]")
    expect(page.locator(f"#{rid}")).to_have_count(0)
    expect(page.locator("#nav-agenda-tab-badge")).to_have_text(str(count - 1) if count - 1 <= 99 else "99+")

    # English: the same kinds in English words; the badge stays on another page of the frame.
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Today")
    expect(page.locator("[id^=agenda-reminder-kyc_review-]").first).to_contain_text("KYC review")
    expect(page.locator("#agenda-push-off")).to_contain_text("not configured")
    # A screen reader hears the count with words after the entry's name; the digits alone are hidden from it.
    expect(page.locator("#nav-agenda-tab")).to_have_accessible_name(re.compile(r"^Agenda\s*, \d+\+? open reminders\s*$"))
    page.screenshot(path=SHOTS.format("agenda-phone-en"), full_page=True)
    page.click("#nav-customers-tab")
    page.wait_for_url(re.compile(r"/customers"))
    expect(page.locator("#nav-agenda-tab-badge")).to_have_text(re.compile(r"^\d+\+?$"))

    # An RM who opens the rules page by its address gets the service's refusal, and no rule.
    page.goto("/admin/reminders")
    expect(page.locator("#rules-error")).to_be_visible()
    expect(page.locator("#rules-list > li")).to_have_count(0)


def test_an_admin_edits_a_reminder_rule_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in(page, "admin")
    page.wait_for_url(lambda url: "/login" not in url)
    page.click("#nav-more")
    page.click("#nav-reminders-tab")
    page.wait_for_url(re.compile(r"/admin/reminders"))
    expect(page.locator("h1")).to_have_text("提醒规则")
    rules = page.locator("#rules-list > li")
    expect(rules).to_have_count(6)
    expect(page.locator("#rule-name-product_maturity_14d")).to_contain_text("产品到期")
    expect(page.locator("#rule-name-kyc_review_30d")).to_contain_text("KYC")
    expect(page.locator("#rules-push-off")).to_be_visible()
    assert page.evaluate(_NO_SCROLL), "horizontal scroll"
    assert page.evaluate(_SMALL, "#rules-list button, #rules-list input[type=number]") == []
    assert serious_a11y_violations(page) == []
    page.screenshot(path=SHOTS.format("rules-phone-zh"), full_page=True)

    # Days ahead 21, push ticked: saved and shown again as saved.
    page.fill("#rule-lead-product_maturity_14d", "21")
    page.check("#rule-push-product_maturity_14d")
    page.click("#rule-save-product_maturity_14d")
    expect(page.locator("#rule-product_maturity_14d")).to_have_class(re.compile(r"\bsaved\b"))
    expect(page.locator("#rule-lead-product_maturity_14d")).to_have_value("21")
    # Too many days: the browser holds the form back (the services refuse it too: tests/integration), and the rule
    # keeps its value.
    page.fill("#rule-lead-kyc_review_30d", "999")
    page.click("#rule-save-kyc_review_30d")
    assert page.eval_on_selector("#rule-lead-kyc_review_30d", "e => e.validity.rangeOverflow")
    expect(page.locator("#rule-kyc_review_30d")).not_to_have_class(re.compile(r"\bsaved\b"))
    page.reload()
    expect(page.locator("#rule-lead-kyc_review_30d")).to_have_value("30")
    expect(page.locator("#rule-lead-product_maturity_14d")).to_have_value("21")
    expect(page.locator("#rule-push-product_maturity_14d")).to_be_checked()

    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Reminder rules")
    expect(page.locator("#rule-name-product_maturity_14d")).to_contain_text("Product maturities")
    assert page.evaluate(_NO_SCROLL), "horizontal scroll"
    page.screenshot(path=SHOTS.format("rules-phone-en"), full_page=True)
    # Back as it was for the other tests.
    page.fill("#rule-lead-product_maturity_14d", "14")
    page.click("#rule-save-product_maturity_14d")
    expect(page.locator("#rule-lead-product_maturity_14d")).to_have_value("14")


def test_badge_and_rules_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/agenda")
    show_all_reminders(page)
    expect(page.locator("[id^=agenda-reminder-kyc_review-]").first).to_be_visible()
    assert _badge_count(page, "#nav-agenda-side-badge") > 0
    page.screenshot(path=SHOTS.format("agenda-desktop-zh"))
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Today")
    page.screenshot(path=SHOTS.format("agenda-desktop-en"))
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/login"))
    sign_in(page, "admin")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/admin/reminders")
    expect(page.locator("#rules-list > li")).to_have_count(6)
    expect(page.locator("h1")).to_have_text(re.compile(r"Reminder rules|提醒规则"))
    page.screenshot(path=SHOTS.format("rules-desktop"))
    page.click("#lang-zh_CN")
    expect(page.locator("h1")).to_have_text("提醒规则")
    page.screenshot(path=SHOTS.format("rules-desktop-zh"))
