"""What FinCRM ships with, as data: the default ordinary-investor questionnaires (individuals and
institutions), the professional-investor criteria, the two regimes, which product types fall under which,
the default sale rules and the recording checklist.

The migration that created suitability's tables inserts these (version 1 of each); from then on they are the
installation's data, which an administrator changes by adding versions. Changing this file changes only new
installations: a shipped default must therefore stay valid (tests/unit/test_suitability_definitions.py
parses every one through services/suitability/definitions.py).
"""
from __future__ import annotations

from typing import Any


def _w(zh: str, en: str) -> dict[str, str]:
    return {"zh_CN": zh, "en": en}


def _q(key: str, zh: str, en: str, *options: tuple, kind: str = "single") -> dict[str, Any]:
    opts = []
    for i, option in enumerate(options):
        text_zh, text_en, points, *cap = option
        item: dict[str, Any] = {"key": "abcdefghijkl"[i], "text": _w(text_zh, text_en), "points": points}
        if cap:
            item["cap"] = cap[0]
            item["cap_reason"] = _w(cap[1], cap[2])
        opts.append(item)
    return {"key": key, "text": _w(zh, en), "kind": kind, "options": opts}


_EXPLANATIONS = {
    "C1": _w("保守型：您最看重本金安全，几乎不能承受亏损。适合存款、国债、货币基金等低风险（R1）产品。",
             "Conservative: keeping your money safe matters most to you and you can hardly bear any loss. "
             "Suited to low-risk (R1) products such as deposits, treasury bonds and money market funds."),
    "C2": _w("稳健型：您希望在保住本金的前提下获得稳定收益，只能承受较小的波动。适合 R2 及以下的产品。",
             "Moderately conservative: you want steady returns while protecting your money and can bear only "
             "small swings. Suited to products up to R2."),
    "C3": _w("平衡型：您愿意承受一定的波动以换取更高的收益，能接受短期的本金亏损。适合 R3 及以下的产品。",
             "Balanced: you accept some ups and downs for a better return, including short-term losses. "
             "Suited to products up to R3."),
    "C4": _w("成长型：您追求较高收益，能承受较大的波动和亏损。适合 R4 及以下的产品。",
             "Growth: you aim for higher returns and can bear large swings and losses. Suited to products up to R4."),
    "C5": _w("进取型：您追求高收益，能承受很大的波动，甚至可能损失大部分本金。适合各风险等级（R1–R5）的产品。",
             "Aggressive: you aim for high returns and can bear very large swings, even losing most of what you "
             "invest. Suited to products of every risk level (R1–R5)."),
}


def _bands(*upper: int) -> list[dict[str, Any]]:
    out, low = [], 0
    for level, high in zip(("C1", "C2", "C3", "C4", "C5"), upper):
        out.append({"level": level, "min_score": low, "max_score": high, "explanation": _EXPLANATIONS[level]})
        low = high + 1
    return out


_NO_LOSS = ("不能承受任何本金损失", "I cannot bear any loss of principal", 0, "C1",
            "您表示不能承受任何本金损失，因此评估结果最高为保守型（C1）。",
            "You said you cannot bear any loss of principal, so the result is at most Conservative (C1).")

