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


# ---------------------------------------------------------------- check-ins, tasks, conflicts

def test_a_visit_keeps_its_check_in_and_a_refusal_is_kept_as_one(connection, uow_factory, actors, new_customer):
    from services.agenda.offline_models import VisitCheckIn

    c = new_customer("rm_a1")
    fix = {"status": "fix", "latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 12.5,
           "taken_at": (NOW - timedelta(hours=3)).isoformat()}
    seen = _send(uow_factory, actors["rm_a1"], "device-key-0101", _note(c.id, location=fix))
    refused = _send(uow_factory, actors["rm_a1"], "device-key-0102",
                    _note(c.id, kind="meeting", notes="没有定位", location={"status": "refused"}))
    rows = {r.interaction_id: r for r in connection.execute(select(VisitCheckIn.interaction_id, VisitCheckIn.status, VisitCheckIn.latitude))}
    assert (rows[seen.interaction_id].status, rows[seen.interaction_id].latitude) == ("fix", 31.2304)
    assert (rows[refused.interaction_id].status, rows[refused.interaction_id].latitude) == ("refused", None)
    # Coordinates without a fix, a fix without coordinates, a latitude off the globe: refused, nothing written.
    for key, where in (("device-key-0103", {"status": "refused", "latitude": 1.0, "longitude": 2.0}),
                       ("device-key-0104", {"status": "fix"}),
                       ("device-key-0105", {"status": "fix", "latitude": 91.0, "longitude": 2.0})):
        with pytest.raises(ValidationFailed):
            _send(uow_factory, actors["rm_a1"], key, _note(c.id, location=where))
    assert _count(connection) == 2


def _send_task(uow_factory, actor, key, data, use_case=None):
    with uow_factory() as uow:
        result = (use_case or sync.submit_offline_task)(uow=uow, actor=actor, key=key, data=data)
        uow.commit()
    return result


def _tasks(connection) -> list:
    from services.activities.models import Task

    return connection.execute(select(Task.id, Task.title, Task.due_at, Task.status)).all()


def test_a_task_made_offline_is_made_once(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    data = {"customer_id": c.id, "title": "寄送产品说明书", "due_at": (NOW + timedelta(days=1)).isoformat()}
    first = _send_task(uow_factory, actors["rm_a1"], "task-key-0001", data)
    again = _send_task(uow_factory, actors["rm_a1"], "task-key-0001", data)
    assert (again.task_id, again.replayed, first.replayed) == (first.task_id, True, False)
    assert [t.title for t in _tasks(connection)] == ["寄送产品说明书"]
    with pytest.raises(sync.KeyReused):
        _send_task(uow_factory, actors["rm_a1"], "task-key-0001", {**data, "title": "another"})
    # A customer out of scope, a due time already past when it arrives: refused with words, nothing written.
    theirs = new_customer("rm_b1")
    with pytest.raises(OutOfScope):
        _send_task(uow_factory, actors["rm_a1"], "task-key-0002", {**data, "customer_id": theirs.id})
    with pytest.raises(ValidationFailed) as exc:
        _send_task(uow_factory, actors["rm_a1"], "task-key-0003",
                   {**data, "due_at": (NOW - timedelta(days=1)).isoformat()})
    assert exc.value.message("en")
    assert len(_tasks(connection)) == 1


def test_a_task_rescheduled_on_two_devices_shows_both_versions(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    made = _send_task(uow_factory, actors["rm_a1"], "task-key-0010",
                      {"customer_id": c.id, "title": "回访", "due_at": (NOW + timedelta(days=1)).isoformat()})
    with uow_factory() as uow:
        listed = sync.open_tasks(uow=uow, actor=actors["rm_a1"])
    seen = next(t for t in listed if t["id"] == made.task_id)
    assert seen["customer_name"] and seen["status"] == "open"
    # Phone A (offline) and phone B both saw the task due tomorrow; B's reschedule arrives first.
    b = {"task_id": made.task_id, "seen": {"due_at": seen["due_at"], "status": "open"},
         "due_at": (NOW + timedelta(days=2)).isoformat()}
    _send_task(uow_factory, actors["rm_a1"], "task-key-0011", b, sync.submit_offline_reschedule)
    a = {**b, "due_at": (NOW + timedelta(days=5)).isoformat()}
    with pytest.raises(sync.TaskChanged) as exc:
        _send_task(uow_factory, actors["rm_a1"], "task-key-0012", a, sync.submit_offline_reschedule)
    assert exc.value.http_status == 409 and "device" in exc.value.message("en")
    current = exc.value.current
    assert current["title"] == "回访" and datetime.fromisoformat(current["due_at"]) == NOW + timedelta(days=2)
    assert datetime.fromisoformat(str(_tasks(connection)[0].due_at)).replace(tzinfo=timezone.utc) == \
        NOW + timedelta(days=2)  # nothing written by A
    # The RM keeps phone A's version: sent again (a new key) with the version it was shown.
    _send_task(uow_factory, actors["rm_a1"], "task-key-0013",
               {**a, "seen": {"due_at": current["due_at"], "status": current["status"]}},
               sync.submit_offline_reschedule)
    assert _tasks(connection)[0].due_at.replace(tzinfo=timezone.utc) == NOW + timedelta(days=5)
    # Another RM's task: out of reach.
    with pytest.raises(Exception) as other:
        _send_task(uow_factory, actors["rm_b1"], "task-key-0014", a, sync.submit_offline_reschedule)
    assert getattr(other.value, "http_status", None) in (403, 404)


def test_a_visit_logged_online_gets_its_check_in_once_and_only_its_author(connection, uow_factory, actors,
                                                                          new_customer):
    from services.activities import service as interactions
    from services.agenda.offline_models import VisitCheckIn
    from services.errors import NotPermitted
    from services.security.models import AuditEvent

    c = new_customer("rm_a1")
    with uow_factory() as uow:
        row = interactions.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                                           data={"kind": "visit", "subject": "拜访", "notes": "签到"})
        sync.record_check_in(uow=uow, actor=actors["rm_a1"], interaction_id=row.id,
                             data={"status": "fix", "latitude": 31.23, "longitude": 121.47, "accuracy_m": 8})
        uow.commit()
    assert connection.execute(select(VisitCheckIn.status)).scalars().all() == ["fix"]
    audited = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "interaction.check_in")
                                 ).scalars().all()
    assert len(audited) == 1 and "latitude" not in str(audited[0])  # the RM's whereabouts stay out of the audit
    for who, data in (("rm_a1", {"status": "refused"}), ("rm_a1b", {"status": "refused"})):
        with pytest.raises(NotPermitted):
            with uow_factory() as uow:
                sync.record_check_in(uow=uow, actor=actors[who], interaction_id=row.id, data=data)
    with pytest.raises(ValidationFailed):
        with uow_factory() as uow:
            sync.record_check_in(uow=uow, actor=actors["rm_a1"], interaction_id=row.id, data={"status": "maybe"})
    assert len(connection.execute(select(VisitCheckIn.status)).scalars().all()) == 1
