"""Work done on a phone without signal (issue 14, offline work): kept on the device (IndexedDB, assets/offline-
notes.js) and sent here when the connection returns, each with the device's key for it.
- Interactions (visit, call, meeting, note), with the visit's location check-in when the RM allowed one.
- Tasks: a new task for a customer, and a task rescheduled offline.
- A note's text revised offline (services.activities.revisions), with the revision the device saw.
An item sent twice (the answer to the first send was lost) is recorded once; the same key with another item is refused,
never guessed at. A reschedule carries the task as the device last saw it: when the task changed meanwhile (on another
device, or by a manager), nothing is written and the RM is shown both versions to choose from (TaskChanged, 409); a
revised note the same way (NoteChanged, 409, when it was revised since the device's revision).
Every other rule is the use case's own (scope, consent, due time, the time it was written).
Also what the device keeps for reading offline: the RM's open tasks (the summary of a customer the RM opened is the 360
page's own read, services.customer360, picked by the route: agenda and customer360 are sibling domains)."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import select

from services.activities import access
from services.activities.models import Interaction
from services.activities import service as interactions
from services.activities import revisions as note_revisions
from services.activities import tasks as task_service
from services.activities.models import RevisionChannel
from services.agenda.models import OfflineSubmission
from services.agenda.offline_models import OfflineTaskSubmission, VisitCheckIn
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, Refusal, ValidationFailed, VersionChanged
from services.i18n import translate
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services import clock
from services.validation.dates import CLOCK_SKEW, BusinessTime
from services.validation.input import RowId, StrictInput, parse

_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


class CheckIn(StrictInput):
    """navigator.geolocation's answer: a fix (coordinates and their accuracy), or why there is none."""

    status: Literal["fix", "refused", "unavailable"]
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    taken_at: BusinessTime | None = None

    @model_validator(mode="after")
    def _coordinates_with_a_fix_only(self) -> "CheckIn":
        has = self.latitude is not None and self.longitude is not None
        if (self.status == "fix") != has or (self.status != "fix" and self.accuracy_m is not None):
            raise ValueError("coordinates go with a fix, and only with one")
        return self


class OfflineNote(StrictInput):
    customer_id: RowId
    kind: Literal["visit", "call", "meeting", "note"]
    notes: str = Field(min_length=1, max_length=4000)
    written_at: BusinessTime  # when the RM wrote it on the device
    location: CheckIn | None = None  # a visit's or meeting's check-in


class OfflineTask(StrictInput):
    customer_id: RowId
    title: str = Field(min_length=1, max_length=200)
    due_at: BusinessTime


class TaskSeen(StrictInput):
    """The task as the device last saw it."""

    due_at: BusinessTime | None
    status: str = Field(max_length=16)


class OfflineReschedule(StrictInput):
    task_id: RowId
    seen: TaskSeen
    due_at: BusinessTime


class TaskChanged(VersionChanged):
    """The task changed since the device saw it: nothing written; the RM chooses between both versions."""

    code = "sync.task_changed"


class KeyReused(Refusal):
    """The device sent another note under a key already used: a device bug, never resolved by guessing."""

    code = "sync.key_reused"
    http_status = 409


@dataclass(slots=True)
class SyncResult:
    interaction_id: int
    replayed: bool  # the note had been recorded already (a retry)


@dataclass(slots=True)
class TaskSyncResult:
    task_id: int
    replayed: bool


