"""Customer import on a real database: encodings, formulas, duplicates, matching, atomicity, the
error report and the inbox (SQLite, and PostgreSQL when FINCRM_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import csv
import json
import io
import os
import time
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from services.customers import service as customers
from services.customers.models import Customer
from services.errors import DomainError, Refusal, ValidationFailed
from services.imports import jobs
from services.imports import service as imports
from services.imports.models import ImportBatch, ImportReviewItem
from services.imports.reader import ImportFileError
from services.security import audit
from services.security.keys import get_cipher
from services.security.models import AuditEvent
from services.validation.identity import make_id_number


def valid_id(seq: int, birth: date = date(1985, 6, 15), region: str = "110105") -> str:
    return make_id_number(region, birth, seq)

HEADER = ["姓名", "证件号码", "手机号", "出生日期", "电子邮箱", "客户分层"]


def _rows(n: int = 3, start: int = 100) -> list[list[str]]:
    out = []
    for i in range(start, start + n):
        birth = date(1980, 1, 1 + (i % 28))
        out.append([f"导入客户{i}", valid_id(i, birth, "310104"), f"1391234{i:04d}", birth.isoformat(),
                    f"imp{i}@example.com", "富裕客户"])
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


def _count(uow_factory, model=Customer, *where) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def upload(uow_factory, actor, data, filename="customers.csv"):
    with uow_factory() as uow:
        view = imports.upload(uow=uow, actor=actor, data=data, filename=filename)
        uow.commit()
    return view


def run(uow_factory, actors, org, data, filename="customers.csv", actor="ops_a", **kw):
    batch = upload(uow_factory, actors[actor], data, filename)
    kw.setdefault("default_owner_id", org.users["rm_a1"])
    return imports.run_import(uow_factory=uow_factory, actor=actors[actor], batch_id=batch.id, **kw)


def report_rows(uow_factory, actor, batch_id) -> list[list[str]]:
    with uow_factory() as uow:
        name, data = imports.error_report(uow=uow, actor=actor, batch_id=batch_id)
    assert data.startswith("\ufeff".encode("utf-8")) and name.endswith(".csv")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["utf-8", "utf-8-sig", "gb18030", "xlsx"])
def test_utf8_bom_gb18030_and_xlsx_files_import_the_same_customers(fmt, uow_factory, actors, org):
    rows = _rows(3)
    data = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows, encoding=fmt)
    view = run(uow_factory, actors, org, data, "c." + ("xlsx" if fmt == "xlsx" else "csv"))
    assert (view.status, view.created_count, view.error_count, view.total_rows) == ("done", 3, 0, 3)
    assert view.processed_rows == 3
    with uow_factory() as uow:
        batch = uow.session.get(ImportBatch, view.id)
        assert batch.encoding == ("xlsx" if fmt == "xlsx" else fmt)
        c = uow.session.execute(select(Customer).where(Customer.name == "导入客户100")).scalar_one()
        assert c.owner_id == org.users["rm_a1"] and c.segment == "affluent" and c.birth_date == date(1980, 1, 17)
        assert get_cipher().decrypt(c.phone_enc, context="customer.phone") == "13912340100"


def test_unknown_encoding_and_damaged_files_are_refused_before_anything_is_stored(uow_factory, actors):
    with pytest.raises(ImportFileError) as bad_text:
        upload(uow_factory, actors["ops_a"], "姓名,证件号码\n张三,1\n".encode("utf-8")[:-3] + b"\xff\xfe\xfa\n")
    assert bad_text.value.code in ("import.encoding", "import.binary")
    with pytest.raises(ImportFileError) as bad_zip:
        upload(uow_factory, actors["ops_a"], b"PK\x03\x04not really a zip", "c.xlsx")
    assert bad_zip.value.code == "import.malformed_xlsx"
    assert "workbook" in bad_zip.value.message("en")
    assert _count(uow_factory, ImportBatch) == 0


def test_formula_cells_are_refused_with_row_and_column(uow_factory, actors, org):
    rows = _rows(3)
    rows[1][0] = '=HYPERLINK("http://evil.example","click")'
    rows[2][4] = "@SUM(A1)"
    view = run(uow_factory, actors, org, xlsx_bytes(rows), "c.xlsx")
    assert view.status == "rejected" and view.error_count == 2 and view.created_count == 0
    assert _count(uow_factory) == 0
    report = report_rows(uow_factory, actors["ops_a"], view.id)
    assert report[0] == ["row", "column", "field", "message_zh_CN", "message_en"]
    assert report[1][:3] == ["3", "姓名", "name"] and "formula" in report[1][4]
    assert report[2][:3] == ["4", "电子邮箱", "email"] and "公式" in report[2][3]


def test_bad_rows_reject_the_whole_file_until_the_valid_rows_are_confirmed(uow_factory, actors, org):
    rows = _rows(4)
    rows[2][1] = rows[2][1][:-1] + ("0" if rows[2][1][-1] != "0" else "1")  # wrong check digit
    rows[3][2] = "12345"  # not a phone number
    batch = upload(uow_factory, actors["ops_a"], csv_bytes(rows))
    owner = org.users["rm_a1"]
    first = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                               default_owner_id=owner)
    assert first.status == "rejected" and first.error_count == 2 and _count(uow_factory) == 0
    msgs = [r[4] for r in report_rows(uow_factory, actors["ops_a"], batch.id)[1:]]
    assert msgs == ["ID number: check digit is wrong", "Phone: must be an 11-digit mainland mobile number"]
    second = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                                default_owner_id=owner, apply_valid_rows=True)
    assert (second.status, second.created_count, second.error_count) == ("done", 2, 2)
    assert _count(uow_factory) == 2
    with pytest.raises(DomainError) as again:
        imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                           default_owner_id=owner, apply_valid_rows=True)
    assert again.value.code == "import.batch_finished"


def test_a_row_the_customer_service_refuses_rolls_back_the_rows_before_it(uow_factory, actors, org):
    rows = _rows(3)
    header = HEADER + ["客户经理"]
    rows = [r + [u] for r, u in zip(rows, ["rm_a1", "rm_a2", "rm_b1"])]  # rm_b1 is in another branch
    view = run(uow_factory, actors, org, csv_bytes(rows, header), default_owner_id=None)
    assert view.status == "rejected" and view.error_count == 1
    assert _count(uow_factory) == 0
    # The two valid rows were written under the batch's hold (never visible) and removed again: the trail
    # says both, and the chain holds.
    assert _count(uow_factory, AuditEvent, AuditEvent.action == "customer.create") == 2
    with uow_factory() as uow:
        discards = [json.loads(c) for c in uow.session.execute(
            select(AuditEvent.changes).where(AuditEvent.action == "import.discard")).scalars()]
        assert sum(d["customers_removed"] for d in discards) == 2 and discards[-1]["closed"]
        assert audit.verify(uow.session).ok
    report = report_rows(uow_factory, actors["ops_a"], view.id)
    assert report[1][:3] == ["4", "客户经理", "owner_id"]


def test_an_unexpected_failure_mid_batch_leaves_nothing(uow_factory, actors, org, monkeypatch):
    real = customers.create_customer_records
    calls = {"n": 0}

    def failing(**kw):  # the second bulk write fails after the first has written its customers
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(customers, "create_customer_records", failing)
    monkeypatch.setattr(imports, "CREATE_CHUNK", 2)
    batch = upload(uow_factory, actors["ops_a"], csv_bytes(_rows(5)))
    with pytest.raises(DomainError) as exc:
        imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                           default_owner_id=org.users["rm_a1"])
    assert exc.value.code == "import.failed" and calls["n"] == 2
    assert _count(uow_factory) == 0
    with uow_factory() as uow:
        assert uow.session.get(ImportBatch, batch.id).status == "failed"
    # Who started the run is on record although the run wrote nothing.
    assert _count(uow_factory, AuditEvent, AuditEvent.action == "import.start",
                  AuditEvent.entity_id == str(batch.id)) == 1


def test_duplicate_rows_and_ids_within_a_file_name_the_first_row(uow_factory, actors, org):
    rows = _rows(2)
    dup_id = list(rows[0])
    dup_id[2] = "13900000000"
    rows += [list(rows[0]), dup_id]
    view = run(uow_factory, actors, org, csv_bytes(rows), apply_valid_rows=True)
    assert (view.created_count, view.error_count) == (2, 2)
    report = report_rows(uow_factory, actors["ops_a"], view.id)
    assert report[1][0] == "4" and report[1][4] == "The row repeats row 2."
    assert report[2][0] == "5" and "row 2" in report[2][4]


def test_importing_the_same_file_again_changes_nothing(uow_factory, actors, org):
    data = csv_bytes(_rows(3))
    assert run(uow_factory, actors, org, data).created_count == 3
    audits = _count(uow_factory, AuditEvent)
    with pytest.raises(DomainError) as exc:
        upload(uow_factory, actors["ops_a"], data)
    assert exc.value.code == "import.already_imported"
    # The same rows in other bytes (GB18030, XLSX): every row matches its customer, nothing to change.
    again = run(uow_factory, actors, org, xlsx_bytes(_rows(3)), "again.xlsx")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert _count(uow_factory) == 3
    assert _count(uow_factory, AuditEvent, AuditEvent.action.like("customer.%")) == 3
    assert _count(uow_factory, AuditEvent) > audits  # only the import's own events


def test_changed_rows_update_through_the_customer_service(uow_factory, actors, org):
    run(uow_factory, actors, org, csv_bytes(_rows(2)))
    rows = _rows(2)
    rows[0][4] = "new-address@example.com"
    view = run(uow_factory, actors, org, csv_bytes(rows, encoding="gb18030"))
    assert (view.updated_count, view.unchanged_count, view.created_count) == (1, 1, 0)
    with uow_factory() as uow:
        c = uow.session.execute(select(Customer).where(Customer.name == "导入客户100")).scalar_one()
        assert c.email == "new-address@example.com" and c.version == 2


def test_phone_only_rows_match_by_phone_and_name_birth_matches_go_to_review(uow_factory, actors, org, new_customer):
    existing = new_customer(name="李四", birth_date=date(1985, 6, 15), phone="13800130001")
    header = ["姓名", "证件号码", "手机号", "出生日期", "职业"]
    rows = [
        ["李四", "", "13800130001", "", "教师"],  # no ID: matched by phone -> update
        ["李四", valid_id(555, date(1985, 6, 15)), "13700000000", "1985-06-15", ""],  # other ID, same name+birth
    ]
    view = run(uow_factory, actors, org, csv_bytes(rows, header))
    assert (view.status, view.updated_count, view.review_count, view.created_count) == ("done", 1, 1, 0)
    with uow_factory() as uow:
        assert uow.session.get(Customer, existing.id).occupation == "教师"
        items = imports.review_items(uow=uow, actor=actors["ops_a"])
    assert len(items) == 1 and items[0].row_no == 3 and [c["id"] for c in items[0].candidates] == [existing.id]
    assert items[0].id_number.startswith("110105") and "*" in items[0].id_number  # masked
    with uow_factory() as uow:
        raw = uow.session.get(ImportReviewItem, items[0].id).data
    assert valid_id(555, date(1985, 6, 15)) not in str(raw) and "13700000000" not in str(raw)
    # A person decides: it is someone else -> a new customer with the row's full identity.
    with uow_factory() as uow:
        assert imports.decide_review(uow=uow, actor=actors["ops_a"], item_id=items[0].id, decision="create") == "created"
        uow.commit()
    assert _count(uow_factory, Customer, Customer.name == "李四") == 2
    with uow_factory() as uow, pytest.raises(DomainError):
        imports.decide_review(uow=uow, actor=actors["ops_a"], item_id=items[0].id, decision="dismiss")


def test_review_merge_only_into_a_listed_candidate(uow_factory, actors, org, new_customer):
    existing = new_customer(name="王五", birth_date=date(1985, 6, 15))
    rows = [["王五", valid_id(556, date(1985, 6, 15)), "", "1985-06-15", "wang@example.com"]]
    view = run(uow_factory, actors, org, csv_bytes(rows, ["姓名", "证件号码", "手机号", "出生日期", "电子邮箱"]))
    assert view.review_count == 1
    with uow_factory() as uow:
        item = imports.review_items(uow=uow, actor=actors["ops_a"])[0]
        with pytest.raises(ValidationFailed):
            imports.decide_review(uow=uow, actor=actors["ops_a"], item_id=item.id, decision="merge",
                                  customer_id=existing.id + 1000)
        assert imports.decide_review(uow=uow, actor=actors["ops_a"], item_id=item.id, decision="merge",
                                     customer_id=existing.id) == "merged"
        uow.commit()
    with uow_factory() as uow:
        assert uow.session.get(Customer, existing.id).email == "wang@example.com"


def test_who_may_import_and_see_a_batch(uow_factory, actors, org):
    for name in ("rm_a1", "admin", "compliance"):
        with pytest.raises(Refusal):
            upload(uow_factory, actors[name], csv_bytes(_rows(1)))
    view = run(uow_factory, actors, org, csv_bytes(_rows(1)))
    with uow_factory() as uow:
        assert imports.get_batch(uow=uow, actor=actors["compliance"], batch_id=view.id).status == "done"
        assert imports.get_batch(uow=uow, actor=actors["bm_a"], batch_id=view.id).id == view.id  # same branch
        with pytest.raises(Refusal):
            imports.get_batch(uow=uow, actor=actors["rm_a1"], batch_id=view.id)
    # The default owner must be an RM the importer may assign.
    batch = upload(uow_factory, actors["ops_a"], csv_bytes(_rows(1, start=300)))
    with pytest.raises(ValidationFailed):
        imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                           default_owner_id=org.users["rm_b1"])


def test_preview_suggests_the_mapping_and_shows_row_errors(uow_factory, actors, org):
    rows = _rows(2)
    rows[1][3] = "1980-02-30"
    batch = upload(uow_factory, actors["ops_a"], csv_bytes(rows, ["Name", "ID Number", "Mobile", "Date of birth",
                                                                 "E-mail", "Segment"]))
    with uow_factory() as uow:
        p = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=batch.id)
    assert p.mapping == {"Name": "name", "ID Number": "id_number", "Mobile": "phone", "Date of birth": "birth_date",
                         "E-mail": "email", "Segment": "segment"}
    assert p.rows[0].errors == [] and p.rows[1].row == 3
    assert [imports.describe(e, "en") for e in p.rows[1].errors] == [
        "Row 3 [Date of birth] Birth date: is not a real date"]
    assert imports.describe(p.rows[1].errors[0], "zh_CN") == "第 3 行 [Date of birth] 出生日期: 不是有效日期"
    with uow_factory() as uow:
        p2 = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=batch.id, mapping={"Mobile": "phone"})
    assert [e.field for e in p2.mapping_errors] == ["name"]


def _write(folder, name, data, age=60):
    path = folder / name
    path.write_bytes(data)
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def test_inbox_processes_a_file_once_by_content(uow_factory, org, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    header = HEADER + ["客户经理"]
    data = csv_bytes([r + ["rm_a1"] for r in _rows(3)], header)
    _write(folder, "core-20261129.csv", data)
    _write(folder, ".core-20261130.csv.part", b"partial")
    _write(folder, "fresh.csv", data, age=0)  # still being written
    first = jobs.scan_inbox(folder, uow_factory=uow_factory)
    assert [(r.filename, r.outcome) for r in first] == [("core-20261129.csv", "imported")]
    assert (folder / "processed" / "core-20261129.csv").exists()
    assert "imported" in (folder / "processed" / "core-20261129.csv.result.txt").read_text(encoding="utf-8")
    assert _count(uow_factory) == 3
    # The same content again, under another name: processed once only.
    os.utime(folder / "fresh.csv", (time.time() - 60, time.time() - 60))
    second = jobs.scan_inbox(folder, uow_factory=uow_factory)
    assert [(r.filename, r.outcome) for r in second] == [("fresh.csv", "duplicate")]
    assert _count(uow_factory) == 3 and _count(uow_factory, ImportBatch) == 1
    with uow_factory() as uow:
        assert uow.session.execute(select(ImportBatch.source)).scalar_one() == "inbox"
    assert (folder / ".core-20261130.csv.part").exists()


def test_inbox_rejects_a_file_with_bad_rows_as_a_whole(uow_factory, org, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    rows = [r + ["rm_a1"] for r in _rows(2)] + [["坏行", "123", "", "", "", "", "nobody"]]
    _write(folder, "bad.csv", csv_bytes(rows, HEADER + ["客户经理"]))
    _write(folder, "garbage.xlsx", b"PK\x03\x04broken")
    results = {r.filename: r for r in jobs.scan_inbox(folder, uow_factory=uow_factory)}
    assert results["bad.csv"].outcome == "rejected" and results["garbage.xlsx"].outcome == "failed"
    assert (folder / "failed" / "bad.csv").exists() and (folder / "failed" / "garbage.xlsx").exists()
    assert _count(uow_factory) == 0
    with uow_factory() as uow:
        batch = uow.session.get(ImportBatch, results["bad.csv"].batch_id)
        assert batch.status == "rejected" and batch.error_report_sha256
