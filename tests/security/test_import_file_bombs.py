"""Finding 5 (a small XLSX freezes the app) and finding 6 for the import doors: a workbook that inflates far
beyond its size is refused before it is parsed, every row counts against the row limit (empty ones too),
and no door parses a file or waits for the database on the event loop."""
from __future__ import annotations

import asyncio
import io

import pytest
from import_attack_helpers import (HEADER, http, inflating_xlsx, inline_row, session_cookie,  # noqa: F401
                                   where_it_ran, xlsx_with_sheet)
from sqlalchemy import func, select

from services.imports.models import ImportBatch
from services.imports.reader import MAX_ROWS, ImportFileError, read_table


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return inflating_xlsx(60)


def test_the_findings_workbook_is_small_and_inflates_to_60_mb(bomb):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bomb)) as zf:
        inflated = sum(i.file_size for i in zf.infolist())
    assert len(bomb) < 200 * 1024 and inflated > 60 * 10**6


def test_a_workbook_that_inflates_far_beyond_its_size_is_refused_in_both_languages(bomb):
    with pytest.raises(ImportFileError) as exc:
        read_table(bomb, "customers.xlsx", limit=20)
    assert exc.value.code == "import.inflated_too_large"
    assert "MB" in exc.value.message("en") and "CSV" in exc.value.message("en")
    assert "解压" in exc.value.message("zh_CN")


def test_upload_route_refuses_the_inflating_workbook_and_stores_nothing(http, uow_factory, org, bomb,  # noqa: F811
                                                                        connection):
    for locale, words in (("en", "unpacks"), ("zh_CN", "解压")):
        r = http.post("/imports/upload?filename=customers.xlsx", content=bomb,
                      headers={"Cookie": session_cookie(uow_factory, "ops_a", locale),
                               "Origin": "http://localhost:3000"})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "import.inflated_too_large" and words in r.json()["message"]
    assert connection.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 0


def _rows_past_the_limit_xlsx_sparse() -> bytes:
    """One data row, far below the header: the rows in between are missing from the XML, and a
    spreadsheet (and openpyxl) shows them as empty rows."""
    return xlsx_with_sheet(inline_row(1, HEADER) + inline_row(MAX_ROWS + 10, ["张三", "", "13800138000"]))


def _rows_past_the_limit_xlsx_empty_elements() -> bytes:
    return xlsx_with_sheet(inline_row(1, HEADER) + b"<row/>" * (MAX_ROWS + 10)
                           + inline_row(MAX_ROWS + 12, ["张三", "", "13800138000"]))


def _rows_past_the_limit_csv() -> bytes:
    return ("姓名,证件号码,手机号\r\n" + "\r\n" * (MAX_ROWS + 10) + "张三,,13800138000\r\n").encode("utf-8")


@pytest.mark.parametrize("make", [_rows_past_the_limit_xlsx_sparse, _rows_past_the_limit_xlsx_empty_elements,
                                  _rows_past_the_limit_csv])
@pytest.mark.parametrize("limit", [None, 20])
def test_every_row_counts_against_the_row_limit_empty_ones_too(make, limit):
    data = make()
    with pytest.raises(ImportFileError) as exc:
        read_table(data, "customers.xlsx" if data.startswith(b"PK") else "customers.csv", limit=limit)
    assert exc.value.code == "import.too_many_rows" and exc.value.params == {"max": MAX_ROWS}


def test_a_file_at_the_row_limit_is_read_whole():
    body = inline_row(1, HEADER) + b"<row/>" * (MAX_ROWS - 1) + inline_row(MAX_ROWS + 1, ["张三", "", "13800138000"])
    table = read_table(xlsx_with_sheet(body), "c.xlsx")
    assert table.rows == [(MAX_ROWS + 1, ["张三", "", "13800138000"])]


def test_a_workbook_whose_directory_understates_its_sizes_is_not_read_past_them():
    """The zip directory says the sheet is small; its deflated stream says otherwise."""
    import struct
    import zipfile

    data = bytearray(inflating_xlsx(8))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    # Patch the uncompressed size in the central directory entry and in the local header.
    name = info.filename.encode()
    central = data.rfind(b"PK\x01\x02", 0, data.find(name, data.find(b"PK\x01\x02")) + 1)
    struct.pack_into("<I", data, central + 24, 4096)
    struct.pack_into("<I", data, info.header_offset + 22, 4096)
    with pytest.raises(ImportFileError) as exc:
        read_table(bytes(data), "c.xlsx")
    assert exc.value.code in ("import.malformed_xlsx", "import.inflated_too_large")


def test_a_row_wider_than_the_column_limit_is_refused_without_walking_its_cells():
    """A dimension of A1:XFD1048576 and one cell in column XFD: openpyxl would pad every row to 16,384 cells."""
    body = (inline_row(1, HEADER) + b'<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>')
    data = xlsx_with_sheet(body)
    with pytest.raises(ImportFileError) as exc:
        read_table(data, "c.xlsx")
    assert exc.value.code == "import.too_many_columns"


def test_the_upload_route_parses_and_uses_the_database_off_the_event_loop(http, uow_factory, org,  # noqa: F811
                                                                          where_it_ran):  # noqa: F811
    data = "姓名,证件号码,手机号\r\n张三,,13800138000\r\n".encode("utf-8")
    cookie = session_cookie(uow_factory, "ops_a")
    r = http.post("/imports/upload?filename=c.csv", content=data,
                  headers={"Cookie": cookie, "Origin": "http://localhost:3000"})
    assert r.status_code == 201, r.text
    assert {"parse", "database"} <= where_it_ran.names()
    assert where_it_ran.on_loop() == []


def test_the_page_upload_parses_and_uses_the_database_off_the_event_loop(page_state, actors, org,
                                                                         where_it_ran):  # noqa: F811
    from reflex_components_core.core._upload import UploadFile

    from state.imports import ImportsState

    state = page_state(ImportsState, actors["ops_a"])
    from pathlib import Path

    data = "姓名,证件号码,手机号\r\n张三,,13800138000\r\n".encode("utf-8")
    upload = UploadFile(file=io.BytesIO(data), path=Path("c.csv"), size=len(data))
    asyncio.run(ImportsState.handle_upload.fn(state, [upload]))
    assert state.upload_error == "" and state.batch_id > 0 and state.headers == list(HEADER)
    assert "parse" in where_it_ran.names()
    assert where_it_ran.on_loop() == []


def test_the_page_upload_refuses_the_inflating_workbook_in_the_users_language(page_state, actors, org, bomb):
    from pathlib import Path

    from reflex_components_core.core._upload import UploadFile

    from state.imports import ImportsState

    state = page_state(ImportsState, actors["ops_a"])
    state._apply_locale("zh_CN")
    upload = UploadFile(file=io.BytesIO(bomb), path=Path("c.xlsx"), size=len(bomb))
    asyncio.run(ImportsState.handle_upload.fn(state, [upload]))
    assert "解压" in state.upload_error and state.batch_id == 0
