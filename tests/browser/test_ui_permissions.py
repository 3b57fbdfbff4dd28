"""The UI shows each actor only what his permissions allow, in the real production build: the auditor reads a
customer's 360 page without a single write button and has no administration in his menu; an RM's menu has no
administration either but he keeps his quick actions; the administrator sees every administration page and
writes no customer records. Each page's browser tab carries its own title in the user's language."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

pytestmark = pytest.mark.browser

ADMIN_ENTRIES = ("fields", "tags", "webhooks")
WRITE_BUTTONS = ("#quick-actions", "#qa-log", "#qa-task", "#qa-ticket", "#doc-upload-button", "#consent-record")


def _menu_has_no_admin_entries(page: Page) -> None:
    for entry in ADMIN_ENTRIES:
        for place in ("side", "tab"):
            expect(page.locator(f"#nav-{entry}-{place}")).to_have_count(0)


def test_auditor_sees_no_write_buttons_on_the_360_page_and_no_administration(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "auditor")
    # He oversees imports: customers and imports are his menu (shown once his permissions arrived) ...
    expect(page.locator("#nav-customers-side")).to_be_visible()
    expect(page.locator("#nav-imports-side")).to_be_visible()
    # ... and no administration.
    _menu_has_no_admin_entries(page)
    expect(page).to_have_title("客户 · FinCRM")

    open_customer(page)
    expect(page).to_have_title("客户视图 · FinCRM")
    # Everything he may read is there: the documents and the consent in force ...
    expect(page.locator("#documents")).to_be_visible()
    expect(page.locator("#consent-list")).to_be_visible()
    expect(page.locator("#timeline")).to_be_visible()
    # ... and nothing he may not do: no quick actions, no upload, no consent to record.
    for button in WRITE_BUTTONS:
        expect(page.locator(button)).to_have_count(0)

    # The import history, without the upload.
    page.goto("/imports")
    expect(page.locator("#import-history")).to_be_visible()
    expect(page.locator("#import-upload-button")).to_have_count(0)
    expect(page.locator("#imports-error")).to_have_count(0)
    # An administration page opened by its address: the services refuse him, and no form is offered.
    page.goto("/admin/webhooks")
    expect(page.locator("#webhooks-error")).to_have_text("您无权执行此操作。")
    expect(page.locator("#endpoint-create")).to_have_count(0)


def test_rm_menu_has_no_administration_and_his_quick_actions_stay(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    expect(page.locator("#nav-customers-tab")).to_be_visible()
    expect(page.locator("#nav-imports-tab")).to_have_count(0)
    _menu_has_no_admin_entries(page)

    open_customer(page)
    for button in ("#qa-log", "#qa-task", "#qa-ticket", "#consent-record"):
        expect(page.locator(button)).to_be_visible()
    expect(page.locator("#doc-upload-button")).to_be_attached()

    # The tab's title follows the language.
    page.click("#lang-en")
    expect(page).to_have_title("Customer 360 · FinCRM")
    page.click("#lang-zh_CN")
    expect(page).to_have_title("客户视图 · FinCRM")


def test_admin_menu_lists_every_administration_page_and_he_writes_no_customer_records(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "admin")
    for entry in ("customers", "imports", *ADMIN_ENTRIES):
        expect(page.locator(f"#nav-{entry}-side")).to_be_visible()
    page.click("#nav-tags-side")
    page.wait_for_url(re.compile(r"/admin/tags/?$"))
    expect(page).to_have_title("标签规则 · FinCRM")
    expect(page.locator("#nav-tags-side")).to_have_class(re.compile(r"\bactive\b"))

    page.goto("/customers")
    open_customer(page)
    expect(page.locator("#documents")).to_be_visible()
    for button in WRITE_BUTTONS:
        expect(page.locator(button)).to_have_count(0)
