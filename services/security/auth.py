"""Sign-in, server-side sessions and sign-out (failed sign-ins are throttled: throttle.py).

The browser holds only a random session token in an HttpOnly cookie; the
database keeps its SHA-256, the expiry and the idle deadline. Every event a
page sends is resolved through `resolve_session`, so revocation is immediate.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from services.db import UnitOfWork
from services.errors import AuthenticationFailed, DomainError, SessionInvalid, TooManyAttempts
from services.security import audit, throttle
from services.security.actor import Actor
from services.security.models import User, UserSession
from services.security.passwords import verify_password
from services.settings import get_settings
from services import clock

SESSION_COOKIE = "fincrm_session"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def actor_for_user(user: User, session_id: str | None = None) -> Actor:
    return Actor(kind="user", id=user.id, name=user.username, roles=frozenset(user.roles),
                 branch_id=user.branch_id, team_id=user.team_id,
                 locale=user.locale or get_settings().locale, session_id=session_id, display_name=user.display_name)


@dataclass(frozen=True)
class SignIn:
    token: str
    actor: Actor
    expires_at: datetime
    device_token: str  # the browser's device cookie (services/security/throttle.py), new or kept


def sign_in(*, uow: UnitOfWork, username: str, password: str, ip: str | None = None,
            user_agent: str | None = None, device_token: str | None = None) -> SignIn:
    """Check the credentials and open a session. The caller commits whatever the outcome, so failed
    attempts are counted and audited; on failure it commits before re-raising.

    Failures are throttled per address, browser and name (throttle.py), never by locking the account,
    and a name that does not exist goes through the same steps as one that does: the same look-up, the
    same argon2 verification (none when throttled), the same count, the same answer."""
    settings = get_settings()
    s = uow.session
    username = (username if isinstance(username, str) else "").strip()[:64]
    password = password if isinstance(password, str) else ""
    # A NUL byte cannot name any user (and PostgreSQL refuses it in a query): treat it as unknown.
    user = None if "\x00" in username else s.execute(
        select(User).where(User.username == username)).scalar_one_or_none()
    device = throttle.device_digest(device_token)
    attempt = throttle.Attempt.of(username, ip, device)
    assessment = throttle.assess(s, attempt)
    if assessment.throttled is not None:
        _audit_failure(s, "auth.throttled", attempt, user, username,
                       {"door": "sign_in", **assessment.throttled.audit_details()})
        raise TooManyAttempts(minutes=assessment.throttled.minutes())

    # Verify first, always: unknown user and wrong password cost the same argon2 time.
    password_ok = verify_password(user.password_hash if user else None, password)
    refusal: DomainError | None = None
    if user is None or not password_ok or not user.is_active:
        refusal = AuthenticationFailed()
    elif user.is_demo and not settings.demo_mode:
        refusal = DomainError("auth.demo_user_refused")
    if refusal is not None:
        started = throttle.record_failure(s, attempt, assessment)
        details = {"refused": refusal.code, **({"throttle_started": list(started)} if started else {})}
        _audit_failure(s, "auth.sign_in_failed", attempt, user, username, details)
        now_throttled = throttle.assess(s, attempt).throttled if started else None
        if now_throttled is not None:  # this failure reached a limit: say so now, not at the next try
            raise TooManyAttempts(minutes=now_throttled.minutes())
        raise refusal

    now = clock.now()
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_hours)
    row = UserSession(id=_hash_token(token), user_id=user.id, created_at=now, last_seen_at=now,
                      expires_at=expires, ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None)
    s.add(row)
    # The browser that signed in becomes trusted for this name (kept if it already had a device cookie).
    if device is None:
        device_token = throttle.new_device_token()
        attempt = throttle.Attempt.of(username, ip, throttle.device_digest(device_token))
    throttle.record_success(s, attempt)
    actor = actor_for_user(user, row.id)
    audit.record(s, actor, "user.sign_in", entity_type="user", entity_id=user.id, changes={"ip": ip})
    return SignIn(token=token, actor=actor, expires_at=expires, device_token=device_token)


def _audit_failure(session, action: str, attempt: throttle.Attempt, user: User | None, username: str,
                   details: dict) -> None:
    throttle.audit_refused(session, action, attempt, entity_type="user",
                           entity_id=user.id if user is not None else None, name=username, details=details)


TOUCH_EVERY_SECONDS = 60  # the idle deadline slides at most once a minute: no write per event


@dataclass(frozen=True)
class SessionCheck:
    actor: Actor
    touch_due: bool  # the idle deadline should slide (see touch_session)


def check_session(*, uow: UnitOfWork, token: str | None) -> SessionCheck:
    """Read-only: the actor behind a session token, or SessionInvalid (unknown, revoked, expired, idle,
    or a user no longer allowed). Writes nothing, so it can run in a read-only unit of work."""
    if not token or len(token) > 200:
        raise SessionInvalid()
    settings = get_settings()
    now = clock.now()
    row = uow.session.get(UserSession, _hash_token(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise SessionInvalid()
    if row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        raise SessionInvalid()  # idle: refused on every check, whether or not the revocation is recorded
    user = uow.session.get(User, row.user_id)
    if user is None or not user.is_active or (user.is_demo and not settings.demo_mode):
        raise SessionInvalid()
    due = (now - row.last_seen_at).total_seconds() > TOUCH_EVERY_SECONDS
    return SessionCheck(actor_for_user(user, row.id), due)


def touch_session(*, uow: UnitOfWork, token: str) -> None:
    """Slide the idle deadline of a live session (no effect on a revoked one)."""
    uow.session.execute(update(UserSession).where(
        UserSession.id == _hash_token(token), UserSession.revoked_at.is_(None)).values(last_seen_at=clock.now()))


def resolve_session(*, uow: UnitOfWork, token: str | None, touch: bool = True) -> Actor:
    """The actor behind a session token, or SessionInvalid; slides the idle deadline when due."""
    check = check_session(uow=uow, token=token)
    if touch and check.touch_due:
        touch_session(uow=uow, token=token)
    return check.actor


def sign_out(*, uow: UnitOfWork, token: str | None) -> None:
    if not token or len(token) > 200:
        return
    row = uow.session.get(UserSession, _hash_token(token))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = clock.now()
    uow.session.add(row)
    user = uow.session.get(User, row.user_id)
    if user is not None:
        audit.record(uow.session, actor_for_user(user, row.id), "user.sign_out", entity_type="user",
                     entity_id=user.id)
