"""Sign-in, throttling of failures, sessions and sign-out, on a real database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from services.errors import AuthenticationFailed, SessionInvalid, TooManyAttempts
from services.security import auth
from services.security.models import User, UserSession
from services.settings import get_settings

PASSWORD = "correct horse 1"


def _sign_in(uow_factory, username, password, ip="127.0.0.1"):
    """What the login route does: commit even when sign-in fails, so attempts count."""
    with uow_factory() as uow:
        try:
            result = auth.sign_in(uow=uow, username=username, password=password, ip=ip)
        except Exception:
            uow.commit()
            raise
        uow.commit()
        return result


def test_sign_in_opens_a_session_that_resolves_to_the_actor(uow_factory, org):
    s = _sign_in(uow_factory, "rm_a1", PASSWORD)
    with uow_factory() as uow:
        actor = auth.resolve_session(uow=uow, token=s.token)
    assert actor.id == org.users["rm_a1"] and actor.roles == frozenset({"rm"}) and actor.branch_id == 1


def test_unknown_user_and_wrong_password_say_the_same(uow_factory, org):
    with pytest.raises(AuthenticationFailed) as a:
        _sign_in(uow_factory, "nobody", PASSWORD)
    with pytest.raises(AuthenticationFailed) as b:
        _sign_in(uow_factory, "rm_a1", "wrong password")
    assert a.value.message("en") == b.value.message("en")
    assert a.value.message("zh_CN") == b.value.message("zh_CN")


def test_five_failures_throttle_that_name_from_that_address_for_fifteen_minutes(uow_factory, org, monkeypatch):
    """Not an account lock any more (a stranger could set it off by name): the name is throttled from the
    address that failed; tests/security/test_credential_throttle.py covers the attacks."""
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            _sign_in(uow_factory, "rm_a2", "wrong")
    with pytest.raises(TooManyAttempts) as throttled:
        _sign_in(uow_factory, "rm_a2", "wrong")
    assert throttled.value.params["minutes"] == 15 and throttled.value.http_status == 429
    assert "15" in throttled.value.message("en") and "15 分钟后再试" in throttled.value.message("zh_CN")
    # Even the right password is refused (unchecked) from that address while it lasts...
    with pytest.raises(TooManyAttempts):
        _sign_in(uow_factory, "rm_a2", PASSWORD)
    # ...not from another one...
    assert _sign_in(uow_factory, "rm_a2", PASSWORD, ip="10.1.2.3").actor.name == "rm_a2"
    # ...and when the limit has run out, from that address again.
    from services import clock

    with clock.fixed(clock.now() + timedelta(minutes=16)):
        assert _sign_in(uow_factory, "rm_a2", PASSWORD).actor.name == "rm_a2"


def test_sign_in_gives_the_browser_a_device_token_and_keeps_the_one_it_has(uow_factory, org):
    first = _sign_in(uow_factory, "rm_a1", PASSWORD)
    assert len(first.device_token) >= 32
    with uow_factory() as uow:
        again = auth.sign_in(uow=uow, username="rm_a1", password=PASSWORD, device_token=first.device_token)
        forged = auth.sign_in(uow=uow, username="rm_a1", password=PASSWORD, device_token="<not ours>")
    assert again.device_token == first.device_token
    assert forged.device_token not in (first.device_token, "<not ours>")


def test_sign_out_revokes_the_session_at_once(uow_factory, org):
    s = _sign_in(uow_factory, "rm_a1", PASSWORD)
    with uow_factory() as uow:
        auth.sign_out(uow=uow, token=s.token)
        uow.commit()
    with uow_factory() as uow, pytest.raises(SessionInvalid):
        auth.resolve_session(uow=uow, token=s.token)


def test_idle_and_expired_sessions_are_refused(uow_factory, org, connection):
    idle = _sign_in(uow_factory, "rm_a1", PASSWORD)
    expired = _sign_in(uow_factory, "rm_a1", PASSWORD)
    from services.types import utcnow

    minutes = get_settings().session_idle_minutes + 1
    connection.execute(update(UserSession).where(UserSession.id == auth._hash_token(idle.token)).values(
        last_seen_at=utcnow() - timedelta(minutes=minutes)))
    connection.execute(update(UserSession).where(UserSession.id == auth._hash_token(expired.token)).values(
        expires_at=utcnow() - timedelta(seconds=1)))
    for token in (idle.token, expired.token, "forged-token", "", None, "x" * 10_000):
        with uow_factory() as uow, pytest.raises(SessionInvalid):
            auth.resolve_session(uow=uow, token=token)


def test_deactivated_user_loses_sessions(uow_factory, org, connection):
    s = _sign_in(uow_factory, "rm_a1", PASSWORD)
    connection.execute(update(User).where(User.username == "rm_a1").values(is_active=False))
    with uow_factory() as uow, pytest.raises(SessionInvalid):
        auth.resolve_session(uow=uow, token=s.token)


def test_demo_users_are_refused_outside_demo_mode(uow_factory, org, connection, monkeypatch):
    from services.errors import DomainError
    from services.settings import reset_settings

    connection.execute(update(User).where(User.username == "rm_a1").values(is_demo=True))
    monkeypatch.setenv("FINCRM_DEMO", "0")
    reset_settings()
    try:
        with pytest.raises(DomainError) as err:
            _sign_in(uow_factory, "rm_a1", PASSWORD)
        assert err.value.code == "auth.demo_user_refused"
    finally:
        monkeypatch.setenv("FINCRM_DEMO", "1")
        reset_settings()


def test_unknown_user_costs_one_argon2_verification_like_a_wrong_password(uow_factory, org, monkeypatch):
    """Same work on both paths, so response time does not tell whether a user name exists."""
    from services.security import passwords

    calls = []
    real = passwords._hasher

    class Spy:
        def verify(self, h, p):
            calls.append(h)
            return real.verify(h, p)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    for username in ("nobody-at-all", "rm_a1"):
        with pytest.raises(AuthenticationFailed):
            _sign_in(uow_factory, username, "wrong password")
    assert len(calls) == 2 and all(h.startswith("$argon2") for h in calls)


@pytest.mark.parametrize("username, password", [
    ("x" * 10_000, "p"), ("rm_a1", "p" * 100_000), ("", ""), ("rm_a1\x00", PASSWORD), ("'; DROP TABLE x;--", "a"),
])
def test_hostile_credentials_are_plain_failures(uow_factory, org, username, password):
    with pytest.raises(AuthenticationFailed):
        _sign_in(uow_factory, username, password)
