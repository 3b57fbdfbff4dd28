"""The /imports page state: an unfinished batch (pending, rejected, failed or interrupted) can be opened again
from the history and run; a finished one or another person's cannot."""
from __future__ import annotations

import asyncio

from sqlalchemy import update

from services.imports import service as imports
from services.imports.models import ImportBatch
from state.imports import ImportsState

DATA = "姓名,证件号码,手机号\r\n张三,110105198506150011,13800138000\r\n".encode("utf-8")


def _call(state, name: str, *args):
    out = getattr(ImportsState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


def _batch(uow_factory, actor, status: str) -> int:
    with uow_factory() as uow:
        view = imports.upload(uow=uow, actor=actor, data=DATA, filename=f"{status}.csv")
        uow.session.execute(update(ImportBatch).where(ImportBatch.id == view.id).values(status=status))
        uow.commit()
    return view.id


def test_an_interrupted_batch_is_offered_again_and_opens_with_its_preview(page_state, actors, org, uow_factory):
    failed = _batch(uow_factory, actors["ops_a"], "failed")
    done = _batch(uow_factory, actors["ops_a"], "done")
    state = page_state(ImportsState, actors["ops_a"])
    _call(state, "load")
    offered = {row["id"]: row["resumable"] for row in state.history}
    assert offered == {str(failed): "1", str(done): ""}

    _call(state, "open_batch", str(done))
    assert state.batch_id == 0
    _call(state, "open_batch", str(failed))
    assert state.batch_id == failed and state.filename == "failed.csv"
    assert state.headers == ["姓名", "证件号码", "手机号"] and len(state.preview_rows) == 1
    assert "110105198506150011" not in str(state.preview_rows)


def test_another_persons_batch_cannot_be_opened(page_state, actors, org, uow_factory):
    failed = _batch(uow_factory, actors["ops_a"], "failed")
    state = page_state(ImportsState, actors["lead_a1"])  # a team lead sees only their own batches
    _call(state, "load")
    _call(state, "open_batch", str(failed))
    assert state.batch_id == 0 and state.page_error != ""
    _call(state, "open_batch", "①")  # not a number: ignored
    assert state.batch_id == 0
