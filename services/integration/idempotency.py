"""Idempotency keys for batch requests: a replay with the same key and body gets the first answer;
the same key with another body is refused. The record is written in the batch's own transaction,
so a batch that fails leaves no record and may be sent again."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services.errors import DomainError, FieldError, ValidationFailed
from services.integration.models import IdempotencyRecord
from services import clock

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class IdempotencyConflict(DomainError):
    code = "api.idempotency_conflict"
    http_status = 409


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict


def request_hash(body: Any) -> str:
    """A stable hash of the request body (key order does not matter). Never fails on text: a lone
    surrogate (which the API refuses anyway, services/validation/json_input.py) is hashed as its code
    point ('surrogatepass'); every other body hashes exactly as plain UTF-8."""
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationFailed([FieldError("idempotency_key", "api.idempotency_key")])
    return key


def lookup(session: Session, *, client_pk: int, key: str, body_hash: str) -> Replay | None:
    """The stored answer for this key, or None if the key is new. Raises on a different body."""
    row = session.execute(select(IdempotencyRecord).where(
        IdempotencyRecord.client_id == client_pk, IdempotencyRecord.key == key)).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != body_hash:
        raise IdempotencyConflict(key=key)
    return Replay(row.status_code, row.response)


def remember(session: Session, *, client_pk: int, key: str, body_hash: str, status_code: int,
             response: dict) -> None:
    session.add(IdempotencyRecord(client_id=client_pk, key=key, request_hash=body_hash, status_code=status_code,
                                  response=response, created_at=clock.now()))
    session.flush()
