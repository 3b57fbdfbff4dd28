"""A raw Socket.IO client for Reflex 0.10.1's protocol and the sign-in steps, for the security tests that knock
on the running app's doors (tests/security/test_socket_events.py, test_upload_token.py).

A client connects to path /_event, namespace /_event, with `?token=<client token>` in the URL (and, for a
signed-in user, the session cookie), then emits "event" frames {name: "<full state name>.<handler>",
payload: {...}, router_data: {...}}. The server answers with "event" frames {delta: {<state>: {<var>_rx_state_:
value}}, events: [...]}.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import socketio
from sqlalchemy import create_engine, text

ROOT_STATE = "reflex___state____state"
APP_STATE = f"{ROOT_STATE}.state___session____app_state"
DATA_STATE = f"{APP_STATE}.state___session____data_state"
LIST_STATE = f"{DATA_STATE}.state___customer_list____customers_state"
DETAIL_STATE = f"{DATA_STATE}.state___customers____customer_state"
HYDRATE = f"{ROOT_STATE}.hydrate"
# The live app's default locale comes from its environment (FINCRM_LOCALE): accept either.
NOT_PERMITTED = {"您无权执行此操作。", "You are not permitted to do this."}


def not_found(what: str, id_: Any) -> set[str]:
    """What a refused or missing record reads as, in either language (the live app's default locale comes
    from its environment)."""
    from services.errors import NotFound

    return {NotFound(what=what, id=id_).message(loc) for loc in ("zh_CN", "en")}
SESSION_COOKIE = "fincrm_session"


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    name: str
    customer_no: str
    markers: tuple[str, ...]  # strings that would give the customer away


def _facts(row: Any) -> CustomerFacts:
    markers = [row.name, row.customer_no]
    if row.email:
        markers.append(row.email)
    if row.id_last4:
        markers.append("********" + row.id_last4)
    if row.phone_last4:
        markers.append("****" + row.phone_last4)
    return CustomerFacts(id=row.id, name=row.name, customer_no=row.customer_no, markers=tuple(markers))



def customer_facts(db_url: str) -> dict[str, Any]:
    """The rm's 张三, a customer of another branch, and every rm customer (from the app's database)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rm = conn.execute(text("SELECT id, branch_id FROM app_user WHERE username = 'rm'")).one()
            cols = "id, name, customer_no, email, id_last4, phone_last4"
            own = [_facts(r) for r in conn.execute(
                text(f"SELECT {cols} FROM customer WHERE owner_id = :o ORDER BY id"), {"o": rm.id})]
            own_names = {c.name for c in own}
            foreign = next(
                _facts(r) for r in conn.execute(
                    text(f"SELECT {cols} FROM customer WHERE branch_id != :b ORDER BY id"), {"b": rm.branch_id})
                if r.name not in own_names and len(r.name) >= 2
            )
    finally:
        engine.dispose()
    zhangsan = next(c for c in own if c.name == "张三")
    return {"own": own, "zhangsan": zhangsan, "foreign": foreign}


def sign_in(url: str, username: str = "rm", password: str = "demo1234") -> str:
    r = httpx.post(f"{url}/auth/login", data={"username": username, "password": password},
                   headers={"Origin": url}, follow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/customers", r.text
    token = r.cookies.get(SESSION_COOKIE)
    assert token
    return token


def sign_out(url: str, session: str) -> None:
    r = httpx.post(f"{url}/auth/logout", headers={"Origin": url, "Cookie": f"{SESSION_COOKIE}={session}"},
                   follow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/login"


class RawSocket:
    """One Reflex client over python-socketio, recording every frame the server sends."""

    def __init__(self, url: str, token: str | None = None, session: str | None = None):
        self.url = url
        self.token = token or str(uuid.uuid4())
        self.session = session
        self.frames: list[Any] = []
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("*", self._record, namespace="/_event")

    async def _record(self, event: str, data: Any = None) -> None:
        self.frames.append({"socket_event": event, "data": data})

    async def __aenter__(self) -> "RawSocket":
        headers = {"Origin": self.url}
        if self.session:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.session}"
        await self.sio.connect(f"{self.url}?token={self.token}", socketio_path="/_event",
                               namespaces=["/_event"], transports=["websocket"], headers=headers,
                               wait_timeout=20)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.sio.disconnect()
        await asyncio.sleep(0.3)  # let the server unlink the token before it is replayed

    async def call(self, name: str, payload: Any = None, path: str = "/customers") -> list[Any]:
        """Send one event and return the frames that answered it (until the socket is quiet)."""
        start = len(self.frames)
        await self.sio.emit("event", {"name": name, "payload": {} if payload is None else payload,
                                      "router_data": {"pathname": path, "asPath": path}},
                            namespace="/_event")
        await self._settle()
        return self.frames[start:]

    async def _settle(self, quiet: float = 0.6, limit: float = 8.0) -> None:
        deadline = time.monotonic() + limit
        seen = -1
        while time.monotonic() < deadline:
            if len(self.frames) == seen:
                return
            seen = len(self.frames)
            await asyncio.sleep(quiet)

    def text(self, frames: list[Any] | None = None) -> str:
        return json.dumps(self.frames if frames is None else frames, ensure_ascii=False)

    def var(self, state: str, name: str, frames: list[Any] | None = None) -> list[Any]:
        """Every value the server sent for `state.name`, in order."""
        out = []
        for f in self.frames if frames is None else frames:
            delta = (f.get("data") or {}).get("delta") if isinstance(f.get("data"), dict) else None
            if delta and state in delta and f"{name}_rx_state_" in delta[state]:
                out.append(delta[state][f"{name}_rx_state_"])
        return out


def leaks(text_: str, customers: list[CustomerFacts]) -> list[str]:
    return [m for c in customers for m in c.markers if m in text_]


def run(coro) -> Any:
    """Run a scenario on its own event loop in a worker thread: Playwright's sync API (used by the
    browser tests of the same session) keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _redirected_to_login(frames: list[Any]) -> bool:
    return any(
        ev.get("name") == "_redirect" and str((ev.get("payload") or {}).get("path", "")).startswith("/login")
        for f in frames if isinstance(f.get("data"), dict)
        for ev in (f["data"].get("events") or [])
    )
