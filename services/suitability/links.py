"""The customer's door to one questionnaire: a signed, single-use, 72-hour link, an identity check, a one-time
code and a short-lived questionnaire session. Nothing here knows any staff member, and nothing it returns
names the customer or anyone else.

1. An RM issues a link (URL and QR code) from the 360 page (`issue_link`): the token carries the link's id and
   a random secret, signed with the installation's secret key; only the secret's SHA-256 is stored. A newer
   link revokes the customer's older open ones.
2. Whoever opens it sees only that it is valid (`link_is_open`): not whose it is. The customer confirms their
   name and the last 6 characters of their ID number (`confirm_identity`); failures are throttled per link
   and address (services/security/throttle.py), audited, and 5 of them lock the link for good.
3. A one-time code goes out through the pluggable sender (services/suitability/otp.py). The browser that
   passed step 2 holds the challenge's own secret (a cookie), so the code alone opens nothing; 5 wrong codes
   end the challenge (`verify_code`).
4. The code opens a questionnaire session (its own HttpOnly cookie, set by the route): idle 30 minutes, at
   most 2 hours. It reaches that one link's questionnaire: answers are saved as they are given (leave and
   resume), the result is explained before signing, and the signed submission (`submit`) completes the
   assessment, writes the level through the sanctioned writer, and uses the link up: a replay finds the
   session ended and is refused (audited).
In the branch, an RM with a staff session confirms the customer's identity in person instead of steps 2-3
(`start_in_branch`); the route then signs the RM out of that device before handing it to the customer.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlmodel import Session

from services import clock
from services.customers import changes
from services.customers.access import load_customer
from services.customers.identity import stored_identity
from services.customers.models import Customer, CustomerStatus
from services.db import UnitOfWork
from services.errors import ConcurrentModification, DomainError, FieldError, NotFound, Refusal, ValidationFailed
from services.security import audit, throttle
from services.security.actor import Actor
from services.security.masking import mask_phone
from services.security.refusals import ANONYMOUS, record_failed_credential
from services.settings import get_settings
from services.suitability import otp, scoring, signatures
from services.suitability.access import ASSESSOR, customer_actor
from services.suitability.definitions import QuestionnaireDefinition
from services.suitability.events import AssessmentCompleted
from services.suitability.models import (AssessmentChannel, IdentityChallenge, LinkStatus, Questionnaire,
                                         QuestionnaireLink, QuestionnaireSession, RiskAssessment,
                                         SignaturePurpose, VersionStatus)
from services.security.policy import Permission as P, requires
from services.validation.text import text_problem

LINK_HOURS = 72
CODE_MINUTES = 10
MAX_IDENTITY_FAILURES = 5
MAX_CODE_ATTEMPTS = 5
SESSION_IDLE_MINUTES = 30
SESSION_MAX_MINUTES = 120
LINK_PATH = "/q/"
_SALT = "fincrm.questionnaire-link.v1"
_TOKEN_MAX = 300


# ---------------------------------------------------------------- errors of the customer door

class LinkInvalid(Refusal):
    """Tampered, expired, used, revoked or locked: one answer for all, revealing nothing. Audited (as a
    refusal) with the real reason."""

    code = "questionnaire.link_invalid"
    http_status = 404

    def __init__(self, reason: str, *, ip: str | None = None, link_id: int | None = None):
        super().__init__(actor=ANONYMOUS, entity_type="questionnaire_link", entity_id=link_id,
                         audit_details={"door": "questionnaire", "reason": reason, "ip": ip})


class QuestionnaireSessionInvalid(Refusal):
    code = "questionnaire.session_invalid"
    http_status = 401

    def __init__(self, reason: str, *, ip: str | None = None, link_id: int | None = None):
        super().__init__(actor=ANONYMOUS, entity_type="questionnaire_link", entity_id=link_id,
                         audit_details={"door": "questionnaire_session", "reason": reason, "ip": ip})


class IdentityNotConfirmed(DomainError):
    code = "questionnaire.identity_failed"
    http_status = 401


class CodeNotAccepted(DomainError):
    code = "questionnaire.code_wrong"
    http_status = 401


class CodeExpired(DomainError):
    code = "questionnaire.code_expired"
    http_status = 401


class IdentityThrottled(DomainError):
    code = "questionnaire.identity_throttled"
    http_status = 429


class NoPhoneOnFile(DomainError):
    code = "questionnaire.no_phone"
    http_status = 409


# ---------------------------------------------------------------- tokens

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key(), salt=_SALT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def make_token(link_id: int, secret: str) -> str:
    return _serializer().dumps([link_id, secret])


def _read_token(token: Any) -> tuple[int, str] | None:
    if not isinstance(token, str) or not 10 <= len(token) <= _TOKEN_MAX or not token.isascii():
        return None
    try:
        link_id, secret = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if isinstance(link_id, bool) or not isinstance(link_id, int) or not 0 < link_id < 2**31 \
            or not isinstance(secret, str) or not 20 <= len(secret) <= 64 or not secret.isascii():
        return None
    return link_id, secret


def open_link(s: Session, token: Any, *, ip: str | None = None, for_update: bool = False) -> QuestionnaireLink:
    """The link behind a token, if it may still be used; LinkInvalid (one answer for every reason) if not."""
    read = _read_token(token)
    if read is None:
        raise LinkInvalid("tampered", ip=ip)
    link_id, secret = read
    stmt = select(QuestionnaireLink).where(QuestionnaireLink.id == link_id)
    if for_update and s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    link = s.execute(stmt).scalars().first()
    if link is None or not hmac.compare_digest(link.secret_digest, _digest(secret)):
        raise LinkInvalid("unknown", ip=ip, link_id=link_id)
    if link.status != LinkStatus.ISSUED:
        raise LinkInvalid(link.status, ip=ip, link_id=link.id)
    if link.expires_at <= clock.now():
        raise LinkInvalid("expired", ip=ip, link_id=link.id)
    return link


def link_is_open(*, uow: UnitOfWork, token: Any, ip: str | None = None) -> bool:
    """For the landing page: may this link still be used? (Nothing about whose it is.) Raises LinkInvalid."""
    open_link(uow.session, token, ip=ip)
    return True


# ---------------------------------------------------------------- issuing (staff)

@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    url: str
    token: str
    qr_svg_data_uri: str
    expires_at: datetime
    questionnaire: str
    questionnaire_en: str


def active_questionnaire(s: Session, audience: str) -> Questionnaire:
    q = s.execute(select(Questionnaire).where(Questionnaire.audience == audience,
                                              Questionnaire.status == VersionStatus.ACTIVE)
                  .order_by(Questionnaire.version.desc()).limit(1)).scalars().first()
    if q is None:
        raise NotFound(what="questionnaire", id=audience)
    return q


def qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2, dark="#111827")


def _revoke_open_links(s: Session, actor: Actor, customer_id: int) -> None:
    old = s.execute(select(QuestionnaireLink.id).where(QuestionnaireLink.customer_id == customer_id,
                                                       QuestionnaireLink.status == LinkStatus.ISSUED)).scalars().all()
    if not old:
        return
    s.execute(update(QuestionnaireLink).where(QuestionnaireLink.id.in_(old)).values(status=LinkStatus.REVOKED))
    s.execute(update(QuestionnaireSession).where(QuestionnaireSession.link_id.in_(old),
                                                 QuestionnaireSession.ended_at.is_(None)).values(ended_at=clock.now()))
    audit.record(s, actor, "questionnaire.link_revoke", entity_type="customer", entity_id=customer_id,
                 changes={"links": list(old), "reason": "superseded"})


@requires(P.ASSESSMENT_ISSUE)
def issue_link(*, uow: UnitOfWork, actor: Actor, customer_id: Any,
               channel: Any = AssessmentChannel.ONLINE) -> IssuedLink:
    """A new questionnaire link for the customer (the active questionnaire for individuals or institutions),
    valid for 72 hours, with its QR code. The customer's older open links stop working."""
    if channel not in (AssessmentChannel.ONLINE, AssessmentChannel.BRANCH):
        raise ValidationFailed([FieldError("channel", "value.invalid_choice", {"choices": "online, branch"})])
    if actor.kind != "user" or actor.id is None:
        raise ValidationFailed([FieldError("actor", "value.invalid")])
    s = uow.session
    customer = load_customer(s, actor, customer_id)
    if customer.status == CustomerStatus.CLOSED:
        raise ValidationFailed([FieldError("customer", "questionnaire.customer_closed")])
    q = active_questionnaire(s, customer.kind)
    _revoke_open_links(s, actor, customer.id)
    secret = secrets.token_urlsafe(24)
    now = clock.now()
    link = QuestionnaireLink(customer_id=customer.id, questionnaire_id=q.id, secret_digest=_digest(secret),
                             channel=channel, issued_by=actor.id, issued_at=now,
                             expires_at=now + timedelta(hours=LINK_HOURS), draft={})
    s.add(link)
    s.flush()
    token = make_token(link.id, secret)
    url = get_settings().public_url.rstrip("/") + LINK_PATH + token
    audit.record(s, actor, "questionnaire.link_issue", entity_type="customer", entity_id=customer.id,
                 changes={"link_id": link.id, "questionnaire_id": q.id, "channel": str(channel),
                          "expires_at": link.expires_at.isoformat()})
    return IssuedLink(link_id=link.id, url=url, token=token, qr_svg_data_uri=qr_data_uri(url),
                      expires_at=link.expires_at, questionnaire=q.title, questionnaire_en=q.title_en)