INDIVIDUAL_QUESTIONNAIRE: dict[str, Any] = {
    "code": "ordinary_individual",
    "audience": "individual",
    "title": "个人普通投资者风险承受能力评估问卷",
    "title_en": "Risk tolerance questionnaire for individual ordinary investors",
    "validity_months": 12,
    "definition": {
        "questions": [
            _q("age", "您的年龄是？", "How old are you?",
               ("18–30 岁", "18–30", 8), ("31–50 岁", "31–50", 10), ("51–60 岁", "51–60", 6),
               ("61–70 岁", "61–70", 3), ("70 岁以上", "Over 70", 1)),
            _q("income", "您的家庭年收入约为？", "What is your household's yearly income?",
               ("10 万元以下", "Under CNY 100,000", 2), ("10–50 万元", "CNY 100,000–500,000", 5),
               ("50–100 万元", "CNY 500,000–1 million", 8), ("100 万元以上", "Over CNY 1 million", 10)),
            _q("share", "可用于投资的资产占家庭总资产的比例？", "What share of your household's assets can you invest?",
               ("10% 以下", "Under 10%", 2), ("10%–25%", "10%–25%", 5), ("25%–50%", "25%–50%", 8),
               ("50% 以上", "Over 50%", 10)),
            _q("experience", "您有多少年投资经验（存款除外）？",
               "How many years have you been investing (deposits aside)?",
               ("没有经验", "None", 0), ("2 年以下", "Under 2 years", 3), ("2–5 年", "2–5 years", 6),
               ("5–10 年", "5–10 years", 8), ("10 年以上", "Over 10 years", 10)),
            _q("products", "您投资过的风险最高的产品是？", "What is the riskiest product you have invested in?",
               ("仅存款、国债", "Deposits and treasury bonds only", 1),
               ("银行理财、债券基金", "Bank wealth products, bond funds", 4),
               ("混合基金、股票基金", "Hybrid and equity funds", 7),
               ("股票、期货、私募等", "Shares, futures, private funds", 10)),
            _q("horizon", "您计划的投资期限是？", "How long do you plan to invest?",
               ("1 年以内", "Under 1 year", 2), ("1–3 年", "1–3 years", 5), ("3–5 年", "3–5 years", 8),
               ("5 年以上", "Over 5 years", 10)),
            _q("goal", "您的主要投资目标是？", "What is your main investment goal?",
               ("保本，资产不贬值", "Keep my money safe", 1), ("获得稳定收益", "Steady income", 4),
               ("资产稳健增长", "Balanced growth", 7), ("追求高收益", "High returns", 10)),
            _q("loss", "您最多能承受多大的投资亏损？", "How large a loss could you bear at most?",
               _NO_LOSS, ("10% 以内", "Up to 10%", 4), ("10%–30%", "10%–30%", 7), ("30% 以上", "Over 30%", 10)),
            _q("drop", "如果您的投资短期下跌 20%，您会？", "If your investment fell 20% in a short time, you would…",
               ("全部卖出", "Sell everything", 1), ("卖出一部分", "Sell some", 4), ("继续持有", "Hold on", 7),
               ("加仓买入", "Buy more", 10)),
            _q("knowledge", "您对金融产品的了解程度？", "How well do you know financial products?",
               ("了解很少", "Very little", 1), ("有基本了解", "The basics", 4), ("比较了解", "Fairly well", 7),
               ("非常了解", "Very well", 10)),
        ],
        "bands": _bands(20, 40, 60, 80, 100),
        "age_caps": [{"min_age": 70, "max_level": "C2",
                      "reason": _w("您已年满 70 周岁，按本机构规定评估结果最高为稳健型（C2）。",
                                   "You are 70 or older; under our rules the result is at most Moderately "
                                   "conservative (C2).")}],
    },
}

