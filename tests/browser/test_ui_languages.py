"""Every word in the user's language, every screen usable on a phone (issue 9, point 7), in the real production
build: the app's own 404 in both languages inside the frame, the person's name in the top bar, chart axes in
万 / 亿, the tag-rule editor that offers names instead of codes and speaks the language it is switched to, the
import preview readable on a desktop and a phone, and no page wider than a phone."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

from services.validation.identity import make_id_number

pytestmark = pytest.mark.browser


def _page_width(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]"))


def test_an_unknown_address_gets_the_apps_own_page_in_both_languages(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    page.goto("/no/such/page")
    expect(page.locator("#not-found-title")).to_have_text("页面不存在")
    expect(page.locator("#nav-customers-tab")).to_be_visible()  # inside the frame, with the menu
    expect(page).to_have_title(re.compile("页面不存在"))
    page.click("#lang-en")
    expect(page.locator("#not-found-title")).to_have_text("Page not found")
    expect(page.locator("body")).not_to_contain_text("404: Page not found")
    page.click("#not-found-home")
    page.wait_for_url(re.compile(r"/customers/?$"))


def test_the_top_bar_names_the_person_and_the_aum_axis_counts_in_wan(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "rm")
    expect(page.locator("#current-user")).to_have_text("李娜")  # rm's display name, not the login
    open_customer(page)
    ticks = page.locator("#chart-aum .ytick text")
    expect(ticks.last).to_have_text(re.compile(r"^\d+(\.\d+)?(万|亿)$"))
    assert not any(t.endswith(("k", "M")) for t in ticks.evaluate_all("ts => ts.map(t => t.textContent)"))
    # 张三, the README's walkthrough customer: tags with their reasons, a household.
    expect(page.locator("#customer-tags .tag-badge").first).to_be_visible()
    page.locator("#customer-tags .tag-badge").first.click()
    expect(page.locator(".why").first).to_contain_text("规则版本")
    expect(page.locator("#household-members li")).not_to_have_count(0)
    page.keyboard.press("Escape")
    page.click("#lang-en")
    expect(ticks.last).to_have_text(re.compile(r"^\d+(\.\d+)?(k|M|B)$"))


def test_the_tag_rule_editor_offers_names_and_follows_the_language(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "admin")
    page.goto("/admin/tags")
    page.click("#rule-new")
    expect(page.locator("#rule-editor-title")).to_have_text("新建标签规则")

    # An RM is picked by name, and a relationship manager is compared only as an equal / one of.
    page.select_option("#cond-field-0", "owner_id")
    ops = page.locator("#cond-op-0 option").evaluate_all("os => os.map(o => o.value)")
    assert ops == ["==", "!=", "in", "not_in"]
    page.select_option("#cond-op-0", "in")
    add = page.locator("#cond-value-0-add")
    expect(add.locator("option", has_text="李娜")).not_to_have_count(0)  # the choices arrive from the server
    names = add.locator("option").all_inner_texts()
    assert any("李娜" in n for n in names) and not any(re.fullmatch(r"\d+", n) for n in names)
    add.select_option(label=next(n for n in names if "李娜" in n))
    expect(page.locator("#cond-value-0 .pick-chip")).to_have_count(1)
    expect(page.locator("#cond-value-0 .pick-chip")).to_contain_text("李娜")

    # Transaction kinds are ticked by name; amounts take only the order operators.
    page.click("#rule-add-condition")
    page.select_option("#cond-field-1", "tx_sum")
    expect(page.locator("#cond-kinds-1")).to_contain_text("信用卡还款")
    page.locator("label.check-chip", has=page.locator("#cond-kinds-1-deposit")).click()
    expect(page.locator("#cond-kinds-1-deposit")).to_be_checked()
    assert "in" not in page.locator("#cond-op-1 option").evaluate_all("os => os.map(o => o.value)")

    # Refused in words the form shows; switched to English, the title and the refusal follow.
    page.click("#rule-save")
    error = page.locator("#rule-form-error")
    expect(error).to_contain_text("条件 2（交易金额合计（N天））")
    assert not re.search(r"tag_rule|>=|not_in|tx_sum", error.inner_text())
    page.click("#lang-en")
    expect(page.locator("#rule-editor-title")).to_have_text("New tag rule")
    expect(error).to_contain_text("Condition 2 (Sum of transactions (N days))")
    expect(page.locator("#cond-kinds-1")).to_contain_text("Card repayment")


def _import_file() -> bytes:
    lines = ["姓名,证件号码,手机号,出生日期,客户经理,家庭住址（用于核对的很长的列名）"]
    for i in range(2):
        birth = date(1990, 5, 1 + i)
        lines.append(f"版面检查{i},{make_id_number('330106', birth, 800 + i)},1350001{i:04d},{birth.isoformat()},rm,"
                     f"浙江省杭州市西湖区文三路{100 + i}号")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(page: Page) -> None:
    page.goto("/imports")
    page.locator("#import-upload input[type=file]").set_input_files(
        files=[{"name": "layout.csv", "mimeType": "text/csv", "buffer": _import_file()}])
    page.click("#import-upload-button")


def test_the_import_preview_is_a_readable_table_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "ops")
    _upload(page)
    cells = page.locator("#import-preview tr").first.locator("td")
    expect(cells.nth(1)).to_have_text(re.compile("版面检查"))
    pads = cells.evaluate_all("cs => cs.map(c => parseFloat(getComputedStyle(c).paddingLeft))")
    assert min(pads) >= 6  # cells do not run together
    # Each value stays on one line (the name column is as wide as its text).
    assert cells.nth(1).evaluate("c => c.scrollWidth <= c.clientWidth && c.clientHeight < 40")
    assert _page_width(page)[0] <= 1366


def test_the_import_preview_is_one_card_per_row_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "ops")
    _upload(page)
    cards = page.locator("#import-preview-cards .preview-card")
    expect(cards).to_have_count(2)
    expect(page.locator("#import-preview")).to_be_hidden()
    first = cards.first
    expect(first).to_contain_text("版面检查0")
    expect(first).to_contain_text("浙江省杭州市西湖区文三路100号")
    value = first.locator("dd").first
    assert value.evaluate("d => d.getBoundingClientRect().width") > 100  # not one character per line
    scroll, width = _page_width(page)
    assert scroll <= width == 390


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_page_of_an_rm_is_wider_than_a_phone(phone_page: Page, lang: str) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    if lang == "en":
        page.click("#lang-en")
        expect(page.locator("#lang-en")).to_have_class(re.compile(r"\bactive\b"))  # kept before we navigate away
        expect(page.locator("#nav-customers-tab")).to_contain_text("Customers")
    for path in ("/customers", "/tasks", "/tickets", "/no-such-page"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert _page_width(page) == (390, 390), path
    page.goto("/customers")
    open_customer(page)
    expect(page.locator("#chart-aum .js-plotly-plot")).to_have_count(1)
    assert _page_width(page) == (390, 390)
    # The transaction filter's inputs stay inside their box.
    page.click("#tx-filter-toggle")
    box = page.locator("#tx-filter-form").bounding_box()
    for field in ("#tx-date-from", "#tx-date-to", "#tx-min-amount", "#tx-max-amount"):
        b = page.locator(field).bounding_box()
        assert b["x"] >= box["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 0.5, field
    chips = page.locator("#transactions .check-chips")
    # Every kind in words, never its code.
    for word in (("Card repayment", "Insurance premium") if lang == "en" else ("信用卡还款", "保费")):
        expect(chips).to_contain_text(word)
    kinds = chips.inner_text()
    assert "card_repayment" not in kinds and "premium" not in kinds.lower().replace("insurance premium", "")
