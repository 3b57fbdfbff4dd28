"""Watchlists read from the files their publishers issue, in their own formats.

Three formats, told apart by their content (never by the file name):
- `ofac_sdn`: OFAC's legacy SDN CSV (no header; 12 columns: ent_num, SDN_Name, SDN_Type, Program, Title,
  Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; `-0- ` means empty; aliases, birth
  dates and nationalities live in Remarks: `a.k.a. 'X'`, `DOB 09 Feb 1951`, `nationality Egypt`).
- `un_sc`: the UN Security Council consolidated list XML (INDIVIDUALS/INDIVIDUAL, ENTITIES/ENTITY).
- `internal`: a firm's own list as CSV with a header naming at least `entry_id` and `name` (optional
  `aliases` separated by `;`, `kind`, `birth_date`, `nationality`, `program`, `remarks`).

A file is read whole or refused whole (`ListRejected`, with every problem found, up to a limit): a
truncated XML, wrong columns, an empty file, text that is not UTF-8, a row without a name. Nothing here
touches the database; the service decides whether a parsed list may replace the one in force.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from typing import Iterable

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from services.errors import DomainError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PROBLEMS = 20
OFAC_COLUMNS = 12
INTERNAL_REQUIRED = ("entry_id", "name")
INTERNAL_OPTIONAL = ("aliases", "kind", "birth_date", "nationality", "program", "remarks")
KINDS = ("person", "entity", "vessel", "aircraft")
FORMATS = ("ofac_sdn", "un_sc", "internal")


class ListRejected(DomainError):
    """The file cannot be read as a whole list; `problems` names each fault (message codes with params)."""

    code = "aml.list_rejected"
    http_status = 422

    def __init__(self, problems: list[tuple[str, dict]]):
        first_code, first_params = problems[0]
        super().__init__(first_code, **first_params)
        self.problems = problems

    def message(self, locale: str) -> str:
        from services.i18n import translate

        parts = [translate(code, locale, **params) for code, params in self.problems[:MAX_PROBLEMS]]
        return translate("aml.list_rejected", locale) + ": " + "; ".join(parts)


@dataclass(frozen=True)
class ListName:
    name: str
    quality: str = "primary"  # primary | strong (a.k.a.) | weak (low-quality alias, f.k.a.)


@dataclass
class ListEntry:
    entry_id: str
    kind: str  # KINDS
    names: list[ListName]
    birth_dates: list[str] = field(default_factory=list)  # "YYYY-MM-DD", "YYYY-MM" or "YYYY"
    nationalities: list[str] = field(default_factory=list)  # ISO 3166 alpha-2, lower case
    programs: list[str] = field(default_factory=list)
    remarks: str | None = None

    @property
    def primary_name(self) -> str:
        return self.names[0].name


@dataclass
class ParsedList:
    format: str
    entries: list[ListEntry]
    sha256: str
    published: str | None = None  # what the file says about its date, when it says


# ---------------------------------------------------------------- detection and decoding

def _decode(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise ListRejected([("aml.list_too_large", {"max_mb": MAX_FILE_BYTES // (1024 * 1024)})])
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        raise ListRejected([("aml.list_encoding", {"encoding": "UTF-16"})])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListRejected([("aml.list_encoding", {"encoding": f"not UTF-8 (byte {exc.start})"})]) from None
    # OFAC's legacy files end with a DOS end-of-file mark (Ctrl-Z).
    text = text.rstrip("\x1a")
    if not text.strip():
        raise ListRejected([("aml.list_empty", {})])
    if "\x00" in text:
        raise ListRejected([("aml.list_encoding", {"encoding": "binary"})])
    return text


def detect_format(text: str) -> str:
    head = text.lstrip()[:4096]
    if head.startswith("<"):
        return "un_sc"
    first = next(csv.reader(io.StringIO(head.splitlines()[0] if head else "")), [])
    lowered = [c.strip().lower() for c in first]
    if all(col in lowered for col in INTERNAL_REQUIRED):
        return "internal"
    if len(first) == OFAC_COLUMNS and first[0].strip().isdigit():
        return "ofac_sdn"
    raise ListRejected([("aml.list_unknown_format",
                         {"columns": len(first), "expected": OFAC_COLUMNS,
                          "header": ", ".join(INTERNAL_REQUIRED)})])


def parse_list(raw: bytes, fmt: str | None = None) -> ParsedList:
    """Read a whole list file (format detected unless named). Raises ListRejected."""
    text = _decode(raw)
    fmt = fmt or detect_format(text)
    if fmt not in FORMATS:
        raise ListRejected([("aml.list_unknown_format", {"columns": 0, "expected": OFAC_COLUMNS,
                                                         "header": ", ".join(INTERNAL_REQUIRED)})])
    parser = {"ofac_sdn": _parse_ofac, "un_sc": _parse_un, "internal": _parse_internal}[fmt]
    entries, published = parser(text)
    if not entries:
        raise ListRejected([("aml.list_empty", {})])
    ids = [e.entry_id for e in entries]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))
        raise ListRejected([("aml.list_duplicate_id", {"id": dup})])
    return ParsedList(format=fmt, entries=entries, sha256=hashlib.sha256(raw).hexdigest(), published=published)


# ---------------------------------------------------------------- shared helpers

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}


def country_code(name: str | None) -> str | None:
    """A country's ISO code from how lists write it ("Russia", "Democratic People's Republic of Korea")."""
    if not name or not name.strip():
        return None
    return _country_code(name.strip())


