"""Steps the browser tests share: signing in as a person does, and opening 张三's 360 page."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CUSTOMERS_URL = re.compile(r"/customers/?$")


def sign_in(page: Page, username: str, password: str = "demo1234") -> None:
    """Submit the login form (in Chinese, whatever the server's default locale), asking to land on the customer
    list (without `next` each role lands on its home page: test_ui_dashboard.py); no wait for the result."""
    page.goto("/login?next=/customers")
    page.click("#lang-zh_CN")
    expect(page.locator("#login-submit")).to_have_text("登录")
    expect(page.locator("input[name=next]")).to_have_value("/customers")  # the page has read ?next=
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def sign_in_ok(page: Page, username: str, password: str = "demo1234") -> None:
    """Sign in and land on the customer list."""
    sign_in(page, username, password)
    page.wait_for_url(CUSTOMERS_URL)
    # The list's first answer (its on_load) before anything is clicked: a click sent ahead of it is overtaken.
    expect(page.locator("#customer-list[aria-busy=false]")).to_have_count(1, timeout=15_000)


def open_customer(page: Page, query: str = "zs", name: str = "张三") -> None:
    """Search from the customer list and open the first row named `name`."""
    # The list's answer to its on_load first: a search sent ahead of it is overwritten by it.
    expect(page.locator("#customer-list[aria-busy=false]")).to_have_count(1, timeout=15_000)
    page.fill("#customer-search", query)
    page.press("#customer-search", "Enter")
    row = page.locator("[id^=customer-row-]", has_text=name).first
    expect(row).to_be_visible(timeout=15_000)  # a search answer on a loaded machine can take longer than 5 s
    row.click()
    page.wait_for_url(re.compile(r"/customers/\d+/?$"))
    expect(page.locator("#customer-name")).to_have_text(name)


def show_all_reminders(page: Page) -> None:
    """On /agenda, once it has answered: the reminders held back under the first dozen shown too."""
    expect(page.locator("#agenda-page[aria-busy=false]")).to_have_count(1)
    more = page.locator("#agenda-reminders-more")
    if more.count():
        more.click()
        expect(more).to_have_count(0)


def pwa_started(page: Page) -> None:
    """Wait until assets/pwa.js has started the page's installed-app scripts: it does so once the page has loaded
    and shown its first answer (the service worker registered, idb and offline-notes.js loaded)."""
    page.wait_for_function("() => window.__fincrmSw !== undefined && !!window.fincrmOfflineNotes")


def offline_notes(page: Page, call: str):
    """window.fincrmOfflineNotes.<call>, once offline-notes.js is there (loaded after the page's first answer)."""
    page.wait_for_function("() => !!window.fincrmOfflineNotes")
    return page.evaluate(f"window.fincrmOfflineNotes.{call}")
