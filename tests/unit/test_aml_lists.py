"""Watchlist files read in their own formats, and every malformed one refused whole with a clear reason."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aml_helpers import INTERNAL, OFAC, UN, real_list  # noqa: E402

from services.aml.lists import ListRejected, detect_format, parse_birth_dates, parse_list  # noqa: E402


def test_ofac_sdn_csv_with_aliases_birth_dates_and_nationalities():
    parsed = parse_list(real_list(OFAC))
    assert parsed.format == "ofac_sdn" and len(parsed.entries) == 14965
    e = next(x for x in parsed.entries if x.entry_id == "3754")
    assert e.kind == "person" and e.primary_name == "ABU MARZOOK, Mousa Mohammed"
    assert [n.name for n in e.names][1:] == ["ABU-'UMAR"] and e.birth_dates == ["1951-02-09"]
    assert sum(1 for x in parsed.entries if x.kind == "person") == 6854
    bank = next(x for x in parsed.entries if x.entry_id == "306")
    assert bank.kind == "entity" and [n.name for n in bank.names] == ["BANCO NACIONAL DE CUBA", "BNC"]


def test_un_consolidated_xml_individuals_and_entities():
    parsed = parse_list(real_list(UN))
    assert parsed.format == "un_sc" and parsed.published == "2018-10-29"
    kim = next(x for x in parsed.entries if x.entry_id == "6908568")
    assert kim.primary_name == "KIM SOK CHOL" and kim.birth_dates == ["1955-05-08"] and kim.nationalities == ["kp"]
    assert {x.kind for x in parsed.entries} == {"person", "entity"} and len(parsed.entries) == 1093


def test_internal_csv():
    parsed = parse_list(INTERNAL)
    assert parsed.format == "internal" and [e.entry_id for e in parsed.entries] == ["I-1", "I-2", "I-3"]
    assert [n.name for n in parsed.entries[0].names] == ["Ivan Petrovich Sidorov", "Ivan Sidorov", "I. P. Sidorov"]
    assert parsed.entries[2].kind == "entity" and parsed.entries[0].nationalities == ["ru"]


@pytest.mark.parametrize("raw, code", [
    (b"", "aml.list_empty"),
    (b"  \r\n\x1a", "aml.list_empty"),
    ("entry_id,name\nX-1,张三\n".encode("utf-16"), "aml.list_encoding"),
    ("entry_id,name\nX-1,张三\n".encode("gb18030"), "aml.list_encoding"),
    (b"id,fullname\n1,John\n", "aml.list_unknown_format"),
    (b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n37,"X",-0- \n',
     "aml.list_bad_columns"),
    (b'36,"",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', "aml.list_no_name"),
    (b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A", "aml.list_bad_xml"),
    (b"<OTHER/>", "aml.list_bad_root"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>',
     "aml.list_xml_forbidden"),
    (b"entry_id,name,colour\nX,Y,red\n", "aml.list_bad_header"),
    (b"entry_id,name\nX,\n", "aml.list_no_name"),
    (b"entry_id,name\nX,A\nX,B\n", "aml.list_duplicate_id"),
    (b"entry_id,name,birth_date\nX,A,yesterday\n", "aml.list_bad_date"),
])
def test_malformed_files_are_refused_with_the_reason(raw, code):
    with pytest.raises(ListRejected) as err:
        parse_list(raw)
    assert err.value.problems[0][0] == code
    assert err.value.message("en") and err.value.message("zh_CN") != err.value.message("en")


def test_a_truncated_real_list_is_refused():
    whole = real_list(UN)
    with pytest.raises(ListRejected) as err:
        parse_list(whole[: len(whole) // 2])
    assert err.value.problems[0][0] == "aml.list_bad_xml"
    ofac = real_list(OFAC)
    half = ofac[: len(ofac) // 2]
    with pytest.raises(ListRejected) as err:  # cut off inside a quoted remark
        parse_list(half[: half.rfind(b"a.k.a.") + 9])
    assert err.value.problems[0][0] == "aml.list_bad_csv"
    last_row = half[: half.rfind(b"\r\n") + 2]
    next_row = ofac[len(last_row): ofac.index(b"\r\n", len(last_row))]
    with pytest.raises(ListRejected) as err:  # cut off after the name, between two columns
        parse_list(last_row + next_row[: next_row.index(b'",') + 2])
    assert err.value.problems[0][0] == "aml.list_bad_columns"


def test_format_is_told_by_content():
    assert detect_format("<CONSOLIDATED_LIST/>") == "un_sc"
    assert detect_format("ENTRY_ID,Name\n") == "internal"
    assert detect_format('1,"A",-0- ,"P",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ') == "ofac_sdn"


@pytest.mark.parametrize("text, expected", [
    ("09 Feb 1951", ["1951-02-09"]), ("Feb 1951", ["1951-02"]), ("1946", ["1946"]),
    ("circa 1958", ["1958"]), ("1958 to 1960", ["1958", "1959", "1960"]), ("1955-05-08", ["1955-05-08"]),
    ("31 Feb 1950", ["1950"]), ("unknown", []),
])
def test_birth_dates_as_lists_write_them(text, expected):
    assert parse_birth_dates(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_are_refused_never_crash(raw):
    try:
        parsed = parse_list(raw)
    except ListRejected as exc:
        assert exc.problems
    else:
        assert parsed.entries and all(e.names and e.entry_id for e in parsed.entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Z]{1,3}-[0-9]{1,5}", fullmatch=True),
                          st.text(st.characters(categories=["L"]), min_size=1, max_size=30)),
                min_size=1, max_size=20, unique_by=lambda t: t[0]))
def test_internal_lists_round_trip(rows):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["entry_id", "name"])
    w.writerows(rows)
    parsed = parse_list(buf.getvalue().encode())
    assert [(e.entry_id, e.primary_name) for e in parsed.entries] == [(i, n.strip()) for i, n in rows]
