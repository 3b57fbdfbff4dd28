"""Dual recording in services: chunked, resumable upload with a size limit and the type judged from the bytes,
SHA-256 stored, compliance review against the checklist; without an approved recording the sale cannot become
effective. Plus the scheduler's reminders of expiring assessments."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from services import clock, documents
from services.db import UnitOfWork
from services.errors import NotPermitted, ValidationFailed
from services.suitability import jobs, recordings, sales, service
from services.suitability.models import AssessmentReminder, Recording, Sale
from suitability_helpers import add_products, audit_rows, rows, set_level, signature

MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(range(256)) * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 4000


@pytest.fixture
def sale(uow_factory, actors, new_customer, connection):
    add_products(connection)
    c = new_customer()
    set_level(uow_factory, c.id, "C5", clock.today() + timedelta(days=300))
    with uow_factory() as uow:  # R4: a recording is required (record_r4_and_above)
        proposed = sales.propose_sale(uow=uow, actor=actors["rm_a1"], customer_id=c.id, product_code="SF-R4",
                                      amount="50000")
        uow.commit()
    with uow_factory() as uow:
        signed = sales.sign_sale(uow=uow, actor=actors["rm_a1"], sale_id=proposed.id, version=proposed.version,
                                 signature=signature())
        uow.commit()
    assert signed.status == "recording_pending"
    return signed


def _start(uow_factory, actor, sale_id, size, name="visit.mp4"):
    with uow_factory() as uow:
        out = recordings.start_upload(uow=uow, actor=actor, sale_id=sale_id, filename=name, size=size)
        uow.commit()
    return out


def _chunk(uow_factory, actor, rec_id, offset, data):
    with uow_factory() as uow:
        out = recordings.append_chunk(uow=uow, actor=actor, recording_id=rec_id, offset=offset, data=data)
        uow.commit()
    return out


def _finish(uow_factory, actor, rec_id):
    with uow_factory() as uow:
        out = recordings.finish_upload(uow=uow, actor=actor, recording_id=rec_id)
        uow.commit()
    return out


def test_a_recording_uploads_in_chunks_resumes_and_lets_the_sale_become_effective(uow_factory, actors, sale,
                                                                                  connection):
    rm = actors["rm_a1"]
    rec = _start(uow_factory, rm, sale.id, len(MP4))
    _chunk(uow_factory, rm, rec.id, 0, MP4[:4000])
    # the connection dropped: starting again resumes at what the server has
    again = _start(uow_factory, rm, sale.id, len(MP4))
    assert again.id == rec.id and again.received == 4000
    with pytest.raises(recordings.RecordingRefused) as e, uow_factory() as uow:  # a chunk from the wrong place
        recordings.append_chunk(uow=uow, actor=rm, recording_id=rec.id, offset=0, data=MP4[:10])
    assert e.value.code == "recording.offset_mismatch" and e.value.params == {"expected": 4000}
    with pytest.raises(recordings.RecordingRefused) as e, uow_factory() as uow:  # too early to finish
        recordings.finish_upload(uow=uow, actor=rm, recording_id=rec.id)
    assert e.value.code == "recording.incomplete"
    _chunk(uow_factory, rm, rec.id, 4000, MP4[4000:])
    done = _finish(uow_factory, rm, rec.id)
    assert done.status == "submitted" and done.media_type == "video/mp4"
    assert done.sha256 == hashlib.sha256(MP4).hexdigest() and documents.blob_path(done.sha256).read_bytes() == MP4
    assert done.sha256 in audit_rows(connection, "recording.submit")[-1].changes
    checklist = {k: True for k in ("identity_shown", "risk_disclosed", "levels_explained", "no_promise", "voluntary",
                                   "cooling_off")}
    with pytest.raises(NotPermitted), uow_factory() as uow:
        recordings.review_recording(uow=uow, actor=rm, recording_id=rec.id, checklist=checklist, approve=True)
    with pytest.raises(ValidationFailed), uow_factory() as uow:  # every item must be answered
        recordings.review_recording(uow=uow, actor=actors["compliance"], recording_id=rec.id,
                                    checklist={"identity_shown": True}, approve=True)
    with pytest.raises(ValidationFailed), uow_factory() as uow:  # approving needs every item met
        recordings.review_recording(uow=uow, actor=actors["compliance"], recording_id=rec.id,
                                    checklist={**checklist, "no_promise": False}, approve=True)
    with uow_factory() as uow:
        recordings.review_recording(uow=uow, actor=actors["compliance"], recording_id=rec.id, checklist=checklist,
                                    approve=True)
        uow.commit()
    assert connection.execute(select(Sale.status).where(Sale.id == sale.id)).scalar() == "cooling_off"
    with clock.fixed(sale.cooling_off_until + timedelta(minutes=1)):
        jobs_uow = UnitOfWork(connection)
        with jobs_uow as uow:
            sales.complete_cooling_off(uow)
            uow.commit()
    assert connection.execute(select(Sale.status).where(Sale.id == sale.id)).scalar() == "effective"


def test_without_an_approved_recording_the_sale_cannot_become_effective(uow_factory, actors, sale, connection):
    with clock.fixed(sale.cooling_off_until + timedelta(days=3)):
        with UnitOfWork(connection) as uow:
            assert sales.complete_cooling_off(uow) == 0
            uow.commit()
    rec = _start(uow_factory, actors["rm_a1"], sale.id, len(MP4))
    _chunk(uow_factory, actors["rm_a1"], rec.id, 0, MP4)
    _finish(uow_factory, actors["rm_a1"], rec.id)
    checklist = {k: True for k in ("identity_shown", "risk_disclosed", "levels_explained", "no_promise", "voluntary",
                                   "cooling_off")}
    with uow_factory() as uow:
        recordings.review_recording(uow=uow, actor=actors["compliance"], recording_id=rec.id,
                                    checklist={**checklist, "voluntary": False}, approve=False,
                                    note="未确认客户自愿购买")
        uow.commit()
    assert connection.execute(select(Sale.status).where(Sale.id == sale.id)).scalar() == "recording_pending"


def test_a_file_that_is_not_audio_or_video_or_too_large_is_refused_and_audited(uow_factory, actors, sale,
                                                                              connection, monkeypatch):
    rec = _start(uow_factory, actors["rm_a1"], sale.id, len(EXE), name="visit.mp4")  # the name says video
    with pytest.raises(recordings.RecordingRejected) as e, uow_factory() as uow:
        recordings.append_chunk(uow=uow, actor=actors["rm_a1"], recording_id=rec.id, offset=0, data=EXE)
    assert e.value.code == "recording.not_media" and e.value.http_status == 415
    assert "recording.not_media" in audit_rows(connection, "access.refused")[-1].changes
    (stored,) = rows(connection, Recording)
    assert stored.received == 0 and stored.sha256 is None  # nothing of it kept
    monkeypatch.setattr(recordings, "max_bytes", lambda: 1000)
    with pytest.raises(recordings.RecordingRejected) as e, uow_factory() as uow:
        recordings.start_upload(uow=uow, actor=actors["rm_a1"], sale_id=sale.id, filename="big.mp4", size=1001)
    assert e.value.code == "recording.too_large" and "recording.too_large" in audit_rows(
        connection, "access.refused")[-1].changes
    small = _start(uow_factory, actors["rm_a1"], sale.id, 900, name="small.mp4")
    with pytest.raises(recordings.RecordingRejected), uow_factory() as uow:  # more bytes than declared
        recordings.append_chunk(uow=uow, actor=actors["rm_a1"], recording_id=small.id, offset=0, data=MP4[:1200])
    for bad in ({"size": 0}, {"size": -1}, {"size": "10"}, {"size": True}):
        with pytest.raises(ValidationFailed), uow_factory() as uow:
            recordings.start_upload(uow=uow, actor=actors["rm_a1"], sale_id=sale.id, filename="x.mp4", **bad)
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        recordings.append_chunk(uow=uow, actor=actors["rm_a1"], recording_id=small.id, offset=0, data=b"")


def test_other_rms_cannot_upload_to_a_sale(uow_factory, actors, sale):
    from services.errors import OutOfScope

    with pytest.raises(OutOfScope), uow_factory() as uow:
        recordings.start_upload(uow=uow, actor=actors["rm_b1"], sale_id=sale.id, filename="x.mp4", size=100)


def test_the_scheduler_reminds_the_rm_once_before_an_assessment_expires(uow_factory, actors, new_customer,
                                                                        connection):
    soon, later, gone = new_customer(), new_customer(), new_customer()
    today = clock.today()
    set_level(uow_factory, soon.id, "C3", today + timedelta(days=10))
    set_level(uow_factory, later.id, "C3", today + timedelta(days=90))
    set_level(uow_factory, gone.id, "C3", today - timedelta(days=1))
    for _ in range(2):  # idempotent: a second run reminds nobody again
        with UnitOfWork(connection) as uow:
            jobs.remind_expiring(uow)
            uow.commit()
    found = rows(connection, AssessmentReminder)
    assert [(r.customer_id, r.owner_id) for r in found] == [(soon.id, actors["rm_a1"].id)]
    with UnitOfWork(connection) as uow:  # what the RM sees on /sales
        mine = service.expiring_assessments(uow=uow, actor=actors["rm_a1"])
        theirs = service.expiring_assessments(uow=uow, actor=actors["rm_b1"])
    assert [(r.customer_id, r.days_left) for r in mine] == [(soon.id, 10)] and theirs == []
    set_level(uow_factory, soon.id, "C3", today + timedelta(days=365))  # renewed: the reminder is done
    with UnitOfWork(connection) as uow:
        assert service.expiring_assessments(uow=uow, actor=actors["rm_a1"]) == []
