"""The suitability check in services (what the UI and the API both call): stored and audited every time, on
the customer's valid level only, within the actor's scope, with the regimes and sale rules read as data."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from services import clock
from services.errors import NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.suitability import professional, questionnaires, service
from services.suitability.models import SuitabilityCheck, SuitabilityRegime
from suitability_helpers import add_products, audit_rows, set_level


@pytest.fixture
def products(connection):
    return add_products(connection)


def _check(uow_factory, actor, **kw):
    with uow_factory() as uow:
        out = service.check_suitability(uow=uow, actor=actor, **kw)
        uow.commit()
    return out


def test_a_check_is_answered_with_reasons_in_both_languages_and_facts_and_kept(uow_factory, actors, new_customer,
                                                                             products, connection):
    c = new_customer()
    until = clock.today() + timedelta(days=200)
    set_level(uow_factory, c.id, "C3", until)
    ok = _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R3")
    assert ok.verdict == "allowed"
    assert ok.facts.risk_level == "C3" and ok.facts.assessment_expires == until and ok.facts.regime == "securities_funds"
    assert "C3" in ok.reasons[0].zh_CN and "covers" in ok.reasons[0].en
    warn = _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R4")
    assert warn.verdict == "warning_required" and "Securities and funds" in warn.reasons[0].en
    assert "证券期货及基金投资者适当性规则" in warn.reasons[0].zh_CN
    assert {s.requirement for s in warn.required_steps} >= {"recording", "compliance_review"}
    bank = _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="BW-R4")
    assert bank.verdict == "refused" and bank.facts.regime == "bank_wealth" and bank.required_steps == []
    stored = connection.execute(select(SuitabilityCheck.verdict, SuitabilityCheck.purpose)
                                .order_by(SuitabilityCheck.id)).all()
    assert [tuple(r) for r in stored] == [("allowed", "inquiry"), ("warning_required", "inquiry"),
                                          ("refused", "inquiry")]
    assert [r.entity_id for r in audit_rows(connection, "suitability.check")] == [str(c.id)] * 3


def test_an_expired_assessment_counts_as_none(uow_factory, actors, new_customer, products):
    c = new_customer()
    set_level(uow_factory, c.id, "C5", clock.today() - timedelta(days=1))
    out = _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R1")
    assert out.verdict == "refused" and out.reasons[0].code == "suitability.assessment_expired"
    assert out.facts.risk_level is None and out.facts.assessment_valid is False
    never = new_customer()
    assert _check(uow_factory, actors["rm_a1"], customer_id=never.id,
                  product_code="SF-R1").reasons[0].code == "suitability.no_assessment"


def test_the_regime_is_data_an_administrator_changes(uow_factory, actors, new_customer, products, connection):
    c = new_customer()
    set_level(uow_factory, c.id, "C2", clock.today() + timedelta(days=30))
    assert _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="BW-R3").verdict == "refused"
    with uow_factory() as uow:
        questionnaires.change_regime(uow=uow, actor=actors["admin"], code="bank_wealth", data={
            "on_mismatch": "warn", "never_above": ["C1"], "professional_any": True, "cooling_off_hours": 48})
        uow.commit()
    assert _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="BW-R3").verdict == "warning_required"
    with uow_factory() as uow:
        questionnaires.assign_regime(uow=uow, actor=actors["admin"], product_type="fund", regime_code="bank_wealth")
        uow.commit()
    assert _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R3").facts.regime == "bank_wealth"
    assert connection.execute(select(SuitabilityRegime.cooling_off_hours).where(
        SuitabilityRegime.code == "bank_wealth")).scalar() == 48
    with pytest.raises(NotPermitted), uow_factory() as uow:
        questionnaires.change_regime(uow=uow, actor=actors["rm_a1"], code="bank_wealth", data={
            "on_mismatch": "warn", "never_above": [], "professional_any": True, "cooling_off_hours": 0})


def test_other_customers_and_bad_input_are_refused(uow_factory, actors, new_customer, products, connection):
    foreign = new_customer(owner="rm_b1")
    with pytest.raises(OutOfScope) as e, uow_factory() as uow:  # out of scope answers as "not found", audited
        service.check_suitability(uow=uow, actor=actors["rm_a1"], customer_id=foreign.id, product_code="SF-R1")
    assert e.value.message("en") == NotFound(what="customer", id=foreign.id).message("en")
    refused = audit_rows(connection, "access.refused")
    assert refused and refused[-1].entity_id == str(foreign.id)
    for kw in ({"customer_id": foreign.id, "product_code": "NOPE"}, {"customer_id": foreign.id, "product_code": 7},
               {"product_code": "SF-R1"}, {"customer_id": foreign.id, "external_id": "x", "product_code": "SF-R1"},
               {"customer_id": 2**40, "product_code": "SF-R1"}, {"customer_id": "1", "product_code": "SF-R1"}):
        with pytest.raises((ValidationFailed, NotFound)), uow_factory() as uow:
            service.check_suitability(uow=uow, actor=actors["compliance"], **kw)
    with pytest.raises(NotPermitted), uow_factory() as uow:
        service.check_suitability(uow=uow, actor=actors["admin"], customer_id=foreign.id, product_code="SF-R1")


def test_a_professional_investor_may_buy_anything_with_evidence_on_file(uow_factory, actors, new_customer, products,
                                                                      connection):
    from services.documents import upload_customer_document

    c = new_customer()
    assert _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R5").verdict == "refused"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    with uow_factory() as uow:
        doc = upload_customer_document(uow=uow, actor=actors["rm_a1"], customer_id=c.id, filename="assets.pdf",
                                       data=pdf, kind="other")
        uow.commit()
    with pytest.raises(ValidationFailed) as e, uow_factory() as uow:  # one group only: not professional
        professional.classify_professional(uow=uow, actor=actors["compliance"], customer_id=c.id,
                                           met=["financial_assets_5m"], evidence={"financial_assets_5m": [doc.id]})
    assert e.value.errors[0].code == "classification.criteria_not_met"
    with pytest.raises(ValidationFailed) as e, uow_factory() as uow:  # proof missing for one criterion
        professional.classify_professional(uow=uow, actor=actors["compliance"], customer_id=c.id,
                                           met=["financial_assets_5m", "experience_2y"],
                                           evidence={"financial_assets_5m": [doc.id]})
    assert e.value.errors[0].field == "evidence.experience_2y"
    with pytest.raises(NotPermitted), uow_factory() as uow:
        professional.classify_professional(uow=uow, actor=actors["rm_a1"], customer_id=c.id,
                                           met=["financial_assets_5m", "experience_2y"],
                                           evidence={"financial_assets_5m": [doc.id], "experience_2y": [doc.id]})
    with uow_factory() as uow:
        view = professional.classify_professional(
            uow=uow, actor=actors["compliance"], customer_id=c.id, met=["financial_assets_5m", "experience_2y"],
            evidence={"financial_assets_5m": [doc.id], "experience_2y": [doc.id]})
        uow.commit()
    assert view.valid_until > clock.today() + timedelta(days=700)
    out = _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R5")
    assert out.verdict == "allowed" and out.facts.investor_class == "professional"
    with uow_factory() as uow:
        profile = service.investor_profile(uow=uow, actor=actors["rm_a1"], customer_id=c.id)
    assert profile.investor_class == "professional" and profile.professional_until == view.valid_until
    with uow_factory() as uow:
        professional.revoke_classification(uow=uow, actor=actors["compliance"], customer_id=c.id, note="资产下降")
        uow.commit()
    assert _check(uow_factory, actors["rm_a1"], customer_id=c.id, product_code="SF-R5").verdict == "refused"


def test_products_are_listed_with_regime_and_issuer(uow_factory, actors, products):
    with uow_factory() as uow:
        page = service.list_products(uow=uow, actor=actors["rm_a1"], page=1, page_size=200)
    by_code = {p.code: p for p in page.items}
    assert by_code["SF-R4"].regime == "securities_funds" and by_code["BW-R4"].regime == "bank_wealth"
    assert by_code["SF-R4"].issuer == "演示基金管理有限公司"
    assert "LN-1" not in by_code  # loans are not sold under suitability
    with pytest.raises(ValidationFailed), uow_factory() as uow:
        service.list_products(uow=uow, actor=actors["rm_a1"], page=0, page_size=10**9)
