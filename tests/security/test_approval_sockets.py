"""The approval inbox's door against the live app with a raw Socket.IO client (issue 11): handlers called with
forged state or arguments the page never sends decide nothing. An RM (no approval.decide) who sets the open task
himself and approves, and a branch approver who forges an underwriting task, leave the tasks open and are
refused; hidden helpers are not handlers."""
from __future__ import annotations

import sqlite3

import httpx
from socket_client import DATA_STATE, HYDRATE, SESSION_COOKIE, RawSocket, run

APPROVALS = f"{DATA_STATE}.state___approvals____approvals_state"
PATH = "/approvals"


def _sign_in(url: str, username: str) -> str:
    r = httpx.post(f"{url}/auth/login", data={"username": username, "password": "demo1234"},
                   headers={"Origin": url}, follow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text
    return r.cookies.get(SESSION_COOKIE)


def _open_task(db_path: str, role: str) -> int:
    with sqlite3.connect(db_path) as c:
        return c.execute("SELECT id FROM approval_task WHERE status = 'open' AND role = ? ORDER BY id LIMIT 1",
                         (role,)).fetchone()[0]


def _status(db_path: str, task_id: int) -> str:
    with sqlite3.connect(db_path) as c:
        return c.execute("SELECT status FROM approval_task WHERE id = ?", (task_id,)).fetchone()[0]


def _refusals(db_path: str) -> int:
    with sqlite3.connect(db_path) as c:
        return c.execute("SELECT count(*) FROM audit_event WHERE action = 'access.refused'").fetchone()[0]


def test_forged_decisions_decide_nothing(live_app) -> None:
    db = live_app.db_url.split("///", 1)[1]
    branch_task = _open_task(db, "approver")
    uw_task = _open_task(db, "underwriter")
    before = _refusals(db)

    async def as_rm():
        async with RawSocket(live_app.url, session=_sign_in(live_app.url, "rm")) as s:
            await s.call(HYDRATE, path=PATH)
            await s.call(f"{APPROVALS}.load", path=PATH)
            assert all(rows == [] for rows in s.var(APPROVALS, "rows"))  # he has no inbox
            await s.call(f"{APPROVALS}.setvar", {"var_name": "selected", "value": str(branch_task)}, PATH)
            await s.call(f"{APPROVALS}.set_comment", {"value": "approved by a forged socket"}, PATH)
            await s.call(f"{APPROVALS}.decide", {"decision": "approve"}, PATH)
            await s.call(f"{APPROVALS}.decide", {"decision": {"$ne": None}}, PATH)

    async def as_approver():
        async with RawSocket(live_app.url, session=_sign_in(live_app.url, "approver")) as s:
            await s.call(HYDRATE, path=PATH)
            await s.call(f"{APPROVALS}.load", path=PATH)
            await s.call(f"{APPROVALS}.setvar", {"var_name": "selected", "value": str(uw_task)}, PATH)
            await s.call(f"{APPROVALS}.decide", {"decision": "approve"}, PATH)
            for hidden in ("_open", "_fetch", "_close", "_entry"):
                await s.call(f"{APPROVALS}.{hidden}", {"actor": {"id": 1}, "task_id": uw_task}, PATH)
            await s.call(f"{APPROVALS}.open_task", {"task_id": {"id": uw_task}}, PATH)
            await s.call(f"{APPROVALS}.delegate", {"form": {"delegate_id": "1", "starts_at": "x", "ends_at": "y"}},
                         PATH)
            await s.call(f"{APPROVALS}.revoke", {"delegation_id": "1 or 1=1"}, PATH)
            text = s.text()
            assert "approved by a forged socket" not in text

    run(as_rm())
    run(as_approver())
    assert _status(db, branch_task) == "open" and _status(db, uw_task) == "open"
    assert _refusals(db) >= before + 2  # the RM's decision (no permission) and the approver's (not his task)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM approval_delegation WHERE reason IS NULL AND delegate_id = 1"
                         ).fetchone()[0] == 0
