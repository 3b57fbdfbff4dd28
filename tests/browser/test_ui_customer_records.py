"""The 360 page's documents and consent cards on a phone, in the real production build: an RM
uploads a PDF to 张三, sees it listed and downloads it; records a marketing-consent withdrawal and
sees the card change. The download route refuses another branch's customer's document."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_steps import open_customer, sign_in_ok

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _pdf(marker: str) -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"% " + marker.encode() + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def test_rm_uploads_and_downloads_a_document_and_records_a_consent_withdrawal_on_a_phone(phone_page: Page) -> None:
    page = phone_page
    sign_in_ok(page, "rm")
    open_customer(page)

    # Nothing chosen, then a program renamed to .pdf: refused in Chinese, naming the field; nothing is listed.
    docs = page.locator("#documents-list .doc-item")
    before = docs.count()
    page.click("#doc-upload-button")
    expect(page.locator("#doc-error")).to_have_text("请先选择一个文件。")
    upload = page.locator("#doc-upload input[type=file]")
    upload.set_input_files(files=[{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 program"}])
    page.click("#doc-upload-button")
    expect(page.locator("#doc-error")).to_contain_text("文件: 不是有效的 PDF 文件")
    assert docs.count() == before

    # A PDF is uploaded as a contract and listed at the top with its Chinese name.
    marker = uuid.uuid4().hex[:8]
    name = f"理财合同-{marker}.pdf"
    content = _pdf(marker)
    page.select_option("#doc-kind", "contract")
    upload.set_input_files(files=[{"name": name, "mimeType": "application/pdf", "buffer": content}])
    expect(page.locator("#doc-selected")).to_contain_text(name)
    page.click("#doc-upload-button")
    first = docs.first
    expect(first.locator(".doc-name")).to_have_text(name)
    expect(first).to_contain_text("合同")
    expect(page.locator("#doc-error")).to_have_count(0)

    # Download: the same bytes under the original name.
    with page.expect_download() as info:
        first.locator(".doc-download").click()
    download = info.value
    assert download.suggested_filename == name
    with open(download.path(), "rb") as fh:
        assert fh.read() == content

    # Consent: record a withdrawal of marketing consent by phone; the card follows.
    marketing = page.locator("#consent-list .consent-item", has_text="营销推广")
    page.click("#consent-record")
    expect(page.locator("#consent-dialog")).to_be_visible()
    page.select_option("#consent-purpose", "marketing")
    page.select_option("#consent-decision", "withdraw")
    page.select_option("#consent-channel", "phone")
    page.fill("#consent-evidence", f"录音 {marker}")
    page.click("#consent-submit")
    expect(page.locator("#consent-dialog")).to_have_count(0)
    expect(marketing.locator(".badge")).to_have_text("已撤回")
    expect(marketing).to_contain_text("电话")


def test_download_route_needs_the_session_and_the_customers_scope(live_app) -> None:
    """Plain HTTP: no cookie, a foreign customer's document, a bad id - all refused, nothing served."""
    import httpx
    from sqlalchemy import create_engine, text

    engine = create_engine(live_app.db_url)
    with engine.connect() as conn:
        rm = conn.execute(text("SELECT id, branch_id FROM app_user WHERE username = 'rm'")).one()
        own = conn.execute(text("SELECT id FROM customer WHERE owner_id = :u ORDER BY id LIMIT 1"),
                           {"u": rm.id}).scalar_one()
        foreign = conn.execute(text("SELECT id FROM customer WHERE branch_id != :b ORDER BY id LIMIT 1"),
                               {"b": rm.branch_id}).scalar_one()
    engine.dispose()

    def login(user: str) -> httpx.Client:
        client = httpx.Client(base_url=live_app.url, timeout=30, headers={"Origin": live_app.url})
        r = client.post("/auth/login", data={"username": user, "password": "demo1234"}, follow_redirects=False)
        assert r.status_code == 303 and client.cookies.get("fincrm_session")
        return client

    # One document on the RM's own customer and one on another branch's, stored through the
    # services against the app's database (the system actor), in a process with the app's settings.
    import subprocess
    import sys

    script = (
        "from services.db import unit_of_work\n"
        "from services import documents\n"
        "from services.security.actor import SYSTEM as a\n"
        "ids = []\n"
        "with unit_of_work() as uow:\n"
        f"    for cid in ({own}, {foreign}):\n"
        "        ids.append(documents.store(uow.session, data=b'%PDF-1.4 x', filename='a.pdf',\n"
        "                   content_type='application/pdf', kind='other', customer_id=cid, actor=a).id)\n"
        "    uow.commit()\n"
        "print(ids[0], ids[1])\n")
    out = subprocess.run([sys.executable, "-c", script], env=live_app.env, cwd=str(ROOT),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    own_doc, foreign_doc = (int(x) for x in out.stdout.split())

    anonymous = httpx.get(f"{live_app.url}/documents/{own_doc}", timeout=30)
    assert anonymous.status_code == 401 and b"%PDF" not in anonymous.content
    client = login("rm")
    try:
        ok = client.get(f"/documents/{own_doc}")
        assert ok.status_code == 200 and ok.content == b"%PDF-1.4 x"
        assert ok.headers["content-type"] == "application/pdf"
        assert ok.headers["content-disposition"].startswith("attachment;")
        assert ok.headers["x-content-type-options"] == "nosniff"
        client.cookies.set("fincrm_locale", "en")  # the UI's language choice, as after switching to English
        refused = client.get(f"/documents/{foreign_doc}")
        assert refused.status_code == 403 and b"%PDF" not in refused.content
        assert refused.json()["message"] == "You are not permitted to do this."
        assert client.get("/documents/abc").status_code == 422
        assert client.get(f"/documents/{foreign_doc + 10_000}").status_code == 404
    finally:
        client.close()


RECORDS_STATE = ("reflex___state____state.state___session____app_state.state___session____data_state"
                 ".state___customer_records____customer_records_state")


def test_consent_handlers_refuse_a_foreign_customer_and_hostile_arguments_over_a_raw_socket(live_app) -> None:
    """A socket client records consent on another branch's customer, or sends junk: nothing is written."""
    import asyncio
    import concurrent.futures
    import json
    import time

    import httpx
    import socketio
    from sqlalchemy import create_engine, text

    engine = create_engine(live_app.db_url)

    def consent_rows(customer_id: int) -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM consent_record WHERE customer_id = :c"),
                                {"c": customer_id}).scalar_one()

    with engine.connect() as conn:
        rm = conn.execute(text("SELECT id, branch_id FROM app_user WHERE username = 'rm'")).one()
        foreign = conn.execute(text("SELECT id FROM customer WHERE branch_id != :b ORDER BY id LIMIT 1"),
                               {"b": rm.branch_id}).scalar_one()
        own = conn.execute(text("SELECT id FROM customer WHERE owner_id = :u ORDER BY id DESC LIMIT 1"),
                           {"u": rm.id}).scalar_one()
    r = httpx.post(f"{live_app.url}/auth/login", data={"username": "rm", "password": "demo1234"},
                   headers={"Origin": live_app.url}, follow_redirects=False, timeout=30)
    session = r.cookies.get("fincrm_session")
    assert r.status_code == 303 and session
    before = (consent_rows(foreign), consent_rows(own))
    good = {"purpose": "marketing", "decision": "withdraw", "channel": "phone"}
    calls = [
        (f"/customers/{foreign}", "record_consent", {"form_data": good}),
        (f"/customers/{own}", "record_consent", {"form_data": {**good, "decision": {"$ne": 1}}}),
        (f"/customers/{own}", "record_consent", {"form_data": {**good, "purpose": "everything"}}),
        (f"/customers/{own}", "record_consent", {"form_data": "purpose=marketing"}),
        (f"/customers/{own}", "record_consent", {"form_data": {**good, "channel": ["phone"]}}),
        (f"/customers/{own}", "set_doc_kind", {"value": "import_source"}),
        (f"/customers/{own}", "consent_open_change", {"is_open": {"x": 1}}),
        (f"/customers/{own}", "setvar", {"var_name": "doc_kind", "value": "import_source"}),
    ]
    frames: list = []

    async def scenario() -> None:
        sio = socketio.AsyncClient(reconnection=False)

        async def record(event: str, data=None) -> None:
            frames.append(data)

        sio.on("*", record, namespace="/_event")
        await sio.connect(f"{live_app.url}?token=trec-{time.time_ns()}", socketio_path="/_event",
                          namespaces=["/_event"], transports=["websocket"],
                          headers={"Origin": live_app.url, "Cookie": f"fincrm_session={session}"}, wait_timeout=20)
        try:
            for path, name, payload in calls:
                await sio.emit("event", {"name": f"{RECORDS_STATE}.{name}", "payload": payload,
                                         "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")
                await asyncio.sleep(0.3)
            await asyncio.sleep(1.0)
        finally:
            await sio.disconnect()

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, scenario()).result()
        sent = json.dumps(frames, ensure_ascii=False)
        assert f"未找到：客户 {foreign}。" in sent  # the foreign customer, refused as a missing one would be
        assert "授权用途" in sent  # the unknown purpose, named
        assert "import_source" not in sent
        assert (consent_rows(foreign), consent_rows(own)) == before
    finally:
        engine.dispose()
