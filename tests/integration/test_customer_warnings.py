"""Warnings where they matter (issue 9, point 6): the 360 header's warnings come from consent (do not contact,
withdrawn marketing consent), KYC, the risk assessment's validity and open complaints; and a call, visit or
meeting with a do-not-contact customer is refused unless it states its lawful basis, which is kept and audited."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from services import clock
from services.activities import service as activities
from services.activities import tickets
from services.activities.models import Interaction
from services.customer360.warnings import customer_warnings
from services.customers import consent
from services.customers.models import Customer
from services.errors import OutOfScope, ValidationFailed
from services.security.models import AuditEvent

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


@pytest.fixture
def customer(new_customer):
    return new_customer("rm_a1", name="周敏")


def _consent(uow_factory, actor, customer_id, purpose, granted):
    with uow_factory() as uow:
        consent.record_consent(uow=uow, actor=actor, customer_id=customer_id,
                               data={"purpose": purpose, "granted": granted, "channel": "phone"})
        uow.commit()


def _warnings(uow_factory, actor, customer_id):
    with uow_factory() as uow:
        return customer_warnings(uow=uow, actor=actor, customer_id=customer_id)


def _log(uow_factory, actor, customer_id, **data):
    with uow_factory() as uow:
        row = activities.log_interaction(uow=uow, actor=actor, customer_id=customer_id,
                                         data={"kind": "call", "subject": "电话回访", **data})
        uow.commit()
    return row


def test_a_customer_without_problems_has_no_warnings(uow_factory, actors, customer, connection):
    connection.execute(update(Customer).where(Customer.id == customer.id)
                       .values(kyc_status="verified", risk_level="C3", risk_valid_until=date(2027, 5, 1)))
    w = _warnings(uow_factory, actors["rm_a1"], customer.id)
    assert not w.any and w.kyc_status == "verified"


def test_do_not_contact_and_withdrawn_marketing_are_warned_of(uow_factory, actors, customer):
    rm = actors["rm_a1"]
    _consent(uow_factory, rm, customer.id, "marketing", True)
    _consent(uow_factory, rm, customer.id, "contact", True)  # never asked, or granted: may be contacted
    w = _warnings(uow_factory, rm, customer.id)
    assert not w.do_not_contact and not w.marketing_withdrawn
    _consent(uow_factory, rm, customer.id, "marketing", False)
    _consent(uow_factory, rm, customer.id, "contact", False)
    w = _warnings(uow_factory, rm, customer.id)
    assert w.do_not_contact and w.marketing_withdrawn


def test_a_call_to_a_do_not_contact_customer_needs_its_basis(uow_factory, actors, customer, connection):
    rm = actors["rm_a1"]
    _consent(uow_factory, rm, customer.id, "contact", False)
    before = connection.execute(select(func.count()).select_from(Interaction)).scalar_one()
    for kind in ("call", "visit", "meeting"):
        with pytest.raises(ValidationFailed) as err:
            _log(uow_factory, rm, customer.id, kind=kind)
        assert err.value.errors[0].field == "contact_basis"
        assert "勿扰" in err.value.message("zh_CN") and "asked not to be contacted" in err.value.message("en")
    with pytest.raises(ValidationFailed):  # selling is no basis
        _log(uow_factory, rm, customer.id, contact_basis="marketing")
    assert connection.execute(select(func.count()).select_from(Interaction)).scalar_one() == before
    row = _log(uow_factory, rm, customer.id, contact_basis="customer_initiated")
    assert row.contact_basis == "customer_initiated"
    audited = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "interaction.create")
                                 .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert '"contact_basis":"customer_initiated"' in audited
    # A note is not contact; once the customer allows contact again no basis is asked (a sent one is dropped).
    assert _log(uow_factory, rm, customer.id, kind="note").contact_basis is None
    _consent(uow_factory, rm, customer.id, "contact", True)
    assert _log(uow_factory, rm, customer.id, contact_basis="service_obligation").contact_basis is None


def test_kyc_risk_and_complaints(uow_factory, actors, customer, connection):
    rm = actors["rm_a1"]
    connection.execute(update(Customer).where(Customer.id == customer.id)
                       .values(kyc_status="expired", risk_level="C2", risk_valid_until=date(2026, 11, 19)))
    w = _warnings(uow_factory, rm, customer.id)
    assert w.kyc_lapsed and w.risk_expired and w.risk_valid_until == date(2026, 11, 19) and not w.risk_missing
    connection.execute(update(Customer).where(Customer.id == customer.id)
                       .values(kyc_status="verified", risk_valid_until=date(2026, 11, 20)))
    w = _warnings(uow_factory, rm, customer.id)
    assert not w.kyc_lapsed and not w.risk_expired  # valid through today
    with uow_factory() as uow:
        t = tickets.open_ticket(uow=uow, actor=rm, customer_id=customer.id, data={
            "kind": "complaint", "subject": "收费争议", "complaint_reason": "pricing_fees"})
        tickets.open_ticket(uow=uow, actor=rm, customer_id=customer.id, data={"kind": "service", "subject": "补打对账单"})
        uow.commit()
    w = _warnings(uow_factory, rm, customer.id)
    assert w.open_complaints == 1 and w.breached_tickets == 0
    with clock.fixed(NOW + timedelta(days=4)):
        assert _warnings(uow_factory, rm, customer.id).breached_tickets == 2
    with uow_factory() as uow:
        tickets.ticket_step(uow=uow, actor=rm, ticket_id=t.id, step="resolve", data={"resolution": "upheld"})
        uow.commit()
    assert _warnings(uow_factory, rm, customer.id).open_complaints == 0


def test_warnings_are_scoped_like_the_customer(uow_factory, actors, customer):
    with pytest.raises(OutOfScope), uow_factory() as uow:
        customer_warnings(uow=uow, actor=actors["rm_b1"], customer_id=customer.id)