@requires(P.ASSESSMENT_ISSUE)
def revoke_link(*, uow: UnitOfWork, actor: Actor, link_id: Any) -> None:
    s = uow.session
    if isinstance(link_id, bool) or not isinstance(link_id, int) or not 0 < link_id < 2**31:
        raise ValidationFailed([FieldError("link_id", "value.invalid")])
    link = s.get(QuestionnaireLink, link_id)
    if link is None:
        raise NotFound(what="questionnaire_link", id=link_id)
    load_customer(s, actor, link.customer_id)
    if link.status == LinkStatus.ISSUED:
        _revoke_open_links(s, actor, link.customer_id)


# ---------------------------------------------------------------- identity (the customer)

def _plain_name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _check_identity_input(name: Any, id_last6: Any) -> tuple[str, str]:
    errors = []
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100 or text_problem(name):
        errors.append(FieldError("name", "value.invalid"))
    if not isinstance(id_last6, str) or len(id_last6.strip()) != 6 or not id_last6.strip().isascii() \
            or not id_last6.strip().isalnum():
        errors.append(FieldError("id_last6", "questionnaire.id_last6_format"))
    if errors:
        raise ValidationFailed(errors)
    return name.strip(), id_last6.strip().upper()


def _attempt(link: QuestionnaireLink, ip: str | None) -> throttle.Attempt:
    return throttle.Attempt.of(f"qlink:{link.id}", ip)


