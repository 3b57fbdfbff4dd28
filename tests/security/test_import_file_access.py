"""Finding 4 (import files bypass the field policy), finding 11's import half (the error report's two
routes disagree and one is not audited) and finding 9 for file names (bidi overrides and zero-width
characters), through the real HTTP routes with real session cookies."""
from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date
from urllib.parse import unquote

import pytest
from import_attack_helpers import http, session_cookie, where_it_ran  # noqa: F401
from sqlalchemy import select

from services import documents
from services.customers.models import Document
from services.imports import service as imports
from services.security.models import AuditEvent
from services.validation.identity import make_id_number

ID_1 = make_id_number("110105", date(1985, 6, 15), 11)
ID_2 = make_id_number("310104", date(1990, 2, 1), 12)
PHONE_1, PHONE_2, SPARE = "13900001111", "13900002222", "13700003333"
SOURCE = ("姓名,证件号码,手机号,电子邮箱,备注\r\n"
          f"张导入,{ID_1},{PHONE_1},zhang@example.com,备用电话 {SPARE}\r\n"
          f"李导入,{ID_2},{PHONE_2},li@example.com,\r\n").encode("utf-8")
FULL_VALUES = (ID_1, ID_2, PHONE_1, PHONE_2, SPARE)


def _upload(uow_factory, actor, data=SOURCE, filename="batch.csv"):
    with uow_factory() as uow:
        view = imports.upload(uow=uow, actor=actor, data=data, filename=filename)
        uow.commit()
    return view


def _doc_id(connection, kind: str) -> int:
    return connection.execute(select(Document.id).where(Document.kind == kind)
                              .order_by(Document.id.desc()).limit(1)).scalar_one()


def _last_event(connection, entity_id: int):
    row = connection.execute(select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.changes)
                             .where(AuditEvent.entity_type == "document", AuditEvent.entity_id == str(entity_id))
                             .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return None if row is None else (row.action, row.actor_name, json.loads(row.changes))


def _get(http, uow_factory, user: str, path: str):  # noqa: F811
    return http.get(path, headers={"Cookie": session_cookie(uow_factory, user)})


@pytest.mark.parametrize("user", ["admin", "auditor", "bm_a"])
def test_roles_that_may_not_see_id_numbers_and_phones_in_full_get_the_import_file_masked(
        user, http, uow_factory, actors, org, connection):  # noqa: F811
    _upload(uow_factory, actors["ops_a"])
    doc_id = _doc_id(connection, "import_source")
    r = _get(http, uow_factory, user, f"/documents/{doc_id}")
    assert r.status_code == 200, r.text
    body = r.content.decode("utf-8-sig")
    for value in FULL_VALUES:
        assert value not in body
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["姓名", "证件号码", "手机号", "电子邮箱", "备注"]
    assert rows[1][:3] == ["张导入", ID_1[:6] + "********" + ID_1[-4:], "139****1111"]
    assert rows[1][4] == "备用电话 137****3333"  # an unmapped column is masked by what it holds
    assert r.headers["content-type"].startswith("text/csv")
    assert "batch-masked.csv" in r.headers["content-disposition"]
    action, actor_name, changes = _last_event(connection, doc_id)
    assert (action, actor_name, changes["masked"]) == ("document.download", user, True)


@pytest.mark.parametrize("user", ["ops_a", "compliance"])
def test_roles_that_may_reveal_both_fields_get_the_original_and_it_is_audited_as_a_reveal(
        user, http, uow_factory, actors, org, connection):  # noqa: F811
    _upload(uow_factory, actors["ops_a"])
    doc_id = _doc_id(connection, "import_source")
    r = _get(http, uow_factory, user, f"/documents/{doc_id}")
    assert r.status_code == 200 and r.content == SOURCE
    action, actor_name, changes = _last_event(connection, doc_id)
    assert (action, actor_name) == ("document.reveal", user)
    assert {"id_number", "phone"} <= set(changes["fields"])


