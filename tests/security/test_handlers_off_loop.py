"""Finding 6 of the hostile review, for the pages: Reflex runs a plain event handler on the event loop, so a
handler waiting for the database (here: the SQLite write lock, as during a large import) stalled every other
request of the process, /ping included. Handlers now run in worker threads. Checked by order, not by time:
/ping answers while the handler is still waiting, and the handler's write lands once the lock is free."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid

import httpx
import pytest
from socket_client import DETAIL_STATE, HYDRATE, RawSocket, customer_facts, run, sign_in

pytestmark = pytest.mark.browser


def _interactions(db_path: str, customer_id: int, subject: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM interaction WHERE customer_id = ? AND subject = ?",
                            (customer_id, subject)).fetchone()[0]


def test_a_handler_waiting_for_the_database_does_not_stall_the_server(live_app) -> None:
    zs = customer_facts(live_app.db_url)["zhangsan"]
    db_path = live_app.db_url.split("///", 1)[1]
    path = f"/customers/{zs.id}"
    subject = f"loop-{uuid.uuid4().hex[:8]}"
    session = sign_in(live_app.url)
    lock = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    sent = threading.Event()
    pinged: list[int] = []

    async def scenario():
        async with RawSocket(live_app.url, session=session) as s:
            await s.call(HYDRATE, path=path)
            await s.call(f"{DETAIL_STATE}.load", path=path)
            lock.execute("BEGIN IMMEDIATE")  # an import holding the write lock
            try:
                await s.sio.emit("event", {"name": f"{DETAIL_STATE}.log_interaction",
                                           "payload": {"form_data": {"kind": "call", "subject": subject}},
                                           "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")
                sent.set()
                await asyncio.sleep(1.0)  # the handler is now waiting for the lock (busy timeout 10 s)
                async with httpx.AsyncClient(timeout=8) as http:
                    r = await http.get(f"{live_app.url}/ping")
                pinged.append(r.status_code)
                # Still waiting: nothing written while the lock is held.
                assert _interactions(db_path, zs.id, subject) == 0
            finally:
                lock.execute("ROLLBACK")
            await s._settle(quiet=1.0, limit=15)

    run(scenario())
    lock.close()
    assert sent.is_set() and pinged == [200]
    assert _interactions(db_path, zs.id, subject) == 1
