"""Sales: the suitability check enforced when a sale is proposed and again when it is signed, the mismatch
warning and extra statements, the signed PDF/A disclosure (read back with pdftotext and verified with
pyHanko), cooling-off, cancellation and compliance review. Nothing is recorded half-way, and every refused
attempt leaves an audit event."""
from __future__ import annotations

import io
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services import clock, documents
from services.db import UnitOfWork
from services.errors import ConcurrentModification, NotPermitted, OutOfScope, ValidationFailed
from services.suitability import questionnaires, sales, signing
from services.suitability.models import Sale, Signature, SuitabilityCheck
from services.suitability.service import SuitabilityRefused
from suitability_helpers import add_products, audit_rows, born, set_level, signature


@pytest.fixture
def products(connection):
    return add_products(connection)


def _count(connection, model) -> int:
    return connection.execute(select(func.count()).select_from(model)).scalar_one()


def _propose(uow_factory, actor, customer_id, code, amount="100000.00", **kw):
    with uow_factory() as uow:
        out = sales.propose_sale(uow=uow, actor=actor, customer_id=customer_id, product_code=code, amount=amount, **kw)
        uow.commit()
    return out


def _sign(uow_factory, actor, sale, **kw):
    kw.setdefault("signature", signature())
    with uow_factory() as uow:
        out = sales.sign_sale(uow=uow, actor=actor, sale_id=sale.id, version=sale.version, **kw)
        uow.commit()
    return out


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
                          ).stdout.decode("utf-8")


def pdfa_identification(data: bytes) -> tuple[str, str]:
    """The PDF/A part and conformance the document declares (its XMP metadata), and its output intent."""
    import re

    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert "/OutputIntents" in root  # PDF/A needs the colour profile it was made for
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    part = re.search(r"pdfaid:part(?:>|=\")(\d)", xmp).group(1)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")([A-Z])", xmp).group(1)
    return part, conformance


def test_a_refused_sale_records_nothing_and_audits_the_refusal(uow_factory, actors, new_customer, products, connection):
    c = new_customer()  # never assessed
    with pytest.raises(SuitabilityRefused) as e:
        _propose(uow_factory, actors["rm_a1"], c.id, "SF-R1")
    assert "no valid risk assessment" in e.value.message("en") and "风险承受能力评估" in e.value.message("zh_CN")
    assert _count(connection, Sale) == 0 and _count(connection, SuitabilityCheck) == 0
    refused = audit_rows(connection, "access.refused")[-1]
    assert refused.entity_id == str(c.id) and "suitability.no_assessment" in refused.changes
    set_level(uow_factory, c.id, "C1", clock.today() + timedelta(days=90))
    with pytest.raises(SuitabilityRefused):  # C1 never buys above R1, not even with a warning
        _propose(uow_factory, actors["rm_a1"], c.id, "SF-R2")
    assert "suitability.never_above" in audit_rows(connection, "access.refused")[-1].changes
    with pytest.raises(SuitabilityRefused):  # bank wealth management: a mismatch is refused outright
        _propose(uow_factory, actors["rm_a1"], c.id, "BW-R2")
    assert _count(connection, Sale) == 0


def test_an_allowed_sale_is_signed_into_a_signed_pdf_a_disclosure(uow_factory, actors, new_customer, products,
                                                                 connection):
    c = new_customer(name="李四", **born(date(1980, 3, 1)))
    set_level(uow_factory, c.id, "C4", clock.today() + timedelta(days=300))
    sale = _propose(uow_factory, actors["rm_a1"], c.id, "SF-R3", amount="250000.50", locale="zh_CN")
    assert sale.status == "awaiting_signature" and sale.verdict == "allowed"
    with pytest.raises(ValidationFailed) as e:  # a signature is missing: nothing moves
        _sign(uow_factory, actors["rm_a1"], sale, signature=None)
    assert e.value.errors[0].code == "signature.missing" and _count(connection, Signature) == 0
    signed = _sign(uow_factory, actors["rm_a1"], sale)
    # first purchase of a fund: a recording is required (record_first_of_type)
    assert signed.status == "recording_pending" and signed.signed_at is not None
    assert signed.cooling_off_until == signed.signed_at + timedelta(hours=24)
    with UnitOfWork(connection) as uow:
        name, ctype, data = documents.download_document(uow=uow, actor=actors["rm_a1"],
                                                        document_id=signed.disclosure_document_id)
    again = documents.read_blob(signed.disclosure_sha256)
    assert data == again and documents.sha256_of(data) == signed.disclosure_sha256  # identical bytes
    text = pdf_text(data)
    for expected in ("产品风险揭示书及适当性匹配确认书", "李四", "SF-R3", "C4", "R3", "250,000.50", "冷静期",
                     f"{sale.id}", "演示基金管理有限公司"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True).stdout.decode()
    assert "NotoSansCJK" in fonts.replace("-", "") and " yes yes " in fonts  # the CJK font, embedded as a subset
    assert pdfa_identification(data) == ("3", "B")
    check = signing.verify_pdf(data)
    assert check.ok, check
    tampered = bytearray(data)
    at = data.index(b"SF-R3") if b"SF-R3" in data else len(data) // 3
    tampered[at] ^= 0x01
    assert not signing.verify_pdf(bytes(tampered)).ok
    assert audit_rows(connection, "disclosure.create")[-1].entity_id == str(sale.id)
    assert signed.disclosure_sha256 in audit_rows(connection, "sale.sign")[-1].changes


