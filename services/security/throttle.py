"""Throttling of credential guessing, for staff sign-in and API client secrets alike.

Why not lock the account: a lock that anyone can set off by naming an account stops its real owner at
will (an integration feed, the admin), and answering "locked" only for names that exist tells which
names exist. Instead (OWASP Authentication Cheat Sheet: login throttling, device cookies) every failed
check is counted under the keys it matches, and a key that reaches its limit within
FINCRM_LOCKOUT_WINDOW_MINUTES is throttled for FINCRM_LOCKOUT_MINUTES:

- pair     one name from one address (FINCRM_LOCKOUT_THRESHOLD): a guesser stops himself, nobody else;
- source   one address, any names (FINCRM_LOCKOUT_SOURCE_THRESHOLD): one machine trying many names;
- account  one name from everywhere (FINCRM_LOCKOUT_ACCOUNT_THRESHOLD): many machines guessing one
           password; it holds back only strangers, see below;
- device   one name from one browser that has signed in as that name before (its device cookie), with
           FINCRM_LOCKOUT_THRESHOLD: the owner's own typing errors.

Which limits an attempt must respect depends on whether it is trusted:
- from a browser whose device cookie signed in successfully as this name within FINCRM_LOCKOUT_TRUST_DAYS:
  only its device key. Strangers cannot throttle it, whatever they do from wherever;
- otherwise pair, source and account; account not from an address where this name signed in successfully
  within the trust period (API clients carry no cookies; their servers keep their addresses).
So a stranger holds back only himself, his address, and other strangers guessing the same name.

The keys are built from the name as sent, never from whether it exists: known and unknown names get the
same answers after the same number of attempts. A throttled attempt is refused before any password work
and is not counted (so a flood costs neither argon2 time nor rows, and cannot prolong a limit by knocking).
"""
from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select
from sqlmodel import Session

from services.security.keys import get_cipher
from services.security.models import CredentialThrottle, LoginAttempt
from services.security.refusals import record_failed_credential
from services.settings import get_settings
from services import clock

log = logging.getLogger(__name__)

_DEVICE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


