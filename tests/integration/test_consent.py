"""Consent records (PIPL): every grant and withdrawal is a new row; the latest one is in force."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.customers import consent
from services.customers.models import ConsentRecord
from services.errors import Refusal, ValidationFailed
from services.security.models import AuditEvent
from services.types import utcnow


def _record(uow_factory, actor, customer_id, **data):
    with uow_factory() as uow:
        v = consent.record_consent(uow=uow, actor=actor, customer_id=customer_id, data=data)
        uow.commit()
    return v


def test_grant_then_withdraw_keeps_history_and_current_is_latest(uow_factory, actors, new_customer, connection):
    p = new_customer()
    rm = actors["rm_a1"]
    earlier = utcnow() - timedelta(days=30)
    _record(uow_factory, rm, p.id, purpose="marketing", granted=True, channel="branch", recorded_at=earlier,
            evidence="表单 2024-001")
    _record(uow_factory, rm, p.id, purpose="marketing", granted=False, channel="phone")
    _record(uow_factory, rm, p.id, purpose="profiling", granted=True, channel="app")
    with uow_factory() as uow:
        current = {c.purpose: c for c in consent.current_consents(uow=uow, actor=rm, customer_id=p.id)}
        history = consent.consent_history(uow=uow, actor=rm, customer_id=p.id, purpose="marketing")
        assert consent.has_consent(uow.session, p.id, "profiling")
        assert not consent.has_consent(uow.session, p.id, "marketing")
        assert not consent.has_consent(uow.session, p.id, "credit_inquiry")
    assert list(current) == ["marketing", "data_sharing", "credit_inquiry", "profiling", "contact"]
    assert current["marketing"].granted is False and current["marketing"].channel == "phone"
    assert current["profiling"].granted is True
    assert current["data_sharing"].granted is None and current["data_sharing"].recorded_at is None
    assert [h.granted for h in history] == [False, True]
    assert history[1].evidence == "表单 2024-001" and history[1].recorded_by == "rm_a1"
    assert connection.execute(select(func.count()).select_from(ConsentRecord)).scalar_one() == 3
    actions = connection.execute(select(AuditEvent.action, AuditEvent.changes)
                                 .where(AuditEvent.action.like("consent.%")).order_by(AuditEvent.seq)).all()
    assert [a for a, _ in actions] == ["consent.grant", "consent.withdraw", "consent.grant"]
    assert json.loads(actions[1][1])["purpose"] == "marketing"


def test_latest_by_recorded_time_not_by_insertion(uow_factory, actors, new_customer):
    """A paper form captured late does not override a newer withdrawal made in the app."""
    p = new_customer()
    rm = actors["rm_a1"]
    _record(uow_factory, rm, p.id, purpose="data_sharing", granted=False, channel="app")
    _record(uow_factory, rm, p.id, purpose="data_sharing", granted=True, channel="branch",
            recorded_at=utcnow() - timedelta(days=3))
    with uow_factory() as uow:
        assert not consent.has_consent(uow.session, p.id, "data_sharing")


@pytest.mark.parametrize("data, field, code", [
    ({"purpose": "spam", "granted": True, "channel": "app"}, "purpose", "value.invalid_choice"),
    ({"purpose": "marketing", "granted": "yes", "channel": "app"}, "granted", "value.invalid"),
    ({"purpose": "marketing", "granted": True, "channel": "fax"}, "channel", "value.invalid_choice"),
    ({"purpose": "marketing", "channel": "app"}, "granted", "value.required"),
    ({"purpose": "marketing", "granted": True, "channel": "app",
      "recorded_at": datetime(2026, 1, 1, 10, 0)}, "recorded_at", "value.needs_timezone"),
    ({"purpose": "marketing", "granted": True, "channel": "app",
      "recorded_at": utcnow() + timedelta(days=2)}, "recorded_at", "value.future_date"),
    ({"purpose": "marketing", "granted": True, "channel": "app", "evidence": "x" * 201}, "evidence",
     "value.too_long"),
    ({"purpose": "marketing", "granted": True, "channel": "app", "evidence": "a\x00b"}, "evidence",
     "value.control_characters"),
    ({"purpose": "marketing", "granted": True, "channel": "app", "extra": 1}, "extra", "value.unknown_field"),
])
def test_bad_consent_input_names_the_field_and_writes_nothing(uow_factory, actors, new_customer, connection,
                                                              data, field, code):
    p = new_customer()
    with uow_factory() as uow, pytest.raises(ValidationFailed) as exc:
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=p.id, data=data)
    assert {e.field: e.code for e in exc.value.errors} == {field: code}
    assert connection.execute(select(func.count()).select_from(ConsentRecord)).scalar_one() == 0


def test_consent_follows_customer_scope_and_auditors_only_read(uow_factory, actors, new_customer):
    p = new_customer(owner="rm_a1")
    data = {"purpose": "marketing", "granted": True, "channel": "branch"}
    for who in ("rm_b1", "rm_a2"):
        with uow_factory() as uow, pytest.raises(Refusal):
            consent.record_consent(uow=uow, actor=actors[who], customer_id=p.id, data=data)
        with uow_factory() as uow, pytest.raises(Refusal):
            consent.current_consents(uow=uow, actor=actors[who], customer_id=p.id)
    with uow_factory() as uow, pytest.raises(Refusal):
        consent.record_consent(uow=uow, actor=actors["auditor"], customer_id=p.id, data=data)
    with uow_factory() as uow:
        assert len(consent.consent_history(uow=uow, actor=actors["auditor"], customer_id=p.id)) == 0
    _record(uow_factory, actors["bm_a"], p.id, **data)
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        consent.consent_history(uow=uow, actor=actors["rm_a1"], customer_id=p.id, limit=10_000)
    with uow_factory() as uow:
        (h,) = consent.consent_history(uow=uow, actor=actors["rm_a1"], customer_id=p.id)
    assert h.recorded_at.tzinfo is not None and h.recorded_at <= datetime.now(timezone.utc)
