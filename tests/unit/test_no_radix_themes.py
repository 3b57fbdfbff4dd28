"""FinCRM ships no Radix Themes: a single Themes component anywhere would make Reflex add its whole stylesheet
(745 kB, most of what a phone downloaded before the first paint) and its theme wrapper to every page. Every
page, framed as the app serves it, is built and walked here."""
from __future__ import annotations

import pytest
from reflex_components_radix.themes.base import RadixThemesComponent

from fincrm_app.pages import registry


def _walk(component, path: str):
    yield component, path
    for i, child in enumerate(getattr(component, "children", ()) or ()):
        yield from _walk(child, f"{path}/{type(child).__name__}[{i}]")


@pytest.mark.parametrize("page", registry.discover(), ids=lambda p: p.route)
def test_no_page_uses_a_radix_themes_component(page):
    built = registry._rendered(page)()
    themed = [f"{type(c).__name__} at {path}" for c, path in _walk(built, page.route)
              if isinstance(c, RadixThemesComponent)]
    assert not themed, themed


def test_the_app_declares_no_radix_themes_plugin():
    from rxconfig import config

    assert not [p for p in config.plugins if type(p).__name__ == "RadixThemesPlugin"]
