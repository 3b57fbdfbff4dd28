"""Raw Socket.IO clients against the live production app: the websocket is a door anyone can knock on.

A client speaks Reflex 0.10.1's protocol directly: connect to path /_event, namespace /_event,
with `?token=<client token>` in the URL (and, for a signed-in user, the session cookie), then
emit "event" frames {name: "<full state name>.<handler>", payload: {...}, router_data: {...}}.
The server answers with "event" frames {delta: {<state>: {<var>_rx_state_: value}}, events: [...]}.

"No customer data" means concretely: none of the identifying strings of the customers concerned
(name, customer number, e-mail, the masked tails of ID number and phone) occurs anywhere in any
frame the server sent, and no list or detail var carries a row. Each test first proves, on the
same kind of socket, that data does show when it is allowed - so silence is not a broken harness.
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
import pytest
import socketio
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.browser

ROOT_STATE = "reflex___state____state"
APP_STATE = f"{ROOT_STATE}.state___session____app_state"
DATA_STATE = f"{APP_STATE}.state___session____data_state"
LIST_STATE = f"{DATA_STATE}.state___customers____customers_state"
DETAIL_STATE = f"{DATA_STATE}.state___customers____customer_state"
HYDRATE = f"{ROOT_STATE}.hydrate"
# The live app's default locale comes from its environment (FINCRM_LOCALE): accept either.
NOT_PERMITTED = {"您无权执行此操作。", "You are not permitted to do this."}
SESSION_COOKIE = "fincrm_session"


# ------------------------------------------------------------------------------------ helpers


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


@pytest.fixture(scope="module")
def facts(live_app) -> dict[str, Any]:
    """The rm's 张三, a customer of another branch, and every rm customer (from the app's database)."""
    engine = create_engine(live_app.db_url)
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


# ------------------------------------------------------------------------------------ tests


def test_harness_sees_data_the_rm_may_see(live_app, facts) -> None:
    """Control: on a signed-in socket the rm's own customer does come through."""
    zs = facts["zhangsan"]

    async def scenario():
        async with RawSocket(live_app.url, session=sign_in(live_app.url)) as s:
            await s.call(HYDRATE)
            frames = await s.call(f"{DETAIL_STATE}.load", path=f"/customers/{zs.id}")
            assert zs.name in s.text(frames) and zs.customer_no in s.text(frames)
            frames = await s.call(f"{LIST_STATE}.search_as_typed", {"value": "zs"})
            rows = s.var(LIST_STATE, "rows", frames)
            assert rows and any(r["name"] == "张三" for r in rows[-1])

    run(scenario())


def test_loading_a_customer_of_another_branch_is_refused(live_app, facts) -> None:
    foreign = facts["foreign"]

    async def scenario():
        async with RawSocket(live_app.url, session=sign_in(live_app.url)) as s:
            await s.call(HYDRATE)
            frames = await s.call(f"{DETAIL_STATE}.load", path=f"/customers/{foreign.id}")
            assert s.var(DETAIL_STATE, "page_error", frames)[-1] in NOT_PERMITTED
            assert s.var(DETAIL_STATE, "found", frames)[-1] is False
            assert s.var(DETAIL_STATE, "header", frames)[-1] == {}
            # The reveal handler on top of the refused page: still nothing.
            await s.call(f"{DETAIL_STATE}.reveal", {"field": "id_number"}, path=f"/customers/{foreign.id}")
            await s.call(f"{DETAIL_STATE}.reveal", {"field": "phone"}, path=f"/customers/{foreign.id}")
            assert leaks(s.text(), [foreign]) == []

    run(scenario())