def _switch_off_first_purchase_recording(uow_factory, actors) -> None:
    with uow_factory() as uow:
        questionnaires.save_sale_rule(uow=uow, actor=actors["admin"], data={
            "code": "record_first_of_type", "name": "首次购买", "name_en": "First purchase", "requirement": "recording",
            "conditions": {"first_purchase_of_type": True}, "is_active": False})
        uow.commit()


def test_a_mismatch_needs_the_signed_warning_and_is_reviewed(uow_factory, actors, new_customer, products, connection):
    _switch_off_first_purchase_recording(uow_factory, actors)
    c = new_customer(**born(date(1990, 1, 1)))
    set_level(uow_factory, c.id, "C2", clock.today() + timedelta(days=300))
    sale = _propose(uow_factory, actors["rm_a1"], c.id, "SF-R3", locale="en")
    assert sale.verdict == "warning_required"
    assert [r.requirement for r in sale.requirements] == ["compliance_review"]
    with pytest.raises(ValidationFailed) as e:
        _sign(uow_factory, actors["rm_a1"], sale)
    assert e.value.errors[0].field == "warning_acknowledged"
    signed = _sign(uow_factory, actors["rm_a1"], sale, warning_acknowledged=True)
    assert signed.warning_signed is True and signed.status == "review_pending"
    text = pdf_text(documents.read_blob(signed.disclosure_sha256))
    assert "Risk mismatch warning" in text and "above your risk tolerance" in text
    with pytest.raises(ValidationFailed), uow_factory() as uow:  # rejecting needs a reason
        sales.review_sale(uow=uow, actor=actors["compliance"], sale_id=sale.id, version=signed.version, approve=False)
    with pytest.raises(NotPermitted), uow_factory() as uow:  # the RM does not review his own sale
        sales.review_sale(uow=uow, actor=actors["rm_a1"], sale_id=sale.id, version=signed.version, approve=True)
    with uow_factory() as uow:
        reviewed = sales.review_sale(uow=uow, actor=actors["compliance"], sale_id=sale.id, version=signed.version,
                                     approve=True, note="客户坚持购买，已充分揭示风险")
        uow.commit()
    assert reviewed.status == "cooling_off"


def test_cooling_off_cancel_and_effective(uow_factory, actors, new_customer, products, connection):
    c = new_customer()
    set_level(uow_factory, c.id, "C5", clock.today() + timedelta(days=300))
    _switch_off_first_purchase_recording(uow_factory, actors)  # the rule is data: off for this test
    first = _sign(uow_factory, actors["rm_a1"], _propose(uow_factory, actors["rm_a1"], c.id, "SF-R2"))
    assert first.status == "cooling_off" and first.can_cancel
    with uow_factory() as uow:
        cancelled = sales.cancel_sale(uow=uow, actor=actors["rm_a1"], sale_id=first.id, version=first.version,
                                      reason="客户在冷静期内撤销")
        uow.commit()
    assert cancelled.status == "cancelled"
    second = _sign(uow_factory, actors["rm_a1"], _propose(uow_factory, actors["rm_a1"], c.id, "SF-R1"))
    with clock.fixed(second.cooling_off_until + timedelta(seconds=1)):
        with UnitOfWork(connection) as uow:
            assert sales.complete_cooling_off(uow) == 1
            uow.commit()
        with pytest.raises(sales.SaleStepRefused) as e, uow_factory() as uow:
            sales.cancel_sale(uow=uow, actor=actors["rm_a1"], sale_id=second.id, version=second.version + 1,
                              reason="太晚了")
        assert e.value.code in ("sale.wrong_status", "sale.cooling_off_over")
    assert connection.execute(select(Sale.status).where(Sale.id == second.id)).scalar() == "effective"
    third = _propose(uow_factory, actors["rm_a1"], c.id, "SF-R1")
    with pytest.raises(ConcurrentModification), uow_factory() as uow:  # a stale version changes nothing
        sales.cancel_sale(uow=uow, actor=actors["rm_a1"], sale_id=third.id, version=third.version + 5, reason="x")
    assert connection.execute(select(Sale.status).where(Sale.id == third.id)).scalar() == "awaiting_signature"


def test_sales_of_other_rms_customers_are_out_of_reach(uow_factory, actors, new_customer, products, connection):
    c = new_customer(owner="rm_b1")
    set_level(uow_factory, c.id, "C5", clock.today() + timedelta(days=300))
    sale = _propose(uow_factory, actors["rm_b1"], c.id, "SF-R1")
    for use_case, kw in ((sales.get_sale, {}), (sales.sign_sale, {"version": 1, "signature": signature()}),
                         (sales.cancel_sale, {"version": 1, "reason": "x"})):
        with pytest.raises(OutOfScope), uow_factory() as uow:
            use_case(uow=uow, actor=actors["rm_a1"], sale_id=sale.id, **kw)
    for bad_amount in ("0", "-5", "1e20", "12.345", "NaN", None, True, [1]):
        with pytest.raises(ValidationFailed), uow_factory() as uow:
            sales.propose_sale(uow=uow, actor=actors["rm_b1"], customer_id=c.id, product_code="SF-R1",
                               amount=bad_amount)
