"""What the underwriting domain says, in Simplified Chinese and English (merged by services.bootstrap)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "underwriting.birth_date_required": {
        "zh_CN": "核保需要被保险人的出生日期，请先在客户资料中补充。",
        "en": "Underwriting needs the insured's birth date: add it to the customer's profile first."},
    "underwriting.not_returned": {"zh_CN": "该核保案件当前不是退回补充状态。",
                                  "en": "This underwriting case was not returned for a complete questionnaire."},
    "underwriting.closed": {"zh_CN": "该核保案件已结束（{status}）。", "en": "This underwriting case is closed ({status})."},
    # the proposal's fields, as errors name them
    "field.sum_insured": {"zh_CN": "保额", "en": "Sum insured"},
    "field.height_cm": {"zh_CN": "身高（厘米）", "en": "Height (cm)"},
    "field.weight_kg": {"zh_CN": "体重（公斤）", "en": "Weight (kg)"},
    "field.smoker": {"zh_CN": "吸烟", "en": "Smoker"},
    "field.hospitalised": {"zh_CN": "近五年住院", "en": "In hospital in the last five years"},
    "underwriting.status.referred": {"zh_CN": "人工核保中", "en": "with an underwriter"},
    "underwriting.status.returned": {"zh_CN": "退回补充问卷", "en": "returned for a complete questionnaire"},
    "underwriting.status.accepted": {"zh_CN": "已承保", "en": "accepted"},
    "underwriting.status.declined": {"zh_CN": "已拒保", "en": "declined"},
    "underwriting.status.withdrawn": {"zh_CN": "已撤回", "en": "withdrawn"},
    "underwriting.triage.accept": {"zh_CN": "自动承保", "en": "accepted automatically"},
    "underwriting.triage.decline": {"zh_CN": "自动拒保", "en": "declined automatically"},
    "underwriting.triage.refer": {"zh_CN": "转人工核保", "en": "referred to an underwriter"},
    "underwriting.condition.diabetes": {"zh_CN": "糖尿病", "en": "diabetes"},
    "underwriting.condition.hypertension": {"zh_CN": "高血压", "en": "high blood pressure"},
    "underwriting.condition.heart": {"zh_CN": "心脏疾病", "en": "heart disease"},
    "underwriting.condition.cancer": {"zh_CN": "恶性肿瘤病史", "en": "history of cancer"},
    "underwriting.condition.liver": {"zh_CN": "肝脏疾病", "en": "liver disease"},
    "underwriting.condition.kidney": {"zh_CN": "肾脏疾病", "en": "kidney disease"},
    "underwriting.condition.respiratory": {"zh_CN": "呼吸系统疾病", "en": "respiratory disease"},
    "underwriting.condition.mental": {"zh_CN": "精神疾病", "en": "mental illness"},
}
