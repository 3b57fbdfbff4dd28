"""Finding 6 for the sign-in routes: /auth/login and /auth/logout wait for the database (argon2, and on
SQLite the write lock, up to 10 s) in a worker thread, never on the event loop that serves everyone.

Shown by order, not by timing, against a real server on a database of its own: the test holds SQLite's
write lock, starts a sign-in (or sign-out), waits until the server has reached the database, and asks
/ping. /ping must answer while the sign-in is still waiting; then the lock is released and the sign-in
must succeed. On the event loop, /ping could only answer after the sign-in had given up (a 500).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from live_app import _bin, _free_port, _stop
from sqlalchemy import create_engine, insert, select

from services import migrations
from services.db import make_engine
from services.security.models import User, UserSession
from services.security.passwords import hash_password
from services.types import utcnow

HERE = Path(__file__).resolve().parent
PASSWORD = "correct horse 1"


class Server:
    def __init__(self, url: str, db_path: Path, marks: Path):
        self.url, self.db_path, self.marks = url, db_path, marks

    def post(self, path: str, headers: dict | None = None, **kwargs) -> httpx.Response:
        return httpx.post(self.url + path, headers={"Origin": self.url, **(headers or {})}, follow_redirects=False,
                          timeout=60, **kwargs)


@pytest.fixture
def server(tmp_path) -> Server:
    db_path = tmp_path / "app.db"
    url = f"sqlite:///{db_path}"
    migrations.upgrade(url)
    engine = make_engine(url)  # the app's own settings: WAL, as every FinCRM SQLite database runs
    with engine.begin() as c:
        c.execute(insert(User).values(username="rm", display_name="RM", password_hash=hash_password(PASSWORD),
                                      roles=["rm"], is_active=True, is_demo=False, created_at=utcnow()))
    engine.dispose()
    port = _free_port()
    marks = tmp_path / "marks"
    env = dict(os.environ, FINCRM_DATABASE_URL=url, FINCRM_DEMO="1", FINCRM_DATA_DIR=str(tmp_path),
               FINCRM_PUBLIC_URL=f"http://127.0.0.1:{port}", FINCRM_PROBE_MARKS=str(marks))
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([_bin("granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1", "--working-dir", str(HERE), "loop_probe_app:app"],
                            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # wait until it serves (a start-up wait, not a measurement)
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        yield Server(f"http://127.0.0.1:{port}", db_path, marks)
    finally:
        _stop(proc)
        log.close()


def _while_the_database_is_locked(server: Server, request) -> httpx.Response:
    """Run `request()` while this test holds SQLite's write lock; /ping must answer before the lock is
    released. Returns the request's answer, received after the release."""
    lock = sqlite3.connect(server.db_path, isolation_level=None)
    answer: list = []
    server.marks.write_text("")
    try:
        lock.execute("BEGIN IMMEDIATE")
        worker = threading.Thread(target=lambda: answer.append(request()), daemon=True)
        worker.start()
        deadline = time.monotonic() + 60
        while "checkout" not in server.marks.read_text():  # the request has reached the database
            assert time.monotonic() < deadline and worker.is_alive(), answer
            time.sleep(0.01)
        ping = httpx.get(server.url + "/ping", timeout=60)
        assert ping.status_code == 200
        assert worker.is_alive() and not answer, f"answered before the database was free: {answer}"
    finally:
        lock.execute("COMMIT") if lock.in_transaction else None
        lock.close()
    worker.join(60)
    assert answer, "no answer after the lock was released"
    return answer[0]


def test_a_sign_in_waiting_for_the_database_does_not_stall_other_requests(server):
    r = _while_the_database_is_locked(server, lambda: server.post(
        "/auth/login", data={"username": "rm", "password": PASSWORD, "next": "/customers"}))
    assert r.status_code == 303 and r.headers["location"] == "/customers"
    assert r.cookies.get("fincrm_session")


def test_a_sign_out_waiting_for_the_database_does_not_stall_other_requests(server):
    signed_in = server.post("/auth/login", data={"username": "rm", "password": PASSWORD})
    cookie = signed_in.cookies["fincrm_session"]
    r = _while_the_database_is_locked(server, lambda: server.post(
        "/auth/logout", cookies={"fincrm_session": cookie}))
    assert r.status_code == 303 and r.headers["location"] == "/login"
    engine = create_engine(f"sqlite:///{server.db_path}")
    try:
        with engine.connect() as c:
            assert c.execute(select(UserSession.revoked_at)).scalar_one() is not None
    finally:
        engine.dispose()


def test_a_note_synced_from_a_phone_waiting_for_the_database_does_not_stall_other_requests(server):
    """POST /sync/notes (the offline queue's door) resolves the session and writes in the threadpool: while it
    waits for SQLite's write lock, /ping answers; after the release it answers in words (here: no such customer)."""
    signed_in = server.post("/auth/login", data={"username": "rm", "password": PASSWORD})
    cookie = signed_in.cookies["fincrm_session"]
    r = _while_the_database_is_locked(server, lambda: server.post(
        "/sync/notes", cookies={"fincrm_session": cookie}, headers={"Idempotency-Key": "probe-note-1"},
        json={"customer_id": 999_999, "kind": "visit", "notes": "在电梯里写的", "written_at": utcnow().isoformat()}))
    assert r.status_code == 404, r.text
    assert r.json()["error"]
