"""An import batch's stored files, the uploaded source and its error report: who may read them, and in
which form. One rule for every door: /documents/<id>, /imports/<id>/error-report and the import page.

Who: whoever may see a batch the file belongs to (`access.may_see_batch`: the importer, operations and
branch managers of the same branch, inbox batches for every importer, and compliance, admin and auditor). A file belongs to
a batch by content (SHA-256), so the same bytes kept for two batches are readable by the people of either.

How: a source file carries whole columns of ID numbers and phones.
- An actor whose field policy lets them see in full every sensitive field an import can carry
  (at least REVEALABLE: operations, compliance) gets the original bytes, and the download is audited
  as a reveal (`document.reveal`, naming the fields).
- Anyone else (administrators, auditors, branch managers, team leads) gets the file re-rendered as
  CSV: the columns mapped to a sensitive field shown as their policy shows that field
  (services.customers.service.present: masked, or left out), columns of custom fields they may not
  see left out, and in every other column whatever looks like an ID number, a mobile number or an
  e-mail address masked the same way. Audited as a download (`document.download`, `masked: true`).
- The page's preview of a file is always shown that way: a public state var is sent to the browser,
  and a preview is no reveal.

The error report names rows, columns and problems; values it echoes ("x" is not a known value) pass
through the same identifier masking when it is written and again when it is read. Every download of it,
through either route, is audited (`document.download`).
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlmodel import Session

from services import documents
from services.customers import custom_fields
from services.customers.models import Document
from services.customers.service import present
from services.errors import NotPermitted
from services.imports import mapping as mappings
from services.imports.access import may_see_batch
from services.imports.models import ImportBatch
from services.imports.reader import read_table
from services.security import audit
from services.security.actor import Actor
from services.security.policy import SENSITIVE_FIELDS, Access, field_access
from services.validation.text import strip_invisible

KINDS = ("import_source", "import_report")
# The sensitive customer fields an import file can carry (mapping targets).
FILE_FIELDS = tuple(f for f in mappings.FIELDS if f in SENSITIVE_FIELDS)

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_EMAIL = re.compile(r"[^\s@,;:<>\"']+@[^\s@,;:<>\"']+\.[A-Za-z]{2,}")


def reads_in_full(actor: Actor) -> bool:
    """May the actor have an import file as uploaded (every sensitive field it carries at least revealable)?"""
    return actor.kind == "system" or all(field_access(actor, f) >= Access.REVEALABLE for f in FILE_FIELDS)


def mask_identifiers(actor: Actor, text: str) -> str:
    """`text` with whatever looks like an ID number, a mobile number or an e-mail address shown as the
    actor's field policy shows that field (masked, or removed)."""
    if not text or actor.kind == "system":
        return text

    def shown(field: str) -> Callable[[re.Match], str]:
        return lambda m: present(actor, field, m.group(0)) or ""

    text = _ID_NUMBER.sub(shown("id_number"), text)
    text = _MOBILE.sub(shown("phone"), text)
    return _EMAIL.sub(shown("email"), text) if "@" in text else text


# How text written for several readers shows identifiers: as to a relationship manager (ID numbers and
# phones masked). A reader whose policy masks more gets it masked again when reading (`report_bytes`).
_REPORT_VIEW = Actor(kind="user", id=None, name="report", roles=frozenset({"rm"}))


def masked_identifiers(text: str) -> str:
    """`text` with ID numbers and phones masked, as an error report or a row error is written."""
    return mask_identifiers(_REPORT_VIEW, text)


class CellMask:
    """How one actor is shown the cells of one import file: per column, by the field it is mapped to."""

    def __init__(self, s: Session, actor: Actor, headers: list[str], mapping: dict[str, str]):
        self.actor = actor
        visible_custom = {mappings.custom_target(d.key) for d in custom_fields.visible_definitions(s, actor)}
        self.field_of: dict[int, str] = {}
        self.dropped: set[int] = set()
        for col, target in (mapping or {}).items():
            if col not in headers or not isinstance(target, str):
                continue
            i = headers.index(col)
            if target in SENSITIVE_FIELDS:
                self.field_of[i] = target
            elif mappings.is_custom(target) and target not in visible_custom:
                self.dropped.add(i)

    def cell(self, i: int, value: str) -> str:
        if not value:
            return value
        if i in self.dropped:
            return ""
        f = self.field_of.get(i)
        if f is not None:
            return present(self.actor, f, value) or ""
        return mask_identifiers(self.actor, value)

    def row(self, cells: Iterable[str]) -> list[str]:
        return [self.cell(i, c) for i, c in enumerate(cells)]


def batches_of(s: Session, doc: Document) -> list[ImportBatch]:
    column = ImportBatch.sha256 if doc.kind == "import_source" else ImportBatch.error_report_sha256
    return list(s.execute(select(ImportBatch).where(column == doc.sha256).order_by(ImportBatch.id)).scalars())


def _require_batch_reader(s: Session, actor: Actor, doc: Document) -> list[ImportBatch]:
    seen = [b for b in batches_of(s, doc) if may_see_batch(s, actor, b)]
    if not seen:
        raise NotPermitted(actor=actor, entity_type="document", entity_id=doc.id)
    return seen


def report_bytes(actor: Actor, data: bytes) -> bytes:
    """An error report as the actor may read it (identifier masking again: reports written before it)."""
    if reads_in_full(actor):
        return data
    return mask_identifiers(actor, data.decode("utf-8-sig")).encode("utf-8-sig")


def masked_source(s: Session, actor: Actor, batch: ImportBatch, data: bytes) -> bytes:
    """The source file re-rendered as CSV (UTF-8 with BOM) with what the actor may not see masked."""
    from services.customers.export import neutralise

    table = read_table(data, batch.filename)
    mask = CellMask(s, actor, table.headers, batch.mapping or mappings.suggest(table.headers))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in table.headers])
    for _, cells in table.rows:
        w.writerow([neutralise(c) for c in mask.row(cells)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _masked_name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem}-masked.csv"


def download(s: Session, actor: Actor, doc: Document) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of an import file for `actor`, audited in the caller's transaction."""
    batches = _require_batch_reader(s, actor, doc)
    data = documents.read_blob(doc.sha256)
    name = strip_invisible(doc.filename) or "file"
    details: dict[str, Any] = {"kind": doc.kind, "filename": name, "sha256": doc.sha256,
                               "batch_ids": [b.id for b in batches]}
    if doc.kind == "import_report":
        audit.record(s, actor, "document.download", entity_type="document", entity_id=doc.id, changes=details)
        return name, "text/csv; charset=utf-8", report_bytes(actor, data)
    if reads_in_full(actor):
        audit.record(s, actor, "document.reveal", entity_type="document", entity_id=doc.id,
                     changes={**details, "fields": list(FILE_FIELDS)})
        return name, doc.content_type or "application/octet-stream", data
    masked = masked_source(s, actor, batches[0], data)
    audit.record(s, actor, "document.download", entity_type="document", entity_id=doc.id,
                 changes={**details, "masked": True})
    return _masked_name(name), "text/csv; charset=utf-8", masked


def report_document(s: Session, batch: ImportBatch) -> Document | None:
    """The Document row of a batch's error report (the one stored by its run)."""
    if batch.error_report_sha256 is None:
        return None
    return s.execute(select(Document).where(Document.kind == "import_report", Document.customer_id.is_(None),
                                            Document.sha256 == batch.error_report_sha256)
                     .order_by(Document.id.desc()).limit(1)).scalars().first()
