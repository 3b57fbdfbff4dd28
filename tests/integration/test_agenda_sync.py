"""Notes written offline and sent later (issue 14, offline work): recorded once per device key (a retry answers
with the same interaction), the same key with another note refused, a customer the RM lost access to meanwhile and
a bad note refused with words and nothing written; the interaction keeps the time the note was written."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services import clock
from services.activities.models import Interaction
from services.agenda import sync
from services.errors import OutOfScope, ValidationFailed

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


def _note(customer_id: int, **over) -> dict:
    return {"customer_id": customer_id, "kind": "visit", "notes": "地下车库没有信号，拜访记录稍后上传",
            "written_at": (NOW - timedelta(hours=3)).isoformat(), **over}


def _send(uow_factory, actor, key, data):
    with uow_factory() as uow:
        result = sync.submit_offline_note(uow=uow, actor=actor, key=key, data=data)
        uow.commit()
    return result


def _count(connection) -> int:
    return connection.execute(select(func.count()).select_from(Interaction)).scalar_one()


def test_a_note_is_recorded_once(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1", name="王芳")
    first = _send(uow_factory, actors["rm_a1"], "device-key-0001", _note(c.id))
    again = _send(uow_factory, actors["rm_a1"], "device-key-0001", _note(c.id))
    assert (again.interaction_id, again.replayed, first.replayed) == (first.interaction_id, True, False)
    assert _count(connection) == 1
    kind, subject, occurred = connection.execute(
        select(Interaction.kind, Interaction.subject, Interaction.occurred_at)).one()
    assert kind == "visit" and "offline" in subject
    assert occurred.replace(tzinfo=timezone.utc) == NOW - timedelta(hours=3)  # when it was written, not sent
    # Another device key is another note.
    _send(uow_factory, actors["rm_a1"], "device-key-0002", _note(c.id, notes="第二条"))
    assert _count(connection) == 2


def test_the_same_key_with_another_note_is_refused(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    _send(uow_factory, actors["rm_a1"], "device-key-0001", _note(c.id))
    with pytest.raises(sync.KeyReused) as exc:
        _send(uow_factory, actors["rm_a1"], "device-key-0001", _note(c.id, notes="edited on another device"))
    assert "key" in exc.value.message("en")
    assert _count(connection) == 1


def test_lost_access_and_bad_notes(connection, uow_factory, actors, new_customer):
    theirs = new_customer("rm_b1")
    with pytest.raises(OutOfScope):
        _send(uow_factory, actors["rm_a1"], "device-key-0003", _note(theirs.id))
    mine = new_customer("rm_a1")
    for key, data in (("short", _note(mine.id)), ("device-key-0004", _note(mine.id, notes="")),
                      ("device-key-0005", _note(mine.id, kind="email")),
                      ("device-key-0006", _note(mine.id, written_at=(NOW + timedelta(days=1)).isoformat()))):
        with pytest.raises(ValidationFailed):
            _send(uow_factory, actors["rm_a1"], key, data)
    assert _count(connection) == 0
