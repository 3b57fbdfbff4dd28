"""Finding 10: a killed import stays "running" forever. A real worker process is SIGKILLed in the middle of
its apply phase; its batch must then be failed (audited, with the reason) and be run again, while a run
that a live process is applying, in this worker or another, is never touched."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import Session

from services import migrations
from services.customers import service as customers
from services.customers.models import Customer
from services.db import UnitOfWork, make_engine
from services.errors import DomainError
from services.imports import runs
from services.imports import service as imports
from services.imports.models import ImportBatch
from services.org.models import Branch, Team
from services.security import audit
from services.security.auth import actor_for_user
from services.security.models import AuditEvent, User
from services.types import utcnow
from services.validation.identity import make_id_number

CHILD = Path(__file__).with_name("import_run_child.py")


def _file(n: int = 5) -> bytes:
    lines = ["姓名,证件号码,手机号,出生日期"]
    for i in range(n):
        birth = date(1982, 4, 1 + i)
        lines.append(f"中断客户{i},{make_id_number('110105', birth, 600 + i)},1371234{i:04d},{birth.isoformat()}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def installation(empty_database_url):
    """A migrated database of its own whose data is committed, as a second process needs it."""
    migrations.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="一组", name_en="Team 1"))
        for uid, name, roles, team in ((1, "rm_a1", ["rm"], 1), (2, "ops_a", ["ops"], None)):
            c.execute(insert(User).values(id=uid, username=name, display_name=name, password_hash="x", roles=roles,
                                          branch_id=1, team_id=team, is_active=True, is_demo=False,
                                          created_at=utcnow()))
    yield empty_database_url, engine
    engine.dispose()


def _factory(engine):
    return lambda readonly=False: UnitOfWork(engine, readonly=readonly)


def _ops(engine):
    with Session(engine) as s:
        return actor_for_user(s.get(User, 2))


def _uploaded(engine) -> int:
    with UnitOfWork(engine) as uow:
        view = imports.upload(uow=uow, actor=_ops(engine), data=_file(), filename="core.csv")
        uow.commit()
    return view.id


def _batch(engine, bid: int) -> ImportBatch:
    with Session(engine) as s:
        return s.get(ImportBatch, bid)


def _worker_applying(url: str, bid: int) -> subprocess.Popen:
    """A second backend worker running the batch, stopped mid-apply (it said "applying")."""
    env = dict(os.environ, FINCRM_DATABASE_URL=url)
    child = subprocess.Popen([sys.executable, str(CHILD), str(bid), "1"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if line.strip() != "applying":
        child.kill()
        raise AssertionError(f"the worker did not reach the apply phase: {line!r} {child.stderr.read()[-2000:]}")
    return child


def _kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


def _fail_interrupted_once_freed(engine, bid: int) -> list[int]:
    """The database notices the killed worker's connection is gone (its run lock then frees) on its own
    time; wait for that, not for a fixed delay."""
    deadline = time.monotonic() + 60
    while True:
        failed = imports.fail_interrupted_runs(uow_factory=_factory(engine))
        if failed or time.monotonic() > deadline:
            return failed
        time.sleep(0.2)


def _events(engine, bid: int) -> list[tuple[str, str, dict]]:
    with Session(engine) as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.changes)
                         .where(AuditEvent.entity_type == "import_batch", AuditEvent.entity_id == str(bid))
                         .order_by(AuditEvent.seq)).all()
    return [(a, n, json.loads(c)) for a, n, c in rows]


def _customers(engine) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(Customer)).scalar_one()


def test_a_run_killed_mid_apply_is_failed_with_its_reason_and_runs_again(installation):
    url, engine = installation
    bid = _uploaded(engine)
    child = _worker_applying(url, bid)
    try:
        # Another worker starting up (or the scheduler) must leave a live worker's run alone.
        assert imports.fail_interrupted_runs(uow_factory=_factory(engine)) == []
        assert _batch(engine, bid).status == "running"
        with pytest.raises(DomainError) as busy:
            imports.run_import(uow_factory=_factory(engine), actor=_ops(engine), batch_id=bid, default_owner_id=1)
        assert busy.value.code == "import.batch_running"
    finally:
        _kill(child)

    # The worker had committed its first chunk of new customers under the batch's hold: there, but nobody's.
    assert _customers(engine) == 2
    with UnitOfWork(engine) as uow:
        assert customers.search_customers(uow=uow, actor=_ops(engine), query="中断").total == 0
    assert _fail_interrupted_once_freed(engine, bid) == [bid]
    batch = _batch(engine, bid)
    assert (batch.status, batch.message) == ("failed", "import.interrupted") and batch.finished_at is not None
    assert _customers(engine) == 0  # what the killed run wrote is gone: nothing half-written
    events = _events(engine, bid)
    assert [(a, n) for a, n, _ in events] == [
        ("import.upload", "ops_a"), ("import.start", "ops_a"), ("import.apply", "ops_a"),
        ("import.discard", "import-watchdog"), ("import.discard", "import-watchdog"),
        ("import.failed", "import-watchdog")]
    assert [e[2]["customers_removed"] for e in events[3:5]] == [2, 0] and events[4][2]["closed"]
    assert events[-1][2]["reason"] == "interrupted"
    assert imports.fail_interrupted_runs(uow_factory=_factory(engine)) == []  # once only

    view = imports.run_import(uow_factory=_factory(engine), actor=_ops(engine), batch_id=bid, default_owner_id=1)
    assert (view.status, view.created_count) == ("done", 5) and _customers(engine) == 5
    assert [a for a, _, _ in _events(engine, bid)][-3:] == ["import.start", "import.apply", "import.run"]
    with Session(engine) as s:
        assert audit.verify(s).ok


def test_running_a_killed_batch_again_fails_the_interrupted_run_first(installation):
    """The person who started it retries before any scheduler has looked: the retry itself finds that
    nobody holds the run, records why it failed, and runs it."""
    url, engine = installation
    bid = _uploaded(engine)
    _kill(_worker_applying(url, bid))
    deadline = time.monotonic() + 60
    while True:
        try:
            view = imports.run_import(uow_factory=_factory(engine), actor=_ops(engine), batch_id=bid,
                                      default_owner_id=1)
            break
        except DomainError as exc:  # until the database has noticed the killed worker is gone
            if exc.code != "import.batch_running" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert view.status == "done" and _customers(engine) == 5
    assert [(a, n) for a, n, _ in _events(engine, bid)] == [
        ("import.upload", "ops_a"), ("import.start", "ops_a"), ("import.apply", "ops_a"),
        ("import.discard", "ops_a"), ("import.discard", "ops_a"), ("import.failed", "import-watchdog"),
        ("import.start", "ops_a"), ("import.apply", "ops_a"), ("import.run", "ops_a")]


def test_a_run_this_worker_holds_is_not_failed_by_its_own_watchdog(uow_factory, actors, org, connection):
    """The scheduler runs in a worker that may be running imports itself: its check must see that run too."""
    with uow_factory() as uow:
        view = imports.upload(uow=uow, actor=actors["ops_a"], data=_file(2), filename="core.csv")
        uow.commit()
    with uow_factory() as uow:
        uow.session.execute(ImportBatch.__table__.update().where(ImportBatch.id == view.id)
                            .values(status="running"))
        uow.commit()
    holding, release = threading.Event(), threading.Event()

    def live_run():  # another thread of this process, holding the batch as a run does
        with runs.run_lock(connection, view.id) as held:
            assert held
            holding.set()
            release.wait(30)

    t = threading.Thread(target=live_run)
    t.start()
    try:
        assert holding.wait(30)
        assert imports.fail_interrupted_runs(uow_factory=uow_factory) == []
    finally:
        release.set()
        t.join()
    assert imports.fail_interrupted_runs(uow_factory=uow_factory) == [view.id]
    with uow_factory() as uow:
        assert uow.session.get(ImportBatch, view.id).status == "failed"
