"""Customer import use cases: upload, preview, run, progress, error report, review queue.

How a batch runs (`run_import`), and why nobody ever sees half of it, while nobody waits for it either:

1. *Check* (read-only, chunks of `CHUNK` rows): every row is validated (`validate.validate_row`),
   checked against the rows before it in the same file (duplicate rows, an ID number twice), and
   matched to existing customers in bulk: ID number (blind index), else phone (blind index),
   else name + birth date. The plan per row is create / update / unchanged / review / error.
   Customers another import wrote and has not published are nobody's: never matched, their ID
   numbers taken. Progress (`processed_rows`) is committed after every chunk, so a page on any
   worker can poll it.
2. *Create, held* (short transactions of `CREATE_CHUNK` rows): new customers go through
   `customers.create_customer_records` (each row validated as a form would be, audited, tag rules
   evaluated, announced to the outbox) under the batch's *write hold* (services/holds.py): they are
   committed but invisible to everyone — every list, search, count, export, 360 view, the ID-number
   check, the nightly tag pass, the import matcher — and their outbox messages are held. A row the
   service refuses becomes a row error. Between two chunks the database is left to other writers
   (services.db.pause_for_waiting_writers), so on SQLite a sign-in or a logged call waits at most one
   chunk (a fraction of a second) instead of the whole apply.
3. *Final step* (ONE short transaction): changes to existing customers through
   `customers.update_customer`, each in a savepoint (a refused or conflicting row becomes a row error);
   rows matched only by name + birth date go to the review queue (`ImportReviewItem`), never merged.
   Then the verdict: if any row has an error and the caller did not ask for `apply_valid_rows`, the
   final step is rolled back, the held customers are deleted (`_discard_hold`, in short audited
   transactions, hidden until the last is gone) and the batch is `rejected` with its error report:
   nothing of the file is in the database. Otherwise the hold is *published* in the same transaction
   that marks the batch `done`: every new customer (with its tags and webhooks) appears at once.
   The user reads a report and either fixes the file or confirms "import valid rows", which runs the
   batch again with `apply_valid_rows=True`. A file the check already rejects is applied as a dry run
   (each chunk rolled back): its report also names what the service refuses, and nothing is written.
   An unexpected failure discards the held rows too (`failed`); a process that dies leaves them
   hidden until the next run of the batch or the watchdog (`fail_interrupted_runs`) discards them.

Why updates of existing customers are not held: a change to a customer others can already see cannot
be hidden without versioned rows everywhere a customer is read. So changes are applied in the final
step, in the same transaction that publishes the new customers: all or nothing, as others see it. The
cost is that the final step's length grows with the number of existing customers the file changes
(on SQLite, others wait that long once): initial loads and the core-banking inbox's new-customer files
are creates, held at no cost to others; a file that changes many thousands of existing customers holds
the database for its final step.

Custom fields: the columns may map to the custom fields the actor may see (`custom.<key>`,
suggested by their labels); each value is checked by the custom-field rules in the check phase
(row and column named), stored in its canonical form, and compared with the customer's stored
value, so a row whose custom values are already there is unchanged.

Idempotency: a file whose SHA-256 matches a batch already `done` is refused at upload
("already imported as batch N"); a file with the same rows in other bytes matches every row
to its customer with nothing to change, so it counts as unchanged and writes nothing.
"""
from __future__ import annotations

import csv
import io
import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from sqlalchemy import select, update
from sqlmodel import Session

from services import db, documents, holds
from services.customers import changes as customer_changes
from services.customers import custom_fields
from services.customers import search as customer_search
from services.customers import service as customers
from services.customers.models import Customer, CustomFieldDefinition, Document, IdType
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, NotPermitted, ValidationFailed
from services.i18n import field_label, translate
from services.imports import files, runs
from services.imports import mapping as mappings
from services.imports.access import may_see_batch as _may_see_batch
from services.imports.access import who as _who
from services.imports.models import ImportBatch, ImportReviewItem
from services.imports.reader import PREVIEW_ROWS, ImportFileError, Table, read_table
from services.imports.validate import CustomSpec, RowError, validate_row
from services.security import audit
from services.security.actor import Actor
from services.security.keys import get_cipher
from services.security.masking import mask_id_number, mask_phone
from services.security.models import Role, User
from services.security.policy import Permission, can_see_customer, requires
from services import clock
from services.validation.text import strip_invisible

log = logging.getLogger(__name__)

RESUMABLE = ("pending", "rejected", "failed")  # statuses a batch can be run (again) from
CHUNK = 1000
APPLY_PROGRESS_EVERY = 200
# New customers per short transaction while applying: on SQLite each chunk holds the database's write lock, and
# other writers get it between two chunks. 50 rows (validated, audited, tag-evaluated, screened) take about 0.05 s on
# an idle 2-core machine and 0.2-0.3 s under heavy load: a write waits at most that long (200 made it a second).
CREATE_CHUNK = 50
DISCARD_CHUNK = 2000  # customers of a failed run removed per transaction
REPORT_HEADER = ("row", "column", "field", "message_zh_CN", "message_en")
# Fields an import may change on an existing customer (identity stays as matched).
UPDATABLE = ("name", "gender", "birth_date", "phone", "email", "address", "occupation", "segment",
             "source_channel", "status")
_REVIEW_CONTEXT = "import.review"


class ImportRefused(DomainError):
    code = "import.error"
    http_status = 409


# ---------------------------------------------------------------- views


@dataclass
class BatchView:
    id: int
    source: str
    filename: str
    status: str
    phase: str  # "", "check", "apply"
    total_rows: int
    processed_rows: int
    created_count: int
    updated_count: int
    unchanged_count: int
    review_count: int
    error_count: int
    has_error_report: bool
    message: str | None
    created_at: Any
    finished_at: Any
    duplicate_of: int | None = None


