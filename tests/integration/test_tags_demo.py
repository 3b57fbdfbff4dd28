"""The tag demo data: right after seeding, the shipped rules have tagged customers (two of the demo `rm`
user's among the high-net-worth potentials), with evidence that meets the rule, and a nightly pass
over the same data on the anchor day changes nothing. The rules measure their windows from the clock,
never from the demo's anchor: weeks later the same pass takes the recent-activity tags away."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services import clock, migrations
from services.customers.models import Customer
from services.db import UnitOfWork, make_engine
from services.demo.seed import seed_demo
from services.portfolio.models import Product
from services.security.models import User
from services.settings import reset_settings
from services.tags import service as tags
from services.tags.models import CustomerTag, Tag, TagRule


ANCHOR = date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tag-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        seed_demo(customers=400, anchor=ANCHOR, engine=engine)
        yield engine
        engine.dispose()
    reset_settings()


def test_demo_rules_tag_customers_at_once(demo_engine):
    with Session(demo_engine) as s:
        rules = s.execute(select(TagRule.rule_key, TagRule.version, TagRule.active)).all()
        assert {r[0] for r in rules} == {"hnw_potential", "not_contacted_90d", "large_depositor",
                                         "senior_risk_holdings"}
        assert all(r[1] == 1 and r[2] for r in rules)
        assert s.execute(select(Product.code).where(Product.is_premium.is_(True))).scalars().all()
        rm = s.execute(select(User.id).where(User.username == "rm")).scalar_one()
        hnw = s.execute(select(CustomerTag, Customer.owner_id).join(Tag, Tag.id == CustomerTag.tag_id)
                        .join(Customer, Customer.id == CustomerTag.customer_id)
                        .where(Tag.code == "hnw_potential")).all()
        assert len(hnw) >= 3
        assert sum(owner == rm for _, owner in hnw) >= 1
        for ct, _ in hnw:
            assert Decimal(ct.evidence["tx_sum_deposit_30d"]) >= 500_000
            assert ct.evidence["product_view_premium_count_30d"] >= 3
            assert ct.rule_version == 1
        by_tag = dict(s.execute(select(Tag.code, CustomerTag.id).join(CustomerTag, CustomerTag.tag_id == Tag.id))
                      .all())
        assert {"not_contacted_90d", "large_depositor"} <= set(by_tag)


def test_nightly_pass_on_the_anchor_day_changes_nothing(demo_engine):
    with clock.fixed(clock.start_of_day(ANCHOR) + timedelta(hours=2)):  # 02:00, when the pass runs
        report = tags.nightly_pass(lambda: UnitOfWork(demo_engine))
    assert (report.rules, report.added, report.removed, report.failed) == (4, 0, 0, [])
    assert report.matched > 0


def test_weeks_later_the_rules_measure_from_the_clock_not_the_demo_anchor(demo_engine):
    """Last in this module: it changes the module's data."""
    def tagged(code: str) -> int:
        with Session(demo_engine) as s:
            return len(s.execute(select(CustomerTag.id).join(Tag, Tag.id == CustomerTag.tag_id)
                                 .where(Tag.code == code)).all())

    assert tagged("hnw_potential") >= 3
    with clock.fixed(ANCHOR + timedelta(days=60)):
        report = tags.nightly_pass(lambda: UnitOfWork(demo_engine))
    assert report.failed == [] and report.removed >= 3
    # Deposits and premium views of the 30 days before the anchor are 60 days old now.
    assert tagged("hnw_potential") == 0
