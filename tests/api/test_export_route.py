"""GET /exports/customers.{csv,xlsx}: the list's export download, authenticated by the UI's session
cookie (a real one, from services.security.auth.sign_in), scoped, filtered, audited, and refusing
bad input with a translated 422 and nothing written."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.customers import custom_fields as cf
from services.security.auth import SESSION_COOKIE, sign_in
from services.security.models import AuditEvent

PASSWORD = "correct horse 1"  # the org fixture's users (tests/conftest.py)
PRIVATE = {"key": "private_banking", "label": "是否私行客户", "label_en": "Private banking client",
           "field_type": "choice", "applies_to": "individual", "position": 1,
           "choices": [{"value": "yes", "label": "是", "label_en": "Yes"},
                       {"value": "no", "label": "否", "label_en": "No"}]}


@pytest.fixture
def book(uow_factory, actors, new_customer):
    with uow_factory() as uow:
        cf.create_definition(uow=uow, actor=actors["admin"], data=dict(PRIVATE))
        uow.commit()
    new_customer(name="富一", segment="affluent", custom={"private_banking": "yes"})
    new_customer(name="=富二", segment="affluent", custom={"private_banking": "no"})
    new_customer(name="大众", segment="mass")
    new_customer(owner="rm_b1", name="别人的", segment="affluent", custom={"private_banking": "yes"})


def session_cookie(uow_factory, username: str) -> str:
    with uow_factory() as uow:
        signed = sign_in(uow=uow, username=username, password=PASSWORD)
        uow.commit()
    return f"{SESSION_COOKIE}={signed.token}"


def _get(http, cookie: str | None, fmt: str = "csv", locale: str = "zh_CN", accept: str = "*/*", **params):
    headers = {"Accept": accept}
    if cookie:
        headers["Cookie"] = f"{cookie}; fincrm_locale={locale}"
    return http.get(f"/exports/customers.{fmt}?{urlencode(params)}", headers=headers)


def test_without_a_language_choice_the_export_speaks_the_firms_default_not_the_browsers(http, uow_factory, book,
                                                                                         monkeypatch):
    """The pages show FINCRM_LOCALE until the user picks a language; a download from them must match."""
    from services.settings import get_settings

    monkeypatch.setattr(get_settings(), "locale", "zh_CN")
    cookie = session_cookie(uow_factory, "rm_a1")
    r = http.get("/exports/customers.csv", headers={"Cookie": cookie, "Accept-Language": "en-US,en;q=0.9"})
    assert r.status_code == 200, r.text
    assert _csv(r.content)[0][:2] == ["客户号", "姓名"]
    r = _get(http, cookie, locale="en")  # a language the user chose wins
    assert _csv(r.content)[0][:2] == ["Customer no.", "Name"]


def _exports(connection) -> int:
    return connection.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "customer.export")).scalar_one()


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_rm_downloads_the_filtered_search_as_csv_and_the_export_is_audited(http, uow_factory, org, book,
                                                                            connection):
    cookie = session_cookie(uow_factory, "rm_a1")
    filters = [{"field": "segment", "op": "eq", "value": "affluent"}]
    r = _get(http, cookie, q="", filters=json.dumps(filters))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    assert r.headers["cache-control"] == "no-store" and r.headers["x-export-rows"] == "2"
    rows = _csv(r.content)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["客户号", "姓名"] and header[-1] == "是否私行客户"
    assert sorted(row[1] for row in body) == ["'=富二", "富一"]  # scoped, filtered, formula neutralised
    assert sorted(row[-1] for row in body) == ["否", "是"]
    assert _exports(connection) == 1
    changes = json.loads(connection.execute(select(AuditEvent.changes)
                                            .where(AuditEvent.action == "customer.export")).scalar_one())
    assert changes["filters"] == filters and changes["rows"] == 2

    # A custom-field filter and the search query narrow it further; Excel in English.
    filters = [{"field": "custom.private_banking", "op": "eq", "value": "yes"}]
    r = _get(http, cookie, fmt="xlsx", locale="en", q="富", filters=json.dumps(filters))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:2] == ["Customer no.", "Name"] and values[0][-1] == "Private banking client"
    assert [v[1] for v in values[1:]] == ["富一"] and values[1][-1] == "Yes"


@pytest.mark.parametrize("fmt, params, field, zh", [
    ("csv", {"filters": "[{"}, "filters", "筛选条件: 类型错误"),
    ("csv", {"filters": json.dumps({"field": "segment"})}, "filters", "筛选条件: 类型错误"),
    ("csv", {"filters": json.dumps([{"field": "segment", "op": "eq", "value": "gold"}])}, "segment",
     "客户分层: 必须为以下之一"),
    ("csv", {"filters": json.dumps([{"field": "custom.nope", "op": "eq", "value": "x"}])}, "filters",
     "custom.nope 不是可筛选的字段"),
    ("pdf", {}, "format", "文件格式: 必须为 csv 或 xlsx"),
    ("csv", {"q": "x" * 101}, "query", "搜索: 超过 100 个字符"),
])
def test_bad_input_gets_a_translated_422_and_nothing_is_written(http, uow_factory, org, book, connection,
                                                                 fmt, params, field, zh):
    cookie = session_cookie(uow_factory, "rm_a1")
    r = _get(http, cookie, fmt=fmt, **params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "error.validation" and field in [f["field"] for f in body["fields"]]
    assert zh in body["message"]
    assert _exports(connection) == 0
    # English for an English user; a browser navigation gets a page with the message and a way back.
    r = _get(http, cookie, fmt=fmt, locale="en", accept="text/html,application/xhtml+xml,*/*;q=0.8", **params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'id="export-error"' in r.text and 'href="/customers"' in r.text and "Back to customers" in r.text
    assert "<script" not in r.text.lower()


def test_no_or_a_revoked_session_gets_401_and_no_file(http, uow_factory, org, book, connection):
    from services.security.auth import sign_out

    r = _get(http, None)
    assert r.status_code == 401 and r.json()["error"] == "auth.session_invalid"
    r = _get(http, f"{SESSION_COOKIE}=forged-token")
    assert r.status_code == 401
    cookie = session_cookie(uow_factory, "rm_a1")
    with uow_factory() as uow:
        sign_out(uow=uow, token=cookie.split("=", 1)[1])
        uow.commit()
    r = _get(http, cookie)
    assert r.status_code == 401 and "text/csv" not in r.headers["content-type"]
    assert _exports(connection) == 0


def test_export_sees_only_the_callers_scope(http, uow_factory, org, book):
    r = _get(http, session_cookie(uow_factory, "rm_b1"), filters=json.dumps(
        [{"field": "custom.private_banking", "op": "is_set", "value": True}]))
    assert r.status_code == 200
    assert [row[1] for row in _csv(r.content)[1:]] == ["别人的"]


@pytest.mark.parametrize("document_id", ["%C2%B2", "%E2%91%A0", "1" * 40, "-1"])
def test_a_document_id_that_is_not_plain_digits_is_refused_not_a_server_error(http, uow_factory, org, document_id):
    """'²' and '①' pass str.isdigit() but int() refuses them: ids from a URL go through whole_number()."""
    cookie = session_cookie(uow_factory, "rm_a1")
    r = http.get(f"/documents/{document_id}", headers={"Cookie": cookie})
    assert r.status_code in (404, 422), r.text
    assert "message" in r.json()
