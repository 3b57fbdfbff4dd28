"""Tag rules in the real production build: an admin builds a rule without code, a bad value is refused
naming the condition, the preview counts matching customers before saving, the rule is saved, run and
switched off; an RM may not administer rules."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in_ok

pytestmark = pytest.mark.browser


def test_rm_cannot_administer_tag_rules(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    page.goto("/admin/tags")
    expect(page.locator("#tags-page-error")).to_have_text("您无权执行此操作。")
    expect(page.locator("#rule-list")).to_have_count(0)


def test_admin_builds_previews_saves_runs_and_deactivates_a_rule(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "admin")
    page.goto("/admin/tags")
    hnw = page.locator("#rule-row-hnw_potential")
    expect(hnw).to_contain_text("高净值潜力客户")
    expect(hnw).to_contain_text("第 1 版")

    page.click("#rule-new")
    page.fill("#rule-form-rule-key", "big_aum")
    page.locator("#rule-form-rule-key").blur()
    page.fill("#rule-form-name", "AUM 600万以上")
    page.locator("#rule-form-name").blur()
    page.select_option("#rule-form-tag", "__new")
    page.fill("#rule-form-tag-code", "millionaire")
    page.locator("#rule-form-tag-code").blur()
    page.fill("#rule-form-tag-name", "百万客户")
    page.locator("#rule-form-tag-name").blur()
    page.fill("#rule-form-tag-name-en", "Millionaire")
    page.locator("#rule-form-tag-name-en").blur()
    page.select_option("#cond-field-0", "aum")
    page.select_option("#cond-op-0", ">=")
    page.fill("#cond-value-0", "一百万")
    page.click("#rule-preview-btn")
    expect(page.locator("#rule-form-error")).to_contain_text("条件 1")
    expect(page.locator("#rule-form-error")).to_contain_text("金额")

    page.fill("#cond-value-0", "6000000")  # few customers: a run announces each change as a webhook
    page.click("#rule-add-condition")
    page.select_option("#cond-field-1", "age")
    page.select_option("#cond-op-1", ">=")
    page.fill("#cond-value-1", "18")
    page.click("#rule-preview-btn")
    expect(page.locator("#rule-preview")).to_contain_text(re.compile(r"当前有 [\d,]+ 位客户满足条件"))

    page.click("#rule-save")
    row = page.locator("#rule-row-big_aum")
    expect(row).to_contain_text("百万客户")
    expect(page.locator("#tags-notice")).to_contain_text("big_aum")

    page.click("#rule-run-big_aum")
    expect(page.locator("#tags-notice")).to_contain_text("已执行")
    expect(page.locator("#rule-matches-big_aum")).not_to_have_text("0 位客户")

    page.click("#rule-deactivate-big_aum")
    expect(row).to_contain_text("已停用")
    expect(page.locator("#rule-matches-big_aum")).to_have_text("0 位客户")

    page.click("#lang-en")
    expect(page.locator("#rule-row-hnw_potential")).to_contain_text("High-net-worth potential")