@pytest.mark.parametrize("user", ["rm_a1", "lead_a1", "approver_a"])
def test_roles_that_may_not_see_the_batch_are_refused_the_file(user, http, uow_factory, actors, org,  # noqa: F811
                                                               connection):
    _upload(uow_factory, actors["ops_a"])
    doc_id = _doc_id(connection, "import_source")
    r = _get(http, uow_factory, user, f"/documents/{doc_id}")
    assert r.status_code == 403
    for value in FULL_VALUES:
        assert value not in r.text


def test_the_preview_never_holds_a_full_id_number_or_phone(uow_factory, actors, org, page_state):
    """The preview is a public state var, sent to the browser: masked for every role, ops included."""
    from pathlib import Path

    from reflex_components_core.core._upload import UploadFile

    from state.imports import ImportsState

    for name in ("ops_a", "lead_a1", "bm_a"):
        state = page_state(ImportsState, actors[name])
        upload = UploadFile(file=io.BytesIO(SOURCE), path=Path(f"{name}.csv"), size=len(SOURCE))
        asyncio.run(ImportsState.handle_upload.fn(state, [upload]))
        assert state.upload_error == "" and len(state.preview_rows) == 2
        shown = json.dumps(state.preview_rows, ensure_ascii=False)
        for value in FULL_VALUES:
            assert value not in shown
        assert "139****1111" in shown


def test_row_errors_never_echo_an_identifier_in_full(uow_factory, actors, org):
    data = ("姓名,证件号码,性别\r\n" f"张导入,{ID_1},{PHONE_1}\r\n").encode("utf-8")  # a phone in the gender column
    batch = _upload(uow_factory, actors["ops_a"], data)
    with uow_factory() as uow:
        p = imports.preview(uow=uow, actor=actors["ops_a"], batch_id=batch.id)
    described = [imports.describe(e, "en") for r in p.rows for e in r.errors]
    assert described and PHONE_1 not in " ".join(described) and "139****1111" in " ".join(described)
    view = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                              default_owner_id=org.users["rm_a1"])
    with uow_factory() as uow:
        _, report = imports.error_report(uow=uow, actor=actors["ops_a"], batch_id=view.id)
    assert PHONE_1.encode() not in report and "139****1111".encode() in report


def _rejected_batch(uow_factory, actors, org):
    bad = SOURCE.replace(ID_2.encode(), (ID_2[:-1] + ("0" if ID_2[-1] != "0" else "1")).encode())
    batch = _upload(uow_factory, actors["ops_a"], bad)
    view = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                              default_owner_id=org.users["rm_a1"])
    assert view.status == "rejected" and view.has_error_report
    return view


@pytest.mark.parametrize("user", ["ops_a", "bm_a", "compliance", "auditor", "admin", "lead_a1", "rm_a1"])
def test_the_error_report_is_read_by_one_rule_and_audited_through_either_route(
        user, http, uow_factory, actors, org, connection):  # noqa: F811
    view = _rejected_batch(uow_factory, actors, org)
    report_doc = _doc_id(connection, "import_report")
    by_batch = _get(http, uow_factory, user, f"/imports/{view.id}/error-report")
    seen_after_first = _last_event(connection, report_doc)
    by_document = _get(http, uow_factory, user, f"/documents/{report_doc}")
    assert by_batch.status_code == by_document.status_code
    may_read = user in ("ops_a", "bm_a", "compliance", "auditor", "admin")
    assert by_batch.status_code == (200 if may_read else 403)
    if may_read:
        assert by_batch.content == by_document.content and "check digit" in by_batch.content.decode("utf-8-sig")
        assert seen_after_first is not None and seen_after_first[:2] == ("document.download", user)
        assert seen_after_first[2]["batch_ids"] == [view.id]
        assert _last_event(connection, report_doc)[:2] == ("document.download", user)


def test_the_download_routes_use_the_database_off_the_event_loop(http, uow_factory, actors, org,  # noqa: F811
                                                                connection, where_it_ran):  # noqa: F811
    view = _rejected_batch(uow_factory, actors, org)
    cookie = session_cookie(uow_factory, "ops_a")
    where_it_ran.calls.clear()
    for path in (f"/documents/{_doc_id(connection, 'import_source')}", f"/imports/{view.id}/error-report"):
        assert http.get(path, headers={"Cookie": cookie}).status_code == 200
    assert "database" in where_it_ran.names() and where_it_ran.on_loop() == []