def device_digest(token: object) -> str | None:
    """The stored form of a device cookie (its SHA-256), or None for anything that is not one of ours."""
    if not isinstance(token, str) or not _DEVICE_TOKEN.match(token):
        return None
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One credential check: `credential` as stored in login_attempt.username (a user name as sent, or
    `client:<client id>`), the peer address, and the SHA-256 of the device cookie the browser presented."""

    credential: str
    source: str | None
    device: str | None = None

    @classmethod
    def of(cls, credential: str, source: str | None, device: str | None = None) -> "Attempt":
        return cls(credential.replace("\x00", "?")[:64], (source or "")[:64] or None, device)

    @property
    def pair_key(self) -> str:
        return f"pair:{self.credential}@{self.source or '?'}"

    @property
    def source_key(self) -> str:
        return f"source:{self.source or '?'}"

    @property
    def account_key(self) -> str:
        return f"account:{self.credential}"

    @property
    def device_key(self) -> str:
        return f"device:{self.credential}#{self.device}"


@dataclass(frozen=True)
class Throttled:
    """The attempt is refused unchecked until `until`; `limits` names which (pair, source, account, device)."""

    until: datetime
    limits: tuple[str, ...]

    def minutes(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.until - (now or clock.now())).total_seconds() / 60))

    def seconds(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.until - (now or clock.now())).total_seconds()))

    def audit_details(self) -> dict:
        return {"limits": list(self.limits), "until": self.until.isoformat()}


@dataclass(frozen=True)
class Assessment:
    trusted_device: bool
    throttled: Throttled | None


def _succeeded_since(session: Session, since: datetime, credential: str, **match: str | None) -> bool:
    conditions = [LoginAttempt.username == credential, LoginAttempt.success.is_(True), LoginAttempt.at > since]
    conditions += [getattr(LoginAttempt, column) == value for column, value in match.items()]
    return bool(session.execute(select(exists().where(*conditions))).scalar())


def assess(session: Session, attempt: Attempt) -> Assessment:
    """Read-only: is this attempt trusted, and is it throttled now?"""
    settings = get_settings()
    now = clock.now()
    trusted_since = now - timedelta(days=settings.lockout_trust_days)
    trusted_device = attempt.device is not None and _succeeded_since(
        session, trusted_since, attempt.credential, device=attempt.device)
    keys = ({attempt.device_key: "device"} if trusted_device else
            {attempt.pair_key: "pair", attempt.source_key: "source", attempt.account_key: "account"})
    active = {key: until for key, until in session.execute(
        select(CredentialThrottle.key, CredentialThrottle.until).where(
            CredentialThrottle.key.in_(list(keys)), CredentialThrottle.until > now))}
    if attempt.account_key in active and attempt.source and _succeeded_since(
            session, trusted_since, attempt.credential, ip=attempt.source):
        del active[attempt.account_key]  # the owner's known address: strangers elsewhere do not hold it back
    if not active:
        return Assessment(trusted_device, None)
    return Assessment(trusted_device, Throttled(max(active.values()), tuple(keys[k] for k in keys if k in active)))


def record_success(session: Session, attempt: Attempt) -> None:
    """A successful check: it resets the name's pair (and device) count and makes the address and browser
    trusted for the name."""
    session.add(LoginAttempt(username=attempt.credential, at=clock.now(), success=True, ip=attempt.source,
                             device=attempt.device))
    session.flush()


def record_failure(session: Session, attempt: Attempt, assessment: Assessment) -> tuple[str, ...]:
    """Count a failed check under every key it matches and start the limits it reaches. Returns the
    limits started (pair, source, account, device), for the audit."""
    settings = get_settings()
    now = clock.now()
    session.add(LoginAttempt(username=attempt.credential, at=now, success=False, ip=attempt.source,
                             device=attempt.device))
    session.flush()
    window_start = now - timedelta(minutes=settings.lockout_window_minutes)
    # Limits that ended before the window began say nothing any more.
    session.execute(delete(CredentialThrottle).where(CredentialThrottle.until < window_start))
    by_name = LoginAttempt.username == attempt.credential
    from_source = LoginAttempt.ip == attempt.source if attempt.source else LoginAttempt.ip.is_(None)
    counted = [  # (limit, key, which failures, how many start it, whether a success resets the count)
        ("pair", attempt.pair_key, [by_name, from_source], settings.lockout_threshold, True),
        ("source", attempt.source_key, [from_source], settings.lockout_source_threshold, False),
        ("account", attempt.account_key, [by_name], settings.lockout_account_threshold, False),
    ]
    if assessment.trusted_device:
        counted.append(("device", attempt.device_key, [by_name, LoginAttempt.device == attempt.device],
                        settings.lockout_threshold, True))
    started = []
    for limit, key, match, threshold, success_resets in counted:
        floor = window_start
        ended = session.execute(select(CredentialThrottle.until).where(CredentialThrottle.key == key)).scalar()
        if ended is not None:
            # Failures before a limit ended were answered by it: a fresh count (and none while it lasts,
            # for the attempts it does not hold back, so they cannot prolong it).
            floor = max(floor, ended)
        if success_resets:
            last_ok = session.execute(select(func.max(LoginAttempt.at)).where(
                *match, LoginAttempt.success.is_(True))).scalar()
            if last_ok is not None:
                floor = max(floor, last_ok)
        failures = session.execute(select(func.count()).select_from(LoginAttempt).where(
            *match, LoginAttempt.success.is_(False), LoginAttempt.at > floor)).scalar_one()
        if failures >= threshold:
            _start(session, key, now, now + timedelta(minutes=settings.lockout_minutes))
            started.append(limit)
            log.warning("credential throttle started: %s (%d failures) from %s", limit, failures,
                        attempt.source or "?")
    return tuple(started)


def _start(session: Session, key: str, now: datetime, until: datetime) -> None:
    """Insert or renew the limit; ON CONFLICT because two workers may start the same one at once."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(CredentialThrottle).values(key=key, started_at=now, until=until)
                    .on_conflict_do_update(index_elements=["key"], set_={"started_at": now, "until": until}))


def audit_refused(session: Session, action: str, attempt: Attempt, *, entity_type: str, entity_id: object,
                  name: str, details: dict) -> None:
    """A failed or throttled credential check in the audit trail, in the caller's transaction
    (rate-limited per address by record_failed_credential). The name as sent is kept only through the
    entity it names: people type passwords into name fields, and the trail is forever. An unknown
    name is kept as a keyed digest, enough to see the same one tried again."""
    if entity_id is None:
        details = {"name_digest": get_cipher().blind_index(name, context="auth.unknown_name"), **details}
    record_failed_credential(session, action, ip=attempt.source, entity_type=entity_type, entity_id=entity_id,
                             details=details)
