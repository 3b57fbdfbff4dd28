"""The customer's questionnaire door, knocked on with raw Socket.IO and HTTP clients against the live app.

A customer's browser holds one credential: the questionnaire session cookie (after the link, the identity
check and the one-time code). With it, its socket reaches that one questionnaire and nothing else: every staff
handler answers as to a stranger (redirect to sign-in, no data), no other customer appears in any frame, a
client token replayed without the cookie gets the questionnaire purged, and the questionnaire handlers refuse
questions and options that are not this questionnaire's. Each test first proves, on the same kind of socket,
that the data does show where it is allowed - so silence is not a broken harness.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from socket_client import (DATA_STATE, DETAIL_STATE, HYDRATE, ROOT_STATE, RawSocket, _redirected_to_login,
                           customer_facts, leaks, run, sign_in)
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.browser

PUBLIC = f"{ROOT_STATE}.state___questionnaire____public_state"
QSTATE = f"{PUBLIC}.state___questionnaire____questionnaire_state"
LINK_STATE = f"{PUBLIC}.state___questionnaire____questionnaire_link_state"
CARD = f"{DATA_STATE}.state___suitability____suitability_card_state"
SALE = f"{DATA_STATE}.state___sales____sale_state"
CUSTOMERS = f"{DATA_STATE}.state___customer_list____customers_state"
ID_NUMBER = "110105198203150017"


class CustomerSocket(RawSocket):
    """A raw client that presents the customer's questionnaire cookie (and no staff session)."""

    def __init__(self, url: str, questionnaire: str | None, token: str | None = None):
        super().__init__(url, token=token)
        self.questionnaire = questionnaire

    async def __aenter__(self) -> "CustomerSocket":
        headers = {"Origin": self.url}
        if self.questionnaire:
            headers["Cookie"] = f"fincrm_q={self.questionnaire}"
        await self.sio.connect(f"{self.url}?token={self.token}", socketio_path="/_event", namespaces=["/_event"],
                               transports=["websocket"], headers=headers, wait_timeout=20)
        return self


