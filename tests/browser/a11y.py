"""axe-core (PyPI axe-playwright-python) in the browser tests: the serious and critical findings of a page."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page


def serious_a11y_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is (rule and the elements it names)."""
    found = Axe().run(page).response["violations"]
    return [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:5]}" for v in found
            if v["impact"] in ("serious", "critical")]
