"""Writes never queue behind an import, and nobody sees half of one (issue 8, point 5; issue 7, finding 6).

An import applies its new customers in short transactions under a write hold (services/holds.py) and publishes
them all at once in a short final step. These tests stop a real run between two of its transactions (its data
committed, on a database of its own, as another worker would see it) and check, by order, not by time:
- another connection's quick write and a sign-in commit while the import is still running;
- nobody sees a customer of the running import anywhere (lists, counts, the profile, the 360 view, the ID-number
  check, the tag counts, the webhook dispatcher), and everybody sees all of them once it is done;
- a run that fails half-way leaves nothing behind: no customer, no tag, no outbox message, an open hold closed.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select

from services import holds, migrations
from services.activities import service as activities
from services.customer360 import service as c360
from services.customers import service as customers
from services.customers.models import Customer
from services.db import UnitOfWork, make_engine
from services.errors import DomainError, NotFound, ValidationFailed
from services.imports import service as imports
from services.imports.models import ImportBatch
from services.integration import webhooks
from services.integration.models import OutboxMessage
from services.org.models import Branch, Team
from services.security import audit, auth
from services.security.auth import actor_for_user
from services.security.models import AuditEvent, User
from services.tags import service as tags
from services.tags.models import CustomerTag
from services.types import utcnow
from services.validation.identity import make_id_number

from conftest import PASSWORD

ROWS = 12
CHUNK = 3  # four chunks of new customers: the run is stopped after the first
MASS_RULE = {"all": [{"field": "segment", "op": "==", "value": "mass"}]}


@pytest.fixture
def installation(empty_database_url, password_hash):
    """A migrated database of its own, its data committed: what a second worker or a second user sees."""
    migrations.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="一组", name_en="Team 1"))
        for uid, name, roles, team in ((1, "rm", ["rm"], 1), (2, "ops", ["ops"], None),
                                       (3, "compliance", ["compliance"], None), (4, "admin", ["admin"], None)):
            c.execute(insert(User).values(id=uid, username=name, display_name=name, password_hash=password_hash,
                                          roles=roles, branch_id=1 if name in ("rm", "ops") else None,
                                          team_id=team, is_active=True, is_demo=False, created_at=utcnow()))
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.exec_driver_sql("SELECT setval(pg_get_serial_sequence('app_user', 'id'), 4)")
    actors = {}
    with UnitOfWork(engine) as uow:
        for uid in (1, 2, 3, 4):
            user = uow.session.get(User, uid)
            actors[user.username] = actor_for_user(user)
    with UnitOfWork(engine) as uow:
        tags.create_tag(uow=uow, actor=actors["admin"], data={"code": "mass", "name": "大众客户",
                                                               "name_en": "Mass", "color": "blue"})
        tags.save_rule(uow=uow, actor=actors["admin"], data={"rule_key": "mass", "tag_code": "mass",
                                                             "name": "大众", "definition": MASS_RULE})
        uow.commit()
    with UnitOfWork(engine) as uow:
        own = customers.create_customer(uow=uow, actor=actors["rm"], data={
            "name": "老客户", "id_type": "resident_id", "id_number": make_id_number("110105", _birth(99), 1),
            "phone": "13912345678"})
        uow.commit()
    yield engine, actors, own.id
    engine.dispose()


def _birth(i: int):
    from datetime import date

    return date(1980, 1, 1 + i % 28)


def _file(n: int = ROWS) -> bytes:
    lines = ["姓名,证件号码,手机号,出生日期"]
    for i in range(n):
        lines.append(f"导入客户{i},{make_id_number('110105', _birth(i), 100 + i)},1371234{i:04d},"
                     f"{_birth(i).isoformat()}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class PausedImport:
    """`run_import` in a thread of its own, stopped after its first chunk of new customers has committed (the
    import reports apply progress then), until `resume()`."""

    def __init__(self, engine, actors, monkeypatch, data: bytes = None, fail_at_chunk: int | None = None):
        self.engine, self.ops = engine, actors["ops"]
        self.paused, self.release = threading.Event(), threading.Event()
        self.outcome: dict = {}
        monkeypatch.setattr(imports, "CREATE_CHUNK", CHUNK)
        # The run before holds existed reported apply progress every APPLY_PROGRESS_EVERY rows from inside its one
        # transaction: so this test also stops it there (and fails, as the import then holds the database).
        monkeypatch.setattr(imports, "APPLY_PROGRESS_EVERY", CHUNK)
        real_live = imports._set_live

        def live(batch_id, phase, processed):
            real_live(batch_id, phase, processed)
            if phase == "apply" and processed >= CHUNK and not self.paused.is_set():
                self.paused.set()
                self.release.wait(60)

        monkeypatch.setattr(imports, "_set_live", live)
        if fail_at_chunk is not None:
            real_create = customers.create_customer_records
            calls = {"n": 0}

            def failing(**kw):
                calls["n"] += 1
                if calls["n"] == fail_at_chunk:
                    raise RuntimeError("disk full")
                return real_create(**kw)

            monkeypatch.setattr(customers, "create_customer_records", failing)
        with UnitOfWork(engine) as uow:
            self.batch_id = imports.upload(uow=uow, actor=self.ops, data=data or _file(), filename="core.csv").id
            uow.commit()
        self.thread = threading.Thread(target=self._run, name="import")

    def _run(self) -> None:
        try:
            self.outcome["view"] = imports.run_import(
                uow_factory=lambda readonly=False: UnitOfWork(self.engine, readonly=readonly), actor=self.ops,
                batch_id=self.batch_id, default_owner_id=1)
        except BaseException as exc:  # noqa: BLE001 - examined by the test
            self.outcome["error"] = exc
        finally:
            self.paused.set()  # a run that never reached the pause must not leave the test waiting

    def __enter__(self) -> "PausedImport":
        self.thread.start()
        assert self.paused.wait(60), "the import never reached its apply phase"
        return self

    def resume(self):
        self.release.set()
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.outcome

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.thread.join(60)

    def status(self) -> str:
        with UnitOfWork(self.engine, readonly=True) as uow:
            return uow.session.get(ImportBatch, self.batch_id).status


def test_a_quick_write_and_a_sign_in_commit_while_an_import_applies(installation, monkeypatch):
    engine, actors, own = installation
    with PausedImport(engine, actors, monkeypatch) as run:
        assert "error" not in run.outcome
        # Another connection, as another user's request: a call logged through the service...
        with UnitOfWork(engine, lock_timeout_ms=5000) as uow:
            activities.log_interaction(uow=uow, actor=actors["rm"], customer_id=own,
                                       data={"kind": "call", "subject": "到期提醒", "notes": "电话沟通续作"})
            uow.commit()
        # ...and a sign-in, both committed while the import is still running.
        with UnitOfWork(engine, lock_timeout_ms=5000) as uow:
            signed = auth.sign_in(uow=uow, username="rm", password=PASSWORD, ip="10.0.0.8")
            uow.commit()
        assert run.status() == "running"
        outcome = run.resume()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["view"].status == "done" and outcome["view"].created_count == ROWS
    with UnitOfWork(engine, readonly=True) as uow:
        assert auth.check_session(uow=uow, token=signed.token).actor.name == "rm"
        actions = [a for a, in uow.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq))]
        assert audit.verify(uow.session).ok
    # In the order they committed: the logged call and the sign-in come before the import's verdict.
    assert actions.index("interaction.create") < actions.index("import.run")
    assert actions.index("user.sign_in") < actions.index("import.run")


def _visible(engine, actor, **search) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return customers.search_customers(uow=uow, actor=actor, **search).total


def test_another_session_never_sees_a_customer_of_a_running_import(installation, monkeypatch):
    engine, actors, own = installation
    with PausedImport(engine, actors, monkeypatch) as run:
        with UnitOfWork(engine, readonly=True) as uow:
            s = uow.session
            held = list(s.execute(select(Customer.id).where(Customer.hold_id.is_not(None))).scalars())
            assert len(held) == CHUNK  # committed, under the batch's hold
            held_tags = s.execute(select(func.count()).select_from(CustomerTag)
                                  .where(CustomerTag.customer_id.in_(held))).scalar()
            assert held_tags == CHUNK  # the rules ran for them in their own transaction
            assert s.execute(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.hold_id.is_not(None))).scalar() >= CHUNK
        for who in ("ops", "compliance", "rm"):
            assert _visible(engine, actors[who], query="导入") == 0
            assert _visible(engine, actors[who]) == 1  # the one customer made before the import
        with UnitOfWork(engine, readonly=True) as uow:
            assert customers.customer_count(uow=uow, actor=actors["compliance"]) == 1
            with pytest.raises(NotFound):
                c360.get_customer(uow=uow, actor=actors["compliance"], customer_id=held[0])
            with pytest.raises(NotFound):
                c360.customer_360(uow=uow, actor=actors["compliance"], customer_id=held[0])
            rule = tags.get_rule(uow=uow, actor=actors["admin"], rule_key="mass")
            assert rule.match_count == 1  # the old customer only
        # The ID number is taken, but by nobody anyone may be told of.
        with pytest.raises(ValidationFailed) as dup:
            with UnitOfWork(engine) as uow:
                customers.create_customer(uow=uow, actor=actors["ops"], data={
                    "name": "同号", "id_type": "resident_id", "id_number": make_id_number("110105", _birth(0), 100),
                    "owner_id": 1})
        assert [(e.field, e.code) for e in dup.value.errors] == [("id_number", "value.duplicate_elsewhere")]
        # The dispatcher leaves the held messages alone; the nightly pass leaves the held customers alone.
        with UnitOfWork(engine) as uow:
            webhooks.fan_out(uow)
            uow.commit()
        report = tags.nightly_pass(lambda: UnitOfWork(engine))
        assert report.failed == []
        with UnitOfWork(engine, readonly=True) as uow:
            s = uow.session
            assert s.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.hold_id.is_not(None), OutboxMessage.dispatched_at.is_not(None))).scalar() == 0
            assert s.execute(select(func.count()).select_from(CustomerTag)
                             .where(CustomerTag.customer_id.in_(held))).scalar() == CHUNK
        assert run.status() == "running"
        outcome = run.resume()
    assert "error" not in outcome, outcome.get("error")
    # Published at once: everybody sees every new customer, and their messages go out.
    assert _visible(engine, actors["ops"], query="导入") == ROWS
    with UnitOfWork(engine) as uow:
        assert c360.get_customer(uow=uow, actor=actors["compliance"], customer_id=held[0]).profile.id == held[0]
        assert tags.get_rule(uow=uow, actor=actors["admin"], rule_key="mass").match_count == ROWS + 1
        webhooks.fan_out(uow)
        uow.commit()
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.dispatched_at.is_(None))).scalar() == 0


def test_a_failed_import_leaves_nothing_visible_and_nothing_half_written(installation, monkeypatch):
    engine, actors, _ = installation
    with UnitOfWork(engine, readonly=True) as uow:
        outbox_before = uow.session.execute(select(func.count()).select_from(OutboxMessage)).scalar()
    with PausedImport(engine, actors, monkeypatch, fail_at_chunk=3) as run:
        with UnitOfWork(engine, readonly=True) as uow:  # two chunks are written (held) before the failure
            assert uow.session.execute(select(func.count()).select_from(Customer)
                                       .where(Customer.hold_id.is_not(None))).scalar() == CHUNK
        assert _visible(engine, actors["ops"], query="导入") == 0
        outcome = run.resume()
    assert isinstance(outcome.get("error"), DomainError) and outcome["error"].code == "import.failed"
    with UnitOfWork(engine, readonly=True) as uow:
        s = uow.session
        batch = s.get(ImportBatch, run.batch_id)
        assert batch.status == "failed"
        assert s.execute(select(func.count()).select_from(Customer)).scalar() == 1  # the old customer only
        assert s.execute(select(func.count()).select_from(CustomerTag)).scalar() == 1
        assert s.execute(select(func.count()).select_from(OutboxMessage)).scalar() == outbox_before
        assert s.execute(select(holds.WriteHold.status).where(holds.WriteHold.id == batch.write_hold_id)
                         ).scalar() == holds.DISCARDED
        assert audit.verify(s).ok
        removed = s.execute(select(AuditEvent.changes).where(AuditEvent.action == "import.discard")).scalars().all()
    assert sum(__import__("json").loads(c)["customers_removed"] for c in removed) == 2 * CHUNK
    # It can run again, and then it is whole.
    view = imports.run_import(uow_factory=lambda readonly=False: UnitOfWork(engine, readonly=readonly),
                              actor=actors["ops"], batch_id=run.batch_id, default_owner_id=1)
    assert (view.status, view.created_count) == ("done", ROWS)
    assert _visible(engine, actors["ops"], query="导入") == ROWS
