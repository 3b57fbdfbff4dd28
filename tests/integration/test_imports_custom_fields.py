"""Custom-field columns in customer imports, on a real database (SQLite, and PostgreSQL when
FINCRM_TEST_DATABASE_URL is set): mapping suggestions by label, the custom-field rules per row with
the row and column named, field permissions, required fields, and re-imports that change nothing."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from services.customers import custom_fields as cf
from services.customers.models import Customer
from services.errors import Refusal, ValidationFailed
from services.imports import service as imports
from services.security.models import AuditEvent
from services.validation.identity import make_id_number

INCOME = {"key": "annual_income", "label": "年收入", "label_en": "Annual income", "field_type": "money",
          "applies_to": "individual", "min_value": "0", "max_value": "100000000", "position": 1}
PRIVATE = {"key": "private_banking", "label": "是否私行客户", "label_en": "Private banking client",
           "field_type": "choice", "choices": [{"value": "yes", "label": "是", "label_en": "Yes"},
                                               {"value": "no", "label": "否", "label_en": "No"}], "position": 2}
HOBBIES = {"key": "hobbies", "label": "兴趣爱好", "label_en": "Interests", "field_type": "multi_choice",
           "choices": [{"value": "golf", "label": "高尔夫", "label_en": "Golf"},
                       {"value": "travel", "label": "旅行", "label_en": "Travel"},
                       {"value": "art", "label": "艺术收藏", "label_en": "Art"}], "position": 3}
SINCE = {"key": "vip_since", "label": "贵宾起始日", "label_en": "VIP since", "field_type": "date", "position": 4}
NOTE = {"key": "risk_note", "label": "风险偏好备注", "label_en": "Risk preference note", "field_type": "text",
        "visible_to": ["rm", "compliance"], "editable_by": ["rm"], "position": 5}
RM_ONLY = {"key": "rm_score", "label": "客户经理评分", "label_en": "RM score", "field_type": "number",
           "editable_by": ["rm"], "position": 6}
LEGAL = {"key": "legal_form", "label": "企业性质", "label_en": "Legal form", "field_type": "text",
         "applies_to": "institution", "position": 7}
SCORE = {"key": "kyc_score", "label": "尽调评分", "label_en": "KYC score", "field_type": "number", "required": True,
         "position": 8}

HEADER = ["姓名", "证件号码", "手机号", "Annual income", "是否私行客户", "兴趣爱好", "贵宾起始日"]


def _define(uow_factory, actors, *specs) -> None:
    with uow_factory() as uow:
        for spec in specs:
            cf.create_definition(uow=uow, actor=actors["admin"], data=dict(spec))
        uow.commit()


def _rows(n: int = 3, start: int = 500) -> list[list[str]]:
    out = []
    for i in range(start, start + n):
        birth = date(1981, 2, 1 + (i % 27))
        out.append([f"自定义{i}", make_id_number("310104", birth, i), f"1381234{i:04d}", "1,234,567.5", "是",
                    "高尔夫、旅行", "2024年3月1日"])
    return out


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(uow_factory, actor, data, filename="customers.csv"):
    with uow_factory() as uow:
        view = imports.upload(uow=uow, actor=actor, data=data, filename=filename)
        uow.commit()
    return view


def run(uow_factory, actors, org, data, filename="customers.csv", actor="ops_a", **kw):
    batch = upload(uow_factory, actors[actor], data, filename)
    kw.setdefault("default_owner_id", org.users["rm_a1"])
    return imports.run_import(uow_factory=uow_factory, actor=actors[actor], batch_id=batch.id, **kw)


def report(uow_factory, actor, batch_id) -> list[list[str]]:
    with uow_factory() as uow:
        _, data = imports.error_report(uow=uow, actor=actor, batch_id=batch_id)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]


def _custom(uow_factory, name: str) -> dict:
    with uow_factory() as uow:
        return uow.session.execute(select(Customer.custom).where(Customer.name == name)).scalar_one()


def _count(uow_factory, model=Customer, *where) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_mapping_offers_and_suggests_the_custom_fields_the_importer_may_see(uow_factory, actors):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE, NOTE)
    with uow_factory() as uow:
        targets = imports.mapping_targets(uow=uow, actor=actors["ops_a"])
    # risk_note is visible to rm and compliance only: ops never gets it offered.
    assert [(t.value, t.label, t.label_en) for t in targets] == [
        ("custom.annual_income", "年收入", "Annual income"), ("custom.private_banking", "是否私行客户",
                                                             "Private banking client"),
        ("custom.hobbies", "兴趣爱好", "Interests"), ("custom.vip_since", "贵宾起始日", "VIP since")]
    with uow_factory() as uow, pytest.raises(Refusal):
        imports.mapping_targets(uow=uow, actor=actors["rm_a1"])
    batch = upload(uow_factory, actors["ops_a"], csv_bytes(_rows(1), HEADER + ["风险偏好备注", "interests"]))
    with uow_factory() as uow:
        p = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=batch.id)
    # By Chinese label, by English label (any case); a second column for the same field stays unmapped.
    assert p.mapping == {"姓名": "name", "证件号码": "id_number", "手机号": "phone",
                         "Annual income": "custom.annual_income", "是否私行客户": "custom.private_banking",
                         "兴趣爱好": "custom.hobbies", "贵宾起始日": "custom.vip_since"}
    assert p.rows[0].errors == [] and p.mapping_errors == []
    # A field the importer may not see cannot be mapped, even by a hand-made request.
    with uow_factory() as uow:
        p2 = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=batch.id,
                             mapping={**p.mapping, "风险偏好备注": "custom.risk_note"})
    assert [(e.field, e.code, e.params["column"]) for e in p2.mapping_errors] == [
        ("mapping", "import.unknown_target", "风险偏好备注")]
    with pytest.raises(ValidationFailed):
        imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                           mapping={**p.mapping, "风险偏好备注": "custom.risk_note"},
                           default_owner_id=1)


@pytest.mark.parametrize("fmt", ["utf-8-sig", "gb18030", "xlsx"])
def test_custom_values_import_in_canonical_form_and_the_same_rows_again_change_nothing(
        fmt, uow_factory, actors, org):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE)
    rows = _rows(3)
    rows[2][3:7] = ["", "", "", ""]  # empty cells set nothing
    data = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows, encoding=fmt)
    view = run(uow_factory, actors, org, data, "c." + ("xlsx" if fmt == "xlsx" else "csv"))
    assert (view.status, view.created_count, view.error_count) == ("done", 3, 0)
    assert _custom(uow_factory, "自定义500") == {"annual_income": "1234567.50", "private_banking": "yes",
                                                 "hobbies": ["golf", "travel"], "vip_since": "2024-03-01"}
    assert _custom(uow_factory, "自定义502") == {}
    audits = _count(uow_factory, AuditEvent, AuditEvent.action.like("customer.%"))
    # The same rows written differently (English labels, other separators and number forms): unchanged.
    again = _rows(3)
    again[0][3:7] = ["1234567.50", "yes", "Travel; golf", "2024-03-01"]
    again[2][3:7] = ["", "", "", ""]
    view2 = run(uow_factory, actors, org, csv_bytes(again), "again.csv")
    assert (view2.status, view2.created_count, view2.updated_count, view2.unchanged_count) == ("done", 0, 0, 3)
    assert _count(uow_factory, AuditEvent, AuditEvent.action.like("customer.%")) == audits


def test_a_changed_custom_value_updates_only_that_value(uow_factory, actors, org):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE)
    run(uow_factory, actors, org, csv_bytes(_rows(2)))
    rows = _rows(2)
    rows[0][4] = "否"
    rows[0][5] = ""  # an empty cell keeps the stored value
    view = run(uow_factory, actors, org, csv_bytes(rows, encoding="gb18030"))
    assert (view.updated_count, view.unchanged_count, view.created_count) == (1, 1, 0)
    assert _custom(uow_factory, "自定义500") == {"annual_income": "1234567.50", "private_banking": "no",
                                                 "hobbies": ["golf", "travel"], "vip_since": "2024-03-01"}
    with uow_factory() as uow:
        c = uow.session.execute(select(Customer).where(Customer.name == "自定义500")).scalar_one()
        ev = uow.session.execute(select(AuditEvent).where(AuditEvent.action == "customer.update",
                                                          AuditEvent.entity_id == str(c.id))).scalar_one()
        assert c.version == 2 and "custom.private_banking" in ev.changes and "hobbies" not in ev.changes


def test_bad_custom_values_reject_the_file_naming_row_column_and_field(uow_factory, actors, org):
    _define(uow_factory, actors, INCOME, PRIVATE, HOBBIES, SINCE)
    rows = _rows(5)
    rows[0][3] = "12.345"  # too many decimals for money
    rows[1][4] = "maybe"  # not a choice
    rows[2][5] = "高尔夫、滑雪"  # one of the picks is not a choice
    rows[3][6] = "2024-02-30"  # not a date
    rows[4][3] = "-5"  # below the minimum
    view = run(uow_factory, actors, org, csv_bytes(rows))
    assert (view.status, view.error_count, view.created_count) == ("rejected", 5, 0)
    assert _count(uow_factory) == 0
    got = report(uow_factory, actors["ops_a"], view.id)
    assert [r[:3] for r in got] == [["2", "Annual income", "custom.annual_income"],
                                    ["3", "是否私行客户", "custom.private_banking"],
                                    ["4", "兴趣爱好", "custom.hobbies"],
                                    ["5", "贵宾起始日", "custom.vip_since"],
                                    ["6", "Annual income", "custom.annual_income"]]
    assert [r[3:] for r in got] == [
        ["年收入: 最多 2 位小数", "Annual income: may have at most 2 decimal places"],
        ["是否私行客户: 必须为以下之一：yes, no", "Private banking client: must be one of: yes, no"],
        ["兴趣爱好: 必须为以下之一：golf, travel, art", "Interests: must be one of: golf, travel, art"],
        ["贵宾起始日: 不是有效日期", "VIP since: is not a real date"],
        ["年收入: 不能小于 0", "Annual income: must be at least 0"]]
    with uow_factory() as uow:
        p = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=view.id)
    assert imports.describe(p.rows[1].errors[0], "zh_CN").startswith("第 3 行 [是否私行客户] 是否私行客户: ")
    assert [len(r.errors) for r in p.rows] == [1, 1, 1, 1, 1]


def test_field_permissions_kind_and_required_fields_hold_for_imports(uow_factory, actors, org):
    _define(uow_factory, actors, RM_ONLY, LEGAL, SCORE)
    header = ["姓名", "证件号码", "客户经理评分", "企业性质", "尽调评分"]
    birth = date(1979, 5, 6)
    rows = [["甲", make_id_number("310104", birth, 1), "", "", "88"],
            ["乙", make_id_number("310104", birth, 2), "5", "", "70"],  # ops may not set an rm-only field
            ["丙", make_id_number("310104", birth, 3), "", "有限公司", "70"],  # institution field on a person
            ["丁", make_id_number("310104", birth, 4), "", "", ""]]  # required field missing on create
    view = run(uow_factory, actors, org, csv_bytes(rows, header))
    assert view.status == "rejected" and _count(uow_factory) == 0
    got = {r[0]: r for r in report(uow_factory, actors["ops_a"], view.id)}
    assert sorted(got) == ["3", "4", "5"]
    assert got["3"][1:3] == ["客户经理评分", "custom.rm_score"] and got["3"][4] == "RM score: may not be changed by you"
    assert got["4"][1:3] == ["企业性质", "custom.legal_form"] and "does not apply" in got["4"][4]
    assert got["5"][1:3] == ["尽调评分", "custom.kyc_score"] and got["5"][3] == "尽调评分: 为必填项"
    ok = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=view.id,
                            default_owner_id=org.users["rm_a1"], apply_valid_rows=True)
    assert (ok.status, ok.created_count) == ("done", 1)
    assert _custom(uow_factory, "甲") == {"kyc_score": "88"}


def test_review_queue_keeps_custom_values_for_the_merge(uow_factory, actors, org, new_customer):
    _define(uow_factory, actors, PRIVATE)
    birth = date(1985, 6, 15)
    existing = new_customer(name="王五", birth_date=birth)
    header = ["姓名", "证件号码", "出生日期", "是否私行客户"]
    # Another ID number, same name and birth date: a person decides.
    view = run(uow_factory, actors, org, csv_bytes([["王五", make_id_number("110105", birth, 556),
                                                     "1985-06-15", "是"]], header))
    assert view.review_count == 1
    with uow_factory() as uow:
        item, = imports.review_items(uow=uow, actor=actors["ops_a"])
        assert imports.decide_review(uow=uow, actor=actors["ops_a"], item_id=item.id, decision="merge",
                                     customer_id=existing.id) == "merged"
        uow.commit()
    with uow_factory() as uow:
        assert uow.session.get(Customer, existing.id).custom == {"private_banking": "yes"}