def _throttled(s: Session, link: QuestionnaireLink, attempt: throttle.Attempt, ip: str | None, door: str) -> None:
    assessment = throttle.assess(s, attempt)
    if assessment.throttled is not None:
        record_failed_credential(s, "questionnaire.identity_throttled", actor=customer_actor(link.customer_id),
                                 ip=ip, entity_type="questionnaire_link", entity_id=link.id,
                                 details={"door": door, **assessment.throttled.audit_details()})
        raise IdentityThrottled(minutes=assessment.throttled.minutes())


def _fail(s: Session, link: QuestionnaireLink, attempt: throttle.Attempt, ip: str | None, action: str,
          details: dict) -> None:
    """Count and audit a failed check; the link locks after MAX_IDENTITY_FAILURES."""
    started = throttle.record_failure(s, attempt, throttle.assess(s, attempt))
    link.failed_identity += 1
    if link.failed_identity >= MAX_IDENTITY_FAILURES:
        link.status = LinkStatus.LOCKED
        s.execute(update(QuestionnaireSession).where(QuestionnaireSession.link_id == link.id,
                                                     QuestionnaireSession.ended_at.is_(None))
                  .values(ended_at=clock.now()))
    s.add(link)
    s.flush()
    # Audited every time (not through the refusal rate limit): the throttle and the lock after
    # MAX_IDENTITY_FAILURES already bound how many failures anyone can cause, and the count must commit.
    audit.record(s, customer_actor(link.customer_id), action, entity_type="questionnaire_link", entity_id=link.id,
                 changes={"ip": ip, **details, "failures": link.failed_identity, "locked": link.status == "locked",
                          **({"throttle_started": list(started)} if started else {})})


@dataclass(frozen=True)
class Challenge:
    secret: str  # for the challenge cookie
    sent_to: str  # the masked phone number
    expires_at: datetime


def _code_digest(challenge_secret: str, code: str) -> str:
    key = get_settings().resolved_secret_key().encode("utf-8")
    return hmac.new(key, f"{challenge_secret}:{code}".encode("ascii"), hashlib.sha256).hexdigest()