def test_hidden_handlers_and_wrong_arguments_yield_no_customer_data(live_app, facts) -> None:
    foreign, own = facts["foreign"], facts["own"]
    fpath = f"/customers/{foreign.id}"
    huge = "zs" * 100_000  # 200 kB: far past every limit, under the socket frame cap (1 MB)
    calls: list[tuple[str, Any, str]] = [
        # Methods the UI never offers, including backend-only helpers.
        (f"{DETAIL_STATE}._require_actor", {}, fpath),
        (f"{DETAIL_STATE}._load", {}, fpath),
        (f"{DETAIL_STATE}._show", {"detail": {}, "loc": "en"}, fpath),
        (f"{LIST_STATE}._fetch", {}, "/customers"),
        (f"{DATA_STATE}._purge_all", {}, "/customers"),
        (f"{APP_STATE}._require_actor", {}, "/customers"),
        (f"{DETAIL_STATE}.setvar", {"var_name": "_customer_id", "value": foreign.id}, fpath),
        (f"{DETAIL_STATE}.setvar", {"var_name": "found", "value": True}, fpath),
        (f"{DETAIL_STATE}.reveal", {"field": "id_number"}, fpath),
        # Real handlers with arguments of the wrong type or size.
        (f"{DETAIL_STATE}.load", {"customer_id": foreign.id}, fpath),
        (f"{DETAIL_STATE}.load", {}, f"/customers/{foreign.id}.0"),
        (f"{DETAIL_STATE}.load", {}, "/customers/-1"),
        (f"{DETAIL_STATE}.load", {}, "/customers/" + "9" * 40),
        (f"{DETAIL_STATE}.reveal", {"field": {"$ne": None}}, fpath),
        (f"{DETAIL_STATE}.reveal", {"field": ["id_number"]}, fpath),
        (f"{DETAIL_STATE}.reveal", {"field": "password_hash"}, fpath),
        (f"{DETAIL_STATE}.change_locale", {"locale": {"en": 1}}, fpath),
        (f"{LIST_STATE}.search_as_typed", {"value": {"$regex": ".*"}}, "/customers"),
        (f"{LIST_STATE}.search_as_typed", {"value": 12345}, "/customers"),
        (f"{LIST_STATE}.search_as_typed", {"value": ["zs"]}, "/customers"),
        (f"{LIST_STATE}.search_as_typed", {"value": huge}, "/customers"),
        (f"{LIST_STATE}.search", {"form_data": "q=zs"}, "/customers"),
        (f"{LIST_STATE}.search", {"form_data": {"q": {"like": "%"}}}, "/customers"),
        (f"{LIST_STATE}.next_page", {"page": "999999"}, "/customers"),
        (f"{LIST_STATE}.prev_page", {"page": -5}, "/customers"),
        (f"{APP_STATE}.set_locale", {"locale": "../../etc/passwd"}, "/customers"),
        (f"{APP_STATE}.set_locale", {"locale": huge}, "/customers"),
        ("reflex___state____state.state___no_such____state.load", {}, "/customers"),
    ]

    session = sign_in(live_app.url)
    log_start = live_app.log_size()

    async def scenario():
        async with RawSocket(live_app.url, session=session) as s:
            await s.call(HYDRATE)
            for name, payload, path in calls:
                await s.call(name, payload, path)
            everything = s.text()
            assert leaks(everything, [foreign]) == []
            # Nothing asked for the rm's list or a detail in a valid way, so none of it may appear either.
            assert leaks(everything, own) == []
            assert all(v == [] for v in s.var(LIST_STATE, "rows"))
            assert all(v == {} for v in s.var(DETAIL_STATE, "header"))
            assert "../../etc/passwd" not in everything and huge not in everything
            assert s.var(APP_STATE, "locale") == [] or set(s.var(APP_STATE, "locale")) <= {"zh_CN", "en"}
            # The socket is still alive and served: a valid call works afterwards.
            frames = await s.call(f"{LIST_STATE}.search_as_typed", {"value": "zs"})
            assert "张三" in s.text(frames)

    run(scenario())
    # Reflex logs refused events with their request headers: the session cookie must not reach the log.
    server_log = live_app.log_text(log_start)
    assert "No registered handler" in server_log  # the refusals were logged ...
    assert session not in server_log.replace("\n", "")  # ... without the credential


def test_replayed_client_token_after_logout_gets_nothing(live_app, facts) -> None:
    zs = facts["zhangsan"]
    own = facts["own"]
    zpath = f"/customers/{zs.id}"

    async def scenario():
        session = sign_in(live_app.url)
        token = str(uuid.uuid4())
        async with RawSocket(live_app.url, token=token, session=session) as s:
            await s.call(HYDRATE)
            await s.call(f"{LIST_STATE}.search_as_typed", {"value": "zs"})
            await s.call(f"{DETAIL_STATE}.load", path=zpath)
            assert zs.name in s.text() and zs.customer_no in s.text()  # the state now holds data

        sign_out(live_app.url, session)

        # Same client token, same (now revoked) cookie, new socket.
        async with RawSocket(live_app.url, token=token, session=session) as s:
            hydrate = await s.call(HYDRATE, path=zpath)
            # It really re-attached to the old state (not a fresh one).
            assert token in s.text(hydrate)
            await s.call(f"{LIST_STATE}.search_as_typed", {"value": "zs"})
            await s.call(f"{DETAIL_STATE}.load", path=zpath)
            await s.call(f"{DETAIL_STATE}.reveal", {"field": "id_number"}, path=zpath)
            assert leaks(s.text(), own) == []
            assert _redirected_to_login(s.frames)

    run(scenario())


