"""The audit trail is a hash chain: any edit, deletion or fork behind the app's back is found."""
from __future__ import annotations

import json

from sqlalchemy import text, update

from services.security import audit
from services.security.actor import SYSTEM
from services.security.models import AuditEvent


def _write_events(uow_factory, n: int) -> None:
    with uow_factory() as uow:
        for i in range(n):
            audit.record(uow.session, SYSTEM, "test.event", entity_type="customer", entity_id=i,
                         changes={"i": i, "名字": "张三"})
        uow.commit()


def test_untouched_chain_verifies(uow_factory):
    _write_events(uow_factory, 5)
    with uow_factory() as uow:
        result = audit.verify(uow.session)
    assert result.ok and result.checked >= 5


def test_editing_a_row_behind_the_apps_back_breaks_the_chain(uow_factory, connection):
    _write_events(uow_factory, 5)
    target = connection.execute(text("SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1 OFFSET 2")).scalar()
    connection.execute(update(AuditEvent).where(AuditEvent.seq == target)
                       .values(changes=json.dumps({"i": 999})))
    with uow_factory() as uow:
        result = audit.verify(uow.session)
    assert not result.ok and result.broken_seq == target and "hash" in result.reason


def test_deleting_a_row_is_a_gap(uow_factory, connection):
    _write_events(uow_factory, 5)
    target = connection.execute(text("SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1 OFFSET 3")).scalar()
    connection.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": target})
    with uow_factory() as uow:
        result = audit.verify(uow.session)
    assert not result.ok and result.broken_seq == target and "missing" in result.reason


def test_rewriting_a_row_and_its_hash_breaks_the_next_link(uow_factory, connection):
    _write_events(uow_factory, 4)
    seqs = [r[0] for r in connection.execute(text("SELECT seq FROM audit_event ORDER BY seq"))]
    target = seqs[-3]
    connection.execute(update(AuditEvent).where(AuditEvent.seq == target).values(hash="f" * 64))
    with uow_factory() as uow:
        result = audit.verify(uow.session)
    assert not result.ok and result.broken_seq in (target, target + 1)


def test_a_use_case_that_fails_leaves_no_audit_event(uow_factory, connection):
    before = connection.execute(text("SELECT count(*) FROM audit_event")).scalar()
    with uow_factory() as uow:
        audit.record(uow.session, SYSTEM, "test.rolled_back")
        # no commit: the unit of work rolls back
    assert connection.execute(text("SELECT count(*) FROM audit_event")).scalar() == before


def test_events_chain_in_order_at_commit_and_a_rolled_back_savepoint_forgets_its_own(uow_factory):
    """Events wait in the transaction and are chained when it commits; what a rolled-back savepoint
    recorded is forgotten with it."""
    with uow_factory() as uow:
        s = uow.session
        first = audit.record(s, SYSTEM, "test.first")
        sp = s.begin_nested()
        audit.record(s, SYSTEM, "test.undone")
        sp.rollback()
        after = audit.record(s, SYSTEM, "test.after")
        sp = s.begin_nested()
        kept = audit.record(s, SYSTEM, "test.kept")
        sp.commit()
        last = audit.record(s, SYSTEM, "test.last")
        assert [e.action for e in audit.pending(s)] == ["test.first", "test.after", "test.kept", "test.last"]
        assert first.seq is None  # not on record before the commit
        uow.commit()
    assert [after.seq, kept.seq, last.seq] == [first.seq + 1, first.seq + 2, first.seq + 3]
    assert (after.prev_hash, kept.prev_hash, last.prev_hash) == (first.hash, after.hash, kept.hash)
    # A new transaction reads the head again.
    with uow_factory() as uow:
        nxt = audit.record(uow.session, SYSTEM, "test.next")
        uow.commit()
    assert nxt.seq == last.seq + 1 and nxt.prev_hash == last.hash
    with uow_factory() as uow:
        assert audit.verify(uow.session).ok
        assert uow.session.execute(text("SELECT count(*) FROM audit_event WHERE action = 'test.undone'")).scalar() == 0
