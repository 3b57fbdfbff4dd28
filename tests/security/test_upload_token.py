"""Finding 1 of the hostile review: Reflex's upload endpoint took the page's client token as a login.

Reflex runs an upload's handler on the page state named by the `Reflex-Client-Token` header, with the
router data (and so the session cookie) that state cached from its websocket. A token copied from a
websocket URL let anyone upload as the user who opened the page, with no cookie, with another user's
cookie, and after sign-out. Now the upload must carry its own session cookie, of the session that opened
the page state, from our own origin; everything else is refused before the handler runs, and audited.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from socket_client import DETAIL_STATE, HYDRATE, SESSION_COOKIE, RawSocket, customer_facts, run, sign_in, sign_out
from sqlalchemy import create_engine, text

from state.customer_records import CustomerRecordsState
from state.imports import ImportsState

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UPLOAD_HANDLER = f"{CustomerRecordsState.get_full_name()}.upload_document"
IMPORT_HANDLER = f"{ImportsState.get_full_name()}.handle_upload"


@pytest.fixture(scope="module")
def facts(live_app) -> dict[str, Any]:
    return customer_facts(live_app.db_url)


def _scalar(db_url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _documents(live_app, customer_id: int) -> int:
    return _scalar(live_app.db_url, "SELECT count(*) FROM document WHERE customer_id = :c", c=customer_id)


def _open_page(live_app, session: str, path: str) -> str:
    """A page state opened by a signed-in socket at `path`; the socket is closed again. Returns its token."""
    token = str(uuid.uuid4())

    async def scenario():
        async with RawSocket(live_app.url, token=token, session=session) as s:
            await s.call(HYDRATE, path=path)
            if path.startswith("/customers/"):
                await s.call(f"{DETAIL_STATE}.load", path=path)

    run(scenario())
    return token


def _upload(live_app, token: str, handler: str, *, cookie: str | None, name: str = "x.pdf",
            data: bytes = PDF, origin: bool = True) -> httpx.Response:
    headers = {"Reflex-Client-Token": token, "Reflex-Event-Handler": handler}
    if origin:
        headers["Origin"] = live_app.url
    if cookie is not None:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    return httpx.post(f"{live_app.url}/_upload", headers=headers, files={"files": (name, data)}, timeout=30)


def _refusals_since(live_app, seq: int) -> list[dict]:
    engine = create_engine(live_app.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT actor_name, entity_type, changes FROM audit_event "
                                     "WHERE action = 'access.refused' AND seq > :s ORDER BY seq"), {"s": seq}).all()
    finally:
        engine.dispose()
    return [{"actor": r.actor_name, "entity": r.entity_type, **json.loads(r.changes)} for r in rows]


def _head(live_app) -> int:
    return _scalar(live_app.db_url, "SELECT coalesce(max(seq), 0) FROM audit_event")


def test_the_client_token_is_no_login_for_uploads(live_app, facts) -> None:
    zs = facts["zhangsan"]
    path = f"/customers/{zs.id}"
    rm = sign_in(live_app.url)
    token = _open_page(live_app, rm, path)
    before, seq = _documents(live_app, zs.id), _head(live_app)

    # No cookie at all: refused, nothing stored, no page data streamed back.
    r = _upload(live_app, token, UPLOAD_HANDLER, cookie=None)
    assert r.status_code == 401 and zs.name not in r.text
    # Another user's valid cookie on rm's page state.
    other = sign_in(live_app.url, "manager")
    r = _upload(live_app, token, UPLOAD_HANDLER, cookie=other)
    assert r.status_code == 403 and zs.name not in r.text
    # A forged cookie.
    assert _upload(live_app, token, UPLOAD_HANDLER, cookie="forged" + "A" * 40).status_code == 401
    # rm's own cookie but from another site (CSRF).
    assert _upload(live_app, token, UPLOAD_HANDLER, cookie=rm, origin=False).status_code == 403
    assert _documents(live_app, zs.id) == before

    refused = _refusals_since(live_app, seq)
    assert [r["reason"] for r in refused] == ["no_session", "foreign_state", "no_session", "cross_site"]
    assert all(r["door"] == "upload" and r["handler"] == UPLOAD_HANDLER for r in refused)
    assert refused[1]["actor"] == "manager"

    # Control: the page's own session uploads (so the refusals above are not a broken harness).
    r = _upload(live_app, token, UPLOAD_HANDLER, cookie=rm)
    assert r.status_code == 200, r.text
    assert _documents(live_app, zs.id) == before + 1

    # After sign-out the same token and cookie are worth nothing.
    sign_out(live_app.url, rm)
    assert _upload(live_app, token, UPLOAD_HANDLER, cookie=rm).status_code == 401
    assert _documents(live_app, zs.id) == before + 1


def test_the_import_upload_needs_its_own_session_too(live_app) -> None:
    ops = sign_in(live_app.url, "ops")
    token = _open_page(live_app, ops, "/imports")
    batches = _scalar(live_app.db_url, "SELECT count(*) FROM import_batch")
    csv = "姓名,证件类型,证件号码\n".encode()
    assert _upload(live_app, token, IMPORT_HANDLER, cookie=None, name="a.csv", data=csv).status_code == 401
    assert _upload(live_app, token, IMPORT_HANDLER, cookie=sign_in(live_app.url, "rm"), name="a.csv",
                   data=csv).status_code == 403
    assert _scalar(live_app.db_url, "SELECT count(*) FROM import_batch") == batches


def test_reflex_upload_file_route_serves_nothing(live_app) -> None:
    assert httpx.get(f"{live_app.url}/_upload/anything.pdf", timeout=30).status_code == 404
