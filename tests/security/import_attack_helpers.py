"""What the import security tests share: crafted workbooks built in the test itself, a real session
cookie, the mounted HTTP app on the test's transaction, and spies that say where work ran."""
from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from dataclasses import dataclass, field

import pytest
from openpyxl import Workbook

PASSWORD = "correct horse 1"  # the org fixture's users (tests/conftest.py)
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ("姓名", "证件号码", "手机号")
_SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_CLOSE = b"</sheetData></worksheet>"


def inline_row(number: int, values) -> bytes:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'.encode("utf-8")


def xlsx_with_sheet(sheet_body: bytes) -> bytes:
    """A real workbook (saved by openpyxl) whose first sheet's rows are `sheet_body`, deflated hard."""
    wb = Workbook()
    wb.active.append(list(HEADER))
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = _SHEET_OPEN + sheet_body + _SHEET_CLOSE if info.filename == SHEET else src.read(info)
            dst.writestr(info.filename, data)
    return out.getvalue()


def inflating_xlsx(megabytes: int = 60) -> bytes:
    """The finding's file: a header, then `megabytes` MB of empty rows; deflated to a few dozen KB."""
    empty = b"<row/>"
    return xlsx_with_sheet(inline_row(1, HEADER) + empty * (megabytes * 2**20 // len(empty)))


def session_cookie(uow_factory, username: str, locale: str = "en") -> str:
    from services.security.auth import SESSION_COOKIE, sign_in

    with uow_factory() as uow:
        signed = sign_in(uow=uow, username=username, password=PASSWORD)
        uow.commit()
    return f"{SESSION_COOKIE}={signed.token}; fincrm_locale={locale}"


@pytest.fixture
def http(connection, monkeypatch):
    """The mounted FastAPI app in-process; every unit of work it opens joins the test's transaction."""
    from starlette.testclient import TestClient

    import services.db as db
    from fincrm_app.app import api

    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    with TestClient(api, base_url="http://localhost:3000") as client:
        yield client


@dataclass
class WhereItRan:
    """Records, for each call of the spied functions, whether an asyncio event loop was running in
    the calling thread (work there stalls every other request and socket of the worker)."""
    calls: list[tuple[str, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_loop(self) -> list[str]:
        return [name for name, looped in self.calls if looped]

    def names(self) -> set[str]:
        return {name for name, _ in self.calls}

    def wrap(self, name: str, fn):
        def spy(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                looped = True
            except RuntimeError:
                looped = False
            with self._lock:
                self.calls.append((name, looped))
            return fn(*args, **kwargs)

        return spy


@pytest.fixture
def where_it_ran(monkeypatch) -> WhereItRan:
    """Spies (calling through) on parsing an import file and on opening a database transaction."""
    import services.db as db
    from services.imports import reader, service

    record = WhereItRan()
    monkeypatch.setattr(service, "read_table", record.wrap("parse", reader.read_table))
    monkeypatch.setattr(db.UnitOfWork, "__enter__", record.wrap("database", db.UnitOfWork.__enter__))
    return record
