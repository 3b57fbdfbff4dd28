"""What suitability says, in Simplified Chinese and English (merged into services.i18n.MESSAGES by
services.bootstrap, so the UI and the API give the same words). In reasons, {regime} is the regime's name in
the message's own language (services.suitability.views.reason_view fills it)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # the suitability decision (reasons)
    "suitability.within_level": {
        "zh_CN": "客户风险承受能力等级 {level} 覆盖产品风险等级 {product_level}。",
        "en": "The customer's risk tolerance {level} covers the product's risk level {product_level}."},
    "suitability.professional": {
        "zh_CN": "客户为专业投资者（认定有效期至 {until}），可购买各风险等级的产品。",
        "en": "The customer is a professional investor (classified until {until}) and may buy products of any risk level."},
    "suitability.no_assessment": {
        "zh_CN": "客户尚无有效的风险承受能力评估，不能购买。",
        "en": "The customer has no valid risk assessment and cannot buy."},
    "suitability.assessment_expired": {
        "zh_CN": "客户的风险承受能力评估已于 {date} 过期，过期评估视为无评估，不能购买。",
        "en": "The customer's risk assessment expired on {date}; an expired assessment counts as none, so they cannot buy."},
    "suitability.never_above": {
        "zh_CN": "根据{regime}，风险承受能力等级为 {level} 的客户不得购买高于其等级的产品（产品 {product_level}）。",
        "en": "Under the {regime}, a customer at {level} may never buy above their level (product {product_level})."},
    "suitability.mismatch_warning": {
        "zh_CN": "产品风险等级 {product_level} 高于客户风险承受能力等级 {level}。根据{regime}，客户须阅读并签署风险不匹配警示后方可购买。",
        "en": "The product's risk level {product_level} is above the customer's risk tolerance {level}. Under the "
              "{regime}, the customer may buy only after reading and signing a risk-mismatch warning."},
    "suitability.mismatch_refused": {
        "zh_CN": "产品风险等级 {product_level} 高于客户风险承受能力等级 {level}。根据{regime}，不得销售。",
        "en": "The product's risk level {product_level} is above the customer's risk tolerance {level}. Under the "
              "{regime}, it may not be sold."},
    "suitability.no_regime": {
        "zh_CN": "产品类型 {product_type} 未指定适用的适当性规则，不能销售。",
        "en": "Product type {product_type} is not sold under any suitability rules, so it cannot be sold."},
    "suitability.product_inactive": {
        "zh_CN": "产品 {product} 已停售。", "en": "Product {product} is no longer sold."},
    "suitability.refused": {
        "zh_CN": "适当性检查未通过，不能销售：{reasons}", "en": "The suitability check refuses this sale: {reasons}"},
    "suitability.customer_ref": {
        "zh_CN": "请提供 customer_id 或 external_id 其中之一", "en": "give either customer_id or external_id"},
    # the questionnaire and the customer's door
    "questionnaire.link_invalid": {
        "zh_CN": "该链接已失效。如需完成风险测评，请联系您的客户经理获取新链接。",
        "en": "This link is no longer valid. To complete the risk questionnaire, ask your relationship manager for a new link."},
    "questionnaire.session_invalid": {
        "zh_CN": "本次测评会话已结束，请重新打开链接并验证身份。",
        "en": "This questionnaire session has ended. Open your link again and confirm who you are."},
    "questionnaire.left": {
        "zh_CN": "您的答案已保存。如需继续，请重新打开链接并验证身份。",
        "en": "Your answers are saved. To carry on, open your link again and confirm who you are."},
    "questionnaire.identity_failed": {
        "zh_CN": "姓名或证件号码后 6 位不正确。", "en": "The name or the last 6 characters of the ID number are not right."},
    "questionnaire.identity_throttled": {
        "zh_CN": "尝试次数过多，请 {minutes} 分钟后再试。", "en": "Too many attempts. Please try again in {minutes} minutes."},
    "questionnaire.code_wrong": {"zh_CN": "验证码不正确。", "en": "The code is not right."},
    "questionnaire.code_expired": {
        "zh_CN": "验证码已失效，请重新验证身份以获取新验证码。",
        "en": "The code is no longer valid. Confirm who you are again to get a new code."},
    "questionnaire.no_phone": {
        "zh_CN": "我们没有您的手机号码，无法发送验证码。请联系您的客户经理在网点完成测评。",
        "en": "We have no mobile number for you to send a code to. Please ask your relationship manager to do the "
              "questionnaire with you in the branch."},
    "questionnaire.id_last6_format": {"zh_CN": "应为 6 位数字或字母", "en": "must be 6 digits or letters"},
    "questionnaire.unknown_question": {"zh_CN": "不是本问卷的问题", "en": "is not a question of this questionnaire"},
    "questionnaire.answer_out_of_range": {"zh_CN": "答案不是该题的选项", "en": "is not one of the question's options"},
    "questionnaire.answers_invalid": {"zh_CN": "答案格式不正确", "en": "are not valid answers"},
    "questionnaire.unanswered": {"zh_CN": "尚未作答", "en": "is not answered yet"},
    "questionnaire.customer_closed": {"zh_CN": "客户已销户", "en": "the customer's relationship is closed"},
    "questionnaire.audience_fixed": {
        "zh_CN": "同一问卷代码的适用对象不能更改", "en": "cannot change for an existing questionnaire code"},
    "questionnaire.not_draft": {"zh_CN": "只有草稿版本可以启用", "en": "only a draft version can be activated"},
    "signature.missing": {"zh_CN": "请先签名", "en": "please sign first"},
    "signature.invalid": {"zh_CN": "签名数据无效，请重新签名", "en": "is not a valid signature; please sign again"},
    # sales
    "sale.amount_invalid": {"zh_CN": "应为大于 0 的金额，最多两位小数", "en": "must be an amount above 0 with at most 2 decimals"},
    "sale.wrong_status": {"zh_CN": "该笔销售当前状态（{status}）下不能执行此操作。",
                          "en": "This cannot be done while the sale is {status}."},
    "sale.cooling_off_over": {"zh_CN": "冷静期已结束，不能撤销。", "en": "The cooling-off period is over; the sale can no longer be cancelled."},
    "sale.warning_not_acknowledged": {
        "zh_CN": "客户须确认已阅读风险不匹配警示", "en": "the customer must confirm reading the risk-mismatch warning"},
    "sale.statement_not_confirmed": {
        "zh_CN": "客户须逐项确认额外声明", "en": "the customer must confirm each extra statement"},
    "disclosure.no_certificate": {
        "zh_CN": "未配置机构签名证书（FINCRM_SIGNING_P12），无法生成签署文件。",
        "en": "No firm signing certificate is configured (FINCRM_SIGNING_P12), so signed documents cannot be made."},
    # recordings
    "recording.too_large": {"zh_CN": "录音录像文件超过 {max_mb} MB 上限。", "en": "The recording is larger than the {max_mb} MB limit."},
    "recording.not_media": {
        "zh_CN": "该文件不是音频或视频（按文件内容识别）。",
        "en": "The file is not audio or video (judged by its content)."},
    "recording.chunk_invalid": {"zh_CN": "每段应为 1 字节至 {max_mb} MB", "en": "each part must be 1 byte to {max_mb} MB"},
    "recording.offset_mismatch": {
        "zh_CN": "上传位置不一致：服务器已收到 {expected} 字节，请从该位置继续。",
        "en": "Upload position mismatch: the server has {expected} bytes; continue from there."},
    "recording.incomplete": {"zh_CN": "上传未完成：已收到 {received} / {size} 字节。",
                             "en": "The upload is not complete: {received} of {size} bytes received."},
    "recording.not_uploading": {"zh_CN": "该录音录像不在上传中（{status}）。", "en": "This recording is not being uploaded ({status})."},
    "recording.not_submitted": {"zh_CN": "该录音录像尚未提交审核（{status}）。", "en": "This recording is not waiting for review ({status})."},
    "recording.checklist_incomplete": {"zh_CN": "请逐项填写审核清单", "en": "answer every item of the checklist"},
    "recording.checklist_not_met": {"zh_CN": "审核清单全部满足才能通过", "en": "every item must be met to approve"},
    # professional investors
    "classification.unknown_criterion": {"zh_CN": "包含未知的认定条件", "en": "names an unknown criterion"},
    "classification.criteria_not_met": {"zh_CN": "所选条件不满足专业投资者认定标准",
                                        "en": "the criteria chosen do not meet the professional-investor standard"},
    "classification.evidence_missing": {"zh_CN": "缺少证明材料", "en": "needs at least one supporting document"},
    "classification.evidence_not_customers": {"zh_CN": "证明材料必须是该客户的文件",
                                              "en": "supporting documents must be the customer's own"},
    # field names
    "field.signature": {"zh_CN": "签名", "en": "Signature"},
    "field.answers": {"zh_CN": "答案", "en": "Answers"},
    "field.id_last6": {"zh_CN": "证件号码后 6 位", "en": "Last 6 of the ID number"},
    "field.warning_acknowledged": {"zh_CN": "风险不匹配警示", "en": "Risk-mismatch warning"},
    "field.statements_confirmed": {"zh_CN": "额外声明", "en": "Extra statements"},
    "field.met": {"zh_CN": "认定条件", "en": "Criteria met"},
    "field.checklist": {"zh_CN": "审核清单", "en": "Checklist"},
    "field.chunk": {"zh_CN": "上传分段", "en": "Upload part"},
    "field.customer": {"zh_CN": "客户", "en": "Customer"},
    "field.sale_id": {"zh_CN": "销售编号", "en": "Sale"},
    "field.recording_id": {"zh_CN": "录音录像", "en": "Recording"},
    "field.approve": {"zh_CN": "审核结论", "en": "Decision"},
    "field.link_id": {"zh_CN": "链接", "en": "Link"},
    "field.questionnaire_id": {"zh_CN": "问卷版本", "en": "Questionnaire version"},
    "field.product_type": {"zh_CN": "产品类型", "en": "Product type"},
    "field.regime": {"zh_CN": "适用规则", "en": "Rules"},
    "field.never_above": {"zh_CN": "不得超配等级", "en": "Levels never above"},
    "field.statement": {"zh_CN": "声明", "en": "Statement"},
    "field.size": {"zh_CN": "文件大小", "en": "File size"},
    "field.audience": {"zh_CN": "适用对象", "en": "For"},
    "field.title_en": {"zh_CN": "英文标题", "en": "Title (English)"},
    "field.validity_months": {"zh_CN": "有效期（月）", "en": "Valid for (months)"},
    "field.on_mismatch": {"zh_CN": "风险不匹配时", "en": "On a mismatch"},
    "field.professional_any": {"zh_CN": "专业投资者不受限制", "en": "Professional investors unrestricted"},
    "field.cooling_off_hours": {"zh_CN": "冷静期（小时）", "en": "Cooling-off (hours)"},
    "field.requirement": {"zh_CN": "增加的步骤", "en": "Step added"},
    "field.conditions": {"zh_CN": "适用条件", "en": "Conditions"},
    "field.statement_en": {"zh_CN": "英文声明", "en": "Statement (English)"},
    "field.is_active": {"zh_CN": "启用", "en": "Active"},
    # entity names ({what} in "not found")
    "entity.product": {"zh_CN": "产品", "en": "product"},
    "entity.sale": {"zh_CN": "销售", "en": "sale"},
    "entity.recording": {"zh_CN": "录音录像", "en": "recording"},
    "entity.questionnaire": {"zh_CN": "问卷", "en": "questionnaire"},
    "entity.questionnaire_link": {"zh_CN": "测评链接", "en": "questionnaire link"},
    "entity.investor_criteria": {"zh_CN": "专业投资者认定标准", "en": "professional-investor criteria"},
    "entity.classification": {"zh_CN": "专业投资者认定", "en": "professional-investor classification"},
    "entity.regime": {"zh_CN": "适当性规则", "en": "suitability rules"},
}
