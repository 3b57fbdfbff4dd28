"""The AML workbench's page state: the queue with its filters, an item's detail, decisions with their reason,
assignment; what a socket client sends is validated, and the services refuse what the actor may not do."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from aml_helpers import INTERNAL
from services import clock
from services.aml import service as aml
from services.aml.models import ScreeningHit
from services.portfolio.events import TransactionsIngested
from services.portfolio.models import Account, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from state.aml import AmlState
from state_helpers import call_handler


@pytest.fixture
def queue(uow_factory, actors, new_customer, connection):
    with uow_factory() as uow:
        aml.load_list(uow=uow, actor=actors["compliance"], content=INTERNAL)
        uow.commit()
    hit_customer = new_customer(name="王建国")
    other = new_customer(name="赵六")
    acc = connection.execute(insert(Account).values(
        customer_id=other.id, kind="deposit", account_no_enc="x", account_no_bidx="bx", account_no_last4="0000",
        currency="CNY", balance=Decimal(0), branch_id=1, opened_on=clock.today()).returning(Account.id)).scalar()
    at = clock.now() - timedelta(hours=2)
    connection.execute(insert(Transaction).values(
        account_id=acc, customer_id=other.id, kind="deposit", amount=Decimal(80000), currency="CNY", booked_at=at,
        channel="counter", created_at=at))
    with uow_factory() as uow:
        audit.record(uow.session, SYSTEM, "transaction.ingest", entity_type="test", entity_id=None, changes={})
        uow.publish(TransactionsIngested(customer_ids=(other.id,), count=1, source="test"))
        uow.commit()
    return hit_customer, other


def test_the_queue_shows_hits_and_cases_and_filters_them(page_state, actors, queue):
    state = page_state(AmlState, actors["compliance"])
    call_handler(state, "load")
    assert {i["kind"] for i in state.items} == {"hit", "case"} and state.counts["hits"] == "1"
    call_handler(state, "set_kind", "case")
    assert [i["kind"] for i in state.items] == ["case"]
    call_handler(state, "set_kind", "<script>")  # not a choice: ignored
    assert state.kind == "case"
    call_handler(state, "set_assignee", "me")
    assert state.items == []


def test_a_hit_is_explained_and_decided_with_a_reason(page_state, actors, queue, connection):
    state = page_state(AmlState, actors["compliance"])
    call_handler(state, "load")
    hit = next(i for i in state.items if i["kind"] == "hit")
    call_handler(state, "open_item", "hit", hit["id"])
    assert state.sel["title"] == "王建国" and state.sel_pairs and state.sel["open"] == "1"
    call_handler(state, "dispose", {"disposition": "false_positive", "reason": ""})
    assert state.error and state.sel["open"] == "1"  # refused: a reason is required
    call_handler(state, "take", "hit", hit["id"])
    call_handler(state, "dispose", {"disposition": "false_positive", "reason": "另一人：身份证号不同"})
    assert state.sel["open"] == "" and state.sel["reason"] == "另一人：身份证号不同"
    assert connection.execute(select(ScreeningHit.status)).scalar() == "false_positive"


def test_a_case_gets_a_note_and_is_reported_once(page_state, actors, queue):
    state = page_state(AmlState, actors["compliance"])
    call_handler(state, "set_kind", "case")
    case = state.items[0]
    call_handler(state, "open_item", "case", case["id"])
    assert state.sel_facts and "80,000" in state.sel_facts[0]["text"]
    call_handler(state, "add_note", {"text": "客户称为售房款"})
    assert state.sel_notes[0]["text"] == "客户称为售房款"
    call_handler(state, "decide_case", {"outcome": "report", "reason": "无法核实资金来源"})
    assert state.sel["open"] == "" and state.sel["report"].startswith("STR-")
    call_handler(state, "decide_case", {"outcome": "close", "reason": "again"})
    assert state.sel["report"]  # still reported: a case is decided once


def test_an_rm_gets_nothing_from_the_workbench(page_state, actors, queue):
    state = page_state(AmlState, actors["rm_a1"])
    call_handler(state, "load")
    assert state.items == [] and state.error
    call_handler(state, "open_item", "hit", "1")
    assert state.sel == {} and state.error


def test_compliance_queues_a_rescreening_and_the_page_follows_it(page_state, actors, queue, connection):
    from services.aml.models import RescreenRun
    from services.db import UnitOfWork

    state = page_state(AmlState, actors["compliance"])
    call_handler(state, "load")
    call_handler(state, "rescreen_all")
    assert state.has_run and state.run["active"] == "1" and state.run["status"] == "queued"
    call_handler(state, "rescreen_all")  # one run at a time
    assert connection.execute(select(RescreenRun.id).where(RescreenRun.status == "queued")).scalars().all() == [
        int(state.run["id"])]
    with UnitOfWork(connection) as uow:
        run = uow.session.get(RescreenRun, int(state.run["id"]))
        while not aml.rescreen_step(uow.session, run):
            pass
        uow.commit()
    call_handler(state, "load")
    assert state.run["status"] == "done" and state.run_percent == 100 and state.run["active"] == ""
    auditor = page_state(AmlState, actors["auditor"])
    call_handler(auditor, "load")
    call_handler(auditor, "rescreen_all")  # an auditor reads, never starts work
    assert auditor.error
