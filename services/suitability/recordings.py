"""Dual recording (双录): the sale's audio/video recording, uploaded in chunks and reviewed by compliance.

Upload (the RM, for a sale waiting for its recording):
    start   -> a recording row and an empty partial file; an unfinished upload of the same sale is resumed
    chunk   -> bytes appended at exactly the offset the server has (`received`: a lost chunk is re-sent from
               there); the first chunk must already look like audio or video, from its own bytes
    finish  -> every declared byte arrived, the type is checked again, the SHA-256 is computed and the file
               moves into the document store (content addressed); waiting for review
The size limit (FINCRM_RECORDING_MAX_MB) holds for the declared size and for every byte sent.

Review (compliance): every item of the checklist (data, versioned) is answered; approving needs every item
met, rejecting needs a note. Without an approved recording a sale that needs one cannot become effective.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlmodel import Session

from services import clock, documents
from services.customers.access import load_customer
from services.db import UnitOfWork
from services.errors import ConcurrentModification, DomainError, FieldError, NotFound, Refusal, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.settings import get_settings
from services.suitability import media, sales
from services.suitability.definitions import ChecklistItem
from services.suitability.models import (Recording, RecordingStatus, ReviewChecklist, Sale, SaleStatus,
                                         VersionStatus)
from services.security.policy import Permission as P, requires
from services.suitability.views import RecordingView

MAX_CHUNK = 8 * 1024 * 1024
ABANDON_AFTER = timedelta(hours=24)


class RecordingRefused(DomainError):
    code = "recording.refused"
    http_status = 409


class RecordingRejected(Refusal):
    """A file refused at the door (not audio/video, over the size limit): nothing of it is kept, and the
    refused attempt is audited (as a refusal, after the rollback) with what was refused."""

    http_status = 422

    def __init__(self, code: str, *, actor: Actor, sale_id: int, http_status: int = 422, **details: Any):
        super().__init__(code, actor=actor, entity_type="sale", entity_id=sale_id,
                         audit_details={"door": "recording", **details},
                         max_mb=get_settings().recording_max_mb)
        self.http_status = http_status


def max_bytes() -> int:
    return get_settings().recording_max_mb * 1024 * 1024


def _partial(upload_key: str) -> Path:
    return get_settings().data_dir / "uploads" / f"{upload_key}.part"


def _who(actor: Actor) -> str:
    return actor.audit_id if actor.kind == "user" and actor.audit_id else f"{actor.kind}:{actor.name}"


def view(r: Recording) -> RecordingView:
    return RecordingView(id=r.id, sale_id=r.sale_id, filename=r.filename, declared_size=r.declared_size,
                         received=r.received, media_type=r.media_type, sha256=r.sha256, status=r.status,
                         uploaded_by=r.uploaded_by, started_at=r.started_at, completed_at=r.completed_at,
                         checklist={k: bool(v) for k, v in (r.checklist or {}).items()}, review_note=r.review_note)


def _recording(s: Session, actor: Actor, recording_id: Any) -> tuple[Recording, Sale]:
    if isinstance(recording_id, bool) or not isinstance(recording_id, int) or not 0 < recording_id < 2**31:
        raise ValidationFailed([FieldError("recording_id", "value.invalid")])
    rec = s.get(Recording, recording_id)
    if rec is None:
        raise NotFound(what="recording", id=recording_id)
    sale = s.get(Sale, rec.sale_id)
    load_customer(s, actor, sale.customer_id)
    return rec, sale


@requires(P.SALE_PROPOSE)
def start_upload(*, uow: UnitOfWork, actor: Actor, sale_id: Any, filename: Any, size: Any) -> RecordingView:
    """Begin (or resume) the upload of a sale's recording of `size` bytes."""
    s = uow.session
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValidationFailed([FieldError("size", "value.invalid")])
    sale, _ = sales._load(s, actor, sale_id)
    if size > max_bytes():
        raise RecordingRejected("recording.too_large", actor=actor, sale_id=sale.id, http_status=413, size=size)
    if sale.status != SaleStatus.RECORDING_PENDING:
        raise sales.SaleStepRefused(status=sale.status)
    name = documents.clean_filename(filename)
    open_ = s.execute(select(Recording).where(Recording.sale_id == sale.id,
                                              Recording.status == RecordingStatus.UPLOADING)).scalars().first()
    if open_ is not None:
        if open_.declared_size == size and open_.filename == name:
            return view(open_)  # resume where it stopped
        _abandon(s, actor, open_, "replaced")
    key = secrets.token_hex(16)
    path = _partial(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    rec = Recording(sale_id=sale.id, upload_key=key, filename=name, declared_size=size, received=0,
                    status=RecordingStatus.UPLOADING, uploaded_by=_who(actor), started_at=clock.now())
    s.add(rec)
    s.flush()
    audit.record(s, actor, "recording.start", entity_type="sale", entity_id=sale.id,
                 changes={"recording_id": rec.id, "filename": name, "size": size})
    return view(rec)


@requires(P.SALE_PROPOSE, P.SALE_REVIEW)
def upload_status(*, uow: UnitOfWork, actor: Actor, recording_id: Any) -> RecordingView:
    return view(_recording(uow.session, actor, recording_id)[0])


def _abandon(s: Session, actor: Actor, rec: Recording, reason: str) -> None:
    _partial(rec.upload_key).unlink(missing_ok=True)
    s.execute(update(Recording).where(Recording.id == rec.id).values(status=RecordingStatus.ABANDONED))
    audit.record(s, actor, "recording.abandon", entity_type="sale", entity_id=rec.sale_id,
                 changes={"recording_id": rec.id, "reason": reason, "received": rec.received})


@requires(P.SALE_PROPOSE)
def append_chunk(*, uow: UnitOfWork, actor: Actor, recording_id: Any, offset: Any, data: Any) -> RecordingView:
    """Append `data` at `offset`, which must be exactly what the server has received so far."""
    s = uow.session
    rec, sale = _recording(s, actor, recording_id)
    if rec.status != RecordingStatus.UPLOADING:
        raise RecordingRefused("recording.not_uploading", status=rec.status)
    if not isinstance(data, (bytes, bytearray)) or not 0 < len(data) <= MAX_CHUNK:
        raise ValidationFailed([FieldError("chunk", "recording.chunk_invalid", {"max_mb": MAX_CHUNK // 2**20})])
    if isinstance(offset, bool) or not isinstance(offset, int) or offset != rec.received:
        raise RecordingRefused("recording.offset_mismatch", expected=rec.received)
    if rec.received + len(data) > rec.declared_size:
        raise RecordingRejected("recording.too_large", actor=actor, sale_id=sale.id, http_status=413,
                                recording_id=rec.id, size=rec.received + len(data))
    if offset == 0 and media.media_type(bytes(data[:media.HEADER_BYTES])) is None:
        raise RecordingRejected("recording.not_media", actor=actor, sale_id=sale.id, http_status=415,
                                recording_id=rec.id, head=bytes(data[:8]).hex())
    # Claim the range first, so two requests carrying the same offset cannot both write.
    claimed = s.execute(update(Recording).where(Recording.id == rec.id, Recording.received == offset,
                                                Recording.status == RecordingStatus.UPLOADING)
                        .values(received=offset + len(data)))
    if claimed.rowcount != 1:
        raise RecordingRefused("recording.offset_mismatch", expected=rec.received)
    path = _partial(rec.upload_key)
    with open(path, "r+b") as fh:
        fh.truncate(offset)  # a chunk written before a crash but never committed is dropped
        fh.seek(offset)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    audit.record(s, actor, "recording.chunk", entity_type="sale", entity_id=sale.id,
                 changes={"recording_id": rec.id, "offset": offset, "size": len(data)})
    s.expire(rec)
    return view(s.get(Recording, rec.id))


def _digest_file(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: fh.read(1024 * 1024), b""):
        h.update(block)
    return h.hexdigest()


@requires(P.SALE_PROPOSE)
def finish_upload(*, uow: UnitOfWork, actor: Actor, recording_id: Any) -> RecordingView:
    """Every byte arrived: check the type from the content, store by SHA-256, wait for compliance."""
    s = uow.session
    rec, sale = _recording(s, actor, recording_id)
    if rec.status != RecordingStatus.UPLOADING:
        raise RecordingRefused("recording.not_uploading", status=rec.status)
    path = _partial(rec.upload_key)
    size = path.stat().st_size if path.exists() else -1
    if rec.received != rec.declared_size or size != rec.declared_size:
        raise RecordingRefused("recording.incomplete", received=rec.received, size=rec.declared_size)
    with open(path, "rb") as fh:
        kind = media.media_type(fh.read(media.HEADER_BYTES))
        fh.seek(0)
        digest = _digest_file(fh)
    if kind is None:
        raise RecordingRejected("recording.not_media", actor=actor, sale_id=sale.id, http_status=415,
                                recording_id=rec.id)
    target = documents.blob_path(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.stat().st_size == size:
        path.unlink(missing_ok=True)
    else:
        os.replace(path, target)
    checklist = s.execute(select(ReviewChecklist.id).where(ReviewChecklist.status == VersionStatus.ACTIVE)
                          .order_by(ReviewChecklist.version.desc()).limit(1)).scalar()
    now = clock.now()
    s.execute(update(Recording).where(Recording.id == rec.id).values(
        status=RecordingStatus.SUBMITTED, media_type=kind, sha256=digest, completed_at=now, checklist_id=checklist))
    audit.record(s, actor, "recording.submit", entity_type="sale", entity_id=sale.id,
                 changes={"recording_id": rec.id, "sha256": digest, "size": size, "media_type": kind})
    s.expire(rec)
    return view(s.get(Recording, rec.id))


def checklist_items(s: Session, checklist_id: int | None) -> list[ChecklistItem]:
    row = s.get(ReviewChecklist, checklist_id) if checklist_id else None
    if row is None:
        row = s.execute(select(ReviewChecklist).where(ReviewChecklist.status == VersionStatus.ACTIVE)
                        .order_by(ReviewChecklist.version.desc()).limit(1)).scalars().first()
    return [ChecklistItem.model_validate(i) for i in (row.items if row else [])]


@requires(P.SALE_REVIEW)
def review_recording(*, uow: UnitOfWork, actor: Actor, recording_id: Any, checklist: Any, approve: Any,
                     note: Any = None) -> RecordingView:
    """Compliance: answer every checklist item; approve (every item met) or reject (with a note). An approved
    recording lets its sale move on."""
    s = uow.session
    rec, sale = _recording(s, actor, recording_id)
    if not isinstance(approve, bool):
        raise ValidationFailed([FieldError("approve", "value.wrong_type")])
    if rec.status != RecordingStatus.SUBMITTED:
        raise RecordingRefused("recording.not_submitted", status=rec.status)
    items = checklist_items(s, rec.checklist_id)
    keys = [i.key for i in items]
    if not isinstance(checklist, dict) or set(checklist) != set(keys) \
            or not all(isinstance(v, bool) for v in checklist.values()):
        raise ValidationFailed([FieldError("checklist", "recording.checklist_incomplete")])
    text = sales._note(note, required=not approve)
    if approve and not all(checklist.values()):
        raise ValidationFailed([FieldError("checklist", "recording.checklist_not_met")])
    now = clock.now()
    result = s.execute(update(Recording).where(Recording.id == rec.id, Recording.status == RecordingStatus.SUBMITTED)
                       .values(status=RecordingStatus.APPROVED if approve else RecordingStatus.REJECTED,
                               checklist={k: checklist[k] for k in keys}, reviewed_by=_who(actor),
                               reviewed_at=now, review_note=text))
    if result.rowcount != 1:
        raise ConcurrentModification()
    audit.record(s, actor, "recording.review", entity_type="sale", entity_id=sale.id,
                 changes={"recording_id": rec.id, "approved": approve, "checklist": checklist, "note": text,
                          "sha256": rec.sha256})
    if approve:
        sales.advance(uow, actor, sale)
    s.expire(rec)
    return view(s.get(Recording, rec.id))


@requires(P.SALE_PROPOSE, P.SALE_REVIEW)
def sale_recordings(*, uow: UnitOfWork, actor: Actor, sale_id: Any) -> list[RecordingView]:
    s = uow.session
    sale, _ = sales._load(s, actor, sale_id)
    rows = s.execute(select(Recording).where(Recording.sale_id == sale.id).order_by(Recording.id.desc())).scalars()
    return [view(r) for r in rows]


@requires(P.SALE_REVIEW, P.SALE_PROPOSE)
def open_recording(*, uow: UnitOfWork, actor: Actor, recording_id: Any) -> tuple[Path, str, str]:
    """(file path, media type, download name) of a submitted recording, to play it back; audited."""
    s = uow.session
    rec, sale = _recording(s, actor, recording_id)
    if rec.sha256 is None or rec.status not in (RecordingStatus.SUBMITTED, RecordingStatus.APPROVED,
                                                 RecordingStatus.REJECTED):
        raise RecordingRefused("recording.not_submitted", status=rec.status)
    path = documents.blob_path(rec.sha256)
    if not path.exists():
        raise NotFound(what="recording", id=rec.id)
    audit.record(s, actor, "recording.open", entity_type="sale", entity_id=sale.id,
                 changes={"recording_id": rec.id, "sha256": rec.sha256})
    name = f"recording-{sale.id}-{rec.id}.{media.EXTENSION.get(rec.media_type or '', 'bin')}"
    return path, rec.media_type or "application/octet-stream", name


def abandon_stale(uow: UnitOfWork, actor: Actor) -> int:
    """Scheduler: uploads left unfinished for a day are closed and their partial files removed."""
    s = uow.session
    stale = s.execute(select(Recording).where(Recording.status == RecordingStatus.UPLOADING,
                                              Recording.started_at < clock.now() - ABANDON_AFTER)).scalars().all()
    for rec in stale:
        _abandon(s, actor, rec, "stale")
    return len(stale)
