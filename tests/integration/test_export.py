"""Customer export (CSV, XLSX): scoped, masked per role, visible custom fields only, formulas
neutralised, audited."""
from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from services.customers import custom_fields as cf
from services.customers import export
from services.errors import Refusal, ValidationFailed
from services.security.actor import Actor
from services.security.models import AuditEvent

NOTE = {"key": "risk_note", "label": "风险偏好备注", "label_en": "Risk preference note", "field_type": "text",
        "visible_to": ["rm", "compliance"], "editable_by": ["rm"]}
INCOME = {"key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money"}


@pytest.fixture
def book(uow_factory, actors, new_customer):
    with uow_factory() as uow:
        for spec in (NOTE, INCOME):
            cf.create_definition(uow=uow, actor=actors["admin"], data=dict(spec))
        uow.commit()
    a = new_customer(name="张三", phone="13800138000",
                     custom={"risk_note": '=HYPERLINK("http://evil.example","点我")', "annual_income": "-1200.5"})
    b = new_customer(name="@李四", custom={"annual_income": "300000"})
    c = new_customer(owner="rm_b1", name="王五")
    return a, b, c


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_is_scoped_masked_and_neutralised(uow_factory, actors, book, connection):
    with uow_factory() as uow:
        f = export.export_customers(uow=uow, actor=actors["rm_a1"], fmt="csv", locale="zh_CN")
        uow.commit()
    rows = _csv(f.data)
    header, body = rows[0], rows[1:]
    assert f.rows == 2 and f.filename.endswith(".csv") and f.content_type.startswith("text/csv")
    assert header[:3] == ["客户号", "姓名", "客户类型"] and header[-2:] == ["风险偏好备注", "年收入"]
    by_name = {r[1]: dict(zip(header, r)) for r in body}
    assert set(by_name) == {"张三", "'@李四"}  # rm_b1's customer is outside the scope
    zs = by_name["张三"]
    assert zs["手机号"] == "138****8000" and "*" in zs["证件号码"]  # masked for an RM
    assert zs["风险偏好备注"].startswith("'=HYPERLINK(")
    assert zs["年收入"] == "-1200.50"  # a plain negative number is not a formula: left alone
    ev = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "customer.export")).scalar_one()
    assert json.loads(ev)["rows"] == 2 and json.loads(ev)["format"] == "csv"


def test_xlsx_export_hides_fields_the_role_may_not_see(uow_factory, actors, book):
    with uow_factory() as uow:
        f = export.export_customers(uow=uow, actor=actors["lead_a1"], fmt="xlsx", locale="en",
                                    filters=[{"field": "custom.annual_income", "op": "is_set"}])
    ws = load_workbook(io.BytesIO(f.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = rows[0]
    assert "Risk preference note" not in header and header[-1] == "Annual income"
    names = sorted(r[1] for r in rows[1:])
    assert names == ["'@李四", "张三"]
    assert all(not isinstance(v, str) or not v.startswith(("=", "@", "+")) for r in rows for v in r)
    incomes = sorted(r[-1] for r in rows[1:])
    assert [float(x) for x in incomes] == [-1200.5, 300000.0]  # numbers stay numbers in XLSX


def test_admin_export_hides_nothing_it_should_not_show(uow_factory, actors, book):
    with uow_factory() as uow:
        f = export.export_customers(uow=uow, actor=actors["admin"], fmt="csv", locale="en")
    text = f.data.decode("utf-8-sig")
    assert "13800138000" not in text and "138****8000" in text and "HYPERLINK" not in text


def test_export_refuses_api_clients_bad_format_and_too_many_rows(uow_factory, actors, book, monkeypatch):
    api = Actor(kind="api_client", id=1, name="core", roles=frozenset({"api"}))
    with uow_factory() as uow, pytest.raises(Refusal):
        export.export_customers(uow=uow, actor=api)
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        export.export_customers(uow=uow, actor=actors["rm_a1"], fmt="xls")
    assert exc.value.errors[0].field == "format"
    monkeypatch.setattr(export, "MAX_ROWS", 1)
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        export.export_customers(uow=uow, actor=actors["rm_a1"], fmt="csv")
    assert exc.value.errors[0].code == "export.too_many"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("-12.50", "-12.50"), ("张三", "张三"), (5, 5),
])
def test_neutralise(value, expected):
    assert export.neutralise(value) == expected
