"""A revealed ID number or phone does not stay in full: it is masked again when the customer's page is left
(its field unmounts: `remask`) or REVEAL_SECONDS after the latest reveal, and can then be revealed again,
audited again (issue 9, point 7)."""
from __future__ import annotations

from sqlalchemy import select
from state_helpers import call_handler

from services.security.models import AuditEvent


def _open(page_state, actors, monkeypatch, customer_id):
    from state.customers import CustomerState

    monkeypatch.setattr(CustomerState, "_current_path", lambda self: f"/customers/{customer_id}")
    st = page_state(CustomerState, actors["compliance"])
    call_handler(st, "load")
    assert st.found
    return st


def _reveals(connection):
    return connection.execute(select(AuditEvent.action).where(AuditEvent.action == "customer.reveal")).all()


def test_a_revealed_id_number_is_masked_again_when_the_page_is_left(page_state, actors, monkeypatch, new_customer,
                                                                     connection):
    from state.customers import CustomerState

    c = new_customer()
    st = _open(page_state, actors, monkeypatch, c.id)
    masked = st.id_number
    assert "*" in masked and st.can_reveal_id_number
    follow = call_handler(st, "reveal", "id_number")
    assert "*" not in st.id_number and not st.can_reveal_id_number
    assert follow == CustomerState.remask_later  # the timer starts with the reveal
    call_handler(st, "remask")  # the masked field unmounted: the user left the customer
    assert st.id_number == masked and st.can_reveal_id_number
    call_handler(st, "reveal", "id_number")  # revealed again: audited again
    assert len(_reveals(connection)) == 2


def test_a_revealed_value_is_masked_again_after_a_short_time(page_state, actors, monkeypatch, new_customer):
    from state.customers import REVEAL_SECONDS

    c = new_customer()
    st = _open(page_state, actors, monkeypatch, c.id)
    masked_id, masked_phone = st.id_number, st.phone
    call_handler(st, "reveal", "id_number")
    started = st._revealed_at
    call_handler(st, "reveal", "phone")  # a second reveal restarts the clock for both
    assert st._revealed_at >= started
    assert st._remask_if_due(st._revealed_at + REVEAL_SECONDS - 1) > 0
    assert "*" not in st.id_number and "*" not in st.phone
    assert st._remask_if_due(st._revealed_at + REVEAL_SECONDS) == 0
    assert (st.id_number, st.phone) == (masked_id, masked_phone)
    assert st.can_reveal_id_number and st.can_reveal_phone
