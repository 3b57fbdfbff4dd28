"""The installed app (issue 14): Chromium finds it installable, the service worker serves the offline page when the
server cannot be reached, and a new release is offered as "reload to update".

Installability is only reported for a persistent (non-incognito) profile, so these tests open their own persistent
context on the shared live app instead of the phone_page fixture, with the same CSP watch.
"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Iterator

import brotli
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from a11y import serious_a11y_violations
from live_app import _CSP_LISTENER, _CSP_MARK, CHROMIUM, CHROMIUM_ARGS, LiveApp
from ui_steps import pwa_started


@pytest.fixture
def installed(browser: Browser, live_app: LiveApp) -> Iterator[tuple[BrowserContext, Page, list[str]]]:
    profile = tempfile.mkdtemp(prefix="fincrm-pwa-profile-")
    violations: list[str] = []
    try:  # the session's Playwright (one per thread), a browser of its own for the persistent profile
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, base_url=live_app.url,
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=3)
        context.set_default_timeout(20_000)
        context.add_init_script(_CSP_LISTENER)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: _CSP_MARK in m.text and violations.append(m.text))
        try:
            yield context, page, violations
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if violations:
        pytest.fail("the installed app broke the Content-Security-Policy:\n" + "\n".join(violations), pytrace=False)


def _worker_active(page: Page) -> str:
    return page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")


def test_manifest_and_icons_served(live_app: LiveApp) -> None:
    with urllib.request.urlopen(f"{live_app.url}/manifest.webmanifest") as resp:
        assert resp.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(resp.read())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/agenda"
    assert {s["url"] for s in manifest["shortcuts"]} == {"/agenda", "/customers", "/approvals"}
    purposes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        with urllib.request.urlopen(f"{live_app.url}{icon['src']}") as resp:
            assert resp.headers["Content-Type"] == "image/png"
    with urllib.request.urlopen(f"{live_app.url}/manifest.en.webmanifest") as resp:
        assert json.loads(resp.read())["name"] == "FinCRM Relationship Manager"


def test_installable_and_offline_page(installed) -> None:
    context, page, _ = installed
    page.goto("/login")
    assert _worker_active(page).endswith("/sw.js")
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    # No signal: a page the person opens is the offline page, in both languages, from the service worker.
    context.set_offline(True)
    page.goto("/agenda")
    expect(page.locator("#offline-title")).to_have_text("无法连接服务器")
    expect(page.locator("#offline-title-en")).to_have_text("Cannot reach the server")
    box = page.locator("#fincrm-offline a.retry").bounding_box()
    assert box and box["height"] >= 44
    assert serious_a11y_violations(page) == []
    # The signal is back: the same address is the app again.
    context.set_offline(False)
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()


def test_new_release_offers_reload(installed, live_app: LiveApp) -> None:
    """A new sw.js on the server (what a deployment ships) installs and waits; the page offers to reload, and
    reloading puts the new worker in charge."""
    context, page, _ = installed
    page.goto("/login")
    first = page.evaluate("navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller ? 1 : 0)")
    if not first:  # the first visit is not controlled yet: the next load is
        page.reload()
    expect(page.locator("#login-submit")).to_be_visible()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    pwa_started(page)  # the page listens for a new release once its scripts have started (after the first view)

    build = Path(live_app.env["REFLEX_WEB_WORKDIR"]) / "build" / "client"
    sw = build / "sw.js"
    original = sw.read_bytes()
    try:
        _deploy(build, original + b"\n// release 2\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.locator("#fincrm-update")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("新版本已就绪")
        button = page.locator("#fincrm-update-reload")
        assert button.bounding_box()["height"] >= 44
        with page.expect_navigation():
            button.click()
        expect(page.locator("#login-submit")).to_be_visible()
        script = page.evaluate("fetch('/sw.js', {cache: 'no-store'}).then(r => r.text())")
        assert script.endswith("// release 2\n")
        expect(page.locator("#fincrm-update")).to_have_count(0)
    finally:
        _deploy(build, original)


def _deploy(build: Path, sw: bytes) -> None:
    """sw.js and the build's precompressed copies of it (served to browsers that accept gzip or brotli)."""
    (build / "sw.js").write_bytes(sw)
    gz = build / "sw.js.gz"
    if gz.exists():
        gz.write_bytes(gzip.compress(sw))
    br = build / "sw.js.br"
    if br.exists():
        br.write_bytes(brotli.compress(sw))


def test_every_page_links_the_manifest(live_app: LiveApp) -> None:
    with urllib.request.urlopen(f"{live_app.url}/login") as resp:
        html = resp.read().decode()
    links = re.findall(r"<link [^>]*>", html)
    assert any('rel="manifest"' in link and 'href="/manifest.webmanifest"' in link for link in links)
    assert re.search(r'<script [^>]*src="/pwa.js"', html)


def test_a_note_written_offline_is_sent_once_when_the_signal_returns(installed, live_app: LiveApp) -> None:
    """Open a customer while online (remembered on the device), lose the signal, write a visit note on the offline
    page (kept in IndexedDB), get the signal back: the app sends it, once, and it is the customer's interaction."""
    import sqlite3
    import time

    from ui_steps import sign_in

    context, page, _ = installed
    sign_in(page, "rm")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/agenda")
    link = page.locator("[id^=agenda-reminder-customer-]").first
    href = link.get_attribute("href")
    page.goto(href)
    name = page.locator("#customer-name")
    expect(name).not_to_be_empty()
    customer = name.text_content().strip()
    remembered = ("window.idb ? idb.openDB('fincrm-device').then(d => d.getAll('customers'))"
                  ".then(a => a.map(c => c.name)) : []")
    deadline = time.monotonic() + 15
    while customer not in page.evaluate(remembered):
        assert time.monotonic() < deadline, "the customer was not remembered on the device"
        time.sleep(0.5)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    context.set_offline(True)
    page.goto("/agenda")
    expect(page.locator("#offline-note")).to_be_visible()
    expect(page.locator("#offline-customer option").first).to_have_text(customer)
    text = f"离线拜访记录 {time.time_ns()}"
    page.fill("#offline-notes", text)
    page.click("#offline-save")
    expect(page.locator("#offline-waiting")).to_contain_text("1")
    assert serious_a11y_violations(page) == []

    context.set_offline(False)
    page.goto("/agenda")
    db = live_app.db_url.removeprefix("sqlite:///")
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(db) as conn:
            found = conn.execute("SELECT customer_id, kind FROM interaction WHERE notes = ?", (text,)).fetchall()
        if found:
            break
        assert time.monotonic() < deadline, "the note written offline was not sent"
        time.sleep(0.5)
    assert len(found) == 1 and found[0][1] == "visit" and f"/customers/{found[0][0]}" == href.rstrip("/")
    expect(page.locator("#fincrm-sync")).to_contain_text("已上传：1")
    left = page.evaluate("idb.openDB('fincrm-device').then(d => d.getAll('notes')).then(a => a.length)")
    assert left == 0
