"""The suitability demo data, as the issue asks for it: customers at every level C1-C5 with valid and expired
assessments, professional investors, products at R1-R5 under both regimes, sales at every stage (with real
signed disclosures), an open questionnaire link, and the reminders."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services import documents, migrations
from services.customers.models import Customer
from services.db import make_engine
from services.demo.seed import seed_demo
from services.portfolio.models import Product
from services.security.models import User
from services.settings import reset_settings
from services.suitability import signing
from services.suitability.models import (AssessmentReminder, InvestorClassification, QuestionnaireLink,
                                         RegimeAssignment, RiskAssessment, Sale)

ANCHOR = date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("suitability-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        seed_demo(customers=300, anchor=ANCHOR, engine=engine)
        yield engine
        engine.dispose()
    reset_settings()


def test_the_demo_rm_has_every_level_valid_and_expired(demo_engine):
    with Session(demo_engine) as s:
        rm = s.execute(select(User.id).where(User.username == "rm")).scalar()
        rows = s.execute(select(Customer.risk_level, Customer.risk_valid_until).where(
            Customer.owner_id == rm, Customer.risk_level.is_not(None))).all()
        seen = {(level, until >= ANCHOR) for level, until in rows}
        assert seen >= {(f"C{i}", v) for i in range(1, 6) for v in (True, False)}
        # every assessed customer has the assessment behind the level, scored by the shipped questionnaire
        assessed = dict(s.execute(select(RiskAssessment.customer_id, RiskAssessment.level)).all())
        levels = dict(s.execute(select(Customer.id, Customer.risk_level).where(Customer.risk_level.is_not(None))).all())
        assert assessed == levels


def test_products_cover_every_level_under_both_regimes(demo_engine):
    with Session(demo_engine) as s:
        regime_of = dict(s.execute(select(RegimeAssignment.product_type, RegimeAssignment.regime_code)).all())
        covered = {(regime_of.get(t), r) for t, r in s.execute(select(Product.product_type, Product.risk_level))}
        for regime in ("securities_funds", "bank_wealth"):
            assert {r for g, r in covered if g == regime} == {"R1", "R2", "R3", "R4", "R5"}, regime
        assert not s.execute(select(Product.code).where(Product.issuer.is_(None),
                                                        Product.product_type != "loan")).all()


def test_professional_investors_sales_at_every_stage_links_and_reminders(demo_engine):
    with Session(demo_engine) as s:
        assert s.execute(select(InvestorClassification.id)).all()
        stages = Counter(s.execute(select(Sale.status)).scalars())
        assert set(stages) == {"awaiting_signature", "recording_pending", "review_pending", "cooling_off",
                               "effective", "cancelled", "rejected"}
        signed = s.execute(select(Sale.disclosure_sha256).where(Sale.disclosure_sha256.is_not(None))).scalars().all()
        assert signed and all(signing.verify_pdf(documents.read_blob(h)).ok for h in signed[:2])
        assert s.execute(select(QuestionnaireLink.status)).scalars().all() == ["issued"]
        assert s.execute(select(AssessmentReminder.id)).all()
