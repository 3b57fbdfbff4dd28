"""An interaction's notes revised (issue 14: a note edited on two devices): every revision keeps the text it replaced
(who, when, from where) and is audited with it; an edit based on a revision that is no longer current writes nothing
and says who changed it, with the note as it is now; bad input, unknown ids and customers out of scope are refused with
nothing written; from the phone, a revision is recorded once per device key."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from services import clock
from services.activities import revisions
from services.activities import service as activities
from services.activities.models import Interaction, InteractionRevision
from services.agenda import sync
from services.errors import NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.security.models import AuditEvent

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


def _log(uow_factory, actor, customer_id, notes="首次拜访：客户关注养老规划") -> int:
    with uow_factory() as uow:
        row = activities.log_interaction(uow=uow, actor=actor, customer_id=customer_id,
                                         data={"kind": "visit", "subject": "上门拜访", "notes": notes})
        uow.commit()
        return row.id


def _revise(uow_factory, actor, interaction_id, base, notes, **kw):
    with uow_factory() as uow:
        made = revisions.revise_notes(uow=uow, actor=actor, interaction_id=interaction_id,
                                      data={"base_revision": base, "notes": notes}, **kw)
        uow.commit()
    return made


def _state(connection, interaction_id):
    row = connection.execute(select(Interaction.notes, Interaction.revision)
                             .where(Interaction.id == interaction_id)).one()
    kept = connection.execute(select(InteractionRevision.revision, InteractionRevision.previous_notes)
                              .where(InteractionRevision.interaction_id == interaction_id)
                              .order_by(InteractionRevision.revision)).all()
    return tuple(row), [tuple(k) for k in kept]


def _audits(connection, action="interaction.revise") -> int:
    return connection.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == action)).scalar_one()


def test_each_revision_keeps_the_text_it_replaced_and_is_audited(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    made = _revise(uow_factory, actors["rm_a1"], iid, 1, "首次拜访：客户关注养老规划，下周送资料")
    assert (made.revision, made.customer_id) == (2, c.id)
    with clock.fixed(NOW + timedelta(hours=1)):  # the team lead corrects it from the 360 page
        _revise(uow_factory, actors["lead_a1"], iid, 2, "首次拜访：客户关注养老规划，下周三送资料")
    assert _state(connection, iid) == (("首次拜访：客户关注养老规划，下周三送资料", 3),
                                       [(2, "首次拜访：客户关注养老规划"), (3, "首次拜访：客户关注养老规划，下周送资料")])
    assert _audits(connection) == 2
    detail = [json.loads(c) for c in connection.execute(
        select(AuditEvent.changes).where(AuditEvent.action == "interaction.revise").order_by(AuditEvent.id)).scalars()]
    assert detail[0]["interaction_id"] == iid and detail[0]["revision"] == 2 and detail[0]["channel"] == "web"
    with uow_factory() as uow:
        versions = revisions.note_versions(uow=uow, actor=actors["rm_a1"], interaction_id=iid)
    assert [(v.revision, v.by, v.channel) for v in versions] == [(3, "LEAD_A1", "web"), (2, "RM_A1", "web"),
                                                                 (1, "RM_A1", None)]
    assert versions[-1].notes == "首次拜访：客户关注养老规划" and versions[0].at == NOW + timedelta(hours=1)


def test_an_edit_of_a_version_revised_since_writes_nothing_and_says_who_changed_it(connection, uow_factory, actors,
                                                                                 new_customer):
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    _revise(uow_factory, actors["lead_a1"], iid, 1, "同事补充：客户下月到期一笔定存")
    before = _state(connection, iid)
    with pytest.raises(revisions.NoteChanged) as exc:
        _revise(uow_factory, actors["rm_a1"], iid, 1, "我在地下车库写的版本")
    current = exc.value.current
    assert exc.value.http_status == 409 and exc.value.code == "note.changed"
    assert current == {"interaction_id": iid, "revision": 2, "notes": "同事补充：客户下月到期一笔定存",
                       "by": "LEAD_A1", "at": NOW.isoformat()}
    assert "LEAD_A1" in exc.value.message("en") and "LEAD_A1" in exc.value.message("zh_CN")
    assert _state(connection, iid) == before and _audits(connection) == 1
    # Keeping mine: sent again based on the revision shown.
    assert _revise(uow_factory, actors["rm_a1"], iid, 2, "我在地下车库写的版本").revision == 3
    assert _state(connection, iid)[1] == [(2, "首次拜访：客户关注养老规划"), (3, "同事补充：客户下月到期一笔定存")]


def test_the_write_is_a_compare_and_set_on_the_revision(connection, uow_factory, actors, new_customer):
    """An edit that read revision 1 while another transaction committed revision 2 before its write: the write finds
    the row moved on and writes nothing (the check before it saw its own, older read)."""
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    with uow_factory() as uow:
        assert uow.session.get(Interaction, iid).revision == 1  # this unit of work has read revision 1 ...
        uow.session.connection().execute(update(Interaction).where(Interaction.id == iid)
                                         .values(notes="另一台设备先保存", revision=2))  # ... another wrote 2
        with pytest.raises(revisions.NoteChanged) as exc:
            revisions.revise_notes(uow=uow, actor=actors["rm_a1"], interaction_id=iid,
                                   data={"base_revision": 1, "notes": "后到的版本"})
        assert exc.value.current["revision"] == 2 and exc.value.current["notes"] == "另一台设备先保存"
        notes, kept = uow.session.execute(select(Interaction.notes, Interaction.revision)
                                          .where(Interaction.id == iid)).one()
        assert (notes, kept) == ("另一台设备先保存", 2)
        assert uow.session.execute(select(func.count()).select_from(InteractionRevision)).scalar_one() == 0


@pytest.mark.parametrize("data, field", [
    ({"base_revision": 1, "notes": ""}, "notes"),
    ({"base_revision": 1, "notes": "   "}, "notes"),
    ({"base_revision": 1, "notes": "长" * 4001}, "notes"),
    ({"base_revision": "1", "notes": "文本"}, "base_revision"),
    ({"base_revision": 1.0, "notes": "文本"}, "base_revision"),
    ({"base_revision": True, "notes": "文本"}, "base_revision"),
    ({"base_revision": 0, "notes": "文本"}, "base_revision"),
    ({"notes": "文本"}, "base_revision"),
    ({"base_revision": 1, "notes": "文本", "subject": "改主题"}, "subject"),
    ({"base_revision": 1, "notes": "带控制字符\u202e"}, "notes"),
])
def test_bad_input_is_refused_with_its_field_and_nothing_written(connection, uow_factory, actors, new_customer,
                                                                  data, field):
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    with pytest.raises(ValidationFailed) as exc:
        with uow_factory() as uow:
            revisions.revise_notes(uow=uow, actor=actors["rm_a1"], interaction_id=iid, data=data)
    assert [e.field for e in exc.value.errors] == [field]
    assert exc.value.message("zh_CN") and exc.value.message("en")
    assert _state(connection, iid) == (("首次拜访：客户关注养老规划", 1), []) and _audits(connection) == 0


def test_unknown_ids_strangers_and_readers_are_refused(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    data = {"base_revision": 1, "notes": "不该写入"}
    for who, interaction_id, error in (("rm_a1", iid + 1000, NotFound), ("rm_b1", iid, OutOfScope),
                                       ("rm_a2", iid, OutOfScope), ("auditor", iid, NotPermitted),
                                       ("rm_a1", "1", ValidationFailed), ("rm_a1", -3, ValidationFailed)):
        with pytest.raises(error) as exc:
            with uow_factory() as uow:
                revisions.revise_notes(uow=uow, actor=actors[who], interaction_id=interaction_id, data=data)
        if error is OutOfScope:  # answered exactly as an unknown interaction
            assert exc.value.message("en") == f"Not found: interaction {iid}."
    with pytest.raises(OutOfScope):
        with uow_factory() as uow:
            revisions.note_versions(uow=uow, actor=actors["rm_b1"], interaction_id=iid)
    assert _state(connection, iid) == (("首次拜访：客户关注养老规划", 1), []) and _audits(connection) == 0


# ---------------------------------------------------------------- from the phone

def _offline(uow_factory, actor, key, interaction_id, base, notes, written_at=None):
    with uow_factory() as uow:
        got = sync.submit_offline_revision(uow=uow, actor=actor, key=key, interaction_id=interaction_id, data={
            "base_revision": base, "notes": notes,
            "written_at": (written_at or NOW - timedelta(minutes=30)).isoformat()})
        uow.commit()
    return got


def test_a_revision_from_the_phone_is_recorded_once_per_key(connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    first = _offline(uow_factory, actors["rm_a1"], "revise-key-0001", iid, 1, "离线修改")
    again = _offline(uow_factory, actors["rm_a1"], "revise-key-0001", iid, 1, "离线修改")
    assert (first.revision, first.replayed, again.revision, again.replayed) == (2, False, 2, True)
    assert _state(connection, iid) == (("离线修改", 2), [(2, "首次拜访：客户关注养老规划")])
    channel, written = connection.execute(select(InteractionRevision.channel, InteractionRevision.written_at)).one()
    assert channel == "offline" and written.replace(tzinfo=timezone.utc) == NOW - timedelta(minutes=30)
    # The same key with another edit, or for a note: refused, nothing written.
    with pytest.raises(sync.KeyReused):
        _offline(uow_factory, actors["rm_a1"], "revise-key-0001", iid, 2, "另一段文字")
    with pytest.raises(sync.KeyReused):
        with uow_factory() as uow:
            sync.submit_offline_note(uow=uow, actor=actors["rm_a1"], key="revise-key-0001", data={
                "customer_id": c.id, "kind": "note", "notes": "离线修改", "written_at": NOW.isoformat()})
    # An edit based on revision 1, now that revision 2 is current: 409 with the note as it is.
    with pytest.raises(revisions.NoteChanged) as exc:
        _offline(uow_factory, actors["rm_a1"], "revise-key-0002", iid, 1, "另一台手机的版本")
    assert exc.value.current["notes"] == "离线修改" and exc.value.current["revision"] == 2
    # A time of writing in the future is a device's bad clock, said as such.
    with pytest.raises(ValidationFailed) as bad:
        _offline(uow_factory, actors["rm_a1"], "revise-key-0003", iid, 2, "未来", NOW + timedelta(days=1))
    assert [e.field for e in bad.value.errors] == ["written_at"]
    assert _state(connection, iid) == (("离线修改", 2), [(2, "首次拜访：客户关注养老规划")])


# ---------------------------------------------------------------- the 360 page

def test_the_360_page_edits_a_note_and_shows_both_versions_on_a_conflict(page_state, actors, monkeypatch,
                                                                        uow_factory, new_customer, connection):
    from state_helpers import call_handler

    from state.customers import CustomerState

    c = new_customer("rm_a1")
    iid = _log(uow_factory, actors["rm_a1"], c.id)
    monkeypatch.setattr(CustomerState, "_current_path", lambda self: f"/customers/{c.id}")
    st = page_state(CustomerState, actors["rm_a1"])
    call_handler(st, "load")
    row = next(r for r in st.timeline if r["ref"] == str(iid))
    assert st.can_revise_notes and row["edited"] == ""
    call_handler(st, "open_note_edit", row["ref"])
    assert (st.note_dialog, st.note_text, st._note_base) == ("edit", "首次拜访：客户关注养老规划", 1)
    # Meanwhile the team lead revises it on another device.
    _revise(uow_factory, actors["lead_a1"], iid, 1, "主管补充的版本")
    call_handler(st, "save_note", {"notes": "我在页面上写的版本"})
    assert st.note_dialog == "edit" and "LEAD_A1" in st.note_error  # nothing saved, said who
    assert st.note_conflict["notes"] == "主管补充的版本" and "LEAD_A1" in st.note_conflict["title"]
    assert _state(connection, iid)[0] == ("主管补充的版本", 2)
    call_handler(st, "save_note", {"notes": "我在页面上写的版本"})  # keep mine: based on the version shown
    assert st.note_dialog == "" and _state(connection, iid)[0] == ("我在页面上写的版本", 3)
    row = next(r for r in st.timeline if r["ref"] == str(iid))
    assert row["edited"] == "1" and "我在页面上写的版本" in row["detail"]
    call_handler(st, "open_note_versions", row["ref"])
    assert [v["notes"] for v in st.note_versions] == ["我在页面上写的版本", "主管补充的版本", "首次拜访：客户关注养老规划"]
    assert st.note_versions[0]["title"] == "Version 3 (current)" and st.note_versions[2]["by"] == "RM_A1"
    call_handler(st, "note_dialog_open_change", False)
    assert st.note_dialog == "" and st.note_versions == []
    # Keep theirs after another conflict: the edit is dropped, nothing written.
    call_handler(st, "open_note_edit", row["ref"])
    _revise(uow_factory, actors["lead_a1"], iid, 3, "主管又改了一次")
    call_handler(st, "save_note", {"notes": "不会保存"})
    call_handler(st, "keep_their_note")
    assert st.note_dialog == "" and _state(connection, iid)[0] == ("主管又改了一次", 4)
    # An empty text or a foreign id: said, nothing written.
    call_handler(st, "open_note_edit", row["ref"])
    call_handler(st, "save_note", {"notes": "  "})
    assert st.note_error and _state(connection, iid)[0] == ("主管又改了一次", 4)
    call_handler(st, "open_note_edit", "not-an-id")
    call_handler(st, "open_note_edit", str(iid + 1000))
    assert _state(connection, iid)[0] == ("主管又改了一次", 4)


def test_the_demo_shows_a_revised_note_with_its_versions(tmp_path, monkeypatch):
    """A new user's demo: 张三's latest visit note was revised twice (on the phone offline, then by the branch
    manager), and every version reads back through the service."""
    from services import migrations
    from services.customers.models import Customer
    from services.db import UnitOfWork, make_engine
    from services.demo import notes as demo_notes
    from services.demo.seed import seed_demo
    from services.security.auth import actor_for_user
    from services.security.models import User
    from services.settings import reset_settings
    from sqlmodel import Session

    monkeypatch.setenv("FINCRM_DEMO", "1")
    monkeypatch.setenv("FINCRM_DATA_DIR", str(tmp_path))
    reset_settings()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        seed_demo(customers=60, engine=engine)
        with Session(engine) as s:
            rm = s.execute(select(User).where(User.username == "rm")).scalar_one()
            zhang = s.execute(select(Customer.id).where(Customer.owner_id == rm.id, Customer.name == "张三")
                              ).scalars().first()
            iid = s.execute(select(Interaction.id).where(Interaction.customer_id == zhang,
                                                         Interaction.revision == 3)).scalar_one()
            actor = actor_for_user(rm)
        with UnitOfWork(engine.connect()) as uow:
            versions = revisions.note_versions(uow=uow, actor=actor, interaction_id=iid)
        assert [(v.revision, v.channel) for v in versions] == [(3, "web"), (2, "offline"), (1, None)]
        assert versions[0].by == "赵立新" and versions[1].by == versions[2].by == "李娜"
        assert [v.notes for v in versions] == [demo_notes.BY_MANAGER, demo_notes.BY_PHONE, demo_notes.FIRST]
    finally:
        engine.dispose()
        reset_settings()