INSTITUTION_QUESTIONNAIRE: dict[str, Any] = {
    "code": "ordinary_institution",
    "audience": "institution",
    "title": "机构普通投资者风险承受能力评估问卷",
    "title_en": "Risk tolerance questionnaire for institutional ordinary investors",
    "validity_months": 12,
    "definition": {
        "questions": [
            _q("nature", "贵机构的性质是？", "What kind of institution are you?",
               ("机关、事业单位", "Government body or public institution", 2), ("国有企业", "State-owned enterprise", 5),
               ("民营企业", "Private enterprise", 8), ("金融机构、投资公司", "Financial institution or investment firm", 10)),
            _q("net_assets", "贵机构上年末净资产约为？", "What were your net assets at the end of last year?",
               ("500 万元以下", "Under CNY 5 million", 2), ("500 万–2000 万元", "CNY 5–20 million", 5),
               ("2000 万–1 亿元", "CNY 20–100 million", 8), ("1 亿元以上", "Over CNY 100 million", 10)),
            _q("team", "贵机构由谁负责投资决策？", "Who makes your investment decisions?",
               ("无专人负责", "Nobody in particular", 2), ("财务人员兼任", "Finance staff, part-time", 5),
               ("专职投资人员", "Dedicated investment staff", 8), ("专业投资部门", "A professional investment department", 10)),
            _q("experience", "贵机构的投资经验（存款除外）？", "How long has your institution been investing (deposits aside)?",
               ("没有经验", "None", 0), ("2 年以下", "Under 2 years", 4), ("2–5 年", "2–5 years", 7),
               ("5 年以上", "Over 5 years", 10)),
            _q("funds", "拟投资资金的性质是？", "What money would you invest?",
               ("一年内需用于经营的资金", "Money needed for operations within a year", 1),
               ("1–3 年内闲置的资金", "Money idle for 1–3 years", 5),
               ("长期盈余资金", "Long-term surplus funds", 10)),
            _q("goal", "贵机构的投资目标是？", "What is your investment goal?",
               ("保本保值", "Preserve capital", 1), ("稳定收益", "Steady income", 4), ("稳健增值", "Balanced growth", 7),
               ("追求高收益", "High returns", 10)),
            _q("loss", "贵机构最多能承受多大的投资亏损？", "How large a loss could your institution bear at most?",
               ("不能承受任何本金损失", "No loss of principal at all", 0, "C1",
                "贵机构表示不能承受任何本金损失，因此评估结果最高为保守型（C1）。",
                "You said your institution cannot bear any loss of principal, so the result is at most "
                "Conservative (C1)."),
               ("10% 以内", "Up to 10%", 4), ("10%–30%", "10%–30%", 7), ("30% 以上", "Over 30%", 10)),
            _q("controls", "贵机构内部对风险投资的规定是？", "What do your internal rules say about risky investments?",
               ("禁止风险投资", "They are not allowed", 1, "C2",
                "贵机构内部规定禁止风险投资，因此评估结果最高为稳健型（C2）。",
                "Your internal rules forbid risky investments, so the result is at most Moderately "
                "conservative (C2)."),
               ("需严格审批", "They need strict approval", 5), ("可灵活决策", "We decide flexibly", 10)),
        ],
        "bands": _bands(16, 32, 48, 64, 80),
        "age_caps": [],
    },
}

QUESTIONNAIRES = (INDIVIDUAL_QUESTIONNAIRE, INSTITUTION_QUESTIONNAIRE)


def _c(key: str, zh: str, en: str, ev_zh: str, ev_en: str) -> dict[str, Any]:
    return {"key": key, "text": _w(zh, en), "evidence": _w(ev_zh, ev_en)}


PROFESSIONAL_CRITERIA: tuple[dict[str, Any], ...] = (
    {"code": "professional_individual", "audience": "individual", "validity_months": 24,
     "title": "个人专业投资者认定标准", "title_en": "Criteria for individual professional investors",
     "definition": {
         "criteria": [
             _c("financial_assets_5m", "金融资产不低于 500 万元", "Financial assets of at least CNY 5 million",
                "近期金融资产证明（存款、理财、证券、基金等对账单）", "Recent statements of financial assets"),
             _c("income_500k", "最近 3 年个人年均收入不低于 50 万元",
                "Average yearly income of at least CNY 500,000 over the last 3 years",
                "最近 3 年收入证明或纳税证明", "Proof of income or tax returns of the last 3 years"),
             _c("experience_2y", "具有 2 年以上证券、基金、期货、黄金、外汇等投资经历",
                "At least 2 years of investing in securities, funds, futures, gold or foreign exchange",
                "交易记录或账户开立证明", "Trading records or account opening records"),
             _c("professional_work_2y", "具有 2 年以上金融产品设计、投资、风险管理及相关工作经历",
                "At least 2 years of work in financial product design, investment or risk management",
                "工作证明或从业资格证书", "Employment certificate or professional licence"),
         ],
         "groups": [{"any_of": ["financial_assets_5m", "income_500k"]},
                    {"any_of": ["experience_2y", "professional_work_2y"]}],
     }},
    {"code": "professional_institution", "audience": "institution", "validity_months": 24,
     "title": "机构专业投资者认定标准", "title_en": "Criteria for institutional professional investors",
     "definition": {
         "criteria": [
             _c("net_assets_20m", "最近 1 年末净资产不低于 2000 万元",
                "Net assets of at least CNY 20 million at the end of the last year",
                "经审计的上年度财务报表", "Audited financial statements of the last year"),
             _c("financial_assets_10m", "最近 1 年末金融资产不低于 1000 万元",
                "Financial assets of at least CNY 10 million at the end of the last year",
                "金融资产证明", "Statements of financial assets"),
             _c("experience_2y", "具有 2 年以上证券、基金、期货、黄金、外汇等投资经历",
                "At least 2 years of investing in securities, funds, futures, gold or foreign exchange",
                "交易记录", "Trading records"),
             _c("licensed_institution", "经有关金融监管部门批准设立的金融机构",
                "A financial institution licensed by a financial regulator",
                "金融许可证", "Financial licence"),
         ],
         "groups": [{"any_of": ["licensed_institution", "net_assets_20m"]},
                    {"any_of": ["licensed_institution", "financial_assets_10m"]},
                    {"any_of": ["licensed_institution", "experience_2y"]}],
     }},
)