@dataclass
class PreviewRow:
    row: int
    cells: list[str]
    errors: list[RowError]


@dataclass
class Preview:
    batch: BatchView
    headers: list[str]
    mapping: dict[str, str]
    rows: list[PreviewRow]
    mapping_errors: list[FieldError] = field(default_factory=list)


@dataclass
class MappingTarget:
    value: str  # "custom.<key>"
    label: str
    label_en: str
    field_type: str


@dataclass
class ReviewView:
    id: int
    batch_id: int
    row_no: int
    name: str
    birth_date: str
    id_number: str | None  # masked
    phone: str | None  # masked
    candidates: list[dict]  # {"id", "customer_no", "name"}
    status: str


# ---------------------------------------------------------------- live progress (this process)

_live: dict[int, tuple[str, int]] = {}
_live_lock = threading.Lock()


def _set_live(batch_id: int, phase: str, processed: int) -> None:
    with _live_lock:
        _live[batch_id] = (phase, processed)


def _clear_live(batch_id: int) -> None:
    with _live_lock:
        _live.pop(batch_id, None)


# ---------------------------------------------------------------- permission


def _load_batch(s: Session, actor: Actor, batch_id: Any) -> ImportBatch:
    if isinstance(batch_id, bool) or not isinstance(batch_id, int) or not 0 < batch_id < 2**62:
        raise ValidationFailed([FieldError("batch_id", "value.invalid")])
    batch = s.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(what="import_batch", id=batch_id)
    if not _may_see_batch(s, actor, batch):
        raise NotPermitted(actor=actor, entity_type="import_batch", entity_id=batch_id)
    return batch


def _view(b: ImportBatch, duplicate_of: int | None = None) -> BatchView:
    phase, processed = "", b.processed_rows
    with _live_lock:
        live = _live.get(b.id) if b.status == "running" else None
    if live is not None:
        phase, processed = live
    return BatchView(id=b.id, source=b.source, filename=strip_invisible(b.filename), status=b.status, phase=phase,
                     total_rows=b.total_rows, processed_rows=processed, created_count=b.created_count,
                     updated_count=b.updated_count, unchanged_count=b.unchanged_count, review_count=b.review_count,
                     error_count=b.error_count, has_error_report=b.error_report_sha256 is not None,
                     message=b.message, created_at=b.created_at, finished_at=b.finished_at,
                     duplicate_of=duplicate_of)


# ---------------------------------------------------------------- custom fields as mapping targets


def _custom_spec(s: Session, actor: Actor) -> CustomSpec:
    """The active custom fields the actor may see (detached copies, usable after the session)."""
    cols = [c.name for c in CustomFieldDefinition.__table__.columns]
    defs = {}
    editable = set()
    for d in custom_fields.visible_definitions(s, actor):
        target = mappings.custom_target(d.key)
        defs[target] = CustomFieldDefinition(**{c: getattr(d, c) for c in cols})
        if custom_fields.can_edit(actor, d):
            editable.add(target)
    return CustomSpec(defs=defs, editable=frozenset(editable))


def _custom_names(spec: CustomSpec) -> list[tuple[str, list[str]]]:
    return [(t, [d.label, d.label_en, d.key]) for t, d in spec.defs.items()]


def _custom_labels(spec: CustomSpec) -> dict[str, dict]:
    return {t: custom_fields.label_params(d) for t, d in spec.defs.items()}


@requires(Permission.IMPORT_RUN)
def mapping_targets(*, uow: UnitOfWork, actor: Actor) -> list[MappingTarget]:
    """The custom fields a column may be mapped to by this actor, in the admin's order."""
    spec = _custom_spec(uow.session, actor)
    return [MappingTarget(value=t, label=d.label, label_en=d.label_en, field_type=d.field_type)
            for t, d in spec.defs.items()]


# ---------------------------------------------------------------- upload and preview


def _done_batch_with(s: Session, sha: str, exclude: int | None = None) -> ImportBatch | None:
    stmt = select(ImportBatch).where(ImportBatch.sha256 == sha, ImportBatch.status == "done")
    if exclude is not None:
        stmt = stmt.where(ImportBatch.id != exclude)
    return s.execute(stmt.order_by(ImportBatch.id).limit(1)).scalars().first()