def _db(live_app, sql: str, **params) -> Any:
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as c:
            return c.execute(text(sql), params).all()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def customer(live_app) -> int:
    r = httpx.post(f"{live_app.url}/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                   auth=("demo-core-banking", "demo-secret"), timeout=30)
    token = r.json()["access_token"]
    r = httpx.put(f"{live_app.url}/api/v1/customers/Q-SOCKET-1", timeout=30, headers={"Authorization": f"Bearer {token}"},
                  json={"name": "套接字测试", "id_type": "resident_id", "id_number": ID_NUMBER, "phone": "13900139001"})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _issue(live_app, customer: int) -> str:
    """The RM issues a link through the 360 page's handler (the real door), on a signed-in socket."""
    async def scenario() -> str:
        async with RawSocket(live_app.url, session=sign_in(live_app.url)) as s:
            await s.call(HYDRATE, path=f"/customers/{customer}")
            await s.call(f"{CARD}.load", path=f"/customers/{customer}")
            frames = await s.call(f"{CARD}.issue_link", path=f"/customers/{customer}")
            urls = s.var(CARD, "issued_url", frames)
            assert urls and "/q/" in urls[-1], s.text(frames)[:2000]
            return urls[-1].rsplit("/q/", 1)[1]

    return run(scenario())


def _questionnaire_cookie(live_app, customer: int, token: str) -> str:
    """Identity, then the code from the outbox, over plain HTTP as the customer's browser posts them."""
    origin = {"Origin": live_app.url}
    with httpx.Client(base_url=live_app.url, timeout=30, follow_redirects=False) as http:
        r = http.post(f"/q/{token}/identify", data={"name": "套接字测试", "id_last6": ID_NUMBER[-6:]}, headers=origin)
        assert r.status_code == 303 and "step=code" in r.headers["location"], r.headers
        code = re.search(r"(\d{6})", _db(live_app, "SELECT body FROM customer_message WHERE customer_id = :c "
                                                   "ORDER BY id DESC", c=customer)[0][0]).group(1)
        r = http.post(f"/q/{token}/verify", data={"code": code}, headers=origin)
        assert r.status_code == 303 and r.headers["location"] == "/q/answer", r.headers
        value = r.cookies.get("fincrm_q")
        assert value
        set_cookie = r.headers["set-cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie.replace("Strict", "strict")
        return value


@pytest.fixture(scope="module")
def session(live_app, customer) -> str:
    return _questionnaire_cookie(live_app, customer, _issue(live_app, customer))


def test_the_questionnaire_socket_reaches_its_questionnaire(live_app, session) -> None:
    """Control: with the cookie, the questionnaire loads and an answer is kept."""
    async def scenario():
        async with CustomerSocket(live_app.url, session) as s:
            await s.call(HYDRATE, path="/q/answer")
            frames = await s.call(f"{QSTATE}.load", path="/q/answer")
            questions = s.var(QSTATE, "questions", frames)
            assert questions and len(questions[-1]) == 10
            frames = await s.call(f"{QSTATE}.choose", {"question": "age", "option": "b"}, path="/q/answer")
            assert s.var(QSTATE, "answers", frames)[-1] == {"age": "b"}

    run(scenario())


def test_no_staff_handler_answers_the_customer_and_no_other_customer_shows(live_app, session, customer) -> None:
    facts = customer_facts(live_app.db_url)
    others = [facts["zhangsan"], facts["foreign"]]
    staff_calls = [
        (f"{DETAIL_STATE}.load", {}, f"/customers/{facts['zhangsan'].id}"),
        (f"{DETAIL_STATE}.reveal", {"field": "id_number"}, f"/customers/{facts['zhangsan'].id}"),
        (f"{CUSTOMERS}.load", {}, "/customers"),
        (f"{CARD}.load", {}, f"/customers/{facts['zhangsan'].id}"),
        (f"{CARD}.issue_link", {}, f"/customers/{facts['zhangsan'].id}"),
        (f"{CARD}.load", {}, f"/customers/{customer}"),
        (f"{SALE}.load", {}, "/sales/1"),
        (f"{DATA_STATE}.state___sales____sales_list_state.load", {}, "/sales"),
        (f"{DATA_STATE}.state___suitability_desk____outbox_state.load", {}, "/outbox"),
    ]

    async def scenario():
        async with CustomerSocket(live_app.url, session) as s:
            await s.call(HYDRATE, path="/q/answer")
            await s.call(f"{QSTATE}.load", path="/q/answer")
            for name, payload, path in staff_calls:
                frames = await s.call(name, payload, path=path)
                assert _redirected_to_login(frames), (name, s.text(frames)[:500])
            assert leaks(s.text(), others) == []
            # Nothing the staff card would show about the customer himself either (no staff view of him).
            assert all(v == {} for v in s.var(CARD, "investor"))
            assert "验证码为" not in s.text()  # the outbox's one-time codes never reach this socket

    run(scenario())


def test_a_replayed_client_token_without_the_cookie_gets_nothing(live_app, session) -> None:
    token = str(uuid.uuid4())

    async def scenario():
        async with CustomerSocket(live_app.url, session, token=token) as s:
            await s.call(HYDRATE, path="/q/answer")
            frames = await s.call(f"{QSTATE}.load", path="/q/answer")
            assert s.var(QSTATE, "questions", frames)[-1]
        async with CustomerSocket(live_app.url, None, token=token) as s:  # the same token, no cookie
            frames = await s.call(HYDRATE, path="/q/answer")
            assert "How old are you" not in s.text(frames) and "您的年龄" not in s.text(frames)
            assert s.var(QSTATE, "phase", frames)[-1] == "ended"  # purged before the hydrate was answered
            frames = await s.call(f"{QSTATE}.choose", {"question": "age", "option": "a"}, path="/q/answer")
            assert s.var(QSTATE, "answers", frames) == []  # nothing answered, nothing sent

    run(scenario())


def test_questionnaire_handlers_refuse_what_is_not_this_questionnaire(live_app, session, customer) -> None:
    before = _db(live_app, "SELECT draft, draft_version FROM questionnaire_link WHERE customer_id = :c "
                           "ORDER BY id DESC", c=customer)[0]

    async def scenario():
        async with CustomerSocket(live_app.url, session) as s:
            await s.call(HYDRATE, path="/q/answer")
            await s.call(f"{QSTATE}.load", path="/q/answer")
            for payload in ({"question": "nope", "option": "a"}, {"question": "age", "option": "z"},
                            {"question": {"x": 1}, "option": None}, {"question": "age" * 10_000, "option": "a"}):
                await s.call(f"{QSTATE}.choose", payload, path="/q/answer")
            # Hidden helpers and a submit without a signature: nothing recorded.
            await s.call(f"{QSTATE}._fill", {"opened": {}}, path="/q/answer")
            await s.call(f"{QSTATE}.submit", path="/q/answer")
            await s.call(f"{QSTATE}.set_signature", {"data": {"image": "x" * 800_000}}, path="/q/answer")

    run(scenario())
    after = _db(live_app, "SELECT draft, draft_version FROM questionnaire_link WHERE customer_id = :c "
                          "ORDER BY id DESC", c=customer)[0]
    assert after == before
    assert _db(live_app, "SELECT count(*) FROM risk_assessment WHERE customer_id = :c", c=customer)[0][0] == 0


def test_the_cookie_doors_refuse_other_sites_and_strangers(live_app) -> None:
    with httpx.Client(base_url=live_app.url, timeout=30, follow_redirects=False) as http:
        r = http.post("/q/anything/identify", data={"name": "x", "id_last6": "123456"})  # no Origin
        assert r.status_code == 403
        r = http.post("/q/anything/identify", data={"name": "x", "id_last6": "123456"},
                      headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        r = http.post("/q/anything/in-branch", headers={"Origin": live_app.url})  # no staff session
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        r = http.post("/q/WzEsIngiXQ.bogus/verify", data={"code": "123456"}, headers={"Origin": live_app.url})
        assert r.status_code == 303 and not re.search(r"fincrm_q=[^;\s]", r.headers.get("set-cookie", ""))
    refused = _db(live_app, "SELECT changes FROM audit_event WHERE action = 'access.refused' ORDER BY seq DESC LIMIT 20")
    assert any("questionnaire" in row[0] for row in refused)