def _hash(note: StrictInput) -> str:
    # exclude_none: a note without a check-in hashes as it did before check-ins existed (keys already stored)
    body = json.dumps(note.model_dump(mode="json", exclude_none=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _device_user(actor: Actor, key: Any) -> None:
    if actor.kind != "user" or actor.id is None:
        raise NotPermitted(actor=actor)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValidationFailed([FieldError("idempotency_key", "value.invalid")])


@requires(Permission.RECORD_WRITE)
def submit_offline_note(*, uow: UnitOfWork, actor: Actor, key: Any, data: Any) -> SyncResult:
    """An interaction written offline (visit, call, meeting, note), with the check-in the device took, if any."""
    _device_user(actor, key)
    note = parse(OfflineNote, data)
    digest = _hash(note)
    s = uow.session
    done = _note_done(s, actor, key, "note", digest)
    if done is not None:
        return SyncResult(interaction_id=done.interaction_id, replayed=True)
    row = interactions.log_interaction(uow=uow, actor=actor, customer_id=note.customer_id, data={
        "kind": note.kind, "subject": translate(f"sync.subject.{note.kind}", actor.locale), "notes": note.notes,
        "occurred_at": note.written_at.isoformat()})
    if note.location is not None:
        _check_in(s, actor, row, note.location)
    s.add(OfflineSubmission(user_id=actor.id, key=key, request_hash=digest, interaction_id=row.id))
    s.flush()
    return SyncResult(interaction_id=row.id, replayed=False)


def _note_done(s, actor: Actor, key: str, action: str, digest: str) -> OfflineSubmission | None:
    """What this device's key already recorded (a note, or a revision of one), or None; the key used for another
    item is refused."""
    done = s.execute(select(OfflineSubmission).where(OfflineSubmission.user_id == actor.id,
                                                     OfflineSubmission.key == key)).scalar_one_or_none()
    if done is not None and (done.request_hash != digest or done.action != action):
        raise KeyReused(actor=actor, entity_type="offline_submission", entity_id=done.id)
    return done


class OfflineRevision(note_revisions.NoteRevise):
    """A note's text revised on the device: the revision it was based on, the new text, when it was written."""

    written_at: BusinessTime


class OfflineRevisionKeyed(OfflineRevision):
    """What a revision's key stands for: the interaction (from the route) with the body."""

    interaction_id: int


@dataclass(slots=True)
class RevisionSyncResult:
    interaction_id: int
    revision: int
    replayed: bool


@requires(Permission.RECORD_WRITE)
def submit_offline_revision(*, uow: UnitOfWork, actor: Actor, key: Any, interaction_id: Any,
                            data: Any) -> RevisionSyncResult:
    """A note's text revised on a phone without signal (services.activities.revisions.revise_notes' rules). Recorded
    once per key; NoteChanged (409, with the note as it is now) when it was revised since the device's version."""
    _device_user(actor, key)
    req = parse(OfflineRevision, data)
    iid = access.row_id(interaction_id, "interaction_id")
    digest = _hash(OfflineRevisionKeyed(interaction_id=iid, **req.model_dump()))
    if req.written_at > clock.now() + CLOCK_SKEW:
        raise ValidationFailed([FieldError("written_at", "value.future_date")])
    s = uow.session
    done = _note_done(s, actor, key, "revise", digest)
    if done is not None:
        return RevisionSyncResult(interaction_id=done.interaction_id, revision=done.revision or 0, replayed=True)
    made = note_revisions.revise_notes(uow=uow, actor=actor, interaction_id=iid, channel=RevisionChannel.OFFLINE,
                                       written_at=req.written_at,
                                       data={"base_revision": req.base_revision, "notes": req.notes})
    s.add(OfflineSubmission(user_id=actor.id, key=key, action="revise", request_hash=digest,
                            interaction_id=made.interaction_id, revision=made.revision))
    s.flush()
    return RevisionSyncResult(interaction_id=made.interaction_id, revision=made.revision, replayed=False)


def _check_in(s, actor: Actor, interaction, where: CheckIn) -> None:
    s.add(VisitCheckIn(interaction_id=interaction.id, status=where.status, latitude=where.latitude,
                       longitude=where.longitude, accuracy_m=where.accuracy_m, taken_at=where.taken_at))
    s.flush()
    # The RM's own whereabouts stay in the check-in row; the audit says that one was taken, and how precise.
    audit.record(s, actor, "interaction.check_in", entity_type="customer", entity_id=interaction.customer_id,
                 changes={"interaction_id": interaction.id, "status": where.status, "accuracy_m": where.accuracy_m})


def parse_check_in(data: Any) -> CheckIn:
    """A check-in as the page's script reported it (navigator.geolocation), validated; ValidationFailed otherwise."""
    return parse(CheckIn, data)


@requires(Permission.RECORD_WRITE)
def record_check_in(*, uow: UnitOfWork, actor: Actor, interaction_id: int, data: Any) -> None:
    """The check-in of a visit the actor has just logged online (the agenda's visit dialog), in the same unit of
    work: only on the actor's own interaction, once."""
    where = parse(CheckIn, data)
    s = uow.session
    row = s.get(Interaction, interaction_id)
    if row is None or actor.kind != "user" or row.user_id != actor.id or s.get(VisitCheckIn, interaction_id):
        raise NotPermitted(actor=actor, entity_type="interaction", entity_id=interaction_id)
    _check_in(s, actor, row, where)


def _task_done(s, actor: Actor, key: str, action: str, digest: str) -> TaskSyncResult | None:
    done = s.execute(select(OfflineTaskSubmission).where(OfflineTaskSubmission.user_id == actor.id,
                                                         OfflineTaskSubmission.key == key)).scalar_one_or_none()
    if done is None:
        return None
    if done.request_hash != digest or done.action != action:
        raise KeyReused(actor=actor, entity_type="offline_task_submission", entity_id=done.id)
    return TaskSyncResult(task_id=done.task_id, replayed=True)


@requires(Permission.RECORD_WRITE)
def submit_offline_task(*, uow: UnitOfWork, actor: Actor, key: Any, data: Any) -> TaskSyncResult:
    """A task for a customer made offline (services.activities.tasks.add_task's rules: scope, a due time not
    past when it arrives)."""
    _device_user(actor, key)
    req = parse(OfflineTask, data)
    digest = _hash(req)
    s = uow.session
    done = _task_done(s, actor, key, "create", digest)
    if done is not None:
        return done
    task = task_service.add_task(uow=uow, actor=actor, customer_id=req.customer_id,
                                 data={"title": req.title, "due_at": req.due_at.isoformat()})
    s.add(OfflineTaskSubmission(user_id=actor.id, key=key, action="create", request_hash=digest, task_id=task.id))
    s.flush()
    return TaskSyncResult(task_id=task.id, replayed=False)


def _same_time(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 1


def task_version(task) -> dict:
    """How the device holds a task it may reschedule offline (and compares on the way back)."""
    return {"due_at": task.due_at.isoformat() if task.due_at else None, "status": str(task.status)}


@requires(Permission.RECORD_WRITE)
def submit_offline_reschedule(*, uow: UnitOfWork, actor: Actor, key: Any, data: Any) -> TaskSyncResult:
    """A task rescheduled offline. Written only when the task is still as the device saw it; otherwise TaskChanged
    with the task as it is now, and the RM chooses (keeping theirs sends again with what they were shown)."""
    _device_user(actor, key)
    req = parse(OfflineReschedule, data)
    digest = _hash(req)
    s = uow.session
    done = _task_done(s, actor, key, "reschedule", digest)
    if done is not None:
        return done
    task = access.load_task(s, actor, req.task_id)
    if task.status != req.seen.status or not _same_time(task.due_at, req.seen.due_at):
        raise TaskChanged(current={"task_id": task.id, "title": task.title, **task_version(task)})
    task_service.reschedule_task(uow=uow, actor=actor, task_id=task.id, data={"due_at": req.due_at.isoformat()})
    s.add(OfflineTaskSubmission(user_id=actor.id, key=key, action="reschedule", request_hash=digest,
                                task_id=task.id))
    s.flush()
    return TaskSyncResult(task_id=task.id, replayed=False)


# ---------------------------------------------------------------- what the device keeps to read offline

@requires(Permission.RECORD_WRITE)
def open_tasks(*, uow: UnitOfWork, actor: Actor) -> list[dict]:
    """The actor's open tasks (overdue, today, upcoming; at most 50 of each), as the device keeps them."""
    if actor.kind != "user":
        raise NotPermitted(actor=actor)
    out = []
    for bucket in ("overdue", "today", "upcoming"):
        page = task_service.list_tasks(uow=uow, actor=actor, query={"view": "mine", "bucket": bucket,
                                                                    "page_size": 50})
        for t in page.items:
            out.append({"id": t.id, "title": t.title, "customer_id": t.customer_id,
                        "customer_name": t.customer_name or "", "due_at": t.due_at.isoformat() if t.due_at else None,
                        "status": str(t.status)})
    return out
