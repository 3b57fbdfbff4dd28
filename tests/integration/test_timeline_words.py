"""The 360 timeline says what the customer did in words, in the user's language: a page view names the page
(the source system's key only when FinCRM does not know it), a product view the product, who reported the
event in words; a large transaction without a description shows its kind in words, never a code
(issue 9, point 7)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from services.activities.models import BehaviourEvent
from services.customer360 import service as c360
from services.portfolio.models import Account, Product, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from services.types import utcnow
from state import customers as page


def test_events_and_large_transactions_are_told_in_words(uow_factory, actors, new_customer, org):
    p = new_customer()
    now = utcnow()
    with uow_factory() as uow:
        s = uow.session
        prod = Product(code="TLW001", name="安享理财180天", name_en="Secure Wealth 180 Days", product_type="wealth",
                       risk_level="R2")
        acc = Account(customer_id=p.id, kind="deposit", account_no_enc="x", account_no_bidx="tlw-bidx",
                      account_no_last4="0001", balance=Decimal("900000"), branch_id=org.branch_a,
                      opened_on=now.date())
        s.add_all([prod, acc])
        s.flush()
        s.add_all([
            BehaviourEvent(customer_id=p.id, kind="page_view", occurred_at=now - timedelta(hours=1),
                           attributes={"page": "wealth"}, source="app"),
            BehaviourEvent(customer_id=p.id, kind="page_view", occurred_at=now - timedelta(hours=2),
                           attributes={"page": "promo_618"}, source="core-banking"),
            BehaviourEvent(customer_id=p.id, kind="product_view", occurred_at=now - timedelta(hours=3),
                           product_id=prod.id, attributes={}, source="demo"),
            Transaction(account_id=acc.id, customer_id=p.id, kind="card_repayment", amount=Decimal("300000"),
                        booked_at=now - timedelta(hours=4), channel="mobile"),
        ])
        audit.record(s, SYSTEM, "test.seed", entity_type="customer", entity_id=p.id)  # as ingestion would
        uow.commit()
    with uow_factory() as uow:
        items = c360.timeline(uow=uow, actor=actors["rm_a1"], customer_id=p.id, request={"limit": 10})
    zh = {r["key"].split("-")[0] + ":" + r["title"]: r for r in page.timeline_rows(items, "CNY", "zh_CN")}
    en = page.timeline_rows(items, "CNY", "en")
    assert [(r["title"], r["detail"]) for r in en] == [
        ("Wealth management", "From the mobile app"), ("promo_618", "Source: core-banking"),
        ("Secure Wealth 180 Days", "Demo data"), ("Card repayment", "Mobile")]
    assert set(zh) == {"event:理财", "event:promo_618", "event:安享理财180天", "large_transaction:信用卡还款"}
    assert zh["event:理财"]["detail"] == "来自手机银行 App" and zh["event:理财"]["subtype"] == "浏览页面"
    assert all("_" not in r["subtype"] for r in en)
