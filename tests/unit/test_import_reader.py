"""The import reader, header mapping and row validation: pure functions, with hypothesis."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from services.imports import mapping
from services.imports.reader import ImportFileError, cell_problem, decode, read_table
from services.imports.validate import parse_date, validate_row
from services.validation.identity import InvalidValue, make_id_number

# No private-use characters: the reader refuses GB18030 text full of them on purpose (almost any byte sequence
# decodes to something there, so they mark a file in another encoding), and no customer file holds them.
CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co")), max_size=20).map(str.strip)


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_csv_round_trips_in_every_supported_encoding(rows, encoding):
    header = ["姓名", "证件号码", "备注"]
    rows = [r for r in rows if any(r)]
    try:
        data = _csv([header] + rows, encoding)
    except UnicodeEncodeError:  # a character GB18030 cannot hold does not make a GB18030 file
        return
    t = read_table(data)
    assert t.headers == header
    assert [cells for _, cells in t.rows] == rows
    assert t.encoding == encoding


def test_gb18030_is_detected_and_row_numbers_follow_the_spreadsheet():
    data = "姓名,手机号\r\n张三,13800138000\r\n\r\n李四,13900139000\r\n".encode("gb18030")
    t = read_table(data)
    assert t.encoding == "gb18030" and [n for n, _ in t.rows] == [2, 4]


def test_latin1_or_binary_bytes_are_refused_not_read_as_mojibake():
    with pytest.raises(ImportFileError) as exc:
        decode(bytes(range(128, 256)) * 4)
    assert exc.value.code == "import.encoding"
    with pytest.raises(ImportFileError) as exc:
        read_table(b"name\x00,id\n")
    assert exc.value.code == "import.binary"
    with pytest.raises(ImportFileError) as exc:
        read_table(b"\xd0\xcf\x11\xe0old excel", "a.xls")
    assert exc.value.code == "import.unsupported_format"


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_table_or_a_clear_import_error(data):
    try:
        t = read_table(data)
    except ImportFileError as exc:
        assert exc.code.startswith("import.") and exc.message("en") != exc.code
        return
    assert t.headers and all(isinstance(c, str) for _, cells in t.rows for c in cells)


def test_xlsx_formulas_numbers_and_dates_are_read_as_a_person_sees_them():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机号", "出生日期", "链接"])
    ws.append(["张三", 13800138000, date(1985, 6, 15), '=HYPERLINK("http://x","y")'])
    buf = io.BytesIO()
    wb.save(buf)
    t = read_table(buf.getvalue(), "a.xlsx")
    assert t.rows == [(2, ["张三", "13800138000", "1985-06-15", '=HYPERLINK("http://x","y")'])]
    assert (2, 3) in t.formula_cells
    assert cell_problem(t.rows[0][1][3]) == "import.formula"


@pytest.mark.parametrize("value,bad", [
    ("=1+1", True), ("@SUM(A1)", True), ("+cmd|' /C calc'!A0", True), ("-2+3+cmd", True), ("\t=1", True),
    ("+86 138 0013 8000", False), ("-12.50", False), ("张三", False), ("", False), ("a=b", False),
])
def test_cells_a_spreadsheet_would_execute_are_recognised(value, bad):
    assert (cell_problem(value) is not None) is bad


def test_header_names_in_chinese_and_english_suggest_the_mapping():
    headers = ["客户姓名", "身份证号(必填)", "Mobile", "Date of Birth", "E-mail", "客户经理", "备注", "手机号"]
    assert mapping.suggest(headers) == {"客户姓名": "name", "身份证号(必填)": "id_number", "Mobile": "phone",
                                        "Date of Birth": "birth_date", "E-mail": "email", "客户经理": "owner"}


@settings(max_examples=80, deadline=None)
@given(d=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
       fmt=st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"]))
def test_dates_in_the_forms_people_write_parse_back(d, fmt):
    assert parse_date(d.strftime(fmt), today=date(2026, 1, 1)) == d


@pytest.mark.parametrize("raw,code", [("1985-02-30", "date.invalid"), ("15/06/1985", "date.format"),
                                      ("2030-01-01", "value.future_date")])
def test_bad_dates_have_their_own_message(raw, code):
    with pytest.raises(InvalidValue) as exc:
        parse_date(raw, today=date(2026, 1, 1))
    assert exc.value.code == code


HEADERS = ["姓名", "证件号码", "手机号", "出生日期", "性别"]
COLUMNS = {"name": 0, "id_number": 1, "phone": 2, "birth_date": 3, "gender": 4}


@settings(max_examples=60, deadline=None)
@given(birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31)), seq=st.integers(0, 999))
def test_a_valid_row_validates_and_a_wrong_check_digit_is_named(birth, seq):
    number = make_id_number("110105", birth, seq)
    gender = "男" if seq % 2 else "女"
    ok = validate_row(2, ["张三", number, "138 0013 8000", birth.isoformat(), gender], COLUMNS, HEADERS)
    assert ok.errors == [] and ok.values["id_number"] == number and ok.values["phone"] == "13800138000"
    assert ok.values["gender"] == ("male" if seq % 2 else "female")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad = validate_row(7, ["张三", wrong, "", "", ""], COLUMNS, HEADERS)
    assert [(e.row, e.column, e.code) for e in bad.errors] == [(7, "证件号码", "id_number.checksum")]


def test_row_errors_name_each_column():
    res = validate_row(5, ["", "123", "12345", "1990-13-01", "未知"], COLUMNS, HEADERS)
    assert sorted((e.column, e.code) for e in res.errors) == sorted([
        ("姓名", "value.required"), ("证件号码", "id_number.format"), ("手机号", "phone.format"),
        ("出生日期", "date.invalid"), ("性别", "import.unknown_choice")])
    assert all(e.row == 5 for e in res.errors)


def test_an_institution_is_recognised_by_its_credit_code():
    res = validate_row(2, ["某某科技有限公司", "91350100M000100Y43", "", "", ""], COLUMNS, HEADERS)
    assert res.errors == [] and res.values["kind"] == "institution" and res.values["id_type"] == "uscc"
