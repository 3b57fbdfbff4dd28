"""Import a GB18030 CSV through /imports in the real production build: upload, mapping preview with a
row error, rejection of the whole file, "import the valid rows", result counts and the error report."""
from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from ui_steps import sign_in_ok

from services.validation.identity import make_id_number

pytestmark = pytest.mark.browser


def _file() -> bytes:
    lines = ["姓名,证件号码,手机号,出生日期,客户经理"]
    for i in range(3):
        birth = date(1991, 3, 1 + i)
        number = make_id_number("330106", birth, 700 + i)
        if i == 1:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        lines.append(f"浏览器导入{i},{number},1350000{i:04d},{birth.isoformat()},rm")
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def test_ops_imports_a_gb18030_file_and_confirms_the_valid_rows(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "ops")
    page.goto("/imports")
    # The demo seed's batch is in the history.
    expect(page.locator("[id^=import-batch-]").first).to_be_visible()

    page.locator("#import-upload input[type=file]").set_input_files(
        files=[{"name": "core.csv", "mimeType": "text/csv", "buffer": _file()}])
    page.click("#import-upload-button")
    preview = page.locator("#import-preview tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(1)).to_contain_text("校验位错误")
    expect(page.locator("[id='map-证件号码']")).to_have_value("id_number")

    page.click("#import-start")
    expect(page.locator("#import-result-status")).to_contain_text("已拒绝", timeout=30_000)
    expect(page.locator("#import-created")).to_have_text("0")
    expect(page.locator("#import-error-lines")).to_contain_text("第 3 行")

    page.click("#import-apply-valid")
    expect(page.locator("#import-result-status")).to_contain_text("已完成", timeout=30_000)
    expect(page.locator("#import-created")).to_have_text("2")
    expect(page.locator("#import-errors")).to_have_text("1")
    # Click it as a person would: the link must reach our route, not the single-page app's router.
    with page.expect_download() as dl:
        page.click("#import-report-link")
    with open(dl.value.path(), encoding="utf-8-sig") as fh:
        assert "校验位错误" in fh.read()
