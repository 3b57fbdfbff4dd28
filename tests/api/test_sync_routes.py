"""The routes a phone uses after working offline (issue 14): /sync/notes, /sync/tasks, /sync/reschedules and what it
keeps to read offline (/sync/tasks, /sync/customers/<id>). Session cookie only (a real one, from sign_in), same origin
only; an ended session answers 401 (the device keeps its queue), a task changed meanwhile answers 409 with the task as
it is now, a customer out of scope 404 as if it did not exist; masked values stay masked."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from services.activities.models import Interaction, Task
from services.security.auth import SESSION_COOKIE, sign_in

PASSWORD = "correct horse 1"  # the org fixture's users (tests/conftest.py)
ORIGIN = "http://localhost:3000"


def _cookie(uow_factory, username: str) -> str:
    with uow_factory() as uow:
        signed = sign_in(uow=uow, username=username, password=PASSWORD)
        uow.commit()
    return f"{SESSION_COOKIE}={signed.token}"


def _post(http, path: str, cookie: str | None, body: dict, key: str | None = None, origin: str | None = ORIGIN,
          locale: str = "en"):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if origin:
        headers["Origin"] = origin
    headers["Cookie"] = f"{cookie}; fincrm_locale={locale}" if cookie else f"fincrm_locale={locale}"
    return http.post(path, json=body, headers=headers)


def _soon(days: int = 1) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0).isoformat()


def test_a_visit_and_a_task_are_recorded_once_and_a_stranger_is_refused(http, connection, uow_factory, new_customer):
    c = new_customer("rm_a1")
    cookie = _cookie(uow_factory, "rm_a1")
    visit = {"customer_id": c.id, "kind": "visit", "notes": "楼下签到", "written_at": _soon(0),
             "location": {"status": "fix", "latitude": 31.23, "longitude": 121.47, "accuracy_m": 20}}
    visit["written_at"] = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    first = _post(http, "/sync/notes", cookie, visit, key="visit-key-0001")
    again = _post(http, "/sync/notes", cookie, visit, key="visit-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["interaction_id"] == again.json()["interaction_id"] and again.json()["replayed"]
    task = {"customer_id": c.id, "title": "递送合同", "due_at": _soon()}
    assert [_post(http, "/sync/tasks", cookie, task, key="task-key-0001").status_code for _ in range(2)] == [201, 200]
    assert connection.execute(select(func.count()).select_from(Task).where(Task.title == "递送合同")).scalar_one() == 1
    # From another site, or without a session: refused, nothing written.
    assert _post(http, "/sync/notes", cookie, visit, origin="https://evil.example").status_code == 403
    ended = _post(http, "/sync/notes", None, visit)
    assert ended.status_code == 401 and ended.json()["message"]
    assert connection.execute(select(func.count()).select_from(Interaction)).scalar_one() == 1
    # A customer the RM cannot reach: 404 with words, kept on the device.
    theirs = new_customer("rm_b1")
    lost = _post(http, "/sync/notes", cookie, {**visit, "customer_id": theirs.id})
    assert lost.status_code == 404 and lost.json()["message"]


def test_a_reschedule_against_a_changed_task_answers_both_versions(http, connection, uow_factory, new_customer):
    c = new_customer("rm_a1")
    cookie = _cookie(uow_factory, "rm_a1")
    made = _post(http, "/sync/tasks", cookie, {"customer_id": c.id, "title": "回访", "due_at": _soon(1)}).json()
    kept = http.get("/sync/tasks", headers={"Cookie": cookie}).json()["tasks"]
    seen = next(t for t in kept if t["id"] == made["task_id"])
    body = {"task_id": made["task_id"], "seen": {"due_at": seen["due_at"], "status": seen["status"]}}
    assert _post(http, "/sync/reschedules", cookie, {**body, "due_at": _soon(2)}).status_code == 201
    clash = _post(http, "/sync/reschedules", cookie, {**body, "due_at": _soon(4)}, locale="zh_CN")
    assert clash.status_code == 409
    answer = clash.json()
    assert "其他设备" in answer["message"] and answer["current"]["task_id"] == made["task_id"]
    assert answer["current"]["title"] == "回访" and answer["current"]["status"] == "open"
    assert datetime.fromisoformat(answer["current"]["due_at"]).date() == datetime.fromisoformat(_soon(2)).date()


def test_the_kept_summary_is_masked_and_in_the_pages_language(http, uow_factory, new_customer):
    c = new_customer("rm_a1", name="王芳", segment="hnw")
    cookie = _cookie(uow_factory, "rm_a1")
    r = http.get(f"/sync/customers/{c.id}", headers={"Cookie": f"{cookie}; fincrm_locale=en"})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    summary = r.json()
    assert summary["name"] == "王芳" and summary["segment"] == "High net worth"
    assert "*" in summary["id_number"] and "*" in summary["phone"]
    assert http.get(f"/sync/customers/{c.id}", headers={"Cookie": _cookie(uow_factory, "rm_b1")}).status_code == 404
    assert http.get(f"/sync/customers/{c.id}").status_code == 401
