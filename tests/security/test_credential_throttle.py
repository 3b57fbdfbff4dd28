"""Finding 3 and the credential half of finding 7: nobody can lock a staff member or an API client out by
naming it, known and unknown names answer alike, and every failed or throttled credential check is an
audit event in the hash chain (rate-limited).

Each attack goes through the real routes (POST /auth/login, POST /api/v1/oauth/token) of the mounted app,
from distinct peer addresses, on the test's database transaction (SQLite and PostgreSQL).
"""
from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services.security import refusals
from services.security.audit import verify
from services.security.models import AuditEvent
from services.settings import get_settings

ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse 1"  # the org fixture's password
ATTACKER = "203.0.113.7"
OWNER_HOME = "198.51.100.20"
OWNER_TRAVELLING = "198.51.100.99"


@pytest.fixture
def door(app_db):
    """door(address, cookies=None): an HTTP client of the mounted app (a browser, or a server) whose requests
    come from that peer address."""
    from starlette.testclient import TestClient

    from fincrm_app.app import api

    return lambda address, cookies=None: TestClient(api, base_url=ORIGIN, client=(address, 40000), cookies=cookies,
                                                    follow_redirects=False, headers={"Origin": ORIGIN})


@pytest.fixture
def argon2_checks(monkeypatch) -> list:
    """Every argon2 verification made, in order."""
    from services.security import passwords

    calls, real = [], passwords._hasher

    class Counting:
        def verify(self, hashed, password):
            calls.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    return calls


@pytest.fixture
def clock():
    """clock(minutes=16): the app's clock stands that far past the real time until the test ends."""
    from services import clock as app_clock

    with ExitStack() as fixes:
        def advance(**delta):
            fixes.enter_context(app_clock.fixed(datetime.now(timezone.utc) + timedelta(**delta)))
        yield advance


def sign_in(client, username: str, password: str, **form) -> str:
    """'in', 'invalid' or 'throttled' (what the login page will say), from the route's redirect."""
    r = client.post("/auth/login", data={"username": username, "password": password, "next": "/customers", **form})
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    if location == "/customers":
        assert r.cookies.get("fincrm_session")
        return "in"
    return parse_qs(urlsplit(location).query)["error"][0]


def token(client, client_id: str, secret: str):
    return client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


@pytest.fixture
def feed(api_client):
    """The core-banking system's API client: (client_id, secret)."""
    return api_client.client_id, api_client.secret


def _auth_events(connection) -> list:
    return list(connection.execute(select(AuditEvent.__table__).where(AuditEvent.action.like("auth.%"))
                                   .order_by(AuditEvent.seq)))


# ---------------------------------------------------------------- staff sign-in

def test_a_stranger_guessing_a_staff_password_holds_back_only_himself(door, org):
    settings = get_settings()
    attacker = door(ATTACKER)
    answers = [sign_in(attacker, "admin", f"guess-{i}") for i in range(settings.lockout_threshold + 3)]
    # The admin, from any other address, signs in...
    assert sign_in(door(OWNER_TRAVELLING), "admin", PASSWORD) == "in"
    # ...while the guesser is stopped: from his address even the right password is no longer checked.
    assert answers[:settings.lockout_threshold - 1] == ["invalid"] * (settings.lockout_threshold - 1)
    assert set(answers[settings.lockout_threshold - 1:]) == {"throttled"}
    assert sign_in(attacker, "admin", PASSWORD) == "throttled"


def test_known_and_unknown_names_answer_alike_at_every_attempt(door, org, argon2_checks):
    attempts = get_settings().lockout_threshold + 3
    known = [sign_in(door(ATTACKER), "rm_a1", "wrong password") for _ in range(attempts)]
    checks_for_known = len(argon2_checks)
    unknown = [sign_in(door("203.0.113.8"), "nobody-here", "wrong password") for _ in range(attempts)]
    assert known == unknown and {"invalid", "throttled"} <= set(known)
    # The same work too: one argon2 verification per checked attempt, none once throttled.
    assert checks_for_known == len(argon2_checks) - checks_for_known == known.count("invalid") + 1


def test_a_flood_from_one_address_costs_no_password_work_and_holds_back_that_address(door, org, argon2_checks):
    settings = get_settings()
    attacker = door(ATTACKER)
    names = [f"user{i}" for i in range(settings.lockout_source_threshold * 2)]
    answers = [sign_in(attacker, name, "x") for name in names]  # one try per name: only the address limit
    assert answers[:settings.lockout_source_threshold - 1] == ["invalid"] * (settings.lockout_source_threshold - 1)
    assert set(answers[settings.lockout_source_threshold - 1:]) == {"throttled"}
    assert len(argon2_checks) == settings.lockout_source_threshold
    assert sign_in(attacker, "rm_a1", PASSWORD) == "throttled"
    assert sign_in(door(OWNER_HOME), "rm_a1", PASSWORD) == "in"


def test_guessing_one_password_from_many_addresses_is_limited_but_the_owner_gets_in(door, org, clock):
    settings = get_settings()
    # The owner signed in before, at home, in her browser: that browser and that address are hers.
    home_browser = door(OWNER_HOME)
    assert sign_in(home_browser, "compliance", PASSWORD) == "in"
    device = home_browser.cookies.get("fincrm_device")
    assert device

    # A botnet: each address stays under the per-address limit, together they pass the account limit.
    answers = [sign_in(door(f"192.0.2.{i}"), "compliance", f"guess-{i}")
               for i in range(settings.lockout_account_threshold + 2)]
    assert "throttled" in answers
    # From now on a stranger's guess is not even checked, the right password included...
    assert sign_in(door("192.0.2.200"), "compliance", PASSWORD) == "throttled"
    # ...while the owner's browser gets in from anywhere, and her known address with any browser.
    assert sign_in(door(OWNER_TRAVELLING, cookies={"fincrm_device": device}), "compliance", PASSWORD) == "in"
    assert sign_in(door(OWNER_HOME), "compliance", PASSWORD) == "in"
    # Not for good: once the limit has run out, a new browser at a new address signs in again.
    clock(minutes=settings.lockout_minutes + 1)
    assert sign_in(door("192.0.2.201"), "compliance", PASSWORD) == "in"


