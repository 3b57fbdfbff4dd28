"""List filters and export in the real production build, on a phone: an RM filters the customer list
on a custom field (是否私行客户 = 是), sees it narrow and the chip, downloads the same list as CSV, and
a bad filter value is refused naming the row in the user's language."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in

pytestmark = pytest.mark.browser

TOTAL_ZH = re.compile(r"共 (\d+) 位客户")


def _total(page: Page) -> int:
    m = TOTAL_ZH.search(page.locator("#page-info").inner_text())
    assert m, page.locator("#page-info").inner_text()
    return int(m.group(1))


def test_rm_filters_on_a_custom_field_and_exports_the_same_list_as_csv(phone_page: Page) -> None:
    page = phone_page
    sign_in(page, "rm", "demo1234")
    page.wait_for_url(re.compile(r"/customers/?$"))
    # The whole book: 80 seeded, plus any that other tests on the shared app imported for this RM.
    expect(page.locator("#page-info")).to_contain_text(TOTAL_ZH)
    book = _total(page)
    assert book >= 80
    book_text = f"共 {book} 位"

    page.click("#filter-toggle")
    expect(page.locator("#filter-panel")).to_be_visible()
    # A value the field does not allow is refused, naming the row and the field, and changes nothing.
    page.select_option("#filter-field-r1", "custom.annual_income")
    expect(page.locator("#filter-op-r1 option").first).to_have_text("大于等于")
    page.fill("#filter-value-r1", "很多")
    page.click("#filter-apply")
    expect(page.locator("#filter-error")).to_contain_text("筛选条件 1（年收入）")
    expect(page.locator("#filter-error")).to_contain_text("必须是数字")
    expect(page.locator("#page-info")).to_contain_text(book_text)

    page.select_option("#filter-field-r1", "custom.private_banking")
    expect(page.locator("#filter-value-r1 option", has_text="是")).to_have_count(1)
    page.select_option("#filter-value-r1", "yes")
    page.click("#filter-apply")

    expect(page.locator("#filter-chip-0")).to_contain_text("是否私行客户 等于 是")
    expect(page.locator("#filter-panel")).to_have_count(0)  # closed after applying, the list in view
    expect(page.locator("#page-info")).not_to_contain_text(book_text)
    total = _total(page)
    assert 0 < total < book
    assert page.locator("[id^=customer-row-]").count() == min(total, 20)
    # The phone layout does not scroll sideways with the filter bar and chips.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert re.fullmatch(r"customers-\d{8}-\d{6}\.csv", download.suggested_filename)
    with open(download.path(), "rb") as fh:
        data = fh.read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["客户号", "姓名"] and "是否私行客户" in header and "年收入" in header
    assert len(body) == total
    column = header.index("是否私行客户")
    assert {r[column] for r in body} == {"是"}
    phone = header.index("手机号")
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", r[phone]) for r in body if r[phone])  # masked for an RM
    visible = set(page.locator("[id^=customer-row-] .c-name").all_inner_texts())
    assert visible <= {r[1] for r in body}

    # Removing the chip brings the whole list back.
    page.click("#filter-chip-remove-0")
    expect(page.locator("#filter-chip-0")).to_have_count(0)
    expect(page.locator("#page-info")).to_contain_text(book_text)