def confirm_identity(*, uow: UnitOfWork, token: Any, name: Any, id_last6: Any, ip: str | None = None) -> Challenge:
    """Step 2: the customer's name and the last 6 characters of their ID number. On success a one-time code
    is sent and the challenge returned; on failure IdentityNotConfirmed (counted and audited: the caller
    commits in both cases)."""
    s = uow.session
    link = open_link(s, token, ip=ip, for_update=True)
    name, id_last6 = _check_identity_input(name, id_last6)
    attempt = _attempt(link, ip)
    _throttled(s, link, attempt, ip, "identity")
    customer = s.get(Customer, link.customer_id)
    expected_id = (stored_identity(customer, "id_number") or "").upper()
    name_ok = hmac.compare_digest(_plain_name(name).encode("utf-8"), _plain_name(customer.name).encode("utf-8"))
    id_ok = len(expected_id) >= 6 and hmac.compare_digest(id_last6.encode("ascii"), expected_id[-6:].encode("ascii"))
    if not (name_ok and id_ok):
        _fail(s, link, attempt, ip, "questionnaire.identity_failed", {"door": "identity"})
        raise IdentityNotConfirmed()
    phone = stored_identity(customer, "phone")
    if not phone:
        audit.record(s, customer_actor(customer.id), "questionnaire.no_phone", entity_type="questionnaire_link",
                     entity_id=link.id, changes={"ip": ip})
        raise NoPhoneOnFile()
    throttle.record_success(s, attempt)
    now = clock.now()
    s.execute(update(IdentityChallenge).where(IdentityChallenge.link_id == link.id,
                                              IdentityChallenge.used_at.is_(None)).values(used_at=now))
    secret = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    expires = now + timedelta(minutes=CODE_MINUTES)
    challenge = IdentityChallenge(link_id=link.id, secret_digest=_digest(secret),
                                  code_digest=_code_digest(secret, code), created_at=now, expires_at=expires)
    s.add(challenge)
    s.flush()
    masked = mask_phone(phone)
    message = otp.send_code(s, otp.CodeMessage(customer_id=customer.id, phone=phone, recipient_masked=masked,
                                               code=code, expires_at=expires))
    audit.record(s, customer_actor(customer.id), "questionnaire.identity_confirmed",
                 entity_type="questionnaire_link", entity_id=link.id,
                 changes={"ip": ip, "challenge_id": challenge.id, "message_id": message.id, "sent_to": masked})
    return Challenge(secret=secret, sent_to=masked, expires_at=expires)


def _new_session(s: Session, link: QuestionnaireLink, *, confirmed_by: int | None = None) -> str:
    now = clock.now()
    token = secrets.token_urlsafe(32)
    s.execute(update(QuestionnaireSession).where(QuestionnaireSession.link_id == link.id,
                                                 QuestionnaireSession.ended_at.is_(None)).values(ended_at=now))
    s.add(QuestionnaireSession(link_id=link.id, token_digest=_digest(token), created_at=now,
                               expires_at=now + timedelta(minutes=SESSION_IDLE_MINUTES), confirmed_by=confirmed_by))
    s.flush()
    return token


def verify_code(*, uow: UnitOfWork, token: Any, challenge_secret: Any, code: Any, ip: str | None = None) -> str:
    """Step 3: the one-time code, from the browser that passed step 2. Returns the questionnaire session's
    token (for its cookie). Wrong codes are counted and audited (the caller commits)."""
    s = uow.session
    link = open_link(s, token, ip=ip, for_update=True)
    attempt = _attempt(link, ip)
    _throttled(s, link, attempt, ip, "code")
    challenge = None
    if isinstance(challenge_secret, str) and 20 <= len(challenge_secret) <= 100 and challenge_secret.isascii():
        challenge = s.execute(select(IdentityChallenge).where(
            IdentityChallenge.secret_digest == _digest(challenge_secret),
            IdentityChallenge.link_id == link.id)).scalars().first()
    now = clock.now()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        record_failed_credential(s, "questionnaire.code_refused", actor=customer_actor(link.customer_id), ip=ip,
                                 entity_type="questionnaire_link", entity_id=link.id,
                                 details={"reason": "no_challenge" if challenge is None else "expired_or_used"})
        raise CodeExpired()
    code = code.strip() if isinstance(code, str) else ""
    if not (len(code) == 6 and code.isascii() and code.isdigit()
            and hmac.compare_digest(challenge.code_digest, _code_digest(challenge_secret, code))):
        challenge.attempts += 1
        if challenge.attempts >= MAX_CODE_ATTEMPTS:
            challenge.used_at = now
        s.add(challenge)
        _fail(s, link, attempt, ip, "questionnaire.code_refused", {"door": "code", "attempts": challenge.attempts})
        if challenge.used_at is not None:
            raise CodeExpired()
        raise CodeNotAccepted()
    challenge.used_at = now
    s.add(challenge)
    throttle.record_success(s, attempt)
    session_token = _new_session(s, link)
    audit.record(s, customer_actor(link.customer_id), "questionnaire.session_start", entity_type="questionnaire_link",
                 entity_id=link.id, changes={"ip": ip, "via": "code"})
    return session_token