@lru_cache(maxsize=4096)
def _country_code(name: str) -> str | None:
    from rigour.territories import lookup_territory

    territory = lookup_territory(name)
    return territory.code if territory is not None else None


def parse_birth_dates(text: str) -> list[str]:
    """Birth dates as lists write them: "09 Feb 1951", "Feb 1951", "1946", "circa 1958", "1958 to 1960",
    "1955-05-08" -> ISO prefixes ("1951-02-09", "1951-02", "1946", "1958", "1959", "1960")."""
    t = text.strip().lower().replace("circa", "").replace("approximately", "").strip(" .;")
    if not t:
        return []
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if m:
        return [t]
    m = re.fullmatch(r"(\d{4})\s*(?:to|-)\s*(\d{4})", t)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        return [str(y) for y in range(a, b + 1)] if 0 <= b - a <= 10 else [m.group(1), m.group(2)]
    m = re.fullmatch(r"(\d{1,2})\s+([a-z]{3})[a-z]*\.?\s+(\d{4})", t)
    if m and m.group(2) in _MONTHS:
        try:
            return [date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))).isoformat()]
        except ValueError:
            return [m.group(3)]
    m = re.fullmatch(r"([a-z]{3})[a-z]*\.?\s+(\d{4})", t)
    if m and m.group(1) in _MONTHS:
        return [f"{m.group(2)}-{_MONTHS[m.group(1)]:02d}"]
    m = re.fullmatch(r"(\d{4})", t)
    if m:
        return [t]
    return []


def _problem(problems: list, code: str, **params) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append((code, params))


# ---------------------------------------------------------------- OFAC SDN (legacy CSV)

_OFAC_EMPTY = "-0-"
_OFAC_KINDS = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "entity"}
# An alias is quoted and ends where a quote meets the end of its remark ("; " or the final "."): aliases may hold
# apostrophes themselves (a.k.a. 'ABU-'UMAR').
_AKA = re.compile(r"\b(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*'(.+?)'(?=\s*(?:;|\.?\s*$))", re.IGNORECASE)
_DOB = re.compile(r"\bDOB\s+([^;]+?)(?:;|\.$|$)")
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;]+?)(?:;|\.$|$)", re.IGNORECASE)


def _ofac_value(v: str) -> str:
    v = v.strip()
    return "" if v == _OFAC_EMPTY else v


