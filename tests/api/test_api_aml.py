"""Transactions sent through the REST API are monitored in the same transaction and their counterparties
screened: a batch with a large cash deposit opens a case, a payment to a listed company leaves a hit for
review; a counterparty's country that is not two letters is refused naming the row and field."""
from __future__ import annotations

from sqlalchemy import text

from aml_helpers import INTERNAL
from api_helpers import customer_body
from services.aml import service as aml
from services.db import UnitOfWork
from services.security.actor import SYSTEM


def _customer_with_account(http, auth) -> None:
    r = http.put("/api/v1/customers/C-1", json=customer_body(1), headers=auth)
    assert r.status_code == 201, r.text
    r = http.put("/api/v1/customers/C-1/accounts/A-1", headers=auth, json={
        "kind": "deposit", "account_no": "6214850000000000001", "opened_on": "2020-01-02", "balance": "100.00"})
    assert r.status_code == 201, r.text


def _tx(i: int, **kw) -> dict:
    row = {"external_ref": f"T{i}", "customer_external_id": "C-1", "account_external_id": "A-1", "kind": "deposit",
           "amount": "1000.00", "booked_at": "2026-01-05T10:00:00+08:00", "channel": "online"}
    row.update(kw)
    return row


def test_an_api_batch_is_monitored_and_its_counterparties_screened(http, auth, app_db):
    with UnitOfWork(app_db) as uow:
        aml.load_list(uow=uow, actor=SYSTEM, content=INTERNAL)
        uow.commit()
    _customer_with_account(http, auth)
    rows = [_tx(1, amount="52000.00", channel="counter"),
            _tx(2, kind="transfer_out", amount="-2000.00", counterparty_name="Golden Lotus Trading Co. Ltd",
                counterparty_country="HK")]
    r = http.post("/api/v1/transactions", json={"rows": rows}, headers={**auth, "Idempotency-Key": "aml-1"})
    assert r.status_code == 200, r.text
    stored = app_db.execute(text("SELECT counterparty_name, counterparty_country FROM \"transaction\" "
                                 "WHERE counterparty_name IS NOT NULL")).one()
    assert tuple(stored) == ("Golden Lotus Trading Co. Ltd", "hk")
    assert app_db.execute(text("SELECT rule_code FROM aml_alert")).scalars().all() == ["pboc_large_value"]
    hit = app_db.execute(text("SELECT subject_type, entry_id FROM aml_screening_hit")).one()
    assert tuple(hit) == ("counterparty", "I-3")


def test_a_bad_counterparty_country_is_refused(http, auth, app_db):
    _customer_with_account(http, auth)
    r = http.post("/api/v1/transactions", json={"rows": [_tx(1, counterparty_country="Hong Kong")]},
                  headers={**auth, "Idempotency-Key": "aml-2"})
    assert r.status_code == 422
    assert r.json()["fields"][0]["field"] == "rows[0].counterparty_country"