@requires(P.ASSESSMENT_ISSUE)
def start_in_branch(*, uow: UnitOfWork, actor: Actor, token: Any, ip: str | None = None) -> str:
    """In the branch: the RM has seen the customer's ID in person and opens the questionnaire on this device
    (the route signs the RM out of it before the customer takes it). Returns the questionnaire session token."""
    s = uow.session
    link = open_link(s, token, ip=ip, for_update=True)
    load_customer(s, actor, link.customer_id)  # only for a customer in the RM's scope
    link.channel = AssessmentChannel.BRANCH
    s.add(link)
    session_token = _new_session(s, link, confirmed_by=actor.id)
    audit.record(s, actor, "questionnaire.identity_in_person", entity_type="questionnaire_link", entity_id=link.id,
                 changes={"customer_id": link.customer_id, "ip": ip})
    return session_token


# ---------------------------------------------------------------- the questionnaire session (the customer)

@dataclass
class Opened:
    session: QuestionnaireSession
    link: QuestionnaireLink
    questionnaire: Questionnaire
    definition: QuestionnaireDefinition


def open_session(s: Session, session_token: Any, *, ip: str | None = None, slide: bool = False) -> Opened:
    """The link and questionnaire behind a questionnaire session cookie; QuestionnaireSessionInvalid if it
    has ended, expired, or its link can no longer be used."""
    if not isinstance(session_token, str) or not 20 <= len(session_token) <= 100 or not session_token.isascii():
        raise QuestionnaireSessionInvalid("missing", ip=ip)
    row = s.execute(select(QuestionnaireSession).where(
        QuestionnaireSession.token_digest == _digest(session_token))).scalars().first()
    now = clock.now()
    if row is None:
        raise QuestionnaireSessionInvalid("unknown", ip=ip)
    if row.ended_at is not None or row.expires_at <= now:
        raise QuestionnaireSessionInvalid("ended" if row.ended_at else "expired", ip=ip, link_id=row.link_id)
    link = s.get(QuestionnaireLink, row.link_id)
    if link is None or link.status != LinkStatus.ISSUED or link.expires_at <= now:
        raise QuestionnaireSessionInvalid("link_used", ip=ip, link_id=row.link_id)
    q = s.get(Questionnaire, link.questionnaire_id)
    if slide:
        row.expires_at = min(row.created_at + timedelta(minutes=SESSION_MAX_MINUTES),
                             now + timedelta(minutes=SESSION_IDLE_MINUTES))
        s.add(row)
    return Opened(row, link, q, QuestionnaireDefinition.model_validate(q.definition))


def save_answer(*, uow: UnitOfWork, session_token: Any, question: Any, answer: Any, ip: str | None = None) -> int:
    """Keep one answer (the customer may leave and come back); returns the draft's new version."""
    s = uow.session
    opened = open_session(s, session_token, ip=ip, slide=True)
    value = scoring.check_answer(opened.definition, question, answer)
    link = opened.link
    link.draft = {**(link.draft or {}), question: value}
    link.draft_version += 1
    s.add(link)
    s.flush()
    audit.record(s, customer_actor(link.customer_id), "questionnaire.answer", entity_type="questionnaire_link",
                 entity_id=link.id, changes={"question": question, "draft_version": link.draft_version})
    return link.draft_version


@dataclass(frozen=True)
class Result:
    level: str
    score: int
    explanation: str
    explanation_en: str
    caps: list[dict[str, Any]]
    valid_until: date | None = None


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def _result(opened: Opened, customer: Customer, answers: dict) -> tuple[scoring.Outcome, Result]:
    from services.suitability.rules import age_on

    age = age_on(customer.birth_date, clock.today()) if customer.kind == "individual" else None
    outcome = scoring.score(opened.definition, answers, age=age)
    return outcome, Result(level=outcome.level, score=outcome.score,
                           explanation=scoring.explanation(opened.definition, outcome.level, "zh_CN"),
                           explanation_en=scoring.explanation(opened.definition, outcome.level, "en"),
                           caps=[c.as_dict() for c in outcome.caps])


