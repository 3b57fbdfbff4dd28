"""The reminders engine made once with several workers (PostgreSQL, where two passes really run at once): two
passes over the same rules in overlapping transactions make each reminder once; the second waits on the first's
insert and does nothing."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from services import clock, migrations
from services.agenda import jobs
from services.agenda.models import Reminder
from services.customers import service as customers
from services.db import UnitOfWork, make_engine
from services.org.models import Branch, Team
from services.security.auth import actor_for_user
from services.security.models import User
from services.types import utcnow
from sqlmodel import Session
from conftest import valid_id

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def pg_engine(backend, empty_database_url):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers on its database lock; concurrent passes matter on PostgreSQL")
    migrations.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def test_two_passes_at_once_make_each_reminder_once(pg_engine, password_hash):
    with pg_engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="财富一组", name_en="Wealth 1"))
        c.execute(insert(User).values(id=1, username="rm", display_name="RM", password_hash=password_hash,
                                      roles=["rm"], branch_id=1, team_id=1, is_active=True, is_demo=False,
                                      created_at=utcnow()))
    with Session(pg_engine) as s:
        rm = actor_for_user(s.get(User, 1))
    with clock.fixed(NOW):
        for i in range(5):  # birthdays in the coming week
            with UnitOfWork(pg_engine) as uow:
                customers.create_customer(uow=uow, actor=rm, data={
                    "name": f"客户{i}", "id_type": "resident_id", "id_number": valid_id(i + 1, birth=date(1980, 11, 21 + i)),
                    "phone": f"1380013{i:04d}"})
                uow.commit()
        first_inserted = threading.Event()
        results: dict[str, dict] = {}
        errors: list[BaseException] = []

        def second() -> None:
            try:
                first_inserted.wait(10)
                with clock.fixed(NOW), UnitOfWork(pg_engine) as uow:
                    results["second"] = jobs.run_rules(uow.session)  # blocks on the first's rows, then skips them
                    uow.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        with UnitOfWork(pg_engine) as uow:
            results["first"] = jobs.run_rules(uow.session)
            first_inserted.set()
            worker.join(1.0)  # the second pass is now waiting on our uncommitted rows
            uow.commit()
        worker.join(30)
    assert not errors, errors
    assert results["first"]["made"] == 5
    assert results["second"]["made"] == 0
    with Session(pg_engine) as s:
        assert s.execute(select(func.count()).select_from(Reminder)).scalar_one() == 5
