"""API clients and their OAuth2 tokens (client credentials grant, RFC 6749 4.4; bearer tokens, RFC 6750).

Authlib supplies the protocol: `AuthorizationServer` + `ClientCredentialsGrant` issue tokens,
`ResourceProtector` + `BearerTokenValidator` check them. It has no FastAPI/Starlette
integration, so this module adapts a plain request description (method, url, headers,
form) to Authlib's request objects and returns (status, body, headers) for the web layer.

- Secrets are argon2 hashes; an unknown client costs the same argon2 time as a wrong secret.
- Bearer tokens are random; the database keeps only their SHA-256. They expire after an hour.
- Failed client authentications are throttled like staff sign-ins, per address and client id
  (services/security/throttle.py): a stranger's wrong secrets hold back his own address, never the
  client's own server, and each failure and throttled attempt is audited.
- Demo clients work only in demo mode, like demo users.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping

from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749 import (AuthorizationServer, ClientMixin, OAuth2Payload, OAuth2Request,
                                    ResourceProtector, TokenMixin)
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from pydantic import Field, field_validator
from sqlalchemy import select
from sqlmodel import Session

from services.customers.schemas import _Strict
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.integration.models import ApiClient, ApiToken
from services.security import audit, throttle
from services.security.actor import Actor
from services.security.models import Role, User
from services.security.passwords import hash_password, verify_password
from services.security.policy import API_ROLE, Permission, requires
from services.settings import get_settings
from services import clock
from services.validation.input import RowId, parse

TOKEN_LIFETIME_SECONDS = 3600
TOKEN_PATH = "/api/v1/oauth/token"
MAX_FORM_BYTES = 4096

# What a client may be allowed to do. The descriptions go into the OpenAPI document; what each scope permits
# is decided with every other permission, in services.security.policy (SCOPE_PERMISSIONS).
SCOPES: dict[str, str] = {
    "customers:read": "Read customers (masked as for staff)",
    "customers:write": "Create and update customers by your external id",
    "accounts:write": "Create and update accounts and holdings",
    "transactions:write": "Send transaction batches",
    "events:write": "Send behaviour event batches",
    "interactions:write": "Record interactions with customers",
    "products:read": "List products with their risk level, regime and issuer",
    "suitability:read": "Ask whether a customer may buy a product (suitability check)",
    "sales:write": "Propose sales (checked for suitability; refused ones are recorded as refusals)",
    "loans:write": "Submit loan applications for your customers (checked and routed for approval)",
    "loans:read": "Read the loan applications you submitted: status, steps, checks and decisions",
    "metrics:read": "Read the dashboards' figures (GET /api/v1/metrics), within the client's data scope",
}

_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def actor_for_client(client: ApiClient, scopes: Iterable[str] | None = None) -> Actor:
    """The client as an actor, scoped to what its token grants (by default, all the client was given)."""
    granted = frozenset(client.scopes if scopes is None else scopes) & frozenset(client.scopes)
    return Actor(kind="api_client", id=client.id, name=client.client_id, roles=frozenset({API_ROLE}),
                 scopes=granted)


# ---------------------------------------------------------------- admin use cases

class ApiClientCreate(_Strict):
    client_id: str = Field(min_length=3, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES))
    default_owner_id: RowId | None = None

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, v: str) -> str:
        if not _CLIENT_ID.match(v):
            raise ValueError("invalid")
        return v

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        if any(s not in SCOPES for s in v):
            raise ValueError("invalid")
        return sorted(set(v))


@dataclass(frozen=True)
class ApiClientCreated:
    id: int
    client_id: str
    client_secret: str  # shown once, never stored
    scopes: list[str]


@requires(Permission.API_CLIENT_MANAGE)
def create_client(*, uow: UnitOfWork, actor: Actor, data: Any, is_demo: bool = False,
                  secret: str | None = None) -> ApiClientCreated:
    """Register a system as an API client. The secret is returned once; only its hash is kept."""
    req = parse(ApiClientCreate, data)
    s = uow.session
    errors: list[FieldError] = []
    if s.execute(select(ApiClient.id).where(ApiClient.client_id == req.client_id)).first():
        errors.append(FieldError("client_id", "value.taken"))
    if req.default_owner_id is not None:
        owner = s.get(User, req.default_owner_id)
        if owner is None or not owner.is_active or Role.RM not in owner.roles:
            errors.append(FieldError("default_owner_id", "value.not_an_rm"))
    if errors:
        raise ValidationFailed(errors)
    secret = secret or secrets.token_urlsafe(32)
    row = ApiClient(client_id=req.client_id, name=req.name, secret_hash=hash_password(secret),
                    scopes=req.scopes, default_owner_id=req.default_owner_id, is_active=True, is_demo=is_demo)
    s.add(row)
    s.flush()
    audit.record(s, actor, "api_client.create", entity_type="api_client", entity_id=row.id,
                 changes={"client_id": row.client_id, "scopes": row.scopes,
                          "default_owner_id": row.default_owner_id})
    return ApiClientCreated(id=row.id, client_id=row.client_id, client_secret=secret, scopes=row.scopes)


@requires(Permission.API_CLIENT_MANAGE)
def disable_client(*, uow: UnitOfWork, actor: Actor, client_id: Any) -> None:
    """Switch a client off; its tokens stop working at once."""
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise ValidationFailed([FieldError("client_id", "value.invalid")])
    s = uow.session
    row = s.execute(select(ApiClient).where(ApiClient.client_id == client_id)).scalar_one_or_none()
    if row is None:
        from services.errors import NotFound

        raise NotFound(what="api_client", id=client_id)
    row.is_active = False
    s.add(row)
    audit.record(s, actor, "api_client.disable", entity_type="api_client", entity_id=row.id)


# ---------------------------------------------------------------- Authlib adapters

class _Client(ClientMixin):
    """An ApiClient as Authlib sees it. `row=None` stands for an unknown client id."""

    def __init__(self, row: ApiClient | None, usable: bool, server: "_Server"):
        self.row = row
        self.usable = usable
        self.server = server

    def get_client_id(self) -> str:
        return self.row.client_id if self.row else ""

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        allowed = list(self.row.scopes) if self.row else []
        if not scope:
            return " ".join(allowed)
        wanted = scope.split()
        if any(w not in allowed for w in wanted):
            return None  # Authlib answers invalid_scope
        return " ".join(dict.fromkeys(wanted))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        if self.server.assessment is not None and self.server.assessment.throttled is not None:
            return False  # refused unchecked, for every id alike: a flood costs no argon2 time
        # Always one argon2 verification: unknown ids and wrong secrets take the same time.
        ok = verify_password(self.row.secret_hash if self.row else None, client_secret or "")
        self.server.authenticated = ok and self.usable
        return self.server.authenticated

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _Payload(OAuth2Payload):
    def __init__(self, form: Mapping[str, str]):
        self._data = dict(form)

    @property
    def data(self) -> dict:
        return self._data

    @property
    def datalist(self) -> dict:
        return {k: [v] for k, v in self._data.items()}


class _Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers: Mapping[str, str], form: Mapping[str, str]):
        super().__init__(method=method, uri=uri, headers=headers)
        self._form = dict(form)
        self.payload = _Payload(form)

    @property
    def args(self) -> dict:
        return {}

    @property
    def form(self) -> dict:
        return self._form


class _Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Server(AuthorizationServer):
    def __init__(self, session: Session, ip: str | None):
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.ip = ip
        self.client: _Client | None = None
        self.attempt: throttle.Attempt | None = None
        self.assessment: throttle.Assessment | None = None
        self.authenticated: bool | None = None  # None: the secret was never checked
        self.register_grant(_Grant)
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: secrets.token_urlsafe(32),
            expires_generator=TOKEN_LIFETIME_SECONDS))

    def query_client(self, client_id: str) -> _Client:
        row = None
        if isinstance(client_id, str) and 0 < len(client_id) <= 64 and "\x00" not in client_id:
            row = self.session.execute(select(ApiClient).where(ApiClient.client_id == client_id)
                                       ).scalar_one_or_none()
        usable = row is not None and row.is_active and (not row.is_demo or get_settings().demo_mode)
        self.attempt = throttle.Attempt.of(_attempt_name(client_id if isinstance(client_id, str) else ""), self.ip)
        self.assessment = throttle.assess(self.session, self.attempt)
        self.client = _Client(row, usable, self)
        return self.client

    def save_token(self, token: dict, request: _Request) -> None:
        client: _Client = request.client
        now = clock.now()
        row = ApiToken(id=hash_token(token["access_token"]), client_id=client.row.id,
                       scopes=token.get("scope", "").split(), issued_at=now,
                       expires_at=now + timedelta(seconds=int(token["expires_in"])))
        self.session.add(row)
        self.session.flush()

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list) -> "OAuthResponse":
        return OAuthResponse(status, body if isinstance(body, dict) else dict(body or {}), list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class OAuthResponse:
    status: int
    body: dict
    headers: list[tuple[str, str]]


def _attempt_name(client_id: str) -> str:
    return ("client:" + client_id.replace("\x00", "?"))[:64]


def _throttled_response(throttled: throttle.Throttled) -> OAuthResponse:
    """429 with Retry-After (RFC 6585); `temporarily_unavailable` is the OAuth 2.0 error for a server that
    cannot answer now. The same for every client id, known or not."""
    seconds = throttled.seconds()
    return OAuthResponse(429, {"error": "temporarily_unavailable", "error_description":
                               f"Too many failed client authentications; retry after {seconds} seconds."},
                         [("Retry-After", str(seconds))])


def token_uri() -> str:
    """The URI Authlib checks for TLS: the public URL. Plain http is accepted for loopback, and on
    other hosts only in demo mode (a LAN demo); production must be served over https."""
    uri = get_settings().public_url.rstrip("/") + TOKEN_PATH
    if not is_secure_transport(uri) and get_settings().demo_mode:
        uri = "https://" + uri.split("://", 1)[-1]
    return uri


def issue_token(*, uow: UnitOfWork, method: str, headers: Mapping[str, str], form: Mapping[str, str],
                ip: str | None = None) -> OAuthResponse:
    """The token endpoint. The caller commits whatever the outcome: failed secrets are counted and
    audited (and throttled, per address and client id: services/security/throttle.py)."""
    s = uow.session
    server = _Server(s, ip)
    try:
        request = _Request(method, token_uri(), headers, form)
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    response = server.create_token_response(request)
    client, attempt, assessment = server.client, server.attempt, server.assessment
    if client is not None and attempt is not None and assessment is not None:
        entity_id = client.row.id if client.row is not None else None
        name = attempt.credential.removeprefix("client:")
        if assessment.throttled is not None:
            throttle.audit_refused(s, "auth.throttled", attempt, entity_type="api_client", entity_id=entity_id,
                                   name=name, details={"door": "token", **assessment.throttled.audit_details()})
            response = _throttled_response(assessment.throttled)
        elif server.authenticated:
            throttle.record_success(s, attempt)
            if response.status == 200:
                audit.record(s, actor_for_client(client.row), "api_client.token", entity_type="api_client",
                             entity_id=client.row.id, changes={"scopes": response.body.get("scope", "").split()})
        elif server.authenticated is False:
            started = throttle.record_failure(s, attempt, assessment)
            throttle.audit_refused(s, "auth.client_secret_failed", attempt, entity_type="api_client",
                                   entity_id=entity_id, name=name,
                                   details={"throttle_started": list(started)} if started else {})
            now_throttled = throttle.assess(s, attempt).throttled if started else None
            if now_throttled is not None:  # this failure reached a limit: say so now, not at the next try
                response = _throttled_response(now_throttled)
        s.flush()
    response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
    return response


# ---------------------------------------------------------------- bearer tokens

class _Token(TokenMixin):
    def __init__(self, row: ApiToken, client: ApiClient):
        self.row = row
        self.client = client

    def check_client(self, client: Any) -> bool:
        return True

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= clock.now()

    def is_revoked(self) -> bool:
        return (self.row.revoked_at is not None or not self.client.is_active
                or (self.client.is_demo and not get_settings().demo_mode))

    def get_user(self) -> None:
        return None

    def get_client(self) -> Any:
        return self.client


class _Validator(BearerTokenValidator):
    def __init__(self, session: Session):
        super().__init__(realm="fincrm")
        self.session = session

    def authenticate_token(self, token_string: str) -> _Token | None:
        if not token_string or len(token_string) > 200:
            return None
        row = self.session.get(ApiToken, hash_token(token_string))
        if row is None:
            return None
        client = self.session.get(ApiClient, row.client_id)
        return _Token(row, client) if client is not None else None


@dataclass(frozen=True)
class ApiCaller:
    actor: Actor
    client_pk: int
    client_id: str
    default_owner_id: int | None
    scopes: tuple[str, ...]


class TokenRejected(Exception):
    """A bearer token was missing, unknown, expired, revoked or lacks a scope: (status, body, headers)."""

    def __init__(self, status: int, error: str, description: str, headers: list[tuple[str, str]]):
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers


class _HeaderRequest:
    def __init__(self, headers: Mapping[str, str]):
        self.headers = headers


def authenticate_bearer(*, uow: UnitOfWork, headers: Mapping[str, str], scopes: list[str]) -> ApiCaller:
    """The caller behind the bearer token, if the token is valid and holds every scope in `scopes`."""
    protector = ResourceProtector()
    protector.register_token_validator(_Validator(uow.session))
    need = " ".join(scopes)
    try:
        token: _Token = protector.validate_request([need] if need else None, _HeaderRequest(headers))
    except OAuth2Error as error:
        status = error.status_code or 401
        out = [("WWW-Authenticate", "Bearer " + v.split(" ", 1)[1] if v.lower().startswith("bearer ") else v)
               for k, v in error.get_headers() if k.lower() == "www-authenticate"]
        if not out:
            challenge = f'Bearer realm="fincrm", error="{error.error}"'
            if error.error == "insufficient_scope":
                challenge += f', scope="{need}"'
            out = [("WWW-Authenticate", challenge)]
        if error.error in ("missing_authorization", "unsupported_token_type"):
            status = 401
        return_error = error.error
        raise TokenRejected(status, return_error, error.get_error_description() or "", out) from None
    client = token.client
    return ApiCaller(actor=actor_for_client(client, token.row.scopes), client_pk=client.id, client_id=client.client_id,
                     default_owner_id=client.default_owner_id, scopes=tuple(token.row.scopes))


def token_json(response: OAuthResponse) -> str:
    return json.dumps(response.body)