def preview(*, uow: UnitOfWork, session_token: Any, ip: str | None = None) -> Result:
    """The level the current answers give, explained, before the customer signs (writes nothing)."""
    s = uow.session
    opened = open_session(s, session_token, ip=ip)
    return _result(opened, s.get(Customer, opened.link.customer_id), opened.link.draft or {})[1]


def submit(*, uow: UnitOfWork, session_token: Any, draft_version: Any, signature: Any,
           ip: str | None = None) -> Result:
    """Sign and submit: the assessment is recorded with the signature, the customer's risk level and its
    validity are written through the sanctioned writer, and the link is used up. All or nothing."""
    s = uow.session
    opened = open_session(s, session_token, ip=ip)
    link = opened.link
    if isinstance(draft_version, bool) or not isinstance(draft_version, int) or draft_version != link.draft_version:
        raise ConcurrentModification()
    strokes, image = signatures.check_signature(signature)
    customer = s.get(Customer, link.customer_id)
    outcome, result = _result(opened, customer, link.draft or {})
    now = clock.now()
    # Claim the link first: of two submissions racing, exactly one changes it from issued to submitted.
    claimed = s.execute(update(QuestionnaireLink).where(
        QuestionnaireLink.id == link.id, QuestionnaireLink.status == LinkStatus.ISSUED,
        QuestionnaireLink.draft_version == link.draft_version).values(status=LinkStatus.SUBMITTED, submitted_at=now))
    if claimed.rowcount != 1:
        raise QuestionnaireSessionInvalid("replayed", ip=ip, link_id=link.id)
    sig = signatures.keep(s, customer_id=customer.id, purpose=SignaturePurpose.ASSESSMENT, strokes=strokes,
                          image=image, ip=ip)
    valid_until = add_months(clock.today(), opened.questionnaire.validity_months)
    assessment = RiskAssessment(
        customer_id=customer.id, questionnaire_id=opened.questionnaire.id, answers=dict(link.draft or {}),
        score=outcome.score, level=outcome.level, score_level=outcome.score_level,
        caps=[c.as_dict() for c in outcome.caps], assessed_at=now, valid_until=valid_until, channel=link.channel,
        link_id=link.id, signature_id=sig.id,
        recorded_by=str(opened.session.confirmed_by) if opened.session.confirmed_by else None)
    s.add(assessment)
    s.flush()
    s.execute(update(QuestionnaireLink).where(QuestionnaireLink.id == link.id).values(assessment_id=assessment.id))
    s.execute(update(QuestionnaireSession).where(QuestionnaireSession.link_id == link.id,
                                                 QuestionnaireSession.ended_at.is_(None)).values(ended_at=now))
    audit.record(s, customer_actor(customer.id), "assessment.complete", entity_type="customer", entity_id=customer.id,
                 changes={"assessment_id": assessment.id, "questionnaire_id": opened.questionnaire.id,
                          "score": outcome.score, "level": outcome.level, "valid_until": valid_until.isoformat(),
                          "link_id": link.id, "channel": link.channel, "signature_id": sig.id,
                          "signature_sha256": sig.image_sha256, "ip": ip})
    changes.set_risk_level(uow=uow, actor=ASSESSOR, customer_id=customer.id,
                           data={"risk_level": outcome.level, "valid_until": valid_until}, source="questionnaire")
    uow.publish(AssessmentCompleted(customer_id=customer.id, assessment_id=assessment.id, level=outcome.level,
                                    valid_until=valid_until, channel=link.channel))
    return Result(level=result.level, score=result.score, explanation=result.explanation,
                  explanation_en=result.explanation_en, caps=result.caps, valid_until=valid_until)


def end_session(*, uow: UnitOfWork, session_token: Any, ip: str | None = None) -> None:
    """The customer left ("finish later"): the session ends, the answers stay with the link."""
    if not isinstance(session_token, str) or not 20 <= len(session_token) <= 100 or not session_token.isascii():
        return
    s = uow.session
    row = s.execute(select(QuestionnaireSession).where(
        QuestionnaireSession.token_digest == _digest(session_token),
        QuestionnaireSession.ended_at.is_(None))).scalars().first()
    if row is None:
        return
    row.ended_at = clock.now()
    s.add(row)
    link = s.get(QuestionnaireLink, row.link_id)
    audit.record(s, customer_actor(link.customer_id), "questionnaire.session_end", entity_type="questionnaire_link",
                 entity_id=link.id, changes={"ip": ip, "answered": len(link.draft or {})})
