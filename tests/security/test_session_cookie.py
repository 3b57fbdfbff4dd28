"""Finding 12, the cookie half: the session cookie ends with the browser session unless the user ticks
"stay signed in" (保持登录); then it lasts as long as the session itself (FINCRM_SESSION_HOURS)."""
from __future__ import annotations

import re
import time

import pytest

from services.settings import get_settings

ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse 1"  # the org fixture's password


@pytest.fixture
def browser_door(app_db):
    from starlette.testclient import TestClient

    from fincrm_app.app import api

    return TestClient(api, base_url=ORIGIN, follow_redirects=False, headers={"Origin": ORIGIN})


def _session_cookie(response) -> str:
    [cookie] = [v for k, v in response.headers.multi_items()
                if k == "set-cookie" and v.startswith("fincrm_session=")]
    return cookie.lower()


def test_the_session_cookie_ends_with_the_browser_session_by_default(browser_door, org):
    r = browser_door.post("/auth/login", data={"username": "rm_a1", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/customers"
    cookie = _session_cookie(r)
    assert "max-age" not in cookie and "expires" not in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_stay_signed_in_keeps_the_cookie_for_the_sessions_lifetime(browser_door, org):
    r = browser_door.post("/auth/login", data={"username": "rm_a1", "password": PASSWORD, "remember": "1"})
    assert r.status_code == 303
    cookie = _session_cookie(r)
    assert f"max-age={int(get_settings().session_hours * 3600)}" in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie
    # Anything but the box's own value is no request to stay signed in.
    r = browser_door.post("/auth/login", data={"username": "rm_a1", "password": PASSWORD, "remember": "yes"})
    assert "max-age" not in _session_cookie(r)


def test_the_login_page_labels_the_choice_in_both_languages():
    from state.i18n import LABELS

    assert LABELS["login.stay_signed_in"] == ("保持登录", "Stay signed in")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone_page", "desktop_page"])
def test_stay_signed_in_on_the_login_page(request, viewport, live_app):
    """In the real app at 390x844 and 1366x900: the box is there, unticked, fits the screen, and decides
    whether the browser keeps the cookie past the browser session."""
    from playwright.sync_api import expect

    page = request.getfixturevalue(viewport)
    page.goto("/login")
    page.click("#lang-zh_CN")
    box = page.locator("#login-remember")
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    expect(page.locator("label", has=box)).to_have_text("保持登录")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the screen
    for control in ("#login-username", "#login-password", "#login-remember", "#login-submit"):
        bounds = page.locator(control).bounding_box()
        assert bounds and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= width, control
    assert page.locator("label", has=box).bounding_box()["height"] >= 44  # a thumb's tap target
    page.click("#lang-en")
    expect(page.locator("label", has=box)).to_have_text("Stay signed in")

    def signed_in_cookie(tick: bool) -> dict:
        page.context.clear_cookies()
        page.goto("/login")
        page.fill("#login-username", "rm")
        page.fill("#login-password", "demo1234")
        if tick:
            page.locator("label", has=box).click()  # the whole label is the tap target
            expect(box).to_be_checked()
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/dashboard/?$"))  # an RM's home page (state/home.py)
        [cookie] = [c for c in page.context.cookies() if c["name"] == "fincrm_session"]
        return cookie

    assert signed_in_cookie(tick=False)["expires"] == -1  # a browser-session cookie
    kept = signed_in_cookie(tick=True)["expires"]
    hours = get_settings().session_hours
    assert time.time() + (hours - 1) * 3600 < kept <= time.time() + hours * 3600 + 60