@requires(Permission.IMPORT_RUN)
def upload(*, uow: UnitOfWork, actor: Actor, data: Any, filename: Any, source: str = "upload") -> BatchView:
    """Keep an uploaded file in the document store and open a pending batch for it.

    Refuses a file that cannot be read at all, and one already imported (same SHA-256)."""
    if source not in ("upload", "inbox"):
        raise ValidationFailed([FieldError("source", "value.invalid")])
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ValidationFailed([FieldError("file", "value.required")])
    name = documents.clean_filename(filename)
    table = read_table(bytes(data), name, limit=PREVIEW_ROWS)  # refuses unreadable files now
    s = uow.session
    sha = documents.sha256_of(bytes(data))
    done = _done_batch_with(s, sha)
    if done is not None:
        raise ImportRefused("import.already_imported", batch_id=done.id,
                           when=clock.local_date(done.finished_at).isoformat() if done.finished_at else "")
    doc = documents.store(s, data=bytes(data), filename=name, kind="import_source", actor=actor,
                          content_type="text/csv" if table.format == "csv" else
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    batch = ImportBatch(source=source, filename=name, sha256=doc.sha256, encoding=table.encoding,
                        mapping=mappings.suggest(table.headers, _custom_names(_custom_spec(s, actor))),
                        status="pending", created_by=_who(actor),
                        created_at=clock.now())
    s.add(batch)
    s.flush()
    audit.record(s, actor, "import.upload", entity_type="import_batch", entity_id=batch.id,
                 changes={"filename": name, "sha256": sha, "size": len(data), "source": source})
    return _view(batch)


def _source_bytes(batch: ImportBatch) -> bytes:
    return documents.read_blob(batch.sha256)


def _columns(table: Table, mapping: dict[str, str]) -> dict[str, int]:
    return {f: table.headers.index(col) for col, f in mapping.items()}


@requires(Permission.IMPORT_RUN)
def preview(*, uow: UnitOfWork, actor: Actor, batch_id: Any, mapping: Any = None) -> Preview:
    """The first rows of the file with the errors each would get under `mapping` (default: suggested)."""
    s = uow.session
    batch = _load_batch(s, actor, batch_id)
    table = read_table(_source_bytes(batch), batch.filename, limit=PREVIEW_ROWS)
    wanted = batch.mapping if mapping is None else mapping
    spec = _custom_spec(s, actor)
    mapping_errors: list[FieldError] = []
    try:
        checked = mappings.check(wanted, table.headers, _custom_labels(spec))
    except ValidationFailed as exc:
        mapping_errors = exc.errors
        checked = ({c: f for c, f in wanted.items() if c in table.headers and isinstance(f, str)
                    and (f in mappings.FIELDS or f in spec.defs)}
                   if isinstance(wanted, dict) else {})
    columns = {}
    for col, f in checked.items():
        columns.setdefault(f, table.headers.index(col))
    # Shown masked to everyone: the preview goes into a page's public state, and a preview is no reveal.
    mask = files.CellMask(s, actor, table.headers, checked)
    rows = []
    for row_no, cells in table.rows:
        res = validate_row(row_no, cells, columns, table.headers, custom=spec)
        rows.append(PreviewRow(row_no, [c[:60] for c in mask.row(cells[:len(table.headers)])], res.errors))
    return Preview(batch=_view(batch), headers=table.headers, mapping=checked, rows=rows,
                   mapping_errors=mapping_errors)


@requires(Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)  # and the batch's own rule (_load_batch)
def get_batch(*, uow: UnitOfWork, actor: Actor, batch_id: Any) -> BatchView:
    return _view(_load_batch(uow.session, actor, batch_id))


@requires(Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)
def list_batches(*, uow: UnitOfWork, actor: Actor, limit: int = 20) -> list[BatchView]:
    s = uow.session
    rows = s.execute(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(200)).scalars().all()
    return [_view(b) for b in rows if _may_see_batch(s, actor, b)][:max(1, min(limit, 100))]


@requires(Permission.IMPORT_RUN)
def assignable_owners(*, uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    """Relationship managers this importer may give new customers to: (user id, display name)."""
    users = uow.session.execute(select(User).where(User.is_active.is_(True), User.branch_id.is_not(None))
                                .order_by(User.display_name, User.id)).scalars().all()
    return [(u.id, f"{u.display_name} ({u.username})") for u in users
            if Role.RM in (u.roles or []) and can_see_customer(actor, owner_id=u.id, team_id=u.team_id,
                                                                branch_id=u.branch_id)][:500]


# ---------------------------------------------------------------- the run


@dataclass
class _Plan:
    row: int
    action: str  # create, update, unchanged, review, error
    values: dict
    customer_id: int | None = None
    version: int | None = None
    changes: dict = field(default_factory=dict)
    candidates: list[int] = field(default_factory=list)
    owner_id: int | None = None


def _diff(s: Session, actor: Actor, c: Customer, values: dict) -> dict:
    """The fields of an import row that would change the stored customer, decided by the customers domain's
    one rule (services.customers.changes.differences: identity normalised, only real differences)."""
    given = {f: values[f] for f in UPDATABLE if f in values}
    if values.get("custom"):
        given["custom"] = values["custom"]
    diff = customer_changes.differences(s, actor, c, given, [])
    changed = set(diff.fields)
    out = {f: given[f] for f in UPDATABLE if f in changed}
    custom = {k: v for k, v in (given.get("custom") or {}).items() if f"custom.{k}" in changed}
    if custom:  # only the values that differ; the others are kept as stored
        out["custom"] = custom
    return out


def _owners(s: Session, usernames: set[str]) -> dict[str, User]:
    if not usernames:
        return {}
    rows = s.execute(select(User).where(User.username.in_(sorted(usernames)))).scalars().all()
    return {u.username: u for u in rows}


def _plan_chunk(s: Session, actor: Actor, results, default_owner_id: int | None,
                errors: list[RowError], seen_ids: dict, seen_rows: dict, owner_cache: dict) -> list[_Plan]:
    from services.imports.validate import row_key

    plans: list[_Plan] = []
    pending = []
    for res in results:
        if res.errors:
            errors.extend(res.errors)
            continue
        v = res.values
        key = row_key(v)
        if key in seen_rows:
            errors.append(RowError(res.row, "", "row", "import.duplicate_row", {"first": seen_rows[key]}))
            continue
        seen_rows[key] = res.row
        ident = (v.get("id_type"), v.get("id_number")) if v.get("id_number") else None
        if ident and ident in seen_ids:
            errors.append(RowError(res.row, "", "id_number", "import.duplicate_id_in_file", {"first": seen_ids[ident]}))
            continue
        if ident:
            seen_ids[ident] = res.row
        pending.append(res)

    # Owners named in the file, resolved once per user name.
    missing = {r.values["owner"] for r in pending if "owner" in r.values and r.values["owner"] not in owner_cache}
    owner_cache.update(_owners(s, missing))
    for name in missing:
        owner_cache.setdefault(name, None)

    # Bulk matching: ID numbers, then phones, then name + birth date.
    id_keys = {customer_search.id_blind_index(r.values["id_type"], r.values["id_number"]): r
               for r in pending if r.values.get("id_number")}
    by_id: dict[str, Customer] = {}
    if id_keys:
        for c in s.execute(select(Customer).where(Customer.id_number_bidx.in_(list(id_keys)))).scalars():
            by_id[c.id_number_bidx] = c
    phone_keys = {customer_search.phone_blind_index(r.values["phone"]) for r in pending if r.values.get("phone")}
    by_phone: dict[str, list[Customer]] = {}
    if phone_keys:
        for c in s.execute(select(Customer).where(Customer.phone_bidx.in_(list(phone_keys)))).scalars():
            by_phone.setdefault(c.phone_bidx, []).append(c)
    nb = {(r.values["name"], r.values["birth_date"]) for r in pending if r.values.get("birth_date")}
    by_name_birth: dict[tuple, list[Customer]] = {}
    if nb:
        names = sorted({n for n, _ in nb})
        births = sorted({b for _, b in nb})
        for c in s.execute(select(Customer).where(Customer.name.in_(names), Customer.birth_date.in_(births))
                           ).scalars():
            if (c.name, c.birth_date) in nb:
                by_name_birth.setdefault((c.name, c.birth_date), []).append(c)

    # Customers another import wrote and has not published are nobody's yet (services/holds.py): never a
    # match or a candidate; their ID numbers are taken all the same.
    loaded = [*by_id.values(), *(c for cs in by_phone.values() for c in cs),
              *(c for cs in by_name_birth.values() for c in cs)]
    held_by = {c.hold_id for c in loaded if c.hold_id is not None}
    open_holds = {h for h in held_by if holds.is_open(s, h)}

    def held(c: Customer) -> bool:
        return c.hold_id is not None and c.hold_id in open_holds

    def visible(c: Customer) -> bool:
        return not held(c) and can_see_customer(actor, owner_id=c.owner_id, team_id=c.team_id,
                                                branch_id=c.branch_id)

    for res in pending:
        v = dict(res.values)
        owner_id = default_owner_id
        owner_name = v.pop("owner", None)
        if owner_name is not None:
            u = owner_cache.get(owner_name)
            if u is None:
                errors.append(RowError(res.row, "", "owner", "import.unknown_user", {"user": owner_name}))
                continue
            owner_id = u.id
        match = None
        if v.get("id_number"):
            match = by_id.get(customer_search.id_blind_index(v["id_type"], v["id_number"]))
        phone_hits = [c for c in (by_phone.get(customer_search.phone_blind_index(v["phone"]), [])
                                  if v.get("phone") else []) if not held(c)]
        if match is None and not v.get("id_number"):
            seen = [c for c in phone_hits if visible(c)]
            if len(phone_hits) == 1 and seen:
                match = seen[0]
            elif len(phone_hits) == 1:
                errors.append(RowError(res.row, "", "phone", "import.not_in_scope"))
                continue
            elif len(seen) > 1:
                plans.append(_Plan(res.row, "review", v, candidates=[c.id for c in seen], owner_id=owner_id))
                continue
        if match is not None and held(match):
            errors.append(RowError(res.row, "", "id_number", "value.duplicate_elsewhere"))
            continue
        if match is not None:
            if not visible(match):
                errors.append(RowError(res.row, "", "id_number", "import.not_in_scope"))
                continue
            changes = _diff(s, actor, match, v)
            if owner_name is not None and owner_id != match.owner_id:
                changes["owner_id"] = owner_id
            plans.append(_Plan(res.row, "update" if changes else "unchanged", v, customer_id=match.id,
                               version=match.version, changes=changes))
            continue
        # No match by identity: a phone or a name + birth date shared with someone else is for a person to judge.
        candidates = [c for c in phone_hits if visible(c)]
        if v.get("birth_date"):
            candidates += [c for c in by_name_birth.get((v["name"], v["birth_date"]), []) if visible(c)]
        cand_ids = sorted({c.id for c in candidates})
        if cand_ids:
            if not v.get("id_number"):
                v.pop("id_number", None)
            plans.append(_Plan(res.row, "review", v, candidates=cand_ids, owner_id=owner_id))
            continue
        if not v.get("id_number"):
            errors.append(RowError(res.row, "", "phone", "import.no_match_needs_id"))
            continue
        if owner_id is None:
            errors.append(RowError(res.row, "", "owner", "value.required"))
            continue
        plans.append(_Plan(res.row, "create", v, owner_id=owner_id))
    return plans


def _row_errors_from(exc: DomainError, row: int, col_of: dict[str, str]) -> list[RowError]:
    if isinstance(exc, ValidationFailed):
        return [RowError(row, col_of.get("owner" if e.field == "owner_id" else e.field, ""),
                         e.field, e.code, e.params) for e in exc.errors]
    return [RowError(row, "", "row", exc.code, exc.params)]


def _review_data(v: dict, owner_id: int | None) -> dict:
    cipher = get_cipher()
    plain = {k: (x.isoformat() if isinstance(x, date) else x) for k, x in v.items()
             if k not in ("id_number", "phone")}
    return {
        "values": plain, "owner_id": owner_id,
        "display": {"id_number": mask_id_number(v["id_number"]) if v.get("id_number") and
                    v.get("id_type") == IdType.RESIDENT_ID else ("****" if v.get("id_number") else None),
                    "phone": mask_phone(v["phone"]) if v.get("phone") else None},
        "enc": {"id_number": cipher.encrypt(v["id_number"], context=_REVIEW_CONTEXT) if v.get("id_number") else None,
                "phone": cipher.encrypt(v["phone"], context=_REVIEW_CONTEXT) if v.get("phone") else None},
    }


def error_report_csv(errors: list[RowError]) -> bytes:
    """The row-by-row report: UTF-8 with BOM (Excel reads it), every cell safe to open in a spreadsheet."""
    from services.imports.reader import cell_problem

    def safe(value: Any) -> str:
        text = str(value)
        return "'" + text if cell_problem(text) or text[:1] in "=+-@" else text

    def message(e: RowError, loc: str) -> str:
        return _field_message(e, loc)

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(REPORT_HEADER)
    for e in sorted(errors, key=lambda e: (e.row, e.column)):
        w.writerow([e.row, safe(e.column), safe(e.field), safe(message(e, "zh_CN")), safe(message(e, "en"))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _field_message(e: RowError, locale: str) -> str:
    # A message may echo a cell ("13800138000" is not a known value): never an identifier in full.
    text = files.masked_identifiers(translate(e.code, locale, **e.params))
    if e.field == "row":
        return text
    return f"{field_label(e.field, locale, e.params)}: {text}"


def describe(e: RowError, locale: str) -> str:
    """One error as a person reads it: row, column and what is wrong, in `locale`."""
    where = translate("import.row_n", locale, row=e.row)
    col = f" [{e.column}]" if e.column else ""
    return f"{where}{col} {_field_message(e, locale)}"


@requires(Permission.IMPORT_RUN)
def run_import(*, uow_factory: Callable[[], UnitOfWork], actor: Actor, batch_id: Any, mapping: Any = None,
               default_owner_id: Any = None, apply_valid_rows: Any = False) -> BatchView:
    """Run a pending (or rejected, or failed) batch; see the module docstring. Commits its own transactions.

    The run holds the batch's run lock (services.imports.runs) from before it claims the batch until
    after its last commit; a batch left "running" by a process that died is failed here (audited)
    and run again."""
    if not isinstance(apply_valid_rows, bool):
        raise ValidationFailed([FieldError("apply_valid_rows", "value.wrong_type")])
    if default_owner_id is not None and (isinstance(default_owner_id, bool) or not isinstance(default_owner_id, int)
                                         or not 0 < default_owner_id < 2**62):
        raise ValidationFailed([FieldError("owner_id", "value.invalid")])
    with _read_only(uow_factory) as uow:
        s = uow.session
        batch = _load_batch(s, actor, batch_id)
        if batch.status == "done":  # checked again when the batch is claimed
            raise ImportRefused("import.batch_finished", batch_id=batch.id)
        bid, filename, sha, was_running = batch.id, batch.filename, batch.sha256, batch.status == "running"
        stored_mapping = dict(batch.mapping or {})
        bind = s.get_bind()
    with runs.run_lock(bind, bid) as held:
        if not held:
            raise ImportRefused("import.batch_running", batch_id=bid)
        # The file is parsed outside any transaction: on SQLite a write transaction would hold the
        # database's write lock (sign-ins, every other writer) for as long as a large file takes to read.
        table = read_table(documents.read_blob(sha), filename)
        # We hold its run lock, so a process that was running it is gone: what it wrote goes, and a batch it
        # left "running" is failed first.
        _discard_leftovers(uow_factory, actor, bid)
        if was_running:
            with uow_factory() as uow:
                _fail_interrupted(uow.session, bid)
                uow.commit()
        # Claim the batch: one run at a time, never a finished one again.
        with uow_factory() as uow:
            s = uow.session
            batch = _load_batch(s, actor, bid)
            if batch.status == "done":
                raise ImportRefused("import.batch_finished", batch_id=batch.id)
            done = _done_batch_with(s, batch.sha256, exclude=batch.id)
            if done is not None:
                raise ImportRefused("import.already_imported", batch_id=done.id,
                                    when=clock.local_date(done.finished_at).isoformat() if done.finished_at else "")
            spec = _custom_spec(s, actor)
            checked = mappings.check(stored_mapping if mapping is None else mapping, table.headers,
                                     _custom_labels(spec))
            if "owner" not in checked.values() and default_owner_id is None:
                raise ValidationFailed([FieldError("owner", "value.required")])
            if default_owner_id is not None:
                owner = s.get(User, default_owner_id)
                if (owner is None or not owner.is_active or Role.RM not in owner.roles or owner.branch_id is None
                        or not can_see_customer(actor, owner_id=owner.id, team_id=owner.team_id,
                                                branch_id=owner.branch_id)):
                    raise ValidationFailed([FieldError("owner_id", "value.not_an_rm")])
            claimed = s.execute(
                update(ImportBatch).where(ImportBatch.id == batch.id,
                                          ImportBatch.status.in_(("pending", "rejected", "failed")))
                .values(status="running", mapping=checked, total_rows=len(table.rows), processed_rows=0,
                        message=None)
            ).rowcount
            if claimed != 1:
                raise ImportRefused("import.batch_running", batch_id=batch.id)
            # On record from the start: a run that never finishes (process killed) still shows who began it.
            audit.record(s, actor, "import.start", entity_type="import_batch", entity_id=batch.id,
                         changes={"rows": len(table.rows), "mapping": checked, "default_owner_id": default_owner_id,
                                  "apply_valid_rows": apply_valid_rows})
            uow.commit()
        _set_live(bid, "check", 0)
        try:
            return _run(uow_factory, actor, bid, table, checked, default_owner_id, apply_valid_rows, spec)
        except BaseException as exc:
            log.exception("import batch %s failed", bid)
            with uow_factory() as uow:
                uow.session.execute(update(ImportBatch).where(ImportBatch.id == bid,
                                                              ImportBatch.status == "running").values(
                    status="failed", finished_at=clock.now(),
                    message=(exc.code if isinstance(exc, DomainError) else "import.failed")))
                audit.record(uow.session, actor, "import.failed", entity_type="import_batch", entity_id=bid,
                             changes={"error": type(exc).__name__})
                uow.commit()
            if isinstance(exc, DomainError):
                raise
            raise ImportRefused("import.failed") from exc
        finally:
            _clear_live(bid)


def _read_only(uow_factory: Callable[..., UnitOfWork]) -> UnitOfWork:
    """A unit of work for reading only, when the factory can make one: on SQLite it then never queues
    behind a writer (another worker's apply holds the write lock for as long as it runs)."""
    try:
        return uow_factory(readonly=True)
    except TypeError:  # a factory of one kind only (a test's savepoints, the seed's session)
        return uow_factory()


# ---------------------------------------------------------------- interrupted runs

INTERRUPTED_BY = Actor(kind="system", id=None, name="import-watchdog")


def _fail_interrupted(s: Session, batch_id: int) -> bool:
    """Mark a batch whose run was interrupted as failed, audited with the reason. The caller holds the
    batch's run lock, so no live process is running it, and has discarded what the run wrote
    (`_discard_leftovers`). True when it was still "running"."""
    batch = s.get(ImportBatch, batch_id)
    failed = s.execute(update(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.status == "running")
                       .values(status="failed", message="import.interrupted", finished_at=clock.now())).rowcount
    if failed != 1:
        return False
    audit.record(s, INTERRUPTED_BY, "import.failed", entity_type="import_batch", entity_id=batch_id,
                 changes={"reason": "interrupted", "detail": "the process running it stopped before it finished; "
                                                             "nothing of the file was published",
                          "processed_rows": batch.processed_rows if batch else None,
                          "total_rows": batch.total_rows if batch else None})
    return True


def _discard_leftovers(uow_factory, actor: Actor, bid: int) -> int:
    """What an interrupted run of the batch wrote under its hold and never published: removed (the caller
    holds the batch's run lock). Returns how many customers were removed."""
    with _read_only(uow_factory) as uow:
        hold = uow.session.execute(select(ImportBatch.write_hold_id).where(ImportBatch.id == bid)).scalar()
        left = hold is not None and holds.is_open(uow.session, hold)
    return _discard_hold(uow_factory, actor, bid, hold) if left else 0


def fail_interrupted_runs(*, uow_factory: Callable[[], UnitOfWork]) -> list[int]:
    """Fail (audited) every batch left "running" by a process that died, so it can be run again, and remove
    what such a run wrote under its hold (also for a batch whose run failed but could not clean up); a run
    that a live process holds, in this worker or another, is left alone. Run at start-up and every minute by
    the scheduler; safe to run anywhere, any number of times."""
    from services.holds import OPEN, WriteHold

    with _read_only(uow_factory) as uow:
        candidates = list(uow.session.execute(
            select(ImportBatch.id).outerjoin(WriteHold, WriteHold.id == ImportBatch.write_hold_id)
            .where((ImportBatch.status == "running") | (WriteHold.status == OPEN))
            .order_by(ImportBatch.id)).scalars())
        bind = uow.session.get_bind()
    failed = []
    for bid in candidates:
        with runs.run_lock(bind, bid) as held:
            if not held:
                continue  # a live run
            _discard_leftovers(uow_factory, INTERRUPTED_BY, bid)
            with uow_factory() as uow:
                if _fail_interrupted(uow.session, bid):
                    failed.append(bid)
                uow.commit()
    if failed:
        log.warning("import batches %s were interrupted (their process stopped); marked failed", failed)
    return failed


def _run(uow_factory, actor: Actor, bid: int, table: Table, checked: dict[str, str],
         default_owner_id: int | None, apply_valid_rows: bool, spec: CustomSpec) -> BatchView:
    columns = _columns(table, checked)
    col_of = {f: table.headers[i] for f, i in columns.items()}
    errors: list[RowError] = []
    plans: list[_Plan] = []
    seen_ids: dict = {}
    seen_rows: dict = {}
    owner_cache: dict = {}
    today = clock.today()
    # 1. check, in chunks, committing progress
    for start in range(0, len(table.rows), CHUNK):
        chunk = table.rows[start:start + CHUNK]
        results = [validate_row(n, cells, columns, table.headers, today=today, custom=spec) for n, cells in chunk]
        with uow_factory() as uow:
            plans += _plan_chunk(uow.session, actor, results, default_owner_id, errors, seen_ids, seen_rows,
                                 owner_cache)
            done = start + len(chunk)
            uow.session.execute(update(ImportBatch).where(ImportBatch.id == bid).values(processed_rows=done))
            uow.commit()
        _set_live(bid, "check", start + len(chunk))
    # 2. apply: new customers in short transactions under a hold, the rest in one short final step
    return _apply(uow_factory, actor, bid, plans, errors, col_of, apply_valid_rows, len(table.rows))


def _apply(uow_factory, actor: Actor, bid: int, plans: list[_Plan], errors: list[RowError], col_of: dict[str, str],
           apply_valid_rows: bool, total_rows: int) -> BatchView:
    """Apply the checked plans so that others are never kept waiting and never see half an import
    (the module docstring's steps 2 and 3)."""
    creates = [p for p in plans if p.action == "create"]
    others = [p for p in plans if p.action != "create"]
    hold = None
    # A file the check already rejects is applied as a dry run: the same chunks, rolled back, so that its
    # report also names what the customer service would refuse, and nothing is written, not even held.
    if not (errors and not apply_valid_rows):
        with uow_factory() as uow:
            s = uow.session
            hold = holds.open_hold(s, f"import_batch:{bid}")
            if s.execute(update(ImportBatch).where(ImportBatch.id == bid, ImportBatch.status == "running")
                         .values(write_hold_id=hold)).rowcount != 1:
                raise ImportRefused("import.interrupted")
            audit.record(s, actor, "import.apply", entity_type="import_batch", entity_id=bid,
                         changes={"write_hold": hold, "creates": len(creates), "others": len(others)})
            uow.commit()
    _set_live(bid, "apply", 0)
    try:
        created = _create_under_hold(uow_factory, actor, bid, hold, creates, errors, col_of)
        view = _final_step(uow_factory, actor, bid, hold, others, created, len(creates), errors, col_of,
                           apply_valid_rows, total_rows)
        if view is not None:
            return view
        # Rejected: the final step wrote nothing; what the creates wrote goes, then the verdict.
        _discard_hold(uow_factory, actor, bid, hold)
        return _finish(uow_factory, actor, bid, errors, {}, rejected=True, apply_valid_rows=apply_valid_rows,
                       total_rows=total_rows)
    except BaseException:
        try:
            _discard_hold(uow_factory, actor, bid, hold)
        except Exception:  # the rows stay hidden (the hold is open); the watchdog discards them later
            log.exception("import batch %s: could not discard what it wrote (hold %s)", bid, hold)
        raise


def _create_under_hold(uow_factory, actor: Actor, bid: int, hold: int | None, creates: list[_Plan],
                       errors: list[RowError], col_of: dict[str, str]) -> int:
    """New customers in transactions of CREATE_CHUNK rows, written under the batch's hold: validated, audited,
    tag-evaluated and announced as a form's would be, but invisible (and their outbox messages held) until the
    final step publishes them. Between two chunks the database is left to other writers. Without a hold (a
    dry run) each chunk is rolled back."""
    created = 0
    for start in range(0, len(creates), CREATE_CHUNK):
        part = creates[start:start + CREATE_CHUNK]
        with uow_factory() as uow:
            s = uow.session
            with holds.writing_under(s, hold) if hold is not None else nullcontext():
                try:
                    results: list = customers.create_customer_records(uow=uow, actor=actor, items=[
                        {**p.values, "owner_id": p.owner_id} for p in part])
                except DomainError as exc:  # refused as a whole (e.g. the actor may not create customers)
                    results = [exc] * len(part)
                if hold is not None:
                    holds.note_rows(s, hold, [r for r in results if isinstance(r, int)])
                    uow.commit()
            bind = s.get_bind()
        for p, result in zip(part, results):
            if isinstance(result, DomainError):
                errors.extend(_row_errors_from(result, p.row, col_of))
            else:
                created += 1
        _set_live(bid, "apply", start + len(part))
        db.pause_for_waiting_writers(bind)
    return created


def _final_step(uow_factory, actor: Actor, bid: int, hold: int | None, others: list[_Plan], created: int, offset: int,
                errors: list[RowError], col_of: dict[str, str], apply_valid_rows: bool,
                total_rows: int) -> BatchView | None:
    """One transaction: the changes to existing customers and the review rows, then either publish everything
    (the batch is done, its new customers appear at once) or, when rows failed and the caller did not ask for
    the valid ones alone, roll it all back (None: the caller discards the held rows and rejects the batch)."""
    counts = {"create": created, "update": 0, "unchanged": 0, "review": 0}
    with uow_factory() as uow:
        s = uow.session
        for i, p in enumerate(others, start=offset + 1):
            if p.action == "unchanged":
                counts["unchanged"] += 1
            elif p.action == "review":
                s.add(ImportReviewItem(batch_id=bid, row_no=p.row, data=_review_data(p.values, p.owner_id),
                                       candidate_ids=p.candidates, status="open"))
                counts["review"] += 1
            else:
                sp = s.begin_nested()
                try:
                    customers.update_customer(uow=uow, actor=actor, customer_id=p.customer_id,
                                              version=p.version, changes=p.changes)
                    sp.commit()
                    counts["update"] += 1
                except DomainError as exc:
                    sp.rollback()
                    errors.extend(_row_errors_from(exc, p.row, col_of))
            if i % APPLY_PROGRESS_EVERY == 0:
                _set_live(bid, "apply", i)
        s.flush()
        if errors and not apply_valid_rows:
            return None  # leaving the block rolls the final step back
        if hold is None or not holds.publish(s, hold):
            raise ImportRefused("import.interrupted")  # discarded meanwhile: nothing may be published
        return _finish_in(s, uow, actor, bid, errors, counts, rejected=False, apply_valid_rows=apply_valid_rows,
                          total_rows=total_rows)


def _finish(uow_factory, actor: Actor, bid: int, errors: list[RowError], counts: dict, *, rejected: bool,
            apply_valid_rows: bool, total_rows: int) -> BatchView:
    with uow_factory() as uow:
        return _finish_in(uow.session, uow, actor, bid, errors, counts, rejected=rejected,
                          apply_valid_rows=apply_valid_rows, total_rows=total_rows)


def _finish_in(s: Session, uow: UnitOfWork, actor: Actor, bid: int, errors: list[RowError], counts: dict, *,
               rejected: bool, apply_valid_rows: bool, total_rows: int) -> BatchView:
    """Write the batch's verdict (counts, error report, status) with its audit event, and commit."""
    report = documents.store(s, data=error_report_csv(errors), filename=f"import-{bid}-errors.csv",
                             content_type="text/csv", kind="import_report", actor=actor) if errors else None
    values = dict(status="rejected" if rejected else "done", processed_rows=total_rows,
                  created_count=counts.get("create", 0), updated_count=counts.get("update", 0),
                  unchanged_count=counts.get("unchanged", 0), review_count=counts.get("review", 0),
                  error_count=len({e.row for e in errors}),
                  error_report_sha256=report.sha256 if report else None,
                  message="import.rejected_with_errors" if rejected else None, finished_at=clock.now())
    if s.execute(update(ImportBatch).where(ImportBatch.id == bid, ImportBatch.status == "running")
                 .values(**values)).rowcount != 1:
        raise ImportRefused("import.interrupted")  # failed meanwhile: roll the whole step back
    audit.record(s, actor, "import.rejected" if rejected else "import.run", entity_type="import_batch",
                 entity_id=bid, changes={k: v for k, v in values.items() if k.endswith("_count")}
                 | {"apply_valid_rows": apply_valid_rows})
    uow.commit()
    batch = s.get(ImportBatch, bid)
    s.refresh(batch)
    return _view(batch)


def _discard_hold(uow_factory, actor: Actor, bid: int, hold: int | None) -> int:
    """Remove everything the batch wrote under its hold (its new customers, their tags, held outbox messages), in
    short audited transactions; the rows stay hidden throughout and the hold is closed as discarded at the end.
    Safe to repeat (a hold already closed has nothing left). Returns how many customers were removed."""
    removed = 0
    while hold is not None:
        with uow_factory() as uow:
            s = uow.session
            if not holds.is_open(s, hold):
                break
            n = holds.discard_some(s, hold, Customer.__table__, DISCARD_CHUNK)
            audit.record(s, actor, "import.discard", entity_type="import_batch", entity_id=bid,
                         changes={"write_hold": hold, "customers_removed": n, "closed": n == 0})
            uow.commit()
            bind = s.get_bind()
        removed += n
        if n == 0:
            break
        db.pause_for_waiting_writers(bind)
    return removed


# ---------------------------------------------------------------- error report


@requires(Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)  # and the batch's own rule (_load_batch)
def error_report(*, uow: UnitOfWork, actor: Actor, batch_id: Any) -> tuple[str, bytes]:
    """(file name, CSV bytes) of a batch's error report, by the same rule and with the same audit event as
    the report's download through /documents (services.imports.files); the caller commits."""
    s = uow.session
    batch = _load_batch(s, actor, batch_id)
    doc = files.report_document(s, batch)
    if doc is None:
        raise NotFound(what="error_report", id=batch.id)
    name, _, data = files.download(s, actor, doc)
    return name, data


@requires(Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)  # and the batch's own rule (_load_batch)
def error_rows(*, uow: UnitOfWork, actor: Actor, batch_id: Any, limit: int = 50) -> list[list[str]]:
    """The first rows of the report, for showing on the page next to the run's result (not a download)."""
    batch = _load_batch(uow.session, actor, batch_id)
    if batch.error_report_sha256 is None:
        raise NotFound(what="error_report", id=batch.id)
    data = files.report_bytes(actor, documents.read_blob(batch.error_report_sha256))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return rows[1:1 + limit]


# ---------------------------------------------------------------- review queue


@requires(Permission.IMPORT_RUN)
def review_items(*, uow: UnitOfWork, actor: Actor, status: str = "open", limit: int = 50) -> list[ReviewView]:
    if status not in ("open", "merged", "created", "dismissed"):
        raise ValidationFailed([FieldError("status", "value.invalid")])
    s = uow.session
    rows = s.execute(select(ImportReviewItem, ImportBatch).join(ImportBatch, ImportBatch.id == ImportReviewItem.batch_id)
                     .where(ImportReviewItem.status == status).order_by(ImportReviewItem.id).limit(500)).all()
    out = []
    for item, batch in rows:
        if not _may_see_batch(s, actor, batch):
            continue
        cands = s.execute(select(Customer).where(Customer.id.in_(item.candidate_ids or [-1]))).scalars().all()
        cands = [c for c in cands if can_see_customer(actor, owner_id=c.owner_id, team_id=c.team_id,
                                                      branch_id=c.branch_id)]
        v = item.data.get("values", {})
        out.append(ReviewView(id=item.id, batch_id=item.batch_id, row_no=item.row_no, name=v.get("name", ""),
                              birth_date=v.get("birth_date") or "", id_number=item.data["display"].get("id_number"),
                              phone=item.data["display"].get("phone"),
                              candidates=[{"id": c.id, "customer_no": c.customer_no, "name": c.name} for c in cands],
                              status=item.status))
        if len(out) >= limit:
            break
    return out


@requires(Permission.IMPORT_RUN)
def decide_review(*, uow: UnitOfWork, actor: Actor, item_id: Any, decision: Any, customer_id: Any = None) -> str:
    """A person's decision on a review row: "create" a new customer, "merge" into a candidate, or "dismiss"."""
    if decision not in ("create", "merge", "dismiss"):
        raise ValidationFailed([FieldError("decision", "value.invalid")])
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 0 < item_id < 2**62:
        raise ValidationFailed([FieldError("item_id", "value.invalid")])
    s = uow.session
    item = s.get(ImportReviewItem, item_id)
    if item is None:
        raise NotFound(what="review_item", id=item_id)
    _load_batch(s, actor, item.batch_id)
    if item.status != "open":
        raise ImportRefused("import.review_decided")
    values = dict(item.data.get("values", {}))
    for k in ("id_number", "phone"):
        token = item.data.get("enc", {}).get(k)
        if token:
            values[k] = get_cipher().decrypt(token, context=_REVIEW_CONTEXT)
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    result_id = None
    if decision == "create":
        if not values.get("id_number"):
            raise ValidationFailed([FieldError("id_number", "value.required")])
        data = dict(values)
        data["owner_id"] = item.data.get("owner_id")
        result_id = customers.create_customer(uow=uow, actor=actor, data=data).id
        item.status = "created"
    elif decision == "merge":
        if isinstance(customer_id, bool) or customer_id not in (item.candidate_ids or []):
            raise ValidationFailed([FieldError("customer_id", "value.invalid")])
        target = customers.load_customer(s, actor, customer_id)
        changes = _diff(s, actor, target, values)
        if changes:
            customers.update_customer(uow=uow, actor=actor, customer_id=target.id, version=target.version,
                                      changes=changes)
        result_id = target.id
        item.status = "merged"
    else:
        item.status = "dismissed"
    item.decided_by = _who(actor)
    item.decided_at = clock.now()
    s.add(item)
    s.flush()
    audit.record(s, actor, "import.review", entity_type="import_review_item", entity_id=item.id,
                 changes={"decision": decision, "customer_id": result_id, "batch_id": item.batch_id})
    return item.status


__all__ = ["BatchView", "Preview", "ReviewView", "ImportFileError", "upload", "preview", "run_import", "get_batch",
           "list_batches", "error_report", "error_rows", "review_items", "decide_review", "describe",
           "mapping_targets", "MappingTarget", "Document"]