def _parse_ofac(text: str) -> tuple[list[ListEntry], str | None]:
    entries: list[ListEntry] = []
    problems: list = []
    rows = csv.reader(io.StringIO(text), strict=True)
    lineno = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error:  # an unterminated quote: the file was cut off, or is not this format
            raise ListRejected([("aml.list_bad_csv", {"line": rows.line_num})]) from None
        lineno = rows.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != OFAC_COLUMNS:
            _problem(problems, "aml.list_bad_columns", line=lineno, got=len(row), expected=OFAC_COLUMNS)
            continue
        ent, name, sdn_type, program = (_ofac_value(row[0]), _ofac_value(row[1]), _ofac_value(row[2]).lower(),
                                        _ofac_value(row[3]))
        remarks = _ofac_value(row[11])
        if not ent.isdigit():
            _problem(problems, "aml.list_bad_id", line=lineno, value=ent[:20])
            continue
        if not name:
            _problem(problems, "aml.list_no_name", line=lineno)
            continue
        if sdn_type not in _OFAC_KINDS:
            _problem(problems, "aml.list_bad_kind", line=lineno, value=sdn_type[:20])
            continue
        names = [ListName(name, "primary")]
        for how, alias in _AKA.findall(remarks):
            names.append(ListName(alias.strip(), "strong" if how.lower() == "a.k.a." else "weak"))
        dobs: list[str] = []
        for m in _DOB.finditer(remarks):
            dobs += parse_birth_dates(m.group(1))
        nats = [c for c in (country_code(m.group(1)) for m in _NATIONALITY.finditer(remarks)) if c]
        entries.append(ListEntry(entry_id=ent, kind=_OFAC_KINDS[sdn_type], names=_unique_names(names),
                                 birth_dates=sorted(set(dobs)), nationalities=sorted(set(nats)),
                                 programs=[p.strip(" []") for p in program.split("]") if p.strip(" []")],
                                 remarks=remarks[:2000] or None))
    if problems:
        raise ListRejected(problems)
    return entries, None


def _unique_names(names: Iterable[ListName]) -> list[ListName]:
    seen: set[str] = set()
    out = []
    for n in names:
        key = " ".join(n.name.casefold().split())
        if key and key not in seen:
            seen.add(key)
            out.append(n)
    return out


# ---------------------------------------------------------------- UN consolidated list (XML)

def _text(el, tag: str) -> str:
    child = el.find(tag)
    return (child.text or "").strip() if child is not None and child.text else ""


