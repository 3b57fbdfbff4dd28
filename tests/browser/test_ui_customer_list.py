"""The CRM people work in (issue 9, points 1, 4 and 5) in the real production build, at phone and desktop size:
create a customer, edit one while someone else changes it (the conflict is shown, never overwritten), a saved view
restored from its URL (and reload and back), a bulk reassignment, and the header search (`/`, Ctrl+K, recently
viewed)."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

from services.validation.identity import make_id_number

pytestmark = pytest.mark.browser

DETAIL_URL = re.compile(r"/customers/(\d+)/?$")


def _new_id_number() -> str:
    from datetime import date

    n = uuid.uuid4().int
    return make_id_number("110108", date(1970 + n % 30, 1 + n % 12, 1 + n % 28), n % 1000)


def _create(page: Page, name: str, *, institution: bool = False, occupation: str = "") -> int:
    """Fill /customers/new as a person does and land on the new customer's 360 page; returns its id."""
    page.goto("/customers")
    page.click("#new-customer")
    page.wait_for_url(re.compile(r"/customers/new"))
    expect(page.locator("#customer-form")).to_be_visible()
    page.fill("#cf-name", name)
    page.fill("#cf-id_number", _new_id_number())
    page.fill("#cf-phone", f"139{uuid.uuid4().int % 10**8:08d}")
    page.fill("#cf-address", "北京市朝阳区建国路 88 号")
    if occupation:
        page.fill("#cf-occupation", occupation)
    page.select_option("#cf-segment", "affluent")
    page.click("#cf-save")
    page.wait_for_url(DETAIL_URL)
    expect(page.locator("#customer-name")).to_have_text(name)
    return int(DETAIL_URL.search(page.url).group(1))


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_rm_creates_a_customer_and_a_duplicate_is_refused(size: str, request: pytest.FixtureRequest) -> None:
    page: Page = request.getfixturevalue(f"{size}_page")
    sign_in_ok(page, "rm")
    name = f"新客户{uuid.uuid4().hex[:4]}"
    page.goto("/customers")
    page.click("#new-customer")
    expect(page.locator("#cf-kind-individual")).to_have_attribute("aria-pressed", "true")
    # A bad ID number is refused, naming the field; nothing is created.
    page.fill("#cf-name", name)
    page.fill("#cf-id_number", "110105199001011234")
    page.click("#cf-save")
    expect(page.locator("#cf-error-id_number")).to_contain_text("校验位错误")
    assert "/customers/new" in page.url
    number = _new_id_number()
    page.fill("#cf-id_number", number)
    page.select_option("#cf-segment", "hnw")
    page.click("#cf-save")
    page.wait_for_url(DETAIL_URL)
    expect(page.locator("#customer-name")).to_have_text(name)
    expect(page.locator("#customer-segment")).to_have_text("高净值")
    # The same ID number again: refused, naming the existing customer.
    page.goto("/customers/new")
    page.fill("#cf-name", name + "二")
    page.fill("#cf-id_number", number)
    page.click("#cf-save")
    expect(page.locator("#cf-error-id_number")).to_contain_text("已属于客户")
    # An institution's form asks for its credit code.
    page.click("#cf-kind-institution")
    expect(page.locator("#cf-id_type option[value=uscc]")).to_have_count(1)
    expect(page.locator("#cf-id_type option[value=resident_id]")).to_have_count(0)
    expect(page.locator("#cf-field-gender")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_edit_meanwhile_changed_by_someone_else_is_shown_as_a_conflict(desktop_page: Page, phone_page: Page) -> None:
    rm, manager = desktop_page, phone_page
    sign_in_ok(rm, "rm")
    customer_id = _create(rm, f"冲突客户{uuid.uuid4().hex[:4]}", occupation="教师")
    sign_in_ok(manager, "manager")

    # The rm opens the form: fields his role may not change are shown, not editable.
    rm.click("#edit-customer")
    rm.wait_for_url(re.compile(rf"/customers/{customer_id}/edit"))
    expect(rm.locator("#cf-name")).to_be_disabled()
    expect(rm.locator("#cf-id_number")).to_be_disabled()
    expect(rm.locator("#cf-field-owner_id")).to_have_count(0)  # reassigning is not an rm's
    rm.fill("#cf-occupation", "律师")
    rm.fill("#cf-email", "rm@example.com")

    # Meanwhile the branch manager changes the occupation and the address, on his phone.
    manager.goto(f"/customers/{customer_id}/edit")
    expect(manager.locator("#cf-occupation")).to_have_value("教师")
    manager.fill("#cf-occupation", "医生")
    manager.fill("#cf-address", "北京市海淀区中关村大街 1 号")
    manager.click("#cf-save")
    manager.wait_for_url(DETAIL_URL)

    # The rm saves what he loaded: nothing is overwritten; he sees what they changed beside his change.
    rm.click("#cf-save")
    table = rm.locator("#conflict-table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("医生")
    expect(table).to_contain_text("北京市海淀区中关村大街 1 号")
    occupation = table.locator("tr", has_text="职业")
    expect(occupation).to_contain_text("教师")  # what it was
    expect(occupation).to_contain_text("律师")  # his change
    expect(occupation).to_contain_text("双方都修改了此项")
    assert f"/customers/{customer_id}/edit" in rm.url
    # He chooses to save his changes on top of theirs: his occupation, their address, his e-mail.
    rm.click("#conflict-apply")
    rm.wait_for_url(DETAIL_URL)
    profile = rm.locator("#profile")
    expect(profile).to_contain_text("律师")
    expect(profile).to_contain_text("北京市海淀区中关村大街 1 号")
    expect(profile).to_contain_text("rm@example.com")


def test_a_saved_view_is_restored_from_its_url(desktop_page: Page, phone_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "rm")
    page.click("#sort-aum")
    page.wait_for_url(re.compile(r"sort=aum&dir=desc"))
    expect(page.locator("#sort-aum .sort-arrow.active")).to_have_text("↓")  # the sorted rows came with it
    first = page.locator("[id^=customer-row-] .c-name").first.inner_text()
    page.click("#filter-toggle")
    page.select_option("#filter-field-r1", "segment")
    page.select_option("#filter-value-r1", "hnw")
    page.click("#filter-apply")
    expect(page.locator("#filter-chip-0")).to_contain_text("客户分层 等于 高净值")
    page.wait_for_url(re.compile(r"f=%5B"))
    filtered_first = page.locator("[id^=customer-row-] .c-name").first.inner_text()
    # Back: the unfiltered list by AUM; forward: the filtered one again.
    page.go_back()
    expect(page.locator("#filter-chip-0")).to_have_count(0)
    expect(page.locator("[id^=customer-row-] .c-name").first).to_have_text(first)
    page.go_forward()
    expect(page.locator("#filter-chip-0")).to_contain_text("高净值")

    name = f"高净值按 AUM {uuid.uuid4().hex[:4]}"
    page.click("#view-save-open")
    page.fill("#view-name", name)
    page.check("#view-shared")
    page.click("#view-save")
    page.wait_for_url(re.compile(r"view=\d+"))
    expect(page.locator("#view-select option:checked")).to_have_text(name)
    url = page.url

    # The link on a phone (a new sign-in): the same list, sorted and filtered as saved.
    phone = phone_page
    sign_in_ok(phone, "rm")
    phone.goto(url)
    expect(phone.locator("#view-select option:checked")).to_have_text(name)
    expect(phone.locator("#sort-select")).to_have_value("aum:desc")
    expect(phone.locator("#filter-chip-0")).to_contain_text("客户分层 等于 高净值")
    expect(phone.locator("[id^=customer-row-] .c-name").first).to_have_text(filtered_first)
    phone.reload()
    expect(phone.locator("#filter-chip-0")).to_contain_text("高净值")
    expect(phone.locator("#sort-select")).to_have_value("aum:desc")
    # All customers again through the views select.
    phone.select_option("#view-select", "")
    expect(phone.locator("#filter-chip-0")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def _rows_not_of(page: Page, owner: str, n: int) -> list[tuple[str, str]]:
    """(id, owner) of the first `n` rows whose RM is not `owner`."""
    found = []
    for row in page.locator("[id^=customer-row-]").all():
        who = row.locator(".cell-owner").inner_text().strip()
        if who != owner:
            found.append((row.get_attribute("data-customer-id"), who))
        if len(found) == n:
            break
    assert len(found) == n
    return found


def _reassign(page: Page, picked: list[tuple[str, str]], avoid: set[str]) -> str:
    for cid, _ in picked:
        page.click(f"#select-customer-{cid}")
    expect(page.locator("#selection-info")).to_contain_text(f"已选择 {len(picked)} 位客户")
    page.click("#bulk-reassign")
    expect(page.locator("#bulk-choice option").nth(1)).to_be_attached()  # the RMs arrive from the server
    options = page.locator("#bulk-choice option").all()
    target = next(o for o in options[1:] if o.inner_text().split(" · ")[0] not in avoid)
    target_name = target.inner_text().split(" · ")[0]
    page.select_option("#bulk-choice", target.get_attribute("value"))
    page.click("#bulk-apply")
    expect(page.locator("#bulk-result")).to_contain_text(f"已将 {len(picked)} 位客户转给 {target_name}")
    return target_name


def test_a_branch_manager_reassigns_customers_in_bulk_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "manager")
    page.click("#sort-aum")
    page.wait_for_url(re.compile(r"sort=aum"))
    expect(page.locator("[id^=customer-row-]").first).to_be_visible()
    picked = _rows_not_of(page, "李娜", 2)  # the demo rm's book stays hers (other tests count it)
    target = _reassign(page, picked, {"李娜", *(who for _, who in picked)})
    for cid, _ in picked:
        expect(page.locator(f"#customer-row-{cid} .cell-owner")).to_have_text(target)
        expect(page.locator(f"#select-customer-{cid}")).not_to_be_checked()
    # The reassignment is on the customer's timeline, with who made it.
    page.click(f"#customer-row-{picked[0][0]}")
    page.wait_for_url(DETAIL_URL)
    item = page.locator("#timeline-list .tl-item", has_text="更换客户经理").first
    expect(item).to_contain_text(f"{picked[0][1]} → {target}")
    expect(item).to_contain_text("赵立新")


def test_a_branch_manager_reassigns_a_customer_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "manager")
    page.select_option("#sort-select", "aum:asc")
    page.wait_for_url(re.compile(r"sort=aum&dir=asc"))
    expect(page.locator("[id^=customer-row-]").first).to_be_visible()
    picked = _rows_not_of(page, "李娜", 1)
    target = _reassign(page, picked, {"李娜", picked[0][1]})
    expect(page.locator(f"#customer-row-{picked[0][0]} .cell-owner")).to_have_text(target)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_header_search_finds_customers_from_any_page_on_a_desktop(desktop_page: Page) -> None:
    page = desktop_page
    sign_in_ok(page, "rm")
    page.locator("h1.page-title").click()  # nothing typed into: "/" is the shortcut, not a character
    page.keyboard.press("/")
    box = page.locator("#global-search")
    expect(box).to_be_focused()
    box.type("zs")
    result = page.locator("#hs-results .hs-item", has_text="张三").first
    expect(result).to_be_visible()
    box.press("Enter")
    page.wait_for_url(DETAIL_URL)
    expect(page.locator("#customer-name")).to_have_text("张三")
    # Ctrl+K from the 360 page; Escape leaves the box and the panel closes.
    page.locator("#customer-name").click()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    expect(page.locator("#global-search-panel")).to_be_visible()
    box.press("Escape")
    expect(page.locator("#global-search-panel")).to_be_hidden()


def test_the_header_search_offers_recently_viewed_customers_and_finds_a_phone_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    open_customer(page)
    zhang = DETAIL_URL.search(page.url).group(1)
    page.goto("/customers")
    box = page.locator("#global-search")
    box.click()
    recent = page.locator("#hs-recent .hs-item").first
    expect(recent).to_contain_text("张三")  # the customer opened last comes first
    box.type("zs")
    found = page.locator(f"#hs-result-{zhang}")
    expect(found).to_be_visible()
    phone_last4 = re.search(r"\*{4}(\d{4})", found.inner_text()).group(1)
    box.fill("")
    box.type(phone_last4)
    expect(page.locator(f"#hs-result-{zhang}")).to_be_visible()
    page.locator(f"#hs-result-{zhang}").click()
    page.wait_for_url(re.compile(rf"/customers/{zhang}/?$"))
    expect(page.locator("#customer-name")).to_have_text("张三")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
