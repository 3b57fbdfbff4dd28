"""Revising an interaction's notes (issue 14: "a note edited on two devices").

Notes were append-only; now their text can be revised by anyone who may write records for the interaction's customer
(record.write and the customer in the actor's scope: the author, and the colleagues the permission matrix lets work
that customer), never by an API client or the firm's own processes. Nothing written is ever lost: each revision keeps
the text it replaced in `interaction_revision` (who, when, from where: the 360 page or a phone that was offline), and
is audited in the same transaction.

An edit carries the revision it was based on. When the interaction was revised since (on another device, by a
colleague), nothing is written and NoteChanged (409, `note.changed`) carries the text as it is now, its revision, who
wrote it and when, so the person sees both versions and chooses: keeping theirs sends again based on the current
revision; keeping the other drops their edit. The write itself is a compare-and-set on the revision
(UPDATE ... WHERE revision = base), so two edits racing on one base cannot both win, on SQLite or PostgreSQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select, update

from services import clock
from services.activities.access import names, row_id
from services.activities.models import Interaction, InteractionRevision, RevisionChannel
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import NotFound, NotPermitted, OutOfScope, VersionChanged
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, permits, requires
from services.validation.input import ID_LIMIT, StrictInput, parse

MAX_NOTES = 4000  # as an interaction's notes (InteractionCreate, OfflineNote)


class NoteRevise(StrictInput):
    # strict: "2" or 2.0 is not the revision the device saw, it is a device bug said as such
    base_revision: Annotated[int, Field(strict=True, ge=1, lt=ID_LIMIT)]
    notes: str = Field(min_length=1, max_length=MAX_NOTES)


class NoteChanged(VersionChanged):
    """The notes were revised since the editor's version: nothing written; `current` is the note as it is now
    ({interaction_id, revision, notes, by, at})."""

    code = "note.changed"


@dataclass(slots=True)
class NoteVersion:
    revision: int
    notes: str
    by: str  # who wrote this version (display name)
    at: datetime
    channel: str | None  # RevisionChannel of a revision; None: the interaction as first logged


@dataclass(slots=True)
class RevisionResult:
    interaction_id: int
    customer_id: int
    revision: int


def _person(actor: Actor) -> None:
    if actor.kind != "user" or actor.id is None:
        raise NotPermitted(actor=actor)


def load_interaction(session, actor: Actor, interaction_id: Any) -> tuple[Interaction, Customer]:
    """The interaction and its customer, if the customer lies in the actor's scope; an unknown id and one out of scope
    answer alike (404), the second audited as a refusal naming the interaction."""
    iid = row_id(interaction_id, "interaction_id")
    row = session.get(Interaction, iid)
    if row is None:
        raise NotFound(what="interaction", id=iid)
    try:
        customer = load_customer(session, actor, row.customer_id)
    except OutOfScope:
        raise OutOfScope(actor=actor, entity_type="interaction", entity_id=iid, what="interaction", id=iid) from None
    except NotFound:  # a customer an unfinished import holds
        raise NotFound(what="interaction", id=iid) from None
    return row, customer


def current_version(session, row: Interaction) -> dict:
    """The note as it is now, as a device or the 360 page shows it beside the text it could not save."""
    last = session.execute(select(InteractionRevision.user_id, InteractionRevision.at)
                           .where(InteractionRevision.interaction_id == row.id,
                                  InteractionRevision.revision == row.revision)).first()
    user_id, at = last if last is not None else (row.user_id, row.created_at)
    return {"interaction_id": row.id, "revision": row.revision, "notes": row.notes or "",
            "by": names(session, [user_id]).get(user_id, ""), "at": at.isoformat()}


def _changed(session, row: Interaction) -> NoteChanged:
    current = current_version(session, row)
    return NoteChanged(current=current, by=current["by"])


@requires(Permission.RECORD_WRITE)
def revise_notes(*, uow: UnitOfWork, actor: Actor, interaction_id: Any, data: Any,
                 channel: RevisionChannel = RevisionChannel.WEB,
                 written_at: datetime | None = None) -> RevisionResult:
    """Replace an interaction's notes, keeping the text they replace. `data`: {base_revision, notes}; `written_at`:
    when a phone's edit was typed (it is recorded when it arrives). NoteChanged when the interaction is no longer at
    `base_revision`."""
    _person(actor)
    s = uow.session
    row, customer = load_interaction(s, actor, interaction_id)
    req = parse(NoteRevise, data)
    channel = RevisionChannel(channel)
    if row.revision != req.base_revision:
        raise _changed(s, row)
    previous, new = row.notes, row.revision + 1
    won = s.execute(update(Interaction).where(Interaction.id == row.id, Interaction.revision == req.base_revision)
                    .values(notes=req.notes, revision=new).execution_options(synchronize_session=False)).rowcount
    if won != 1:  # revised between our read and our write (another transaction committed first)
        s.expire(row)
        raise _changed(s, s.get(Interaction, row.id))
    s.expire(row)
    s.add(InteractionRevision(interaction_id=row.id, revision=new, previous_notes=previous, user_id=actor.id,
                              at=clock.now(), written_at=written_at, channel=channel.value))
    s.flush()
    audit.record(s, actor, "interaction.revise", entity_type="customer", entity_id=customer.id,
                 changes={"interaction_id": row.id, "revision": new, "channel": channel.value,
                          "previous_length": len(previous or ""), "length": len(req.notes)})
    return RevisionResult(interaction_id=row.id, customer_id=customer.id, revision=new)


@requires(Permission.CUSTOMER_READ)
def note_versions(*, uow: UnitOfWork, actor: Actor, interaction_id: Any) -> list[NoteVersion]:
    """Every version of an interaction's notes, newest first: the current text, then each text a revision replaced,
    with who wrote it, when and from where."""
    s = uow.session
    row, _customer = load_interaction(s, actor, interaction_id)
    revisions = s.execute(select(InteractionRevision).where(InteractionRevision.interaction_id == row.id)
                          .order_by(InteractionRevision.revision)).scalars().all()
    who = names(s, [row.user_id, *(r.user_id for r in revisions)])
    # Version k's text is what revision k+1 replaced (the current text for the last); its author is revision k's.
    texts = [r.previous_notes or "" for r in revisions] + [row.notes or ""]
    makers = [(row.user_id, row.created_at, None)] + [(r.user_id, r.at, r.channel) for r in revisions]
    out = [NoteVersion(revision=k + 1, notes=texts[k], by=who.get(uid, ""), at=at, channel=channel)
           for k, (uid, at, channel) in enumerate(makers)]
    return out[::-1]


def can_revise(actor: Actor) -> bool:
    """Whether the actor may revise the notes of interactions of the customers in their scope (pages ask this)."""
    return actor.kind == "user" and actor.id is not None and permits(actor, Permission.RECORD_WRITE)