def test_a_trusted_browser_behind_a_throttled_address_still_gets_in(door, org):
    """An office behind one address: a colleague (or intruder) there cannot shut out the others."""
    settings = get_settings()
    office = door(ATTACKER)
    assert sign_in(office, "rm_a2", PASSWORD) == "in"  # rm_a2's own browser, at the office
    intruder = door(ATTACKER)
    for i in range(settings.lockout_source_threshold):
        sign_in(intruder, f"someone{i}", "x")
    assert sign_in(intruder, "rm_a2", PASSWORD) == "throttled"
    assert sign_in(office, "rm_a2", PASSWORD) == "in"
    # Her own typing errors throttle her browser only after the same number as anyone's.
    answers = [sign_in(office, "rm_a2", "typo") for _ in range(settings.lockout_threshold)]
    assert answers[-1] == "throttled" and answers[:-1] == ["invalid"] * (settings.lockout_threshold - 1)


# ---------------------------------------------------------------- API clients

def test_wrong_secrets_do_not_stop_the_integration_feed(door, feed):
    settings = get_settings()
    client_id, secret = feed
    bank = door(OWNER_HOME)  # the core-banking server
    attacker = door(ATTACKER)
    answers = [token(attacker, client_id, "not-the-secret") for _ in range(settings.lockout_threshold + 2)]
    ok = token(bank, client_id, secret)  # the feed goes on
    assert ok.status_code == 200 and ok.json()["access_token"]
    assert [r.status_code for r in answers[:settings.lockout_threshold - 1]] == [401] * (
        settings.lockout_threshold - 1)
    throttled = answers[-1]
    assert throttled.status_code == 429 and throttled.json()["error"] == "temporarily_unavailable"
    assert 0 < int(throttled.headers["retry-after"]) <= settings.lockout_minutes * 60
    assert token(attacker, client_id, secret).status_code == 429  # the guesser is stopped

    # An unknown client id is answered exactly alike, attempt for attempt.
    stranger = door("203.0.113.8")
    unknown = [token(stranger, "no-such-client", "x") for _ in range(settings.lockout_threshold + 2)]
    assert [(r.status_code, r.json()["error"]) for r in unknown] == [
        (r.status_code, r.json()["error"]) for r in answers]


def test_guessing_a_client_secret_from_many_addresses_leaves_the_clients_own_server_alone(door, feed):
    settings = get_settings()
    client_id, secret = feed
    bank = door(OWNER_HOME)
    assert token(bank, client_id, secret).status_code == 200
    statuses = [token(door(f"192.0.2.{i}"), client_id, "guess").status_code
                for i in range(settings.lockout_account_threshold + 2)]
    assert 429 in statuses
    assert token(door("192.0.2.200"), client_id, secret).status_code == 429
    assert token(bank, client_id, secret).status_code == 200


# ---------------------------------------------------------------- audit (finding 7)

def test_every_failed_and_throttled_credential_check_is_in_the_hash_chain(door, org, feed, connection, actors):
    settings = get_settings()
    client_id, _ = feed
    sign_in(door(ATTACKER), "rm_a1", "wrong password")
    sign_in(door(ATTACKER), "hunter2-typed-as-a-name", "x")
    token(door(ATTACKER), client_id, "wrong secret")
    guesser = door("203.0.113.9")
    for _ in range(settings.lockout_threshold + 1):
        sign_in(guesser, "admin", "guess")

    events = _auth_events(connection)
    by_action: dict[str, list] = {}
    for ev in events:
        by_action.setdefault(ev.action, []).append(ev)
    first, unknown = by_action["auth.sign_in_failed"][:2]
    assert (first.entity_type, first.entity_id) == ("user", str(actors["rm_a1"].id))
    assert json.loads(first.changes)["ip"] == ATTACKER
    # An unknown name (maybe a password typed into the name field) is kept only as a keyed digest.
    assert unknown.entity_id is None and json.loads(unknown.changes)["name_digest"]
    assert all("hunter2" not in ev.changes for ev in events)
    [secret] = by_action["auth.client_secret_failed"]
    assert secret.entity_type == "api_client" and secret.entity_id is not None
    # The failure that reached the limit says so; the throttled attempt after it is there too.
    started = [json.loads(ev.changes).get("throttle_started") for ev in by_action["auth.sign_in_failed"]]
    assert ["pair"] in started
    [refused] = by_action["auth.throttled"]
    assert json.loads(refused.changes)["limits"] == ["pair"] and refused.entity_id == str(actors["admin"].id)
    assert verify(Session(connection)).ok


def test_a_flood_of_failures_cannot_flood_the_chain(door, org, connection, monkeypatch):
    minute = [1_000_000.0]
    monkeypatch.setattr(refusals.time, "monotonic", lambda: minute[0])
    attacker = door(ATTACKER)
    flood = refusals.PER_SOURCE * 3
    for i in range(flood):
        sign_in(attacker, f"user{i}", "x")
    assert len(_auth_events(connection)) == refusals.PER_SOURCE
    minute[0] += refusals.WINDOW_SECONDS
    sign_in(attacker, "one-more", "x")
    last = _auth_events(connection)[-1]
    assert json.loads(last.changes)["suppressed"] == flood - refusals.PER_SOURCE
    assert verify(Session(connection)).ok