def test_client_token_without_the_cookie_is_not_an_identity(live_app, facts) -> None:
    """A stolen client token, replayed on a socket without the session cookie, gets nothing."""
    zs = facts["zhangsan"]
    own = facts["own"]
    zpath = f"/customers/{zs.id}"

    async def scenario():
        token = str(uuid.uuid4())
        async with RawSocket(live_app.url, token=token, session=sign_in(live_app.url)) as s:
            await s.call(HYDRATE)
            await s.call(f"{DETAIL_STATE}.load", path=zpath)
            assert zs.name in s.text()

        async with RawSocket(live_app.url, token=token) as s:
            hydrate = await s.call(HYDRATE, path=zpath)
            assert token in s.text(hydrate)
            await s.call(f"{DETAIL_STATE}.load", path=zpath)
            await s.call(f"{LIST_STATE}.load")
            assert leaks(s.text(), own) == []
            assert _redirected_to_login(s.frames)

        # A forged cookie does no better.
        async with RawSocket(live_app.url, token=token, session="forged-" + "A" * 40) as s:
            await s.call(HYDRATE, path=zpath)
            await s.call(f"{DETAIL_STATE}.load", path=zpath)
            assert leaks(s.text(), own) == []

    run(scenario())


def test_socket_without_any_cookie_gets_nothing(live_app, facts) -> None:
    zs, foreign, own = facts["zhangsan"], facts["foreign"], facts["own"]

    async def scenario():
        async with RawSocket(live_app.url) as s:
            await s.call(HYDRATE)
            for cid in (zs.id, foreign.id):
                await s.call(f"{DETAIL_STATE}.load", path=f"/customers/{cid}")
                await s.call(f"{DETAIL_STATE}.reveal", {"field": "phone"}, path=f"/customers/{cid}")
            await s.call(f"{LIST_STATE}.load")
            await s.call(f"{LIST_STATE}.search_as_typed", {"value": "zs"})
            await s.call(f"{LIST_STATE}.next_page")
            assert leaks(s.text(), [*own, foreign]) == []
            assert _redirected_to_login(s.frames)

    run(scenario())


def test_login_route_refuses_cross_site_posts(live_app) -> None:
    r = httpx.post(f"{live_app.url}/auth/login", data={"username": "rm", "password": "demo1234"},
                   headers={"Origin": "https://evil.example"}, follow_redirects=False, timeout=30)
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    r = httpx.post(f"{live_app.url}/auth/login", data={"username": "rm", "password": "demo1234"},
                   follow_redirects=False, timeout=30)  # neither Origin nor Referer
    assert r.status_code == 403


def test_login_redirect_stays_on_site_and_cookie_is_httponly_strict(live_app) -> None:
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"):
        r = httpx.post(f"{live_app.url}/auth/login",
                       data={"username": "rm", "password": "demo1234", "next": evil},
                       headers={"Origin": live_app.url}, follow_redirects=False, timeout=30)
        assert r.status_code == 303 and r.headers["location"] == "/customers", evil
    r = httpx.post(f"{live_app.url}/auth/login",
                   data={"username": "rm", "password": "demo1234", "next": "/customers/1?x=1"},
                   headers={"Origin": live_app.url}, follow_redirects=False, timeout=30)
    assert r.headers["location"] == "/customers/1?x=1"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_oversized_credentials_get_the_ordinary_error(live_app) -> None:
    for data in ({"username": "r" * 65, "password": "demo1234"}, {"username": "rm", "password": "p" * 257}):
        r = httpx.post(f"{live_app.url}/auth/login", data=data, headers={"Origin": live_app.url},
                       follow_redirects=False, timeout=30)
        assert r.status_code == 303 and r.headers["location"] == "/login?error=invalid"
