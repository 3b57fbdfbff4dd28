"""Refused access leaves a trace: every refusal that ends an operation is an `access.refused` audit event
(written after the refused transaction rolled back), rate-limited per source so an attack cannot flood the
chain; and a customer outside the actor's scope answers exactly like one that does not exist."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services.customer360 import service as c360
from services.errors import NotFound, NotPermitted, OutOfScope
from services.security import refusals
from services.security.audit import verify
from services.security.models import AuditEvent
from services.tags import service as tags


def _refusals(connection) -> list:
    return list(connection.execute(select(AuditEvent.__table__).where(AuditEvent.action == "access.refused")
                                   .order_by(AuditEvent.seq)))


def test_foreign_customer_is_refused_as_not_found_and_audited(uow_factory, connection, actors, new_customer):
    foreign = new_customer(owner="rm_b1", name="王外人")
    missing_id = foreign.id + 10_000
    with pytest.raises(NotFound) as missing, uow_factory() as uow:
        c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=missing_id)
    with pytest.raises(OutOfScope) as refused, uow_factory() as uow:
        c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=foreign.id)

    # The caller cannot tell the two apart (same code, status and message but for the id they sent).
    assert refused.value.code == missing.value.code == "error.not_found"
    assert refused.value.http_status == missing.value.http_status == 404
    for loc in ("zh_CN", "en"):
        assert refused.value.message(loc) == missing.value.message(loc).replace(str(missing_id), str(foreign.id))
    assert refused.value.message("zh_CN") == f"未找到：客户 {foreign.id}。"

    events = _refusals(connection)
    assert len(events) == 1  # the missing id is no refusal
    ev = events[0]
    assert (ev.actor_kind, ev.actor_id, ev.entity_type, ev.entity_id) == (
        "user", str(actors["rm_a1"].id), "customer", str(foreign.id))
    changes = json.loads(ev.changes)
    assert changes["refused"] == "error.not_found"
    assert changes["operation"] == "services.customer360.service.customer_360"
    assert verify(Session(connection)).ok


def test_role_refusal_is_audited_with_the_use_case(uow_factory, connection, actors):
    with pytest.raises(NotPermitted), uow_factory() as uow:
        tags.create_tag(uow=uow, actor=actors["rm_a1"], data={"name": "x"})
    [ev] = _refusals(connection)
    assert json.loads(ev.changes)["operation"].startswith("services.tags.service.")
    assert ev.actor_id == str(actors["rm_a1"].id)


def test_refusals_are_rate_limited_per_source_and_say_how_many_were_left_out(
        uow_factory, connection, actors, new_customer, monkeypatch):
    foreign = new_customer(owner="rm_b1", name="王外人")
    clock = [1_000_000.0]
    monkeypatch.setattr(refusals.time, "monotonic", lambda: clock[0])
    for _ in range(refusals.PER_SOURCE + 7):
        with pytest.raises(OutOfScope), uow_factory() as uow:
            c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=foreign.id)
    # Another source is not held back by the first one's flood.
    with pytest.raises(OutOfScope), uow_factory() as uow:
        c360.customer_360(uow=uow, actor=actors["rm_a2"], customer_id=foreign.id)
    assert len(_refusals(connection)) == refusals.PER_SOURCE + 1

    clock[0] += refusals.WINDOW_SECONDS  # the next minute
    with pytest.raises(OutOfScope), uow_factory() as uow:
        c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=foreign.id)
    last = _refusals(connection)[-1]
    assert json.loads(last.changes)["suppressed"] == 7
    assert connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one() > 0
    assert verify(Session(connection)).ok


def test_opening_a_customers_360_is_an_audited_read(uow_factory, connection, actors, new_customer):
    """Finding 11: the API's read of a customer was audited, opening the same customer's 360 page was not."""
    mine = new_customer(name="林读")
    with uow_factory() as uow:
        c360.customer_360(uow=uow, actor=actors["rm_a1"], customer_id=mine.id)
        uow.commit()
    reads = connection.execute(select(AuditEvent.actor_id, AuditEvent.entity_id).where(
        AuditEvent.action == "customer.read")).all()
    assert reads == [(str(actors["rm_a1"].id), str(mine.id))]
