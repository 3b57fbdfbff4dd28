"""Webhook endpoints in the real production build: an admin adds one (a bad address is refused and adds
nothing), reads its signing secret once, and switches it off; an RM cannot reach the page's data."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in_ok

pytestmark = pytest.mark.browser


def test_admin_adds_an_endpoint_sees_its_secret_once_and_disables_it(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "admin")
    page.goto("/admin/webhooks")
    rows = page.locator("#endpoint-list .item")
    expect(rows.filter(has_text="Demo receiver")).to_have_count(1)
    before = rows.count()

    page.fill("#endpoint-name", "风控系统")
    page.fill("#endpoint-url", "ftp://risk.example.com/hooks")  # a URL, but not one we deliver to
    page.click("#endpoint-create")
    expect(page.locator("#webhooks-error")).to_have_text("地址: 须为 http:// 或 https:// 地址，且不含用户名和密码")
    expect(rows).to_have_count(before)
    expect(page.locator("#endpoint-secret")).to_have_count(0)

    page.fill("#endpoint-name", "风控系统")
    page.fill("#endpoint-url", "https://risk.example.com/hooks")
    page.locator("label.check-chip", has_text="customer.tagged").locator("input").uncheck()
    page.click("#endpoint-create")
    secret = page.locator("#endpoint-secret")
    expect(secret).to_be_visible()
    assert len(secret.inner_text().strip()) >= 32
    new = rows.filter(has_text="风控系统")
    expect(new).to_have_count(1)
    expect(new).to_contain_text("https://risk.example.com/hooks")
    expect(new).to_contain_text("customer.created")
    expect(new).not_to_contain_text("customer.tagged")
    expect(new).to_contain_text("启用中")

    new.locator("button", has_text="停用").click()
    expect(new).to_contain_text("已停用")
    # The secret is shown once: after a reload it is gone, the endpoint stays (disabled).
    page.reload()
    expect(rows.filter(has_text="风控系统")).to_contain_text("已停用")
    expect(page.locator("#endpoint-secret")).to_have_count(0)


def test_rm_sees_no_endpoints_or_deliveries(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    page.goto("/admin/webhooks")
    expect(page.locator("#webhooks-error")).to_have_text(re.compile("无权|仅管理员"))
    expect(page.locator("#endpoint-list .item")).to_have_count(0)
    expect(page.locator("#delivery-list [id^=delivery-]")).to_have_count(0)
    expect(page.locator("#endpoint-create")).to_have_count(0)