def _parse_un(text: str) -> tuple[list[ListEntry], str | None]:
    try:
        root = SafeET.fromstring(text)
    except DefusedXmlException:
        raise ListRejected([("aml.list_xml_forbidden", {})]) from None
    except SafeET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ListRejected([("aml.list_bad_xml", {"line": line, "column": col})]) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ListRejected([("aml.list_bad_root", {"root": str(root.tag)[:40], "expected": "CONSOLIDATED_LIST"})])
    individuals, entities = root.find("INDIVIDUALS"), root.find("ENTITIES")
    if individuals is None and entities is None:
        raise ListRejected([("aml.list_bad_root", {"root": root.tag, "expected": "INDIVIDUALS/ENTITIES"})])
    entries: list[ListEntry] = []
    problems: list = []
    for i, el in enumerate(individuals if individuals is not None else [], start=1):
        if el.tag != "INDIVIDUAL":
            continue
        dataid = _text(el, "DATAID")
        parts = [_text(el, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
        primary = " ".join(p for p in parts if p)
        if not dataid.isdigit():
            _problem(problems, "aml.list_bad_id", line=f"INDIVIDUAL {i}", value=dataid[:20])
            continue
        if not primary:
            _problem(problems, "aml.list_no_name", line=f"INDIVIDUAL {dataid}")
            continue
        names = [ListName(primary, "primary")]
        original = _text(el, "NAME_ORIGINAL_SCRIPT")
        if original:
            names.append(ListName(original, "strong"))
        for alias in el.findall("INDIVIDUAL_ALIAS"):
            alias_name = _text(alias, "ALIAS_NAME")
            if alias_name:
                quality = _text(alias, "QUALITY").lower()
                names.append(ListName(alias_name, "weak" if quality == "low" else "strong"))
        dobs: list[str] = []
        for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
            exact = _text(dob, "DATE")
            if exact:
                dobs += parse_birth_dates(exact[:10])
            year = _text(dob, "YEAR")
            if year:
                dobs += parse_birth_dates(year)
            frm, to = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
            if frm and to:
                dobs += parse_birth_dates(f"{frm} to {to}")
        nats = [c for c in (country_code(v.text) for v in el.findall("NATIONALITY/VALUE") if v.text) if c]
        entries.append(ListEntry(entry_id=dataid, kind="person", names=_unique_names(names),
                                 birth_dates=sorted(set(dobs)), nationalities=sorted(set(nats)),
                                 programs=[_text(el, "UN_LIST_TYPE")] if _text(el, "UN_LIST_TYPE") else [],
                                 remarks=(_text(el, "REFERENCE_NUMBER") or None)))
    for i, el in enumerate(entities if entities is not None else [], start=1):
        if el.tag != "ENTITY":
            continue
        dataid, primary = _text(el, "DATAID"), _text(el, "FIRST_NAME")
        if not dataid.isdigit():
            _problem(problems, "aml.list_bad_id", line=f"ENTITY {i}", value=dataid[:20])
            continue
        if not primary:
            _problem(problems, "aml.list_no_name", line=f"ENTITY {dataid}")
            continue
        names = [ListName(primary, "primary")]
        for alias in el.findall("ENTITY_ALIAS"):
            alias_name = _text(alias, "ALIAS_NAME")
            if alias_name:
                names.append(ListName(alias_name, "weak" if _text(alias, "QUALITY").lower() == "low" else "strong"))
        entries.append(ListEntry(entry_id=dataid, kind="entity", names=_unique_names(names),
                                 programs=[_text(el, "UN_LIST_TYPE")] if _text(el, "UN_LIST_TYPE") else [],
                                 remarks=(_text(el, "REFERENCE_NUMBER") or None)))
    if problems:
        raise ListRejected(problems)
    published = root.attrib.get("dateGenerated")
    return entries, published[:10] if published else None


# ---------------------------------------------------------------- a firm's internal list (CSV with header)

def _parse_internal(text: str) -> tuple[list[ListEntry], str | None]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in INTERNAL_REQUIRED if c not in header]
    unknown = [c for c in header if c not in INTERNAL_REQUIRED + INTERNAL_OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        raise ListRejected([("aml.list_bad_header", {"missing": ", ".join(missing) or "-",
                                                     "unknown": ", ".join(unknown)[:200] or "-",
                                                     "expected": ", ".join(INTERNAL_REQUIRED + INTERNAL_OPTIONAL)})])
    entries: list[ListEntry] = []
    problems: list = []
    for lineno, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            _problem(problems, "aml.list_bad_columns", line=lineno, got=len(row), expected=len(header))
            continue
        rec = {h: v.strip() for h, v in zip(header, row)}
        if not rec["entry_id"] or len(rec["entry_id"]) > 64:
            _problem(problems, "aml.list_bad_id", line=lineno, value=rec["entry_id"][:20])
            continue
        if not rec["name"]:
            _problem(problems, "aml.list_no_name", line=lineno)
            continue
        kind = (rec.get("kind") or "person").lower()
        if kind not in KINDS:
            _problem(problems, "aml.list_bad_kind", line=lineno, value=kind[:20])
            continue
        dobs: list[str] = []
        for d in filter(None, (rec.get("birth_date") or "").split(";")):
            parsed = parse_birth_dates(d)
            if not parsed:
                _problem(problems, "aml.list_bad_date", line=lineno, value=d[:20])
            dobs += parsed
        nats = []
        for n in filter(None, (x.strip() for x in (rec.get("nationality") or "").split(";"))):
            code = n.lower() if re.fullmatch(r"[A-Za-z]{2}", n) else country_code(n)
            if code is None:
                _problem(problems, "aml.list_bad_country", line=lineno, value=n[:40])
            else:
                nats.append(code)
        names = [ListName(rec["name"], "primary")] + [
            ListName(a.strip(), "strong") for a in (rec.get("aliases") or "").split(";") if a.strip()]
        entries.append(ListEntry(entry_id=rec["entry_id"], kind=kind, names=_unique_names(names),
                                 birth_dates=sorted(set(dobs)), nationalities=sorted(set(nats)),
                                 programs=[rec["program"]] if rec.get("program") else [],
                                 remarks=(rec.get("remarks") or None)))
    if problems:
        raise ListRejected(problems)
    return entries, None
