"""Customer documents on the 360 page: upload (type, size and content checked), list, download
(audited), all within the customer's data scope; a refused upload writes nothing."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from services import documents
from services.customer360 import service as c360
from services.customers.models import Document
from services.errors import NotFound, Refusal, ValidationFailed
from services.security.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _ooxml(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(part, "<x/>")
    return buf.getvalue()


def _upload(uow_factory, actor, customer_id, filename, data, kind="other"):
    with uow_factory() as uow:
        doc = documents.upload_customer_document(uow=uow, actor=actor, customer_id=customer_id,
                                                 filename=filename, data=data, kind=kind,
                                                 content_type="text/html")  # the browser's word is ignored
        uow.commit()
        return doc.id


def _counts(connection) -> tuple[int, int]:
    docs = connection.execute(select(func.count()).select_from(Document)).scalar_one()
    events = connection.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action.like("document.%"))).scalar_one()
    return docs, events


def test_rm_uploads_lists_and_downloads_a_document_of_their_customer(uow_factory, actors, new_customer,
                                                                     connection):
    p = new_customer()
    rm = actors["rm_a1"]
    doc_id = _upload(uow_factory, rm, p.id, "../../etc/合同 2024\".pdf", PDF, kind="contract")

    with uow_factory() as uow:
        listed = c360.documents(uow=uow, actor=rm, customer_id=p.id)
    assert [(d.id, d.kind, d.size) for d in listed] == [(doc_id, "contract", len(PDF))]
    assert listed[0].filename == "合同 2024_.pdf"  # no path, no quote
    assert listed[0].content_type == "application/pdf"
    assert listed[0].uploaded_by == "RM_A1"  # the person's name, not the user id the row keeps

    with uow_factory() as uow:
        name, ctype, data = documents.download_document(uow=uow, actor=rm, document_id=doc_id)
        uow.commit()
    assert (name, ctype, data) == ("合同 2024_.pdf", "application/pdf", PDF)
    actions = connection.execute(select(AuditEvent.action, AuditEvent.changes)
                                 .where(AuditEvent.action.like("document.%")).order_by(AuditEvent.seq)).all()
    assert [a for a, _ in actions] == ["document.store", "document.download"]
    assert json.loads(actions[1][1])["customer_id"] == p.id

    # The team lead and the branch manager see the customer, so the document too.
    for other in ("lead_a1", "bm_a"):
        with uow_factory() as uow:
            assert documents.download_document(uow=uow, actor=actors[other], document_id=doc_id)[2] == PDF


def test_other_branch_rm_can_neither_upload_nor_download_nor_list(uow_factory, actors, new_customer, connection):
    p = new_customer()
    doc_id = _upload(uow_factory, actors["rm_a1"], p.id, "id.png", PNG, kind="id_copy")
    before = _counts(connection)
    for foreign in (actors["rm_b1"], actors["rm_a1b"]):  # another branch's RM; a colleague's customer
        with uow_factory() as uow, pytest.raises(Refusal):
            documents.download_document(uow=uow, actor=foreign, document_id=doc_id)
        with uow_factory() as uow, pytest.raises(Refusal):
            c360.documents(uow=uow, actor=foreign, customer_id=p.id)
        with pytest.raises(Refusal):
            _upload(uow_factory, foreign, p.id, "x.pdf", PDF)
    # Read-only auditors read but do not upload.
    with pytest.raises(Refusal):
        _upload(uow_factory, actors["auditor"], p.id, "x.pdf", PDF)
    with uow_factory() as uow, pytest.raises(NotFound):
        documents.download_document(uow=uow, actor=actors["rm_a1"], document_id=doc_id + 1000)
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        documents.download_document(uow=uow, actor=actors["rm_a1"], document_id="1")
    assert _counts(connection) == before


@pytest.mark.parametrize("filename,data,kind,field,code,message_en", [
    ("virus.exe", b"MZ\x90\x00", "other", "file", "document.type_not_allowed",
     "File: must be one of these file types: PDF, JPG, PNG, DOCX, XLSX"),
    ("page.html", b"<script>", "other", "file", "document.type_not_allowed", None),
    ("noext", PDF, "other", "file", "document.type_not_allowed", None),
    ("empty.pdf", b"", "other", "file", "document.empty", "File: is empty"),
    ("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "other", "file", "document.too_large",
     "File: is larger than 20 MB"),
    ("renamed.pdf", b"MZ\x90\x00 not a pdf", "other", "file", "document.content_mismatch",
     "File: is not a real PDF file (its content does not match its name)"),
    ("photo.jpg", PNG, "other", "file", "document.content_mismatch", None),
    ("sheet.xlsx", _ooxml("word/document.xml"), "other", "file", "document.content_mismatch", None),
    ("a.pdf", PDF, "import_report", "document_kind", "value.invalid_choice", None),
    ("a.pdf", "text", "other", "file", "value.wrong_type", None),
])
def test_bad_uploads_are_refused_naming_the_field_and_write_nothing(uow_factory, actors, new_customer, connection,
                                                                    filename, data, kind, field, code, message_en):
    p = new_customer()
    before = _counts(connection)
    with pytest.raises(ValidationFailed) as exc:
        _upload(uow_factory, actors["rm_a1"], p.id, filename, data, kind=kind)
    assert [(e.field, e.code) for e in exc.value.errors] == [(field, code)]
    if message_en:
        assert exc.value.message("en") == message_en
    assert exc.value.message("zh_CN").startswith("文件")
    assert _counts(connection) == before


def test_office_files_and_images_are_accepted_with_types_from_the_server(uow_factory, actors, new_customer):
    p = new_customer()
    rm = actors["rm_a1"]
    for name, data in (("a.docx", _ooxml("word/document.xml")), ("b.XLSX", _ooxml("xl/workbook.xml")),
                       ("c.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16), ("d.png", PNG)):
        _upload(uow_factory, rm, p.id, name, data)
    with uow_factory() as uow:
        types = {d.filename: d.content_type for d in c360.documents(uow=uow, actor=rm, customer_id=p.id)}
    assert types == {
        "a.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "b.XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "c.jpeg": "image/jpeg", "d.png": "image/png"}


def test_safe_upload_name_keeps_the_extension_of_a_long_name():
    name = documents._safe_upload_name("a" * 400 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 200
    assert documents._safe_upload_name('..\\..\\<b>"x".pdf') == "_b__x_.pdf"
    assert documents._safe_upload_name(None) == "file"


# ---------------------------------------------------------------- the page's input helpers (no database)

def test_consent_form_is_turned_into_the_service_input_or_refused_naming_the_field():
    from state.customer_records import consent_data

    assert consent_data({"purpose": "marketing", "decision": "withdraw", "channel": "phone", "evidence": " 录音 1 "}) \
        == {"purpose": "marketing", "granted": False, "channel": "phone", "evidence": "录音 1"}
    assert consent_data({"purpose": "profiling", "decision": "grant", "channel": "app"})["granted"] is True
    for bad, field in (({"purpose": "marketing", "decision": "yes", "channel": "app"}, "granted"),
                       ({"purpose": "marketing", "decision": True, "channel": "app"}, "granted"),
                       ({"purpose": ["marketing"], "decision": "grant", "channel": "app"}, "purpose"),
                       ({"purpose": "marketing", "decision": "grant", "channel": "app", "evidence": "x" * 201},
                        "evidence"),
                       ("purpose=marketing", "input")):
        with pytest.raises(ValidationFailed) as exc:
            consent_data(bad)
        assert exc.value.errors[0].field == field


def test_record_consent_refuses_unknown_purpose_and_channel_from_the_form(uow_factory, actors, new_customer,
                                                                          connection):
    from services.customers import consent
    from services.customers.models import ConsentRecord
    from state.customer_records import consent_data

    p = new_customer()
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=p.id,
                               data=consent_data({"purpose": "spam", "decision": "grant", "channel": "pigeon"}))
    assert {e.field for e in exc.value.errors} == {"purpose", "channel"}
    assert connection.execute(select(func.count()).select_from(ConsentRecord)).scalar_one() == 0


def test_download_names_survive_any_browser():
    from fincrm_app.api.cookie_auth import content_disposition

    value = content_disposition('理财合同 "v2".pdf')
    assert value.startswith('attachment; filename="____ _v2_.pdf"; ')
    assert value.endswith("filename*=UTF-8''%E7%90%86%E8%B4%A2%E5%90%88%E5%90%8C%20%22v2%22.pdf")
    assert "\n" not in content_disposition("a\r\nSet-Cookie: x.pdf")


def test_downloading_an_import_file_is_audited_like_a_customer_document(uow_factory, actors, connection):
    """Import files carry whole batches of ID numbers and phones: reading one leaves a trace too, and
    reading it in full (compliance may see both fields in full) is audited as a reveal."""
    from services.imports import service as imports

    csv_data = "姓名,证件号码,手机号\r\n张导入,110105198506150011,13900001111\r\n".encode("utf-8")
    with uow_factory() as uow:
        imports.upload(uow=uow, actor=actors["ops_a"], data=csv_data, filename="batch.csv")
        uow.commit()
    doc_id = connection.execute(select(Document.id).where(Document.kind == "import_source")
                                .order_by(Document.id.desc()).limit(1)).scalar_one()
    with uow_factory() as uow:
        name, _, data = documents.download_document(uow=uow, actor=actors["compliance"], document_id=doc_id)
        uow.commit()
    assert name == "batch.csv" and data == csv_data
    event = connection.execute(select(AuditEvent.entity_id, AuditEvent.changes)
                               .where(AuditEvent.action == "document.reveal")
                               .order_by(AuditEvent.seq.desc()).limit(1)).first()
    assert event is not None and event.entity_id == str(doc_id)
    assert json.loads(event.changes)["kind"] == "import_source"
    assert json.loads(event.changes)["fields"] == ["id_number", "phone", "email", "address"]
