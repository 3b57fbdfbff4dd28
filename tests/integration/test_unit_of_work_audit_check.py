"""The unit of work refuses to commit a business-table write without an audit event in the same transaction
(issue 8, point 6): whichever way the write reached the database (an ORM flush, Core, driver SQL), unless the
table is on the short, reasoned allow-list (services.db.UNAUDITED_WRITES)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from services import db
from services.db import UNAUDITED_WRITES, UnauditedWrite
from services.models import metadata
from services.org.models import Branch
from services.security import audit
from services.security.actor import SYSTEM
from services.security.models import UserSession
from services.types import utcnow


def _branches(connection) -> int:
    return connection.execute(select(func.count()).select_from(Branch)).scalar()


@pytest.mark.parametrize("how", ["orm", "core", "driver"])
def test_a_business_write_without_an_audit_event_is_not_committed(uow_factory, connection, how):
    before = _branches(connection)
    with pytest.raises(UnauditedWrite) as refused:
        with uow_factory() as uow:
            s = uow.session
            if how == "orm":
                s.add(Branch(code="X1", name="新分行", name_en="New", city="北京"))
            elif how == "core":
                s.connection().execute(insert(Branch).values(code="X1", name="新分行", name_en="New", city="北京"))
            else:
                s.connection().exec_driver_sql(
                    "INSERT INTO branch (code, name, name_en, city) VALUES ('X1', '新分行', 'New', '北京')")
            uow.commit()
    assert refused.value.writes == [("branch", "INSERT")]
    assert _branches(connection) == before


def test_the_same_write_with_its_audit_event_commits(uow_factory, connection):
    before = _branches(connection)
    with uow_factory() as uow:
        uow.session.add(Branch(code="X2", name="新分行", name_en="New", city="北京"))
        audit.record(uow.session, SYSTEM, "branch.create", entity_type="branch", changes={"code": "X2"})
        uow.session.flush()
        assert ("branch", "INSERT") in db.written(uow.session)
        uow.commit()
    assert _branches(connection) == before + 1


def test_an_update_and_a_delete_count_too(uow_factory, connection):
    with uow_factory() as uow:
        uow.session.add(Branch(code="X3", name="新分行", name_en="New", city="北京"))
        audit.record(uow.session, SYSTEM, "branch.create", entity_type="branch")
        uow.commit()
    for statement in (update(Branch).where(Branch.code == "X3").values(city="上海"),
                      Branch.__table__.delete().where(Branch.code == "X3")):
        with pytest.raises(UnauditedWrite):
            with uow_factory() as uow:
                uow.session.execute(statement)
                uow.commit()
    assert connection.execute(select(Branch.city).where(Branch.code == "X3")).scalar() == "北京"


def test_an_allowed_write_needs_no_audit_event(uow_factory, connection, org):
    """A session touch (the idle deadline sliding) is bookkeeping, not a business change."""
    from services.security.auth import _hash_token

    now = utcnow()
    connection.execute(insert(UserSession).values(id=_hash_token("t"), user_id=org.users["rm_a1"], created_at=now,
                                                  last_seen_at=now - timedelta(minutes=5),
                                                  expires_at=now + timedelta(hours=1)))
    with uow_factory() as uow:
        uow.session.execute(update(UserSession).where(UserSession.id == _hash_token("t")).values(last_seen_at=now))
        uow.commit()
    assert connection.execute(select(UserSession.last_seen_at)).scalar() == now


def test_a_write_undone_by_its_savepoint_needs_no_audit_event(uow_factory, connection):
    before = _branches(connection)
    with uow_factory() as uow:
        s = uow.session
        sp = s.begin_nested()
        s.add(Branch(code="X4", name="新分行", name_en="New", city="北京"))
        audit.record(s, SYSTEM, "branch.create")
        s.flush()
        sp.rollback()  # the write and its event are both gone
        assert audit.pending(s) == [] and ("branch", "INSERT") not in db.written(s)
        uow.commit()
    assert _branches(connection) == before


def test_the_allow_list_is_short_names_real_tables_and_says_why_for_each():
    assert len(UNAUDITED_WRITES) <= 16
    tables = set(metadata.tables) | {"alembic_version"}
    for (table, op), reason in UNAUDITED_WRITES.items():
        assert table in tables, table
        assert op in ("INSERT", "UPDATE", "DELETE")
        assert len(reason) > 20, (table, op)
    # Nothing a customer's record is made of is on it.
    assert not {t for t, _ in UNAUDITED_WRITES} & {"customer", "account", "transaction", "holding", "interaction",
                                                    "customer_tag", "relationship", "document", "app_user"}


def test_a_plain_session_is_checked_too(connection):
    """Not only units of work: any session that commits (the demo seed uses one)."""
    from sqlmodel import Session

    before = _branches(connection)
    with Session(connection, join_transaction_mode="create_savepoint") as s:
        s.execute(text("INSERT INTO branch (code, name, name_en, city) VALUES ('X5', 'a', 'a', 'a')"))
        with pytest.raises(UnauditedWrite):
            s.commit()
        s.rollback()
    assert _branches(connection) == before
