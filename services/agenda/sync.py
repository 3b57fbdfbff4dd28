"""Notes written on a phone without signal (issue 14, offline work): kept on the device (IndexedDB, assets/offline-
notes.js) and sent here when the connection returns, each with the device's key for it. A note sent twice (the answer
to the first send was lost) is recorded once; the same key with another note is refused, never guessed at. Every other
rule is the interaction's own (services.activities.log_interaction: scope, consent, the time it was written)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from services.activities import service as interactions
from services.agenda.models import OfflineSubmission
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, Refusal, ValidationFailed
from services.i18n import translate
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.validation.dates import BusinessTime
from services.validation.input import RowId, StrictInput, parse

_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


class OfflineNote(StrictInput):
    customer_id: RowId
    kind: Literal["visit", "call", "note"]
    notes: str = Field(min_length=1, max_length=4000)
    written_at: BusinessTime  # when the RM wrote it on the device


class KeyReused(Refusal):
    """The device sent another note under a key already used: a device bug, never resolved by guessing."""

    code = "sync.key_reused"
    http_status = 409


@dataclass(slots=True)
class SyncResult:
    interaction_id: int
    replayed: bool  # the note had been recorded already (a retry)


def _hash(note: OfflineNote) -> str:
    body = json.dumps(note.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@requires(Permission.RECORD_WRITE)
def submit_offline_note(*, uow: UnitOfWork, actor: Actor, key: Any, data: Any) -> SyncResult:
    if actor.kind != "user" or actor.id is None:
        raise NotPermitted(actor=actor)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValidationFailed([FieldError("idempotency_key", "value.invalid")])
    note = parse(OfflineNote, data)
    digest = _hash(note)
    s = uow.session
    done = s.execute(select(OfflineSubmission).where(OfflineSubmission.user_id == actor.id,
                                                     OfflineSubmission.key == key)).scalar_one_or_none()
    if done is not None:
        if done.request_hash != digest:
            raise KeyReused(actor=actor, entity_type="offline_submission", entity_id=done.id)
        return SyncResult(interaction_id=done.interaction_id, replayed=True)
    row = interactions.log_interaction(uow=uow, actor=actor, customer_id=note.customer_id, data={
        "kind": note.kind, "subject": translate(f"sync.subject.{note.kind}", actor.locale), "notes": note.notes,
        "occurred_at": note.written_at.isoformat()})
    s.add(OfflineSubmission(user_id=actor.id, key=key, request_hash=digest, interaction_id=row.id))
    s.flush()
    return SyncResult(interaction_id=row.id, replayed=False)