REGIMES: tuple[dict[str, Any], ...] = (
    {"code": "securities_funds", "name": "证券期货及基金投资者适当性规则",
     "name_en": "Securities and funds investor-suitability rules", "on_mismatch": "warn",
     "never_above": ["C1"], "professional_any": True, "cooling_off_hours": 24},
    {"code": "bank_wealth", "name": "商业银行理财产品销售规则", "name_en": "Bank wealth-management sales rules",
     "on_mismatch": "refuse", "never_above": [], "professional_any": True, "cooling_off_hours": 24},
)

REGIME_OF_PRODUCT_TYPE: dict[str, str] = {
    "fund": "securities_funds", "bond": "securities_funds", "equity": "securities_funds",
    "wealth": "bank_wealth", "deposit": "bank_wealth", "insurance": "bank_wealth",
}

SALE_RULES: tuple[dict[str, Any], ...] = (
    {"code": "record_r4_and_above", "name": "R4 及以上产品的销售须双录", "name_en": "Products R4 and above are recorded",
     "requirement": "recording", "conditions": {"min_product_risk": "R4"}},
    {"code": "record_age_65", "name": "65 周岁及以上客户的销售须双录", "name_en": "Customers aged 65 or over are recorded",
     "requirement": "recording", "conditions": {"min_age": 65}},
    {"code": "record_first_of_type", "name": "首次购买某类产品须双录",
     "name_en": "A first purchase of a product type is recorded",
     "requirement": "recording", "conditions": {"first_purchase_of_type": True,
                                                 "product_types": ["wealth", "fund", "bond", "equity"]}},
    {"code": "review_mismatch", "name": "风险不匹配的销售须合规复核",
     "name_en": "A sale above the customer's level is reviewed by compliance",
     "requirement": "compliance_review", "conditions": {"verdicts": ["warning_required"]}},
    {"code": "confirm_age_65_r4", "name": "65 周岁及以上客户购买 R4 及以上产品须额外确认",
     "name_en": "Customers aged 65 or over confirm R4 and above in writing",
     "requirement": "extra_confirmation", "conditions": {"min_age": 65, "min_product_risk": "R4"},
     "statement": "本人已年满 65 周岁，已充分了解本产品风险较高、可能损失本金，本次购买系本人真实意愿。",
     "statement_en": "I am 65 or older, I fully understand that this product is high-risk and I may lose money, "
                     "and I buy it of my own free will."},
)

RECORDING_CHECKLIST: dict[str, Any] = {
    "code": "dual_recording", "items": [
        {"key": "identity_shown", "text": _w("客户出示身份证件并确认本人办理",
                                             "The customer showed an ID and confirmed acting in person")},
        {"key": "risk_disclosed", "text": _w("销售人员完整揭示了产品风险",
                                             "The salesperson disclosed the product's risks in full")},
        {"key": "levels_explained", "text": _w("说明了客户风险等级与产品风险等级",
                                               "The customer's and the product's risk levels were explained")},
        {"key": "no_promise", "text": _w("未承诺保本或收益", "No guarantee of principal or return was made")},
        {"key": "voluntary", "text": _w("客户确认自愿购买", "The customer confirmed buying of their own free will")},
        {"key": "cooling_off", "text": _w("告知了冷静期及撤销权利",
                                          "The cooling-off period and the right to cancel were explained")},
    ]}
