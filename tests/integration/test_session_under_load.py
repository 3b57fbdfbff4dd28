"""Every page event resolves the session cookie; on SQLite that must not queue behind a long writer
(an import holding the write lock), and the once-a-minute touch must give up rather than hold the page."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services import migrations
from services.db import dispose_engines, get_engine, unit_of_work
from services.security import audit, auth
from services.security.actor import SYSTEM
from services.security.models import User, UserSession
from services.security.passwords import hash_password
from services.settings import reset_settings
from services.types import utcnow
from state.session import resolve_cookie_header


@pytest.fixture
def app_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("FINCRM_DATABASE_URL", url)
    reset_settings()
    migrations.upgrade(url)
    with unit_of_work() as uow:
        uow.session.add(User(username="rm1", display_name="RM", password_hash=hash_password("pass-word-1"),
                             roles=["rm"]))
        audit.record(uow.session, SYSTEM, "user.create", entity_type="user", changes={"username": "rm1"})
        uow.commit()
    yield url
    dispose_engines()
    monkeypatch.undo()
    reset_settings()


def _token() -> str:
    with unit_of_work() as uow:
        signed = auth.sign_in(uow=uow, username="rm1", password="pass-word-1")
        uow.commit()
    return signed.token


def test_session_resolves_while_a_long_write_holds_the_lock(app_database):
    token = _token()
    with unit_of_work() as uow:  # make the touch due, so the resolver also tries to write
        uow.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=5)))
        uow.commit()
    holding, release = threading.Event(), threading.Event()

    def long_writer() -> None:
        with unit_of_work() as uow:  # IMMEDIATE: holds the write lock, like an import applying rows
            uow.session.execute(update(User).values(display_name="RM"))
            audit.record(uow.session, SYSTEM, "user.update", entity_type="user", changes={"display_name": "RM"})
            holding.set()
            release.wait(10)
            uow.commit()

    writer = threading.Thread(target=long_writer)
    writer.start()
    try:
        assert holding.wait(5)
        started = time.perf_counter()
        actor = resolve_cookie_header(f"fincrm_session={token}")
        waited = time.perf_counter() - started
    finally:
        release.set()
        writer.join(10)
    assert actor is not None and actor.name == "rm1"
    assert waited < 5  # the writer holds the lock until released; the resolver did not wait for it

    # Once the lock is free, the next event slides the idle deadline.
    assert resolve_cookie_header(f"fincrm_session={token}") is not None
    with get_engine().connect() as conn:
        last_seen = conn.execute(select(UserSession.last_seen_at)).scalar_one()
    assert utcnow() - last_seen < timedelta(minutes=1)


def test_signed_out_or_forged_cookies_resolve_to_nobody(app_database):
    token = _token()
    with unit_of_work() as uow:
        auth.sign_out(uow=uow, token=token)
        uow.commit()
    for header in (f"fincrm_session={token}", "fincrm_session=forged", "", None, "x" * 10_000):
        assert resolve_cookie_header(header) is None
