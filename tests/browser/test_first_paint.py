"""The phone's first paint (issue 14, Lighthouse): each page's prerendered HTML is painted before the app's JavaScript
runs, and what the app then fills in does not move what was already drawn.

- The served pages ask for their modules after their first frame (fincrm_app/pwa.py `paint_before_bundle`): preloaded
  beside the HTML, they arrived before the first frame on a fast network and hydration ran ahead of it, so nothing was
  painted until it had. The links are added by a small inline script the CSP allows (the same on every page, the
  list in a meta element); once the page runs they are there (the modules load together, not one import after
  another).
- The agenda and the customer list, loaded signed in on a phone, shift by less than 0.05 (Lighthouse's "good" is 0.1;
  before the change of their layout, their late parts pushed the prerendered cards and pager down: 0.8).
- The app still starts: the agenda shows its tasks, the list its rows.
"""
from __future__ import annotations

import base64
import hashlib
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from live_app import LiveApp
from ui_steps import sign_in_ok

# Layout shifts that no input caused, summed from the first paint on (the CLS Lighthouse reports, without its
# session windows: stricter).
_WATCH_SHIFTS = """() => {
  window.__shifts = [];
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (!e.hadRecentInput) window.__shifts.push([e.value, e.sources.map(s => s.node && (s.node.id || s.node.className
        || s.node.nodeName)).join(' ')]);
    }
  }).observe({type: 'layout-shift', buffered: true});
}"""


@pytest.mark.parametrize("path", ["/agenda", "/customers", "/login", "/dashboard"])
def test_served_pages_ask_for_their_modules_after_the_first_frame(live_app: LiveApp, path: str) -> None:
    with urllib.request.urlopen(f"{live_app.url}{path}/") as resp:
        html = resp.read().decode()
        csp = resp.headers["Content-Security-Policy"]
    assert 'class="app-shell"' in html or "login" in html  # the prerendered page, not an empty fallback
    assert '<link rel="modulepreload"' not in html
    assert re.search(r'<script type="module"[^>]*>', html)  # the app itself still starts from the page
    modules = re.search(r'<meta name="fincrm-modules" content="([^"]+)"/>', html).group(1).split(" ")
    assert any(m.startswith("/assets/entry.client-") for m in modules) and len(modules) > 5
    later = re.search(r'<script>(\(function\(\)\{var done=0;.*?)</script></body>', html, re.S).group(1)
    assert 'requestAnimationFrame(function(){setTimeout(go,0);})' in later
    digest = base64.b64encode(hashlib.sha256(later.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp  # the added script is one the policy allows


@pytest.mark.parametrize("path, ready", [("/agenda", "#agenda-page[aria-busy=false]"),
                                         ("/customers", "#customer-list[aria-busy=false]")])
def test_a_page_filled_in_does_not_shift(phone_page: Page, path: str, ready: str) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    page.add_init_script(f"({_WATCH_SHIFTS})()")
    page.goto(path)
    expect(page.locator(ready)).to_have_count(1)
    if path == "/agenda":
        expect(page.locator("#agenda-tasks > li").first).to_be_visible()
    else:
        expect(page.locator("#customer-list .customer-row").first).to_be_visible()
        expect(page.locator("#page-next")).to_be_visible()
    assert page.evaluate("document.querySelectorAll('link[rel=modulepreload]').length") > 5  # added after the frame
    page.wait_for_timeout(500)  # the last frames after the answer
    shifts = page.evaluate("window.__shifts")
    assert sum(v for v, _ in shifts) < 0.05, shifts
    paints = dict(page.evaluate("performance.getEntriesByType('paint').map(e => [e.name, e.startTime])"))
    assert "first-contentful-paint" in paints


def test_icons_come_from_the_sprite_and_are_drawn(phone_page: Page, live_app: LiveApp) -> None:
    """Every icon on the agenda is an <svg><use> of /icons.svg (components/icons.py): the sprite the build wrote holds
    each one the page names, and the icons are drawn (sized, stroked in the text's colour)."""
    page = phone_page
    sign_in_ok(page, "rm")
    page.goto("/agenda")
    expect(page.locator("#agenda-tasks > li").first).to_be_visible()
    names = set(page.evaluate(
        "Array.from(document.querySelectorAll('svg.lucide use')).map(u => u.getAttribute('href').split('#')[1])"))
    assert {"phone", "notebook-pen", "calendar-clock", "check", "calendar-check"} <= names
    assert page.evaluate("document.querySelectorAll('svg.lucide path, svg.lucide circle').length") == 0
    with urllib.request.urlopen(f"{live_app.url}/icons.svg") as resp:
        sprite = resp.read().decode()
    assert names <= set(re.findall(r'<symbol id="([a-z0-9-]+)"', sprite))
    call = page.locator("#agenda-tasks > li .agenda-call svg").first
    box = call.bounding_box()
    assert box["width"] == 20 and box["height"] == 20
    assert call.evaluate("e => getComputedStyle(e).fill") == "none"
    # the drawing itself arrived: the <use> has the symbol's size, not an empty box
    drawn = call.evaluate("e => e.querySelector('use').getBBox().width")
    assert drawn > 5
