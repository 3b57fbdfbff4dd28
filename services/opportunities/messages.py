"""What the opportunities domain says, in both languages (merged into services.i18n by services/bootstrap.py)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "opportunity.closed": {"en": "is already {stage}: a won or lost opportunity does not move again",
                           "zh_CN": "已{stage}，赢单或输单的商机不能再变更"},
    "opportunity.same_stage": {"en": "is already at this stage", "zh_CN": "已处于该阶段"},
    "opportunity.reason_for_outcome": {"en": "does not fit a {outcome} opportunity (choose one of: {choices})",
                                       "zh_CN": "与{outcome}不符（可选：{choices}）"},
    "opportunity.product_type_mismatch": {"en": "is a {product_type} product, not the opportunity's type",
                                          "zh_CN": "属于{product_type}类产品，与商机的产品类型不符"},
    "opportunity.close_before_open": {"en": "cannot be before the opportunity was opened",
                                      "zh_CN": "不能早于商机创建日期"},
    "opportunity.closed_edit": {"en": "is already {stage}: a won or lost opportunity is no longer edited",
                                "zh_CN": "已{stage}，赢单或输单的商机不能再编辑"},
    "opportunity.close_in_past": {"en": "cannot be in the past", "zh_CN": "不能早于今天"},
    "field.stage": {"en": "Stage", "zh_CN": "阶段"},
    "field.outcome": {"en": "Outcome", "zh_CN": "结果"},
    "field.close_reason": {"en": "Reason", "zh_CN": "原因"},
    "field.close_note": {"en": "Note", "zh_CN": "说明"},
    "field.expected_close": {"en": "Expected close", "zh_CN": "预计成交日期"},
    "field.opportunity_id": {"en": "Opportunity", "zh_CN": "商机"},
    "entity.opportunity": {"en": "opportunity", "zh_CN": "商机"},
}
