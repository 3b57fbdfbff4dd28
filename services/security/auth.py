"""Sign-in, server-side sessions, lockout and sign-out.

The browser holds only a random session token in an HttpOnly cookie; the
database keeps its SHA-256, the expiry and the idle deadline. Every event a
page sends is resolved through `resolve_session`, so revocation is immediate.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from services.db import UnitOfWork
from services.errors import AccountLocked, AuthenticationFailed, DomainError, SessionInvalid
from services.security import audit
from services.security.actor import Actor
from services.security.models import LoginAttempt, User, UserSession
from services.security.passwords import verify_password
from services.settings import get_settings
from services.types import utcnow

SESSION_COOKIE = "fincrm_session"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def actor_for_user(user: User, session_id: str | None = None) -> Actor:
    return Actor(kind="user", id=user.id, name=user.username, roles=frozenset(user.roles),
                 branch_id=user.branch_id, team_id=user.team_id,
                 locale=user.locale or get_settings().locale, session_id=session_id)


@dataclass(frozen=True)
class SignIn:
    token: str
    actor: Actor
    expires_at: datetime


def _recent_failures(uow: UnitOfWork, username: str, since: datetime) -> int:
    last_success = uow.session.execute(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.success.is_(True))
    ).scalar()
    floor = max(since, last_success) if last_success else since
    return uow.session.execute(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at > floor)
    ).scalar_one()


def sign_in(*, uow: UnitOfWork, username: str, password: str, ip: str | None = None,
            user_agent: str | None = None) -> SignIn:
    """Check the credentials and open a session. The caller commits, whatever the outcome,
    so failed attempts are counted; on failure it commits before re-raising."""
    settings = get_settings()
    now = utcnow()
    username = (username if isinstance(username, str) else "").strip()[:64]
    password = password if isinstance(password, str) else ""
    # A NUL byte cannot name any user (and PostgreSQL refuses it in a query): treat it as unknown.
    user = None if "\x00" in username else uow.session.execute(
        select(User).where(User.username == username)).scalar_one_or_none()
    # Verify first, always: unknown user and wrong password cost the same argon2 time.
    password_ok = verify_password(user.password_hash if user else None, password)

    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        _attempt(uow, username, False, ip)
        raise AccountLocked(user.locked_until, minutes)

    if user is None or not password_ok or not user.is_active:
        _attempt(uow, username, False, ip)
        if user is not None:
            window_start = now - timedelta(minutes=settings.lockout_window_minutes)
            if _recent_failures(uow, username, window_start) >= settings.lockout_threshold:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                uow.session.add(user)
                audit.record(uow.session, actor_for_user(user), "user.locked", entity_type="user",
                             entity_id=user.id, changes={"locked_until": user.locked_until.isoformat()})
                raise AccountLocked(user.locked_until, int(settings.lockout_minutes))
        raise AuthenticationFailed()

    if user.is_demo and not settings.demo_mode:
        _attempt(uow, username, False, ip)
        raise DomainError("auth.demo_user_refused")

    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_hours)
    row = UserSession(id=_hash_token(token), user_id=user.id, created_at=now, last_seen_at=now,
                      expires_at=expires, ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None)
    uow.session.add(row)
    user.locked_until = None
    uow.session.add(user)
    _attempt(uow, username, True, ip)
    actor = actor_for_user(user, row.id)
    audit.record(uow.session, actor, "user.sign_in", entity_type="user", entity_id=user.id,
                 changes={"ip": ip})
    return SignIn(token=token, actor=actor, expires_at=expires)


def _attempt(uow: UnitOfWork, username: str, success: bool, ip: str | None) -> None:
    uow.session.add(LoginAttempt(username=username.replace("\x00", "?"), at=utcnow(), success=success,
                                 ip=(ip or "")[:64] or None))
    uow.session.flush()


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
    now = utcnow()
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
        UserSession.id == _hash_token(token), UserSession.revoked_at.is_(None)).values(last_seen_at=utcnow()))


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
    row.revoked_at = utcnow()
    uow.session.add(row)
    user = uow.session.get(User, row.user_id)
    if user is not None:
        audit.record(uow.session, actor_for_user(user, row.id), "user.sign_out", entity_type="user",
                     entity_id=user.id)
