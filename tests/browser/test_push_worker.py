"""The service worker shows a reminder pushed by the server (issue 14, Web Push): a push message delivered to the
installed app's worker through Chromium's DevTools protocol (ServiceWorker.deliverPushMessage, what a push service's
delivery ends in) becomes a notification with the payload's title and words, which opens the agenda when tapped.
The encryption and VAPID signature of real deliveries are tested against a local push service in
tests/integration/test_reminders_delivery.py; here no push service takes part."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from live_app import _CSP_LISTENER, CHROMIUM, CHROMIUM_ARGS, LiveApp


@pytest.fixture
def installed(browser: Browser, live_app: LiveApp) -> Iterator[tuple[BrowserContext, Page]]:
    profile = tempfile.mkdtemp(prefix="fincrm-push-profile-")
    try:
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, base_url=live_app.url,
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=3)
        context.set_default_timeout(20_000)
        context.add_init_script(_CSP_LISTENER)
        context.grant_permissions(["notifications"], origin=live_app.url)
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield context, page
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_a_pushed_reminder_becomes_a_notification_that_opens_the_agenda(installed, live_app: LiveApp) -> None:
    context, page = installed
    page.goto("/login")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith("/sw.js")
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [reg] = [r for r in registrations if not r.get("isDeleted")][:1]
    payload = {"title": "2 new reminder(s)", "body": "王芳: Steady Wealth 180d matures on Dec 1, 2026",
               "url": "/agenda", "tag": "fincrm-reminders"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_app.url, "registrationId": reg["registrationId"],
                                                  "data": json.dumps(payload, ensure_ascii=False)})
    shown = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        shown = page.evaluate("navigator.serviceWorker.ready.then(r => r.getNotifications())"
                              ".then(ns => ns.map(n => [n.title, n.body, n.tag, n.data && n.data.url]))")
        if not shown:
            page.wait_for_timeout(100)
    assert shown == [[payload["title"], payload["body"], "fincrm-reminders", "/agenda"]]
