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

import uuid
from typing import Any

import httpx
import pytest
from socket_client import (APP_STATE, DATA_STATE, DETAIL_STATE, HYDRATE, LIST_STATE, SESSION_COOKIE,
                           RawSocket, _redirected_to_login, customer_facts, leaks, not_found, run, sign_in,
                           sign_out)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def facts(live_app) -> dict[str, Any]:
    return customer_facts(live_app.db_url)


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
    """Refused exactly as a customer that does not exist (nobody learns which ids exist), and audited."""
    foreign = facts["foreign"]

    async def scenario():
        async with RawSocket(live_app.url, session=sign_in(live_app.url)) as s:
            await s.call(HYDRATE)
            frames = await s.call(f"{DETAIL_STATE}.load", path=f"/customers/{foreign.id}")
            assert s.var(DETAIL_STATE, "page_error", frames)[-1] in not_found("customer", foreign.id)
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
