"""The suitability decision and questionnaire scoring as pure functions: every level against every product
level under both regimes, professional investors, missing and expired assessments, the shipped defaults
(each parsed through the same definitions an administrator's change goes through), and property tests of
the scoring."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from services.errors import ValidationFailed
from services.suitability import defaults, scoring
from services.suitability.definitions import (CriteriaDefinition, QuestionnaireDefinition, SaleRuleConditions,
                                              level_rank)
from services.suitability.rules import (CustomerFacts, ProductFacts, RegimeFacts, RuleFacts, age_on, decide,
                                        requirements)

SECURITIES = RegimeFacts("securities_funds", "证券", "Securities", "warn", ("C1",), True, 24)
BANK = RegimeFacts("bank_wealth", "银行理财", "Bank wealth", "refuse", (), True, 24)


def customer(level: str | None = "C3", *, expires: date | None = date(2027, 1, 1), investor: str = "ordinary",
             age: int | None = 40, bought: frozenset = frozenset()) -> CustomerFacts:
    return CustomerFacts(customer_id=1, kind="individual", investor_class=investor, risk_level=level,
                         assessment_id=7 if expires else None, assessment_expires=expires,
                         classification_id=3 if investor == "professional" else None,
                         classification_until=date(2027, 6, 1) if investor == "professional" else None,
                         age=age, owner_id=1, bought_types=bought)


def product(level: str, regime: RegimeFacts | None = SECURITIES, *, active: bool = True, ptype: str = "fund") -> ProductFacts:
    return ProductFacts(product_id=1, code=f"P-{level}", name="产品", name_en="Product", product_type=ptype,
                        risk_level=level, is_active=active, issuer=None, regime=regime)


@pytest.mark.parametrize("c", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
def test_every_level_against_every_product_level_under_both_regimes(c, r):
    securities = decide(customer(f"C{c}"), product(f"R{r}", SECURITIES)).verdict
    bank = decide(customer(f"C{c}"), product(f"R{r}", BANK)).verdict
    if r <= c:
        assert securities == bank == "allowed"
    else:
        # Securities and funds: a warning to sign, except for C1, who never buys above R1; bank wealth: refused.
        assert securities == ("refused" if c == 1 else "warning_required")
        assert bank == "refused"


def test_professional_investors_may_buy_anything_where_the_regime_says_so():
    for regime in (SECURITIES, BANK):
        d = decide(customer(None, expires=None, investor="professional"), product("R5", regime))
        assert d.verdict == "allowed" and d.reasons[0].code == "suitability.professional"
    strict = RegimeFacts("strict", "严", "Strict", "refuse", (), False, 24)
    assert decide(customer("C2", investor="professional"), product("R5", strict)).verdict == "refused"


def test_no_valid_assessment_means_no_purchase_and_says_why():
    none = decide(customer(None, expires=None), product("R1"))
    assert none.verdict == "refused" and none.reasons[0].code == "suitability.no_assessment"
    expired = decide(customer(None, expires=date(2025, 1, 1)), product("R1"))
    assert expired.verdict == "refused" and expired.reasons[0].code == "suitability.assessment_expired"
    assert expired.reasons[0].params == {"date": "2025-01-01"}


def test_inactive_products_and_types_without_a_regime_are_refused():
    assert decide(customer("C5"), product("R1", active=False)).reasons[0].code == "suitability.product_inactive"
    assert decide(customer("C5"), product("R1", None)).reasons[0].code == "suitability.no_regime"


def _rule(code: str, requirement: str, **conditions) -> RuleFacts:
    return RuleFacts(code, code, code, requirement, SaleRuleConditions(**conditions))


def test_sale_rules_add_steps_only_when_every_condition_holds():
    rules = [_rule("r4", "recording", min_product_risk="R4"), _rule("old", "recording", min_age=65),
             _rule("old_r4", "extra_confirmation", min_age=65, min_product_risk="R4"),
             _rule("first", "recording", first_purchase_of_type=True, product_types=["fund"]),
             _rule("warn", "compliance_review", verdicts=["warning_required"])]
    young = customer("C5", age=40, bought=frozenset({"fund"}))
    assert [r.rule for r in requirements(rules, young, product("R3"), "allowed")] == []
    assert [r.rule for r in requirements(rules, young, product("R4"), "allowed")] == ["r4"]
    old = customer("C5", age=70, bought=frozenset({"fund"}))
    assert [r.rule for r in requirements(rules, old, product("R4"), "allowed")] == ["r4", "old", "old_r4"]
    newcomer = customer("C3", age=40)
    assert [r.rule for r in requirements(rules, newcomer, product("R4"), "warning_required")] == [
        "r4", "first", "warn"]
    assert requirements(rules, newcomer, product("R4"), "refused") == []


def test_a_sale_rule_needs_a_condition():
    with pytest.raises(ValueError):
        SaleRuleConditions()


def test_age_counts_birthdays():
    assert age_on(date(1960, 6, 15), date(2025, 6, 14)) == 64
    assert age_on(date(1960, 6, 15), date(2025, 6, 15)) == 65
    assert age_on(None, date(2025, 1, 1)) is None


# ---------------------------------------------------------------- the shipped defaults and scoring

def test_every_shipped_default_is_a_valid_definition():
    for q in defaults.QUESTIONNAIRES:
        defn = QuestionnaireDefinition.model_validate(q["definition"])
        assert defn.bands[-1].max_score == defn.max_score
    for c in defaults.PROFESSIONAL_CRITERIA:
        CriteriaDefinition.model_validate(c["definition"])
    for r in defaults.SALE_RULES:
        SaleRuleConditions.model_validate(r["conditions"])
    assert set(defaults.REGIME_OF_PRODUCT_TYPE.values()) == {r["code"] for r in defaults.REGIMES}


INDIVIDUAL = QuestionnaireDefinition.model_validate(defaults.INDIVIDUAL_QUESTIONNAIRE["definition"])


def _answers(pick: str) -> dict:
    """Every question answered with its first (lowest) or last (highest) option."""
    return {q.key: (q.options[0] if pick == "low" else q.options[-1]).key for q in INDIVIDUAL.questions}


def test_scores_map_to_bands_and_knock_outs_cap_the_level():
    top = {q.key: max(q.options, key=lambda o: o.points).key for q in INDIVIDUAL.questions}
    assert scoring.score(INDIVIDUAL, top, age=40).level == "C5"
    # "cannot bear any loss" caps the result at C1 whatever else was answered
    no_loss = {**top, "loss": "a"}
    out = scoring.score(INDIVIDUAL, no_loss, age=40)
    assert out.score_level == "C5" and out.level == "C1" and out.caps[0].question == "loss"
    # the age cap: 70 and over at most C2
    aged = scoring.score(INDIVIDUAL, top, age=71)
    assert aged.level == "C2" and aged.caps[0].question is None


def test_answers_out_of_range_unknown_or_missing_are_refused_naming_the_question():
    with pytest.raises(ValidationFailed) as e:
        scoring.score(INDIVIDUAL, {**_answers("high"), "age": "z"}, age=40)
    assert e.value.errors[0].field == "answers.age" and e.value.errors[0].code == "questionnaire.answer_out_of_range"
    with pytest.raises(ValidationFailed) as e:
        scoring.check_answer(INDIVIDUAL, "not_a_question", "a")
    assert e.value.errors[0].code == "questionnaire.unknown_question"
    partial = _answers("high")
    del partial["goal"]
    with pytest.raises(ValidationFailed) as e:
        scoring.score(INDIVIDUAL, partial, age=40)
    assert [x.field for x in e.value.errors] == ["answers.goal"]
    for bad in (None, [], "a", {"age": ["a"]}, {"age": 1}, {i: "a" for i in range(50)}):
        with pytest.raises(ValidationFailed):
            scoring.check_answers(INDIVIDUAL, bad, complete=False)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({q.key: st.sampled_from([o.key for o in q.options]) for q in INDIVIDUAL.questions}),
       st.one_of(st.none(), st.integers(min_value=18, max_value=100)))
def test_scoring_properties(answers, age):
    out = scoring.score(INDIVIDUAL, answers, age=age)
    assert 0 <= out.score <= INDIVIDUAL.max_score
    band = next(b for b in INDIVIDUAL.bands if b.min_score <= out.score <= b.max_score)
    assert out.score_level == band.level
    assert level_rank(out.level) <= level_rank(out.score_level)  # knock-outs only ever lower
    for cap in out.caps:
        assert level_rank(out.level) <= level_rank(cap.level)
    if age is not None and age >= 70:
        assert level_rank(out.level) <= 2


def test_a_questionnaire_whose_bands_leave_gaps_or_miss_the_top_is_refused():
    raw = defaults.INDIVIDUAL_QUESTIONNAIRE["definition"]
    gappy = {**raw, "bands": [dict(b) for b in raw["bands"]]}
    gappy["bands"][2]["min_score"] += 1
    with pytest.raises(ValueError):
        QuestionnaireDefinition.model_validate(gappy)
    short = {**raw, "bands": [dict(b) for b in raw["bands"]]}
    short["bands"][4]["max_score"] = 90
    with pytest.raises(ValueError):
        QuestionnaireDefinition.model_validate(short)
