"""'Why this tag' in words: the rule engine's evidence keys rendered for people, in both languages."""
from __future__ import annotations

from state.evidence import describe, evidence_lines


def test_demo_hnw_rule_evidence_reads_as_words():
    evidence = {"tx_sum_deposit_30d": "620000.00", "product_view_premium_count_30d": 4}
    zh = evidence_lines(evidence, "zh_CN")
    en = evidence_lines(evidence, "en")
    assert zh == ["近 30 天存入合计: ¥620,000.00", "近 30 天浏览产品（精品产品）次数: 4"]
    assert en == ["Deposit in the last 30 days, total: CN¥620,000.00",
                  "Product view of premium products in the last 30 days: 4"]


def test_other_operands():
    assert describe("interaction_all_count_90d", "en") == ("Interactions (all) in the last 90 days", False)
    assert describe("interaction_call+visit_count_90d", "zh_CN")[0] == "近 90 天联系次数（电话、拜访）"
    assert describe("aum", "zh_CN") == ("资产管理规模 (AUM)", True)
    assert describe("age", "en") == ("Age", False)
    words, money = describe("holdings_value_fund+bond_R3up", "en")
    assert words.startswith("Holdings market value") and "fund, bond" in words and money


def test_unknown_keys_and_odd_values_are_shown_as_they_are():
    assert describe("something_new", "en") == ("something_new", False)
    assert evidence_lines({"age": "n/a", "x": None}, "en") == ["Age: n/a", "x: None"]
