"""/imports: upload, column mapping with a preview, a background run with progress, the result
with its error report, the review queue and the history.

Thin like every page state: each handler resolves the actor from the session cookie, validates
its arguments and calls services.imports.service. The file itself never enters the state: it goes
to the document store at once, and the state keeps the batch id and one page of preview rows.

Reflex runs handlers on the event loop that serves every socket of the worker. Parsing a file
and waiting for the database (SQLite queues writers behind a running import) would stall them all,
so every service call here runs in a worker thread (`asyncio.to_thread`) and only its result is
written into the state.
"""
from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from services.db import unit_of_work
from services.documents import MAX_SIZE
from services.errors import DomainError
from services.i18n import field_label, format_datetime, format_number, translate
from services.imports import service as imports
from services.imports.mapping import FIELDS
from services.security.policy import Permission, permits
from services.validation.input import whole_number
from state.i18n import label
from state.session import DataState

log = logging.getLogger(__name__)

IGNORE = "-"
POLL_SECONDS = 0.5


def _valid_id(value: Any) -> int | None:
    return whole_number(value)


class ImportsState(DataState):
    can_import: bool = False
    page_error: str = ""
    upload_error: str = ""
    # the batch being prepared or run
    batch_id: int = 0
    filename: str = ""
    mapping_rows: list[dict[str, str]] = []
    field_options: list[dict[str, str]] = []
    mapping_error: str = ""
    headers: list[str] = []
    preview_rows: list[dict[str, Any]] = []
    owner_options: list[dict[str, str]] = []
    default_owner: str = ""
    running: bool = False
    progress_pct: int = 0
    progress_text: str = ""
    run_error: str = ""
    result: dict[str, str] = {}
    report_url: str = ""
    error_lines: list[str] = []
    can_apply_valid: bool = False
    # lists
    reviews: list[dict[str, Any]] = []
    history: list[dict[str, str]] = []

    _mapping: dict[str, str] = {}

    def _purge(self) -> None:
        self.can_import = False
        self.page_error = self.upload_error = self.mapping_error = self.run_error = ""
        self._reset_batch()
        self.owner_options = []
        self.default_owner = ""
        self.reviews = []
        self.history = []
        self.field_options = []

    def _reset_batch(self) -> None:
        self.batch_id = 0
        self.filename = ""
        self.mapping_rows = []
        self.headers = []
        self.preview_rows = []
        self.running = False
        self.progress_pct = 0
        self.progress_text = ""
        self.result = {}
        self.report_url = ""
        self.error_lines = []
        self.can_apply_valid = False
        self._mapping = {}

    async def _actor(self):
        """`_actor_or_redirect` (the session lookup is a database read) in a worker thread; the state
        stays locked for this event meanwhile, so that thread is the only one touching it."""
        return await asyncio.to_thread(self._actor_or_redirect)

    # ---------------------------------------------------------------- loading

    async def _load_lists(self, actor, loc: str) -> None:
        self._apply_lists(*await asyncio.to_thread(_fetch_lists, actor, self.can_import), loc)

    def _apply_lists(self, batches, reviews, owners, custom, loc: str) -> None:
        self.history = [self._batch_row(b, loc) for b in batches]
        self.reviews = [{
            "id": str(r.id), "row": label("imports.row", loc) + f" {r.row_no} · #{r.batch_id}", "name": r.name,
            "birth_date": r.birth_date, "id_number": r.id_number or "—", "phone": r.phone or "—",
            "candidates": [{"id": str(c["id"]), "label": f"{c['name']} {c['customer_no']}"} for c in r.candidates],
        } for r in reviews]
        self.owner_options = [{"value": str(uid), "label": name} for uid, name in owners]
        self.field_options = ([{"value": IGNORE, "label": label("imports.ignore", loc)}]
                              + [{"value": f, "label": label(f"imports.field.{f}", loc)} for f in FIELDS]
                              + [{"value": c.value, "label": label("imports.field.custom", loc,
                                                                   label=c.label_en if loc == "en" else c.label)}
                                 for c in custom])

    def _batch_row(self, b: imports.BatchView, loc: str) -> dict[str, str]:
        return {"id": str(b.id), "filename": b.filename, "source": label(f"imports.source.{b.source}", loc),
                "status": label(f"imports.status.{b.status}", loc), "status_code": b.status,
                "when": format_datetime(b.created_at, loc),
                "counts": " · ".join(f"{label(k, loc)} {format_number(v, loc)}" for k, v in (
                    ("imports.created", b.created_count), ("imports.updated", b.updated_count),
                    ("imports.unchanged", b.unchanged_count), ("imports.review", b.review_count),
                    ("imports.error_rows", b.error_count))),
                "report": f"/imports/{b.id}/error-report" if b.has_error_report else "",
                # Not finished: open it again (an interrupted run is failed by the services and may be re-run).
                "resumable": "1" if self.can_import and b.status in imports.RESUMABLE else ""}

    @rx.event
    async def load(self):
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        loc = self._locale()
        self._mark_loaded(actor)
        self.can_import = permits(actor, Permission.IMPORT_RUN)
        # Those who oversee imports see the history; everyone else is told who imports.
        self.page_error = ("" if self.can_import or permits(actor, Permission.IMPORT_OVERSEE)
                           else label("imports.not_permitted", loc))
        try:
            await self._load_lists(actor, loc)
        except DomainError as exc:
            self.page_error = exc.message(loc)
        return None

    @rx.event
    async def change_locale(self, locale: Any):
        self._apply_locale(locale)
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        try:
            await self._load_lists(actor, self._locale())
            if self.batch_id and not self.running:
                await self._show_preview(actor, self._mapping)
        except DomainError as exc:
            self.page_error = exc.message(self._locale())
        return None

    # ---------------------------------------------------------------- upload and mapping

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):
        """The file chosen in the upload box: stored, a pending batch opened, the preview shown."""
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        loc = self._locale()
        self.upload_error = ""
        if not isinstance(files, list) or len(files) != 1 or not callable(getattr(files[0], "read", None)):
            self.upload_error = label("imports.no_file", loc)
            return None
        f = files[0]
        data = await f.read(MAX_SIZE + 1)
        if len(data) > MAX_SIZE:
            self.upload_error = label("imports.file_too_large", loc, max=MAX_SIZE // 2**20)
            return None
        self._reset_batch()
        try:
            view, p = await asyncio.to_thread(_upload_and_preview, actor, data, getattr(f, "filename", "") or "")
            self.batch_id = view.id
            self.filename = view.filename
            self._apply_preview(p)
        except DomainError as exc:
            self.upload_error = exc.message(loc)
            self._reset_batch()
        return rx.clear_selected_files("import-upload")

    @rx.event
    async def open_batch(self, batch_id: Any):
        """Open an unfinished batch from the history again (mapping, preview, run): a pending one, a
        rejected one, or one whose run failed or was interrupted."""
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        bid = _valid_id(batch_id)
        if bid is None or self.running or not self.can_import:
            return None
        loc = self._locale()
        try:
            view, p = await asyncio.to_thread(_batch_and_preview, actor, bid)
        except DomainError as exc:
            self.page_error = exc.message(loc)
            return None
        if view.status not in imports.RESUMABLE:
            return None
        self._reset_batch()
        self.page_error = ""
        self.batch_id = view.id
        self.filename = view.filename
        self._apply_preview(p)
        return None

    async def _show_preview(self, actor, mapping: dict[str, str] | None) -> None:
        self._apply_preview(await asyncio.to_thread(_preview, actor, self.batch_id, mapping))

    def _apply_preview(self, p: imports.Preview) -> None:
        loc = self._locale()
        self._mapping = dict(p.mapping)
        self.headers = p.headers
        self.mapping_rows = [{"column": h, "field": p.mapping.get(h, IGNORE)} for h in p.headers]
        self.mapping_error = "; ".join(
            f"{field_label(e.field, loc, e.params)}: {translate(e.code, loc, **e.params)}" for e in p.mapping_errors)
        self.preview_rows = [{
            "row": str(r.row), "cells": r.cells + [""] * (len(p.headers) - len(r.cells)),
            "errors": "; ".join(imports.describe(e, loc) for e in r.errors), "ok": not r.errors,
        } for r in p.rows]

    @rx.event
    async def set_field(self, column: Any, field: Any):
        """Map one file column to a customer field, a custom field the actor may see (as offered
        in `field_options`; the service checks again) or to nothing."""
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        if (not self.batch_id or self.running or not isinstance(column, str) or column not in self.headers
                or not isinstance(field, str)
                or (field != IGNORE and field not in FIELDS
                    and not any(o["value"] == field for o in self.field_options))):
            return None
        mapping = {c: f for c, f in self._mapping.items() if c != column and f != field}
        if field != IGNORE:
            mapping[column] = field
        try:
            await self._show_preview(actor, mapping)
        except DomainError as exc:
            self.mapping_error = exc.message(self._locale())
        return None

    @rx.event
    def set_default_owner(self, value: Any):
        if isinstance(value, str) and (value == "" or any(o["value"] == value for o in self.owner_options)):
            self.default_owner = value

    # ---------------------------------------------------------------- the run (background)

    @rx.event(background=True)
    async def start_import(self, apply_valid_rows: Any = False):
        """Run the batch in a worker thread; poll its progress into the page every half second."""
        async with self:
            actor, redirect = await self._actor()
            if actor is None:
                yield redirect
                return
            loc = self._locale()
            if not self.batch_id or self.running:
                return
            owner = _valid_id(self.default_owner) if self.default_owner else None
            bid, mapping, apply_valid = self.batch_id, dict(self._mapping), apply_valid_rows is True
            can_import = self.can_import
            self.running = True
            self.run_error = ""
            self.progress_pct = 0
            self.progress_text = label("imports.running", loc)
        loop = asyncio.get_running_loop()
        task = loop.run_in_executor(None, functools.partial(
            _run_import, actor, bid, mapping, owner, apply_valid))
        while not task.done():
            await asyncio.sleep(POLL_SECONDS)
            try:
                view = await asyncio.to_thread(_batch, actor, bid)
            except (DomainError, SQLAlchemyError):  # progress is best effort; the result is read below
                continue
            async with self:
                self._show_progress(view, loc)
        try:
            view = await task
            report = await asyncio.to_thread(_report_lines, actor, view, loc) if view.has_error_report else []
            lists = await asyncio.to_thread(_fetch_lists, actor, can_import)
        except DomainError as exc:  # the run, or reading its result back (e.g. the session ended)
            async with self:
                self.running = False
                self.run_error = exc.message(loc)
            return
        except Exception:  # e.g. the database gave up waiting: the page must not stay "running"
            log.exception("import batch %s: the run or reading its result failed", bid)
            async with self:
                self.running = False
                self.run_error = translate("error.generic", loc)
            return
        async with self:
            self.running = False
            self._show_result(view, report, loc)
            self._apply_lists(*lists, loc)

    def _show_progress(self, view: imports.BatchView, loc: str) -> None:
        total = max(view.total_rows, 1)
        phase = view.phase or "check"
        half = 0 if phase == "check" else 50
        self.progress_pct = min(100, half + int(50 * view.processed_rows / total))
        self.progress_text = label("imports.progress", loc, phase=label(f"imports.phase.{phase}", loc),
                                   done=format_number(view.processed_rows, loc), total=format_number(view.total_rows, loc))

    def _show_result(self, view: imports.BatchView, error_lines: list[str], loc: str) -> None:
        self.progress_pct = 100
        self.result = {"status": label(f"imports.status.{view.status}", loc), "status_code": view.status,
                       "created": format_number(view.created_count, loc),
                       "updated": format_number(view.updated_count, loc),
                       "unchanged": format_number(view.unchanged_count, loc),
                       "review": format_number(view.review_count, loc),
                       "errors": format_number(view.error_count, loc),
                       "message": translate(view.message, loc) if view.message else ""}
        self.report_url = f"/imports/{view.id}/error-report" if view.has_error_report else ""
        self.can_apply_valid = view.status == "rejected"
        self.error_lines = error_lines

    # ---------------------------------------------------------------- review queue

    @rx.event
    async def decide(self, item_id: Any, decision: Any, customer_id: Any = None):
        actor, redirect = await self._actor()
        if actor is None:
            return redirect
        loc = self._locale()
        iid, cid = _valid_id(item_id), _valid_id(customer_id) if customer_id not in (None, "") else None
        if iid is None or decision not in ("create", "merge", "dismiss"):
            self.page_error = translate("error.validation", loc)
            return None
        try:
            await asyncio.to_thread(_decide, actor, iid, decision, cid)
            self.page_error = ""
            await self._load_lists(actor, loc)
        except DomainError as exc:
            self.page_error = exc.message(loc)
        return None


# ---------------------------------------------------------------- service calls (run in worker threads)


def _fetch_lists(actor, can_import: bool):
    with unit_of_work(readonly=True) as uow:
        batches = imports.list_batches(uow=uow, actor=actor, limit=20)
        reviews = imports.review_items(uow=uow, actor=actor) if can_import else []
        owners = imports.assignable_owners(uow=uow, actor=actor) if can_import else []
        custom = imports.mapping_targets(uow=uow, actor=actor) if can_import else []
    return batches, reviews, owners, custom


def _preview(actor, batch_id: int, mapping: dict[str, str] | None) -> imports.Preview:
    with unit_of_work(readonly=True) as uow:
        return imports.preview(uow=uow, actor=actor, batch_id=batch_id, mapping=mapping)


def _upload_and_preview(actor, data: bytes, filename: str) -> tuple[imports.BatchView, imports.Preview]:
    with unit_of_work() as uow:
        view = imports.upload(uow=uow, actor=actor, data=data, filename=filename)
        uow.commit()
    return view, _preview(actor, view.id, None)


def _batch(actor, batch_id: int) -> imports.BatchView:
    with unit_of_work(readonly=True) as uow:
        return imports.get_batch(uow=uow, actor=actor, batch_id=batch_id)


def _batch_and_preview(actor, batch_id: int) -> tuple[imports.BatchView, imports.Preview]:
    return _batch(actor, batch_id), _preview(actor, batch_id, None)


def _report_lines(actor, view: imports.BatchView, loc: str) -> list[str]:
    with unit_of_work(readonly=True) as uow:
        rows = imports.error_rows(uow=uow, actor=actor, batch_id=view.id, limit=20)
    col = 3 if loc == "zh_CN" else 4
    return [translate("import.row_n", loc, row=r[0]) + (f" [{r[1]}]" if r[1] else "") + f" {r[col]}" for r in rows]


def _decide(actor, item_id: int, decision: str, customer_id: int | None) -> None:
    with unit_of_work() as uow:
        imports.decide_review(uow=uow, actor=actor, item_id=item_id, decision=decision, customer_id=customer_id)
        uow.commit()


def _run_import(actor, batch_id: int, mapping: dict, owner: int | None, apply_valid: bool) -> imports.BatchView:
    from services.db import UnitOfWork

    return imports.run_import(uow_factory=UnitOfWork, actor=actor, batch_id=batch_id, mapping=mapping,
                              default_owner_id=owner, apply_valid_rows=apply_valid)
