"""Every dashboard chart saves as a PNG or an SVG file (issue 13, point 6) from buttons under it, on a phone and on
a desktop, labelled in both languages: the files are drawn by Plotly itself, the SVG parses as SVG and holds the
chart's words and figures. Plotly is loaded on the dashboard only, never on a page without charts."""
from __future__ import annotations

import os
import re
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

DEVICES = ["phone_page", "desktop_page"]
SVG = "{http://www.w3.org/2000/svg}"
CHARTS = ("aum-trend", "aum-unit-trend", "aum-by-unit", "customers-new-lost", "pipeline-funnel", "sales-by-type",
          "sales-by-risk", "channel-quality", "repurchase-rate", "sales-forecast")
SHOTS = os.environ.get("FINCRM_TEST_SHOTS_DIR")  # screenshots for a person to look at (outside the repository)


def _sign_in_manager(page: Page, lang: str) -> None:
    page.goto("/login")
    page.click(f"#lang-{lang}")
    expect(page.locator("#login-submit")).to_have_text("登录" if lang == "zh_CN" else re.compile("Sign in"))
    page.fill("#login-username", "manager")
    page.fill("#login-password", "demo1234")
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    for chart in CHARTS:
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_attached(timeout=20_000)


def _download(page: Page, button_id: str):
    button = page.locator(f"#{button_id}")
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    with page.expect_download(timeout=20_000) as info:
        button.click()
    return info.value


def _svg_texts(path: str) -> list[str]:
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg", root.tag
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("device", DEVICES)
def test_every_chart_offers_png_and_svg_and_the_svg_holds_the_chart(request, live_app, device: str) -> None:
    page: Page = request.getfixturevalue(device)
    _sign_in_manager(page, "zh_CN")
    for chart in CHARTS:  # under every chart, both buttons, in words a phone user can tap
        expect(page.locator(f"#export-{chart}-png")).to_have_text("PNG 图片")
        expect(page.locator(f"#export-{chart}-svg")).to_have_text("SVG 矢量图")
        expect(page.locator(f"#export-{chart}-svg")).to_have_attribute("title", "将图表下载为 SVG 矢量图")
    if device == "phone_page":
        box = page.locator("#export-pipeline-funnel-svg").bounding_box()
        assert box["height"] >= 44, box  # a finger's target
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    # The funnel as SVG: a real SVG document with the stages' names and the counts the page draws.
    svg = _download(page, "export-pipeline-funnel-svg")
    assert svg.suggested_filename == "pipeline_funnel.svg"
    texts = _svg_texts(svg.path())
    for stage in ("线索", "已确认需求", "已提交方案", "赢单"):
        assert stage in texts, texts
    drawn = page.evaluate("() => document.querySelector('#chart-pipeline-funnel .js-plotly-plot').data[0].x")
    assert drawn and str(int(drawn[0])) in "".join(texts).replace(",", ""), (drawn, texts)
    # A PNG of the sales by type: an image file.
    png = _download(page, "export-sales-by-type-png")
    assert png.suggested_filename == "sales_by_type.png"
    with open(png.path(), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    if SHOTS:
        page.locator("#chart-pipeline-funnel").screenshot(path=f"{SHOTS}/chart-images-{device}-zh.png")
    # In English: the buttons' words, and the SVG's bars named in English.
    page.click("#lang-en")
    expect(page.locator("#export-pipeline-funnel-svg")).to_have_text("SVG vector")
    expect(page.locator("#export-aum-trend-png")).to_have_text("PNG image")
    page.wait_for_function("() => document.querySelector('#chart-pipeline-funnel .js-plotly-plot')"
                           ".data[0].y.includes('Lead')", timeout=10_000)
    texts = _svg_texts(_download(page, "export-pipeline-funnel-svg").path())
    assert "Lead" in texts and "线索" not in texts, texts
    if SHOTS:
        page.locator("#chart-pipeline-funnel").screenshot(path=f"{SHOTS}/chart-images-{device}-en.png")


def test_plotly_is_loaded_on_the_dashboard_only(desktop_page: Page, live_app) -> None:
    page = desktop_page
    _sign_in_manager(page, "zh_CN")
    loaded = "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => /plotly/i.test(n))"
    assert page.evaluate(loaded), "the dashboard loads Plotly (its chunk is named after it)"
    page.goto("/customers")  # a fresh load of a page without charts
    expect(page.locator("#customer-list[aria-busy=false]")).to_have_count(1, timeout=15_000)
    assert page.evaluate(loaded) == []
