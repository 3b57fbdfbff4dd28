"""Custom fields in the real production build: an admin defines a field without code; a bad
definition is refused with the field named in the user's language; an RM may not administer."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from ui_steps import sign_in


def test_admin_creates_a_custom_field_and_an_rm_is_refused(desktop_page: Page) -> None:
    page = desktop_page
    sign_in(page, "admin", "demo1234")
    page.wait_for_url(re.compile(r"/customers/?$"))
    page.goto("/admin/fields")
    # the demo's fields are listed
    expect(page.locator("#field-row-annual_income")).to_contain_text("年收入")
    expect(page.locator("#field-row-interests")).to_contain_text("多选")

    page.fill("#field-form-key", "wealth_goal")
    page.fill("#field-form-label", "理财目标")
    page.fill("#field-form-label_en", "Wealth goal")
    page.select_option("#field-form-field_type", "choice")
    page.fill("#field-form-choices", "retire|养老|Retirement\nretire|子女教育|Education")
    page.click("#field-form-save")
    expect(page.locator("#field-form-error")).to_contain_text("选项")
    expect(page.locator("#field-form-error")).to_contain_text("重复")

    page.fill("#field-form-choices", "retire|养老|Retirement\nedu|子女教育|Education")
    page.check("#field-form-visible-rm")
    page.check("#field-form-editable-rm")
    page.click("#field-form-save")
    row = page.locator("#field-row-wealth_goal")
    expect(row).to_contain_text("理财目标")
    expect(row).to_contain_text("养老、子女教育")
    expect(row).to_contain_text("客户经理")
    expect(page.locator("#fields-notice")).to_contain_text("wealth_goal")

    page.click("#lang-en")
    expect(page.locator("#field-row-wealth_goal")).to_contain_text("Wealth goal")


def test_rm_cannot_administer_fields(phone_page: Page) -> None:
    page = phone_page
    sign_in(page, "rm", "demo1234")
    page.wait_for_url(re.compile(r"/customers/?$"))
    page.goto("/admin/fields")
    expect(page.locator("#fields-page-error")).to_have_text("您无权执行此操作。")
    expect(page.locator("#field-form")).to_have_count(0)
