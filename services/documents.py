"""The document store: files addressed by their SHA-256, with a `Document` row per stored file.

Bytes live in a folder under `settings.data_dir / "documents"` (`ab/cd/<sha256>`); the same
content is kept once however often it is stored. Files are written (atomically, by rename)
before the caller commits: if the transaction rolls back, the metadata row disappears and the
file is an unreferenced blob, which is harmless (content addressed) and never served, because
every read goes through a `Document` row and its permission check.

Who may store or open what:
- a document attached to a customer: anyone who may see that customer (the customer's data scope);
- import sources and import error reports (attached to no customer): stored by those who run imports
  (Permission.IMPORT_RUN, or the system); read by the imports domain's one rule
  (services.imports.files: whoever may see the batch, the source in full only to those whose field
  policy lets them see every sensitive field it carries, masked for everyone else).

File names are display text: no path, no control characters, and no bidirectional overrides or
zero-width characters (services.validation.text.strip_invisible), which would make
`invoice\u202efdp.exe` show as `invoiceexe.pdf`. They are cleaned, not refused, so one rule holds for
every door, the unattended inbox included; names stored before are cleaned again when served.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session

from services.customers.models import Document
from services.errors import FieldError, NotFound, NotPermitted, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, can_see_customer, permits, requires
from services.settings import get_settings
from services import clock
from services.validation.text import strip_invisible

KINDS = ("id_copy", "contract", "disclosure", "import_source", "import_report", "other")
IMPORT_KINDS = ("import_source", "import_report")  # read through services.imports.files
MAX_SIZE = 100 * 1024 * 1024  # 100 MB
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
    """A display file name: no path, no control or invisible characters, at most 255 characters."""
    if not isinstance(filename, str):
        return "file"
    name = _UNSAFE_NAME.sub("_", strip_invisible(filename[-1000:]).replace("\\", "/").rsplit("/", 1)[-1]).strip()
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
    # Files attached to no customer are the imports' (read through services.imports.files): those who oversee
    # imports (and the system) open any, an importer the ones he stored.
    if permits(actor, Permission.IMPORT_OVERSEE):
        return True
    return permits(actor, Permission.IMPORT_RUN) and uploaded_by is not None and uploaded_by == _who(actor)


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
    if customer_id is None and not permits(actor, Permission.IMPORT_RUN):
        raise NotPermitted(actor=actor, entity_type="document")
    if customer_id is not None and not _may_access(session, actor, customer_id, None):
        raise NotPermitted(actor=actor, entity_type="customer", entity_id=customer_id)
    digest = write_blob(bytes(data))
    doc = Document(customer_id=customer_id, kind=kind, filename=clean_filename(filename),
                   content_type=(content_type or "application/octet-stream")[:100], sha256=digest,
                   size=len(data), uploaded_by=_who(actor), uploaded_at=clock.now())
    session.add(doc)
    session.flush()
    audit.record(session, actor, "document.store", entity_type="document", entity_id=doc.id,
                 changes={"kind": kind, "filename": doc.filename, "sha256": digest, "size": len(data),
                          "customer_id": customer_id})
    return doc


def _document(session: Session, document_id: Any) -> Document:
    if isinstance(document_id, bool) or not isinstance(document_id, int) or not 0 < document_id < 2**62:
        raise ValidationFailed([FieldError("document_id", "value.invalid")])
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(what="document", id=document_id)
    return doc


def open_document(session: Session, *, document_id: Any, actor: Actor) -> tuple[Document, bytes]:
    """A customer document's row and bytes, if the actor may read it. Import files are not opened here:
    they are read only through services.imports.files, which may have to mask them."""
    doc = _document(session, document_id)
    if doc.kind in IMPORT_KINDS or not _may_access(session, actor, doc.customer_id, doc.uploaded_by):
        raise NotPermitted(actor=actor, entity_type="document", entity_id=document_id)
    return doc, read_blob(doc.sha256)


# ---------------------------------------------------------------- customer documents (the 360 page)

CUSTOMER_KINDS = ("id_copy", "contract", "disclosure", "other")
CUSTOMER_MAX_SIZE = 20 * 1024 * 1024  # 20 MB
# extension -> (content type served back, a check of the file's own first bytes)
CUSTOMER_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_LABEL = "PDF, JPG, PNG, DOCX, XLSX"
_RISKY_NAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')


def _safe_upload_name(filename: Any) -> str:
    """Like `clean_filename` (no path, no control characters), plus no characters that break
    headers or Windows paths, no leading dots, whitespace collapsed; the extension is kept when
    the name has to be shortened."""
    if not isinstance(filename, str):
        return "file"
    name = strip_invisible(filename[-2000:]).replace("\\", "/").rsplit("/", 1)[-1][-1000:]
    name = _RISKY_NAME.sub("_", _UNSAFE_NAME.sub("_", name))
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name or "file"


def _looks_like(ext: str, data: bytes) -> bool:
    """Does the content match its extension? (A renamed .exe is not a PDF.)"""
    if ext == "pdf":
        return data[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ").startswith(b"%PDF-")
    if ext in ("jpg", "jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    # docx / xlsx: an OOXML package; only the zip's central directory is read, nothing is inflated
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        return False
    part = "word/document.xml" if ext == "docx" else "xl/workbook.xml"
    return "[Content_Types].xml" in names and part in names


@requires(Permission.RECORD_WRITE)
def upload_customer_document(*, uow: Any, actor: Actor, customer_id: Any, filename: Any, data: Any,
                             kind: Any = "other", content_type: Any = None) -> Document:
    """Attach a file to a customer (360 page, documents card): PDF, JPG, PNG, DOCX or XLSX up to 20 MB.

    The type is decided from the extension and checked against the content; the browser's
    content type is ignored. Only those who may write customer records may upload (record.write); admins
    and auditors may not. Audited through `store`."""
    from services.customers.service import load_customer

    s = uow.session
    customer = load_customer(s, actor, customer_id)
    if kind not in CUSTOMER_KINDS:
        raise ValidationFailed([FieldError("document_kind", "value.invalid_choice",
                                           {"choices": ", ".join(CUSTOMER_KINDS)})])
    if not isinstance(data, (bytes, bytearray)):
        raise ValidationFailed([FieldError("file", "value.wrong_type")])
    name = _safe_upload_name(filename)
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in CUSTOMER_TYPES:
        raise ValidationFailed([FieldError("file", "document.type_not_allowed", {"allowed": ALLOWED_LABEL})])
    if len(data) == 0:
        raise ValidationFailed([FieldError("file", "document.empty")])
    if len(data) > CUSTOMER_MAX_SIZE:
        raise ValidationFailed([FieldError("file", "document.too_large", {"max_mb": CUSTOMER_MAX_SIZE // 2**20})])
    if not _looks_like(ext, bytes(data)):
        raise ValidationFailed([FieldError("file", "document.content_mismatch", {"ext": ext.upper()})])
    return store(s, data=bytes(data), filename=name, content_type=CUSTOMER_TYPES[ext], kind=kind,
                 customer_id=customer.id, actor=actor)


# Who reads the files a domain stores for itself (kind -> reader(session, actor, document) -> (name, type,
# bytes)): registered by services.bootstrap, so this store does not import the domains that use it.
_READERS: dict[str, Callable[[Session, Actor, Any], tuple[str, str, bytes]]] = {}


def register_reader(kinds: tuple[str, ...], reader: Callable[[Session, Actor, Any], tuple[str, str, bytes]]) -> None:
    for kind in kinds:
        _READERS[kind] = reader


@requires(Permission.CUSTOMER_READ, Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)
def download_document(*, uow: Any, actor: Actor, document_id: Any) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a document the actor may read; every download is audited in the
    caller's transaction (the caller commits): customer documents, and import files and their error
    reports too, which carry whole batches of ID numbers and phones."""
    s = uow.session
    doc = _document(s, document_id)
    reader = _READERS.get(doc.kind) if doc.customer_id is None else None
    if reader is not None:
        # The domain that owns the file decides who may read it and in which form (imports: raw or masked).
        return reader(s, actor, doc)
    doc, data = open_document(s, document_id=document_id, actor=actor)
    name = strip_invisible(doc.filename) or "file"
    audit.record(s, actor, "document.download", entity_type="document", entity_id=doc.id,
                 changes={"customer_id": doc.customer_id, "kind": doc.kind, "filename": name,
                          "sha256": doc.sha256})
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    content_type = CUSTOMER_TYPES.get(ext) if doc.customer_id is not None else None
    return name, content_type or doc.content_type or "application/octet-stream", data
