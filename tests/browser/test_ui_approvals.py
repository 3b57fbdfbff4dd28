"""/approvals (issue 11) in Chromium, from the demo data: the branch approver on a phone (390x844) and the
branch manager on a desktop (1366x900), in both languages: pending tasks with their SLA countdown, one item
open with its checks and history, a decision refused without a comment and made with one."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ui_steps import sign_in

ROWS = "#approval-list > li"


def _sign_in(page: Page, username: str) -> None:
    """Signed in, wherever the role lands (a manager may land on his dashboard)."""
    sign_in(page, username)
    page.wait_for_url(lambda url: "/login" not in url)


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


def test_the_approver_decides_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    _sign_in(page, "approver")
    page.goto("/approvals")
    expect(page.locator("h1")).to_have_text("审批待办")
    expect(page.locator("#approvals-summary")).to_contain_text(re.compile(r"待处理 \d+ 项"))
    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible()
    count = rows.count()
    assert count >= 5
    expect(page.locator("[id^=approval-sla-]").first).to_have_text(re.compile(r"剩余|已超时"))
    _no_horizontal_scroll(page)

    # Open the first (soonest due): on a phone it replaces the list.
    first = rows.first
    task_id = first.get_attribute("id").rsplit("-", 1)[-1]
    page.click(f"#approval-open-{task_id}")
    expect(page.locator("#approval-detail")).to_be_visible()
    expect(page.locator("#approval-list")).to_be_hidden()
    expect(page.locator("#approval-heading")).to_contain_text("LA-")
    expect(page.locator("#approval-checks")).to_contain_text("负债收入比")
    expect(page.locator("#approval-history li").first).to_contain_text("提交")
    for button in ("#approval-approve", "#approval-return", "#approval-reject"):
        box = page.locator(button).bounding_box()
        assert box and box["height"] >= 44, button
    _no_horizontal_scroll(page)

    # Returning it needs a comment: said so, nothing decided.
    page.click("#approval-return")
    expect(page.locator("#approval-error")).to_contain_text("意见")
    page.fill("#approval-comment", "收入证明齐全，同意发放。")
    page.locator("#approval-comment").blur()
    page.click("#approval-approve")
    expect(page.locator("#approvals-notice")).to_contain_text("已同意")
    expect(page.locator(f"#approval-{task_id}")).to_have_count(0)
    expect(rows).to_have_count(count - 1)

    # English.
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Approval inbox")
    expect(page.locator("[id^=approval-sla-]").first).to_have_text(re.compile(r"left|Overdue by"))
    _no_horizontal_scroll(page)


def test_the_branch_manager_signs_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    _sign_in(page, "manager")
    page.goto("/approvals")
    page.click("#lang-en")
    expect(page.locator("h1")).to_have_text("Approval inbox")
    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible()
    # An escalated branch approval waits for him too, marked so.
    expect(page.locator(ROWS, has_text="Escalated").first).to_be_visible()
    sign_off = page.locator(ROWS, has_text="Branch manager sign-off").first
    task_id = sign_off.get_attribute("id").rsplit("-", 1)[-1]
    page.click(f"#approval-open-{task_id}")
    # On a desktop the item opens beside the list.
    detail, listing = page.locator("#approval-detail"), page.locator("#approval-list")
    expect(detail).to_be_visible()
    expect(listing).to_be_visible()
    assert detail.bounding_box()["x"] > listing.bounding_box()["x"] + 200
    expect(page.locator("#approval-step")).to_contain_text("Branch manager sign-off")
    expect(page.locator("#approval-facts")).to_contain_text("Definition version")
    expect(page.locator("#approval-history")).to_contain_text("Submitted by")
    page.fill("#approval-comment", "Collateral valuation is out of date; please return with a new one.")
    page.locator("#approval-comment").blur()
    page.click("#approval-reject")
    expect(page.locator("#approvals-notice")).to_contain_text("Rejected.")
    expect(page.locator(f"#approval-{task_id}")).to_have_count(0)
    # Away: the delegation form offers colleagues who may approve; a period ending before it starts is refused.
    page.click("#approvals-away")
    expect(page.locator("#delegation-delegate option").first).to_be_attached()
    page.fill("#delegation-from", "2030-01-10T09:00")
    page.fill("#delegation-until", "2030-01-05T18:00")
    page.click("#delegation-save")
    expect(page.locator("#delegation-error")).to_contain_text("not valid")
    # Chinese.
    page.click("#lang-zh_CN")
    expect(page.locator("h1")).to_have_text("审批待办")
    expect(page.locator(ROWS).first).to_contain_text(re.compile(r"会签|分行审批"))