SPOOFED = "invoice\u202efdp.csv"


def test_invisible_characters_are_cleaned_from_import_file_names_everywhere_they_show(
        http, uow_factory, actors, org, connection):  # noqa: F811
    r = http.post("/imports/upload?filename=" + "inv\u200boice\u202efdp.csv", content=SOURCE,
                  headers={"Cookie": session_cookie(uow_factory, "ops_a"), "Origin": "http://localhost:3000"})
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "invoicefdp.csv"
    stored = connection.execute(select(Document.filename).where(Document.kind == "import_source")).scalar_one()
    assert stored == "invoicefdp.csv"
    with uow_factory() as uow:
        assert [b.filename for b in imports.list_batches(uow=uow, actor=actors["ops_a"])] == ["invoicefdp.csv"]


def test_a_name_stored_before_is_cleaned_when_served(http, uow_factory, actors, new_customer,  # noqa: F811
                                                     connection):
    customer = new_customer()
    pdf = b"%PDF-1.4\n%%EOF\n"
    with uow_factory() as uow:
        doc = documents.store(uow.session, data=pdf, filename="x.pdf", content_type="application/pdf",
                              kind="contract", customer_id=customer.id, actor=actors["rm_a1"])
        uow.commit()
    # A row written before names were cleaned: the override sits in the database.
    connection.execute(Document.__table__.update().where(Document.id == doc.id).values(filename=SPOOFED))
    r = _get(http, uow_factory, "rm_a1", f"/documents/{doc.id}")
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert "\u202e" not in unquote(disposition) and "%E2%80%AE" not in disposition.upper()
    assert "invoicefdp.csv" in unquote(disposition)


@pytest.mark.parametrize("name, expected", [
    ("合同\u202efdp.exe", None),  # cleaned to "合同fdp.exe": not an allowed type, refused for that
    ("合\u200b同\u2066.pdf", "合同.pdf"),
    ("\u2067合同\u2069 2024\u200e.pdf", "合同 2024.pdf"),
])
def test_customer_document_names_are_cleaned_the_same_way(name, expected, uow_factory, actors, new_customer):
    from services.errors import ValidationFailed

    customer = new_customer()
    pdf = b"%PDF-1.4\n%%EOF\n"
    with uow_factory() as uow:
        if expected is None:
            with pytest.raises(ValidationFailed) as exc:
                documents.upload_customer_document(uow=uow, actor=actors["rm_a1"], customer_id=customer.id,
                                                   filename=name, data=pdf)
            assert exc.value.errors[0].code == "document.type_not_allowed"
            return
        doc = documents.upload_customer_document(uow=uow, actor=actors["rm_a1"], customer_id=customer.id,
                                                 filename=name, data=pdf)
    assert doc.filename == expected


def test_the_review_queue_shows_id_numbers_and_phones_masked_to_every_importer(page_state, uow_factory, actors,
                                                                               org, new_customer):
    from state.imports import ImportsState

    new_customer(name="王五", birth_date=date(1985, 6, 15))
    other_id = make_id_number("110105", date(1985, 6, 15), 777)
    data = ("姓名,证件号码,手机号,出生日期\r\n" f"王五,{other_id},{SPARE},1985-06-15\r\n").encode("utf-8")
    batch = _upload(uow_factory, actors["ops_a"], data)
    view = imports.run_import(uow_factory=uow_factory, actor=actors["ops_a"], batch_id=batch.id,
                              default_owner_id=org.users["rm_a1"])
    assert view.review_count == 1
    for name in ("ops_a", "bm_a"):
        state = page_state(ImportsState, actors[name])
        asyncio.run(ImportsState.load.fn(state))
        shown = json.dumps(state.reviews, ensure_ascii=False)
        assert len(state.reviews) == 1 and other_id not in shown and SPARE not in shown
        assert "137****3333" in shown and other_id[:6] + "********" + other_id[-4:] in shown
