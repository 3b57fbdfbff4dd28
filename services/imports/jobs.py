"""The batch-file inbox: core banking drops daily customer files into FINCRM_INBOX_DIR.

Every minute the scheduler calls `scan_inbox()`. Each `.csv` / `.xlsx` file directly in the
folder is processed once, by content hash: a file whose SHA-256 was already imported is not
imported again. The file is then moved to `processed/` (imported, or already imported) or
`failed/` (unreadable, or rows with errors), next to a `<name>.result.txt` saying why.

An inbox file is all or nothing: a file with any bad row is rejected as a whole (its error
report is in the document store, visible on /imports), because no one is there to confirm
"import valid rows". Names starting with "." and ending in .part/.tmp are still being written
and are left alone; so is a file modified in the last `SETTLE_SECONDS`.
The columns are mapped from the header names (`mapping.suggest`); the file must name each
customer's relationship manager in an owner column (客户经理 / owner), because the inbox acts as
a system, not as a person with a book of customers.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from services import clock
from services.db import UnitOfWork
from services.errors import DomainError
from services.i18n import translate
from services.scheduler import Job
from services.security.actor import Actor
from services.security.policy import API_ROLE
from services.settings import get_settings

log = logging.getLogger(__name__)

INBOX_ACTOR = Actor(kind="system", id=None, name="inbox", roles=frozenset({API_ROLE}))
SUFFIXES = (".csv", ".xlsx")
SETTLE_SECONDS = 5.0
MAX_FILES_PER_SCAN = 50


@dataclass
class InboxResult:
    filename: str
    outcome: str  # imported, duplicate, rejected, failed
    batch_id: int | None
    message: str


def _ready_files(folder: Path, now: float, settle: float) -> list[Path]:
    out = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.suffix.lower() not in SUFFIXES:
            continue
        try:
            if now - p.stat().st_mtime < settle:
                continue
        except FileNotFoundError:
            continue
        out.append(p)
    return out[:MAX_FILES_PER_SCAN]


def _move(p: Path, dest_dir: Path, note: str) -> None:
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / p.name
    if target.exists():
        target = dest_dir / f"{clock.local_now():%Y%m%d-%H%M%S}-{p.name}"
    shutil.move(str(p), target)
    target.with_name(target.name + ".result.txt").write_text(note + "\n", encoding="utf-8")


def process_file(path: Path, *, uow_factory: Callable[[], UnitOfWork]) -> InboxResult:
    """Import one inbox file (all or nothing) and say what happened; does not move it."""
    from services.imports import service
    from services.imports.models import ImportBatch
    from sqlalchemy import select

    data = path.read_bytes()
    sha = service.documents.sha256_of(data)
    with uow_factory() as uow:
        seen = uow.session.execute(select(ImportBatch.id).where(ImportBatch.sha256 == sha,
                                                                ImportBatch.status == "done")).first()
    if seen is not None:
        return InboxResult(path.name, "duplicate", seen[0], translate("import.already_imported", "en",
                                                                       batch_id=seen[0], when=""))
    try:
        with uow_factory() as uow:
            batch = service.upload(uow=uow, actor=INBOX_ACTOR, data=data, filename=path.name, source="inbox")
            uow.commit()
    except DomainError as exc:
        return InboxResult(path.name, "failed", None, exc.message("en"))
    try:
        view = service.run_import(uow_factory=uow_factory, actor=INBOX_ACTOR, batch_id=batch.id,
                                  apply_valid_rows=False)
    except DomainError as exc:
        return InboxResult(path.name, "failed", batch.id, exc.message("en"))
    if view.status == "done":
        return InboxResult(path.name, "imported", view.id,
                           f"created {view.created_count}, updated {view.updated_count}, unchanged "
                           f"{view.unchanged_count}, for review {view.review_count}")
    return InboxResult(path.name, "rejected", view.id,
                       f"{view.error_count} rows with errors; see the error report of batch {view.id}")


def scan_inbox(folder: Path | None = None, *, uow_factory: Callable[[], UnitOfWork] | None = None,
               settle_seconds: float = SETTLE_SECONDS) -> list[InboxResult]:
    """Process every ready file in the inbox once; one file's failure does not stop the others."""
    folder = Path(folder or get_settings().inbox_dir)
    if not folder.is_dir():
        return []
    factory = uow_factory or UnitOfWork
    results = []
    # File modification times are the file system's clock, not the firm's: compare them with the real time,
    # so a clock fixed by a test or the demo seed cannot make a half-written file look settled.
    for p in _ready_files(folder, time.time(), settle_seconds):
        try:
            r = process_file(p, uow_factory=factory)
        except Exception as exc:  # one bad file must not stop the scan
            log.exception("inbox file %s failed", p.name)
            r = InboxResult(p.name, "failed", None, f"{type(exc).__name__}")
        dest = folder / ("processed" if r.outcome in ("imported", "duplicate") else "failed")
        try:
            _move(p, dest, f"{r.outcome}: {r.message}" + (f" (batch {r.batch_id})" if r.batch_id else ""))
        except OSError:
            log.exception("could not move inbox file %s", p.name)
        log.info("inbox %s: %s %s", p.name, r.outcome, r.message)
        results.append(r)
    return results


def _scan_job() -> None:
    os.makedirs(get_settings().inbox_dir, exist_ok=True)
    scan_inbox()


def _interrupted_job() -> None:
    """Fail (audited) the runs whose process died, so they can be run again (services.imports.runs)."""
    from services.imports import service

    service.fail_interrupted_runs(uow_factory=UnitOfWork)


JOBS = [
    Job(id="imports.inbox", func=_scan_job, trigger="interval", trigger_args={"minutes": 1}),
    # Once when the scheduler starts (a "date" trigger without a date fires at once), then every minute:
    # a run is failed only when no live process holds its run lock, so another worker's run is safe.
    Job(id="imports.interrupted.startup", func=_interrupted_job, trigger="date"),
    Job(id="imports.interrupted", func=_interrupted_job, trigger="interval", trigger_args={"minutes": 1}),
]
