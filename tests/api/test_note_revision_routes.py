"""POST /sync/notes/<id>/revisions: a note's text revised on a phone without signal, sent when the signal returns
(issue 14, a note edited on two devices). Recorded once per Idempotency-Key; an edit based on a revision that is no
longer current answers 409 with the note as it is now (revision, text, who, when) and writes nothing; an ended session
answers 401 and keeps nothing; a customer out of scope answers 404; bad input 422 with the field named."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from services.activities import service as activities
from services.activities.models import Interaction, InteractionRevision
from test_sync_routes import ORIGIN, _cookie, _post  # the phone routes' own helpers (a real session cookie)


def _logged(uow_factory, actor, customer_id) -> int:
    with uow_factory() as uow:
        row = activities.log_interaction(uow=uow, actor=actor, customer_id=customer_id,
                                         data={"kind": "call", "subject": "电话回访", "notes": "客户想了解新发理财"})
        uow.commit()
        return row.id


def _edit(base, notes) -> dict:
    return {"base_revision": base, "notes": notes,
            "written_at": (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()}


def _held(connection, iid) -> tuple:
    notes, revision = connection.execute(select(Interaction.notes, Interaction.revision)
                                         .where(Interaction.id == iid)).one()
    kept = connection.execute(select(func.count()).select_from(InteractionRevision)
                              .where(InteractionRevision.interaction_id == iid)).scalar_one()
    return notes, revision, kept


def test_a_revision_is_recorded_once_and_a_stale_one_answers_the_current_version(http, connection, uow_factory,
                                                                                actors, new_customer):
    c = new_customer("rm_a1")
    iid = _logged(uow_factory, actors["rm_a1"], c.id)
    cookie = _cookie(uow_factory, "rm_a1")
    path = f"/sync/notes/{iid}/revisions"
    edit = _edit(1, "客户想了解新发理财，周五再联系")
    first = _post(http, path, cookie, edit, key="revision-key-0001")
    again = _post(http, path, cookie, edit, key="revision-key-0001")  # the answer to the first was lost
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json() == {"interaction_id": iid, "revision": 2, "replayed": False}
    assert again.json() == {"interaction_id": iid, "revision": 2, "replayed": True}
    assert first.headers["Cache-Control"] == "no-store"
    assert _held(connection, iid) == ("客户想了解新发理财，周五再联系", 2, 1)

    # Another phone's edit of revision 1: 409, both versions to show, nothing written.
    stale = _post(http, path, cookie, _edit(1, "另一台手机的版本"), locale="zh_CN")
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "note.changed" and "RM_A1" in body["message"] and "选择" in body["message"]
    current = body["current"]
    assert (current["interaction_id"], current["revision"], current["notes"], current["by"]) == (
        iid, 2, "客户想了解新发理财，周五再联系", "RM_A1")
    assert datetime.fromisoformat(current["at"])
    assert _held(connection, iid) == ("客户想了解新发理财，周五再联系", 2, 1)
    # Keep mine: sent again (a new key) based on the revision shown.
    mine = _post(http, path, cookie, _edit(current["revision"], "另一台手机的版本"))
    assert mine.status_code == 201 and mine.json()["revision"] == 3
    assert _held(connection, iid) == ("另一台手机的版本", 3, 2)
    # What the phone keeps of the customer says which version of the note it saw, so it can edit it offline.
    kept = http.get(f"/sync/customers/{c.id}", headers={"Cookie": cookie}).json()
    assert kept["can_revise"] is True
    assert [(i["id"], i["revision"], i["notes"]) for i in kept["interactions"]] == [(iid, 3, "另一台手机的版本")]


def test_an_ended_session_a_stranger_and_bad_input_keep_nothing(http, connection, uow_factory, actors, new_customer):
    c = new_customer("rm_a1")
    iid = _logged(uow_factory, actors["rm_a1"], c.id)
    path = f"/sync/notes/{iid}/revisions"
    ended = _post(http, path, None, _edit(1, "会话过期时的修改"))
    assert ended.status_code == 401 and ended.json()["message"]
    assert _post(http, path, _cookie(uow_factory, "rm_a1"), _edit(1, "别的网站"),
                 origin="https://evil.example").status_code == 403
    stranger = _post(http, path, _cookie(uow_factory, "rm_b1"), _edit(1, "不是我的客户"))
    assert stranger.status_code == 404 and stranger.json()["message"] == f"Not found: interaction {iid}."
    cookie = _cookie(uow_factory, "rm_a1")
    for body, field in ((_edit("1", "版本号是文本"), "base_revision"), (_edit(1, ""), "notes"),
                        (_edit(1, "长" * 4001), "notes"), ({"base_revision": 1, "notes": "没有时间"}, "written_at")):
        bad = _post(http, path, cookie, body)
        assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == [field], bad.text
    unknown = _post(http, f"/sync/notes/{iid + 1000}/revisions", cookie, _edit(1, "没有这条记录"))
    assert unknown.status_code == 404
    assert _post(http, "/sync/notes/abc/revisions", cookie, _edit(1, "坏的编号")).status_code == 422
    no_key = http.post(path, json=_edit(1, "没有标识"), headers={"Origin": ORIGIN, "Cookie": cookie})
    assert no_key.status_code == 422
    assert _held(connection, iid) == ("客户想了解新发理财", 1, 0)
