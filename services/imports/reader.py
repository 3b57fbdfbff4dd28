"""Reading import files: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030) and XLSX.

`read_table(data, filename)` returns the header and the data rows as strings, each row with
its number as a spreadsheet shows it (the header is row 1). What can go wrong with the file as
a whole raises `ImportFileError` (a DomainError with a message code); what is wrong with a cell
is reported per row by `cell_problem` (formulas) so one bad cell does not refuse the file.

Encodings: a BOM decides; otherwise strict UTF-8, then strict GB18030 (a superset of GBK and
GB2312, what Excel on Chinese Windows writes). A file that is neither (or binary) is refused
with a clear message rather than read as mojibake.

Hostile files: an XLSX is a zip archive, and a few dozen KB can inflate to gigabytes of XML (an
86 KB workbook of 60 MB of empty rows once stalled the app). So the archive's declared sizes are
checked before anything is parsed (the total, and how densely each large part is packed), and the
bytes each part actually inflates are counted while parsing, never past what it declared. Every row counts
against `MAX_ROWS`, empty or missing ones too (a sheet may jump from row 1 to row 1,000,000 in one
element), and a row wider than `MAX_COLUMNS` refuses the file before its cells are walked. Parsing
is CPU work of seconds for a large file: callers run it in a worker thread, never on an event loop.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from services.errors import DomainError
from services.validation.text import strip_invisible

MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_CELL = 1000
PREVIEW_ROWS = 20
# A 200,000-row sheet of a dozen columns inflates to about 150 MB of XML; Excel packs real sheets
# 5-20:1. A part larger than RATIO_FROM bytes packed denser than MAX_RATIO:1 is a bomb, not a sheet.
MAX_INFLATED = 256 * 2**20
MAX_RATIO = 100
RATIO_FROM = 8 * 2**20
MAX_PARTS = 1000

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
# A cell a spreadsheet would run as a formula. "+" and "-" start legitimate values too
# (+86 phone numbers, negative amounts): those are refused only when not number-like.
_NUMBERISH = re.compile(r"^[+-][\d\s().,-]*$")


class ImportFileError(DomainError):
    code = "import.malformed"
    http_status = 422


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells)
    encoding: str  # utf-8, utf-8-sig, utf-16, gb18030, xlsx
    format: str  # csv, xlsx
    truncated: bool = False  # read with a row limit and more rows followed
    formula_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula


def cell_problem(value: str) -> str | None:
    """The message code when a cell holds something a spreadsheet would execute, else None."""
    if not value:
        return None
    first = value[0]
    if first in "=@\t\r":
        return "import.formula"
    if first in "+-" and len(value) > 1 and not _NUMBERISH.match(value):
        return "import.formula"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) or ImportFileError("import.encoding")."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise ImportFileError("import.encoding") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError("import.encoding") from None
    if b"\x00" in data[:4096]:
        raise ImportFileError("import.binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError("import.encoding") from None
    # GB18030 maps almost every byte sequence somewhere; refuse text that is mostly
    # characters no Chinese file would contain (control characters, private use area).
    odd = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t") or 0xE000 <= ord(ch) <= 0xF8FF)
    if odd > max(2, len(text) // 100):
        raise ImportFileError("import.encoding")
    return text, "gb18030"


def _unique_headers(raw: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(raw, start=1):
        # Column names are shown on the mapping screen: no bidi overrides or zero-width characters.
        name = strip_invisible(h or "").strip()[:100] or f"#{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _check_width(headers: list[str]) -> None:
    if not headers or all(h.startswith("#") for h in headers):
        raise ImportFileError("import.no_header")
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError("import.too_many_columns", max=MAX_COLUMNS)


def _read_csv(data: bytes, limit: int | None) -> Table:
    text, encoding = decode(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] if "\n" in sample else sample,
                                      delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    truncated = False
    try:
        headers = None
        record = 0
        for raw in reader:
            record += 1  # rows as a spreadsheet numbers them (a quoted cell may span lines)
            if record > MAX_ROWS + 1:  # every row counts, empty ones too
                raise ImportFileError("import.too_many_rows", max=MAX_ROWS)
            if headers is None:
                if not any(c.strip() for c in raw):
                    continue
                headers = _unique_headers(raw)
                _check_width(headers)
                continue
            if not any(c.strip() for c in raw):
                continue
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append((record, [c.strip() for c in raw]))
    except csv.Error as exc:
        raise ImportFileError("import.malformed_line", line=reader.line_num, detail=str(exc)[:100]) from None
    if headers is None:
        raise ImportFileError("import.empty")
    return Table(headers=headers, rows=rows, encoding=encoding, format="csv", truncated=truncated)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores every number as a float: 13800138000.0 is a phone number, not a fraction.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value).strip()


def _too_large() -> ImportFileError:
    return ImportFileError("import.inflated_too_large", max_mb=MAX_INFLATED // 2**20, ratio=MAX_RATIO)


class _CountedPart(io.RawIOBase):
    """One part of the archive as openpyxl reads it, counting what it inflates: never more than the
    directory declared for the part (which the whole archive's declared total bounds)."""

    def __init__(self, raw, declared: int):
        self._raw, self._left = raw, declared

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        if len(data) > self._left:
            raise _too_large()
        self._left -= len(data)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _BoundedArchive(zipfile.ZipFile):
    """The workbook's zip archive, refused before parsing when its directory promises too much, and
    counted while parsing (`_CountedPart`) in case a part inflates to more than it declared."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        parts = self.infolist()
        if len(parts) > MAX_PARTS:
            raise ImportFileError("import.malformed_xlsx", detail=f"more than {MAX_PARTS} parts")
        total = sum(p.file_size for p in parts)
        dense = any(p.file_size > RATIO_FROM and p.file_size > MAX_RATIO * max(p.compress_size, 1) for p in parts)
        if total > MAX_INFLATED or dense:
            raise _too_large()

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        raw = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return raw
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return io.BufferedReader(_CountedPart(raw, info.file_size))


def _open_workbook(data: bytes):
    """openpyxl's read-only workbook over a `_BoundedArchive` (its ExcelReader, given our archive)."""
    from openpyxl.reader.excel import ExcelReader

    archive = _BoundedArchive(data)
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
    reader.archive.close()
    reader.archive, reader.valid_files = archive, archive.namelist()
    reader.read()
    return reader.wb


def _read_xlsx(data: bytes, limit: int | None) -> Table:
    try:
        wb = _open_workbook(data)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError("import.malformed_xlsx", detail=type(exc).__name__) from None
    except Exception as exc:  # openpyxl raises many kinds on damaged archives
        raise ImportFileError("import.malformed_xlsx", detail=type(exc).__name__) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise ImportFileError("import.empty")
        # The sheet's own <dimension> is not trusted: A1:XFD1048576 would pad every row (and every
        # missing row) to 16,384 cells; each row is read as wide as its own last cell instead.
        ws.reset_dimensions()
        headers = None
        rows: list[tuple[int, list[str]]] = []
        formulas: dict[tuple[int, int], str] = {}
        truncated = False
        for row_no, cells in enumerate(ws.iter_rows(min_row=1), start=1):
            if row_no > MAX_ROWS + 1:  # every row counts, empty and missing ones too
                raise ImportFileError("import.too_many_rows", max=MAX_ROWS)
            if not cells:
                continue
            if len(cells) > MAX_COLUMNS:
                raise ImportFileError("import.too_many_columns", max=MAX_COLUMNS)
            values = []
            for col, cell in enumerate(cells):
                v = cell.value
                if getattr(cell, "data_type", None) == "f":
                    formulas[(row_no, col)] = str(v)[:200]
                    values.append(str(v))
                else:
                    values.append(_cell_text(v))
            if headers is None:
                if not any(values):
                    continue
                if any(c.startswith("=") for c in values):
                    raise ImportFileError("import.formula_header")
                headers = _unique_headers(values)
                _check_width(headers)
                continue
            if not any(values):
                continue
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append((row_no, values))
    finally:
        wb.close()
    if headers is None:
        raise ImportFileError("import.empty")
    # Trailing empty header cells (formatting that reaches further right) are not columns.
    while headers and headers[-1].startswith("#"):
        headers.pop()
    return Table(headers=headers, rows=rows, encoding="xlsx", format="xlsx", truncated=truncated,
                 formula_cells=formulas)


def read_table(data: bytes, filename: str = "", *, limit: int | None = None) -> Table:
    """The file's header and rows; `limit` reads only that many data rows (for a preview)."""
    if not data:
        raise ImportFileError("import.empty")
    if data.startswith(_OLE_MAGIC):
        raise ImportFileError("import.unsupported_format")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, limit)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileError("import.malformed_xlsx", detail="not a zip archive")
    return _read_csv(data, limit)
