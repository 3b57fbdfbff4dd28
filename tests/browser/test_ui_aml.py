"""The AML workbench in the real production build, as the demo leaves it after `make run`: compliance finds a
working queue (hits on customers named like listed people, cases from the monitoring rules), reads why a hit
matched and decides it with a reason, works a case, and sees the customer's AML work on the 360 header; an RM
sees neither the menu entry nor the data. At a phone's 390x844 and a desktop's 1366x900.
FINCRM_TEST_SCREENSHOTS=<dir> keeps screenshots of each step."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in_ok

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("FINCRM_TEST_SCREENSHOTS")


def _shot(page: Page, name: str, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


def test_compliance_works_the_queue_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "compliance")
    page.goto("/aml")
    expect(page.locator("#aml-queue .item").first).to_be_visible()
    expect(page.locator("#aml-count-hits")).not_to_contain_text(re.compile(r"^\D*0$"))
    expect(page.locator("#aml-lists")).to_contain_text("ofac_sdn")
    _shot(page, "aml-desktop-queue")

    page.click("#aml-kind-hit")
    expect(page.locator("#aml-queue .item").first).to_contain_text("名单命中")
    first = page.locator("#aml-queue .item").first
    first.locator("button[id^=aml-open-]").click()
    expect(page.locator("#aml-hit-pairs .item").first).to_be_visible()
    _shot(page, "aml-desktop-hit")
    page.click("#aml-hit-submit")  # no reason: the browser's own check stops it, nothing decided
    expect(page.locator("#aml-detail-status")).to_have_text("待处理")
    page.fill("#aml-hit-reason", "身份证号与名单人员出生日期不符，排除")
    page.click("#aml-hit-submit")
    expect(page.locator("#aml-notice")).to_have_text("已处置。")
    expect(page.locator("#aml-hit-reason-shown")).to_have_text("身份证号与名单人员出生日期不符，排除")

    page.click("#aml-kind-case")
    expect(page.locator("#aml-queue .item").first).to_contain_text("监测案件")
    page.locator("#aml-queue .item").first.locator("button[id^=aml-open-]").click()
    expect(page.locator("#aml-case-alerts .item").first).to_be_visible()
    page.fill("#aml-note", "已联系客户经理核实资金来源")
    page.click("#aml-note-add")
    expect(page.locator("#aml-case-notes")).to_contain_text("已联系客户经理核实资金来源")
    _shot(page, "aml-desktop-case")
    page.click("#lang-en")
    expect(page.locator("h1.page-title")).to_have_text("AML workbench")
    _shot(page, "aml-desktop-case-en")


def test_compliance_on_a_phone_and_the_360_header(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "compliance")
    page.goto("/aml")
    expect(page.locator("#aml-queue .item").first).to_be_visible()
    _shot(page, "aml-phone-queue")
    page.click("#aml-kind-hit")
    expect(page.locator("#aml-queue .item").first).to_contain_text("名单命中")
    page.locator("#aml-queue .item").first.locator("button[id^=aml-open-]").click()
    expect(page.locator("#aml-hit-pairs")).to_be_visible()
    expect(page.locator("#aml-detail-title")).to_be_in_viewport()  # scrolled to the opened item
    _shot(page, "aml-phone-hit")
    page.locator("#aml-hit-pairs").scroll_into_view_if_needed()
    _shot(page, "aml-phone-hit-why")
    link = page.locator("#aml-queue .item").first.locator("a")
    link.click()
    page.wait_for_url(re.compile(r"/customers/\d+/?$"))
    expect(page.locator("#customer-aml")).to_be_visible()
    expect(page.locator("#customer-aml-work")).to_contain_text("命中")
    page.locator("#customer-aml").scroll_into_view_if_needed()
    _shot(page, "aml-phone-360")


def test_an_rm_has_no_workbench(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    expect(page.locator("a[href='/aml']")).to_have_count(0)
    page.goto("/aml")
    expect(page.locator("#aml-error")).to_be_visible()
    expect(page.locator("#aml-queue .item")).to_have_count(0)
