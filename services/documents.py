"""The document store: files addressed by their SHA-256, with a `Document` row per stored file.

Bytes live in a folder under `settings.data_dir / "documents"` (`ab/cd/<sha256>`); the same
content is kept once however often it is stored. Files are written (atomically, by rename)
before the caller commits: if the transaction rolls back, the metadata row disappears and the
file is an unreferenced blob, which is harmless (content addressed) and never served, because
every read goes through a `Document` row and its permission check.

Who may store or open what:
- a document attached to a customer: anyone who may see that customer (the customer's data scope);
- a document attached to no customer (import sources, import error reports): the roles that run
  imports or oversee them (`BACK_OFFICE_ROLES`), and only the person who stored it unless the
  actor's scope covers it (compliance, admin, auditor, or the system).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sqlmodel import Session

from services.customers.models import Document
from services.errors import FieldError, NotFound, NotPermitted, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.models import Role
from services.security.policy import can_see_customer
from services.settings import get_settings
from services.types import utcnow

KINDS = ("id_copy", "contract", "disclosure", "import_source", "import_report", "other")
MAX_SIZE = 100 * 1024 * 1024  # 100 MB
BACK_OFFICE_ROLES = (Role.OPS, Role.BRANCH_MANAGER, Role.TEAM_LEAD, Role.COMPLIANCE, Role.ADMIN, Role.AUDITOR)
OVERSIGHT_ROLES = (Role.COMPLIANCE, Role.ADMIN, Role.AUDITOR)
_SHA = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def root() -> Path:
    return get_settings().data_dir / "documents"


def blob_path(sha256: str) -> Path:
    if not _SHA.match(sha256 or ""):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256[2:4] / sha256


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_filename(filename: Any) -> str:
    """A display file name: no path, no control characters, at most 255 characters."""
    if not isinstance(filename, str):
        return "file"
    name = _UNSAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return (name or "file")[:255]


def write_blob(data: bytes) -> str:
    """Put `data` in the store (once) and return its SHA-256."""
    digest = sha256_of(data)
    path = blob_path(digest)
    if path.exists() and path.stat().st_size == len(data):
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest


def read_blob(sha256: str) -> bytes:
    path = blob_path(sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(what="document", id=sha256[:12]) from None
    if sha256_of(data) != sha256:  # a damaged or tampered blob is never served
        raise NotFound(what="document", id=sha256[:12])
    return data


def _may_access(session: Session, actor: Actor, customer_id: int | None, uploaded_by: str | None) -> bool:
    if customer_id is not None:
        from services.customers.models import Customer

        c = session.get(Customer, customer_id)
        return c is not None and can_see_customer(actor, owner_id=c.owner_id, team_id=c.team_id,
                                                  branch_id=c.branch_id)
    if actor.kind == "system":
        return True
    if actor.has_role(*OVERSIGHT_ROLES):
        return True
    return actor.has_role(*BACK_OFFICE_ROLES) and uploaded_by is not None and uploaded_by == _who(actor)


def _who(actor: Actor) -> str:
    return actor.audit_id if actor.audit_id is not None else f"{actor.kind}:{actor.name}"


def store(session: Session, *, data: bytes, filename: Any, content_type: str, kind: str,
          customer_id: int | None = None, actor: Actor) -> Document:
    """Store `data` and add its Document row in the caller's transaction (audited)."""
    if not isinstance(data, (bytes, bytearray)):
        raise ValidationFailed([FieldError("file", "value.wrong_type")])
    if len(data) == 0:
        raise ValidationFailed([FieldError("file", "value.required")])
    if len(data) > MAX_SIZE:
        raise ValidationFailed([FieldError("file", "document.too_large", {"max_mb": MAX_SIZE // 2**20})])
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", "value.invalid_choice", {"choices": ", ".join(KINDS)})])
    if customer_id is None and not (actor.kind == "system" or actor.has_role(*BACK_OFFICE_ROLES)):
        raise NotPermitted()
    if customer_id is not None and not _may_access(session, actor, customer_id, None):
        raise NotPermitted()
    digest = write_blob(bytes(data))
    doc = Document(customer_id=customer_id, kind=kind, filename=clean_filename(filename),
                   content_type=(content_type or "application/octet-stream")[:100], sha256=digest,
                   size=len(data), uploaded_by=_who(actor), uploaded_at=utcnow())
    session.add(doc)
    session.flush()
    audit.record(session, actor, "document.store", entity_type="document", entity_id=doc.id,
                 changes={"kind": kind, "filename": doc.filename, "sha256": digest, "size": len(data),
                          "customer_id": customer_id})
    return doc


def open_document(session: Session, *, document_id: Any, actor: Actor) -> tuple[Document, bytes]:
    """The Document row and its bytes, if the actor may read it."""
    if isinstance(document_id, bool) or not isinstance(document_id, int) or not 0 < document_id < 2**62:
        raise ValidationFailed([FieldError("document_id", "value.invalid")])
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(what="document", id=document_id)
    if not _may_access(session, actor, doc.customer_id, doc.uploaded_by):
        raise NotPermitted()
    return doc, read_blob(doc.sha256)
