"""Messages the domain produces, in Simplified Chinese and English, and locale-aware formatting.

The UI keeps its own labels; what services say (errors, validation) lives here so
the UI and the REST API give the same words.
"""
from __future__ import annotations

import re

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency, format_decimal

from services import clock

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

MESSAGES: dict[str, dict[str, str]] = {
    "error.generic": {"en": "Something went wrong.", "zh_CN": "操作失败。"},
    "error.not_permitted": {"en": "You are not permitted to do this.", "zh_CN": "您无权执行此操作。"},
    "error.not_found": {"en": "Not found: {what} {id}.", "zh_CN": "未找到：{what} {id}。"},
    "error.concurrent_modification": {
        "en": "Someone else changed this record; reload it and try again.",
        "zh_CN": "该记录已被他人修改，请刷新后重试。",
    },
    "error.validation": {"en": "Please correct the input.", "zh_CN": "请更正输入内容。"},
    "auth.invalid_credentials": {"en": "Wrong user name or password.", "zh_CN": "用户名或密码错误。"},
    "auth.throttled": {
        "en": "Too many failed sign-ins. Please try again in {minutes} minutes.",
        "zh_CN": "登录失败次数过多，请 {minutes} 分钟后再试。",
    },
    "auth.session_invalid": {"en": "Please sign in again.", "zh_CN": "请重新登录。"},
    "auth.demo_user_refused": {
        "en": "Demo users can sign in only in demo mode.",
        "zh_CN": "演示用户仅可在演示模式下登录。",
    },
    "demo.already_seeded": {
        "en": "Demo data is already present ({name} exists); use --if-empty to skip.",
        "zh_CN": "演示数据已存在（{name} 已存在）；可使用 --if-empty 跳过。",
    },
    # validation codes (services.validation.identity and pydantic)
    "id_number.format": {
        "en": "must be an 18-character resident ID number",
        "zh_CN": "应为18位居民身份证号码",
    },
    "id_number.checksum": {"en": "check digit is wrong", "zh_CN": "校验位错误"},
    "id_number.birth_date": {"en": "contains an invalid birth date", "zh_CN": "出生日期无效"},
    "id_number.region": {"en": "contains an invalid region code", "zh_CN": "地区代码无效"},
    "phone.format": {
        "en": "must be an 11-digit mainland mobile number",
        "zh_CN": "应为11位中国大陆手机号码",
    },
    "uscc.format": {"en": "must be an 18-character credit code", "zh_CN": "应为18位统一社会信用代码"},
    "uscc.checksum": {"en": "check character is wrong", "zh_CN": "校验码错误"},
    "value.required": {"en": "is required", "zh_CN": "为必填项"},
    "value.too_long": {"en": "is longer than {max} characters", "zh_CN": "超过 {max} 个字符"},
    "value.too_short": {"en": "must be at least {min} characters", "zh_CN": "至少需要 {min} 个字符"},
    "value.control_characters": {"en": "contains control characters", "zh_CN": "包含控制字符"},
    "value.invisible_characters": {
        "en": "contains invisible or text-direction characters (they make text display differently from what is stored)",
        "zh_CN": "包含不可见字符或文字方向控制字符（会使显示内容与实际内容不一致）",
    },
    "value.invalid_encoding": {"en": "is not valid text (broken character encoding)", "zh_CN": "不是有效文本（字符编码错误）"},
    "value.duplicate_link": {"en": "is already linked this way", "zh_CN": "已存在相同的关联"},
    "value.share_only_for_owners": {"en": "a share applies to beneficial owners only",
                                    "zh_CN": "持股比例仅适用于受益所有人"},
    "value.needs_timezone": {"en": "needs a time zone", "zh_CN": "需要包含时区"},
    "value.invalid": {"en": "is not valid", "zh_CN": "无效"},
    "value.invalid_choice": {"en": "must be one of: {choices}", "zh_CN": "必须为以下之一：{choices}"},
    "value.wrong_type": {"en": "has the wrong type", "zh_CN": "类型错误"},
    "value.future_date": {"en": "cannot be in the future", "zh_CN": "不能晚于今天"},
    # hostile input (services/validation/{dates,json_input,input}.py, services/portfolio/conventions.py)
    "value.date_out_of_range": {"en": "must be between {earliest} and {latest}",
                                "zh_CN": "必须在 {earliest} 至 {latest} 之间"},
    "value.too_deeply_nested": {"en": "nests arrays and objects more than {max} levels deep",
                                "zh_CN": "数组和对象的嵌套超过 {max} 层"},
    "transaction.amount_credit": {
        "en": "must be above zero for a {kind} (money into the account is positive, money out negative)",
        "zh_CN": "{kind} 的金额必须大于零（转入账户为正数，转出为负数）"},
    "transaction.amount_debit": {
        "en": "must be below zero for a {kind} (money into the account is positive, money out negative)",
        "zh_CN": "{kind} 的金额必须小于零（转入账户为正数，转出为负数）"},
    "value.unknown_field": {"en": "is not a known field", "zh_CN": "不是可识别的字段"},
    "value.not_editable": {"en": "may not be changed by you", "zh_CN": "您无权修改"},
    "value.duplicate": {"en": "already belongs to customer {customer_no}", "zh_CN": "已属于客户 {customer_no}"},
    "value.duplicate_elsewhere": {
        "en": "already belongs to a customer outside your scope; ask their relationship manager or operations",
        "zh_CN": "已属于您权限范围以外的客户，请联系其客户经理或运营部门",
    },
    "value.duplicate_in_batch": {"en": "appears twice in this batch", "zh_CN": "在本批数据中重复出现"},
    "value.mismatch_id": {"en": "does not match the ID number", "zh_CN": "与证件号码不符"},
    "value.wrong_id_type": {"en": "does not fit this customer type", "zh_CN": "与客户类型不符"},
    "value.not_an_rm": {"en": "must be an active relationship manager you may assign",
                        "zh_CN": "必须是您可指派的在职客户经理"},
    "value.taken": {"en": "is already taken", "zh_CN": "已被占用"},
    "value.code_format": {"en": "must be 2 to 40 lower-case letters, digits or underscores, starting with a letter "
                                "(for example hnw_potential)",
                          "zh_CN": "须为 2 至 40 位小写字母、数字或下划线，以字母开头（例如 hnw_potential）"},
    # custom fields, list filters, exports, consent (services/customers/{custom_fields,filters,export,consent}.py)
    "value.not_a_number": {"en": "must be a number", "zh_CN": "必须是数字"},
    "value.not_a_whole_number": {"en": "must be a whole number", "zh_CN": "必须是整数"},
    "value.must_exceed": {"en": "must be more than {min}", "zh_CN": "必须大于 {min}"},
    "value.must_be_below": {"en": "must be less than {max}", "zh_CN": "必须小于 {max}"},
    "value.not_a_date": {"en": "must be a date (YYYY-MM-DD)", "zh_CN": "必须是日期（YYYY-MM-DD）"},
    "value.too_many_decimals": {"en": "may have at most {places} decimal places", "zh_CN": "最多 {places} 位小数"},
    "value.below_min": {"en": "must be at least {min}", "zh_CN": "不能小于 {min}"},
    "value.above_max": {"en": "must be at most {max}", "zh_CN": "不能大于 {max}"},
    "custom_field.choices_required": {"en": "needs at least one option", "zh_CN": "至少需要一个选项"},
    "custom_field.duplicate_choice": {"en": "lists option {value} twice", "zh_CN": "选项 {value} 重复"},
    "custom_field.choice_removed": {"en": "option {value} is in use and cannot be removed (relabel it instead)",
                                    "zh_CN": "选项 {value} 已在使用中，不能删除（可修改其名称）"},
    "custom_field.not_for_type": {"en": "does not apply to this field type", "zh_CN": "不适用于此字段类型"},
    "custom_field.min_above_max": {"en": "must not be below the minimum", "zh_CN": "不能小于最小值"},
    "custom_field.editable_not_visible": {"en": "roles {roles} would edit a field they cannot see",
                                          "zh_CN": "角色 {roles} 看不到该字段，不能编辑"},
    "custom_field.too_many": {"en": "at most {max} custom fields can be defined", "zh_CN": "最多可定义 {max} 个自定义字段"},
    "filter.too_many": {"en": "at most {max} filters, each with field, op and value",
                        "zh_CN": "最多 {max} 个筛选条件，每个包含字段、运算符和值"},
    "filter.unknown_field": {"en": "{field} is not a field you can filter on", "zh_CN": "{field} 不是可筛选的字段"},
    "filter.bad_op": {"en": "supports only: {ops}", "zh_CN": "仅支持：{ops}"},
    "filter.date_order": {"en": "must not be before the start date", "zh_CN": "不能早于起始日期"},
    "filter.amount_order": {"en": "must not be below the minimum amount", "zh_CN": "不能小于最小金额"},
    "export.too_many": {"en": "{count} customers match; narrow the search to at most {max}",
                        "zh_CN": "共有 {count} 位客户符合条件，请缩小范围至 {max} 位以内"},
    "export.bad_format": {"en": "must be csv or xlsx", "zh_CN": "必须为 csv 或 xlsx"},
    "field.custom": {"en": "Custom fields", "zh_CN": "自定义字段"},
    "field.filters": {"en": "Filters", "zh_CN": "筛选条件"},
    "field.format": {"en": "File format", "zh_CN": "文件格式"},
    "field.key": {"en": "Field key", "zh_CN": "字段标识"},
    "field.label": {"en": "Chinese label", "zh_CN": "中文名称"},
    "field.label_en": {"en": "English label", "zh_CN": "英文名称"},
    "field.field_type": {"en": "Field type", "zh_CN": "字段类型"},
    "field.applies_to": {"en": "Applies to", "zh_CN": "适用客户"},
    "field.choices": {"en": "Options", "zh_CN": "选项"},
    "field.required": {"en": "Required", "zh_CN": "必填"},
    "field.min_value": {"en": "Minimum", "zh_CN": "最小值"},
    "field.max_value": {"en": "Maximum", "zh_CN": "最大值"},
    "field.max_length": {"en": "Maximum length", "zh_CN": "最大长度"},
    "field.visible_to": {"en": "Visible to", "zh_CN": "可见角色"},
    "field.editable_by": {"en": "Editable by", "zh_CN": "可编辑角色"},
    "field.position": {"en": "Order", "zh_CN": "排序"},
    "field.active": {"en": "Active", "zh_CN": "启用"},
    "field.field_id": {"en": "Custom field", "zh_CN": "自定义字段"},
    "field.purpose": {"en": "Purpose", "zh_CN": "授权用途"},
    "field.granted": {"en": "Consent", "zh_CN": "是否同意"},
    "field.channel": {"en": "Channel", "zh_CN": "渠道"},
    "field.recorded_at": {"en": "Recorded at", "zh_CN": "记录时间"},
    "field.evidence": {"en": "Evidence", "zh_CN": "凭证"},
    "entity.custom_field": {"en": "custom field", "zh_CN": "自定义字段"},
    "email.format": {"en": "is not a valid e-mail address", "zh_CN": "不是有效的电子邮箱"},
    "field.name": {"en": "Name", "zh_CN": "姓名"},
    "field.kind": {"en": "Customer type", "zh_CN": "客户类型"},
    "field.gender": {"en": "Gender", "zh_CN": "性别"},
    "field.birth_date": {"en": "Birth date", "zh_CN": "出生日期"},
    "field.id_type": {"en": "ID type", "zh_CN": "证件类型"},
    "field.id_number": {"en": "ID number", "zh_CN": "证件号码"},
    "field.phone": {"en": "Phone", "zh_CN": "手机号"},
    "field.email": {"en": "E-mail", "zh_CN": "电子邮箱"},
    "field.address": {"en": "Address", "zh_CN": "地址"},
    "field.occupation": {"en": "Occupation", "zh_CN": "职业"},
    "field.segment": {"en": "Segment", "zh_CN": "客户分层"},
    "field.owner_id": {"en": "Relationship manager", "zh_CN": "客户经理"},
    "field.source_channel": {"en": "Source channel", "zh_CN": "获客渠道"},
    "field.kyc_status": {"en": "KYC status", "zh_CN": "KYC 状态"},
    "field.aml_risk": {"en": "AML risk", "zh_CN": "反洗钱风险"},
    "field.risk_level": {"en": "Risk tolerance level", "zh_CN": "风险承受等级"},
    "field.valid_until": {"en": "Valid until", "zh_CN": "有效期至"},
    "field.status": {"en": "Status", "zh_CN": "状态"},
    "field.customer_id": {"en": "Customer", "zh_CN": "客户"},
    "field.query": {"en": "Search", "zh_CN": "搜索"},
    "field.page": {"en": "Page", "zh_CN": "页码"},
    "field.version": {"en": "Version", "zh_CN": "版本"},
    "field.username": {"en": "User name", "zh_CN": "用户名"},
    "field.password": {"en": "Password", "zh_CN": "密码"},
    "field.roles": {"en": "Roles", "zh_CN": "角色"},
    # customer 360: transaction filters, timeline paging, quick actions
    "field.date_from": {"en": "From", "zh_CN": "起始日期"},
    "field.date_to": {"en": "To", "zh_CN": "截止日期"},
    "field.kinds": {"en": "Transaction kinds", "zh_CN": "交易类型"},
    "field.min_amount": {"en": "Min amount", "zh_CN": "最小金额"},
    "field.max_amount": {"en": "Max amount", "zh_CN": "最大金额"},
    "field.page_size": {"en": "Page size", "zh_CN": "每页条数"},
    "field.limit": {"en": "Limit", "zh_CN": "条数"},
    "field.before": {"en": "Before", "zh_CN": "早于"},
    "field.subject": {"en": "Subject", "zh_CN": "主题"},
    "field.notes": {"en": "Notes", "zh_CN": "内容"},
    "field.occurred_at": {"en": "When", "zh_CN": "发生时间"},
    "field.location": {"en": "Check-in location", "zh_CN": "签到位置"},
    "field.latitude": {"en": "Latitude", "zh_CN": "纬度"},
    "field.longitude": {"en": "Longitude", "zh_CN": "经度"},
    "field.accuracy_m": {"en": "Location accuracy (m)", "zh_CN": "定位精度（米）"},
    "field.taken_at": {"en": "Location taken at", "zh_CN": "定位时间"},
    "field.seen": {"en": "Task as last seen on the phone", "zh_CN": "手机上最后看到的任务"},
    "field.written_at": {"en": "Written at", "zh_CN": "记录时间"},  # a note written offline, sent later
    "field.title": {"en": "Task", "zh_CN": "任务"},
    "field.due_at": {"en": "Due", "zh_CN": "截止时间"},
    "field.priority": {"en": "Priority", "zh_CN": "优先级"},
    "field.description": {"en": "Description", "zh_CN": "描述"},
    "field.input": {"en": "Input", "zh_CN": "输入"},
    # webhook endpoints, API clients, users (admin forms and the CLI)
    "field.url": {"en": "URL", "zh_CN": "地址"},
    "value.webhook_url": {"en": "must be an http:// or https:// address without a user name or password",
                          "zh_CN": "须为 http:// 或 https:// 地址，且不含用户名和密码"},
    "field.events": {"en": "Events", "zh_CN": "事件"},
    "field.client_id": {"en": "Client ID", "zh_CN": "客户端标识"},
    "field.scopes": {"en": "Scopes", "zh_CN": "权限范围"},
    "field.default_owner_id": {"en": "Default relationship manager", "zh_CN": "默认客户经理"},
    "field.display_name": {"en": "Display name", "zh_CN": "显示名称"},
    "field.branch_code": {"en": "Branch code", "zh_CN": "分行代码"},
    "field.team_id": {"en": "Team", "zh_CN": "团队"},
    "field.locale": {"en": "Language", "zh_CN": "语言"},
    "field.is_demo": {"en": "Demo user", "zh_CN": "演示用户"},
    # relationships and households
    "field.related_customer_id": {"en": "Related customer", "zh_CN": "关联客户"},
    "field.share_pct": {"en": "Share (%)", "zh_CN": "持股比例（%）"},
    "field.note": {"en": "Note", "zh_CN": "备注"},
    "field.household_id": {"en": "Household", "zh_CN": "家庭"},
    # accounts, holdings, transactions and events from the API
    "field.account_no": {"en": "Account number", "zh_CN": "账号"},
    "field.balance": {"en": "Balance", "zh_CN": "余额"},
    "field.currency": {"en": "Currency", "zh_CN": "币种"},
    "field.opened_on": {"en": "Opened on", "zh_CN": "开户日期"},
    "field.product_code": {"en": "Product code", "zh_CN": "产品代码"},
    "field.quantity": {"en": "Quantity", "zh_CN": "份额"},
    "field.cost": {"en": "Cost", "zh_CN": "成本"},
    "field.market_value": {"en": "Market value", "zh_CN": "市值"},
    "field.as_of": {"en": "As of", "zh_CN": "估值日期"},
    "field.external_ref": {"en": "External reference", "zh_CN": "外部流水号"},
    "field.external_id": {"en": "External ID", "zh_CN": "外部编号"},
    "field.customer_external_id": {"en": "Customer external ID", "zh_CN": "客户外部编号"},
    "field.account_external_id": {"en": "Account external ID", "zh_CN": "账户外部编号"},
    "field.amount": {"en": "Amount", "zh_CN": "金额"},
    "field.booked_at": {"en": "Booked at", "zh_CN": "记账时间"},
    "field.attributes": {"en": "Attributes", "zh_CN": "属性"},
    "field.row_path": {"en": "row {row}, {field}", "zh_CN": "第 {row} 行 {field}"},
    # tags and tag rules (services.tags)
    "tag_rule.not_a_condition": {"en": "condition {path} is not a condition or a group",
                                 "zh_CN": "条件 {path} 不是有效的条件或条件组"},
    "tag_rule.too_deep": {"en": "condition {path} nests groups deeper than {max} levels",
                          "zh_CN": "条件 {path} 嵌套超过 {max} 层"},
    "tag_rule.too_many": {"en": "a rule may have at most {max} conditions", "zh_CN": "一条规则最多 {max} 个条件"},
    "tag_rule.empty_group": {"en": "condition group {path} is empty", "zh_CN": "条件组 {path} 为空"},
    "tag_rule.unknown_field": {"en": "condition {path}: {name} is not a known field",
                               "zh_CN": "条件 {path}：{name} 不是可识别的字段"},
    "tag_rule.unknown_parameter": {"en": "condition {path}: {name} does not apply to this field",
                                   "zh_CN": "条件 {path}：参数 {name} 不适用于该字段"},
    "tag_rule.unknown_op": {"en": "condition {path}: {op} is not an operator", "zh_CN": "条件 {path}：{op} 不是有效的运算符"},
    "tag_rule.op_not_allowed": {"en": "condition {path}: operator {op} does not fit this field (use one of {ops})",
                                "zh_CN": "条件 {path}：运算符 {op} 不适用于该字段（可用：{ops}）"},
    "tag_rule.missing_parameter": {"en": "condition {path}: {name} is required",
                                   "zh_CN": "条件 {path}：缺少 {name}"},
    "tag_rule.bad_window": {"en": "condition {path}: the window must be 1 to {max} days",
                            "zh_CN": "条件 {path}：时间窗口须为 1 至 {max} 天"},
    "tag_rule.bad_parameter": {"en": "condition {path}: {name} must be chosen from {choices}",
                               "zh_CN": "条件 {path}：{name} 须从以下选择：{choices}"},
    "tag_rule.bad_value_choice": {"en": "condition {path}: the value must be one of {choices}",
                                  "zh_CN": "条件 {path}：取值必须为以下之一：{choices}"},
    "tag_rule.bad_value_list": {"en": "condition {path}: give a list of 1 to 50 values",
                                "zh_CN": "条件 {path}：请给出 1 至 50 个取值"},
    "tag_rule.bad_value_integer": {"en": "condition {path}: the value must be a whole number",
                                   "zh_CN": "条件 {path}：取值必须为整数"},
    "tag_rule.bad_value_money": {"en": "condition {path}: the value must be an amount with at most 2 decimals",
                                 "zh_CN": "条件 {path}：取值必须为最多两位小数的金额"},
    "tag_rule.bad_value_number": {"en": "condition {path}: the value must be a number",
                                  "zh_CN": "条件 {path}：取值必须为数字"},
    "tag_rule.bad_value_id": {"en": "condition {path}: the value must be an ID number (a positive whole number)",
                              "zh_CN": "条件 {path}：取值必须为正整数编号"},
    "tag_rule.bad_value_text": {"en": "condition {path}: the value must be text of at most 200 characters",
                                "zh_CN": "条件 {path}：取值必须为不超过200字的文本"},
    "tag_rule.bad_value_date": {"en": "condition {path}: the value must be a date (YYYY-MM-DD)",
                                "zh_CN": "条件 {path}：取值必须为日期（YYYY-MM-DD）"},
    "tag_rule.tag_fixed": {"en": "a rule keeps its tag; create a new rule for another tag",
                           "zh_CN": "规则的标签不可更改；如需其他标签请新建规则"},
    "tag_rule.tag_taken": {"en": "this tag is already given by rule {rule_key}",
                           "zh_CN": "该标签已由规则 {rule_key} 使用"},
    "tag_rule.inactive": {"en": "the rule is not active", "zh_CN": "该规则未启用"},
    "field.definition": {"en": "Conditions", "zh_CN": "条件"},
    "field.code": {"en": "Code", "zh_CN": "代码"},
    "field.name_en": {"en": "English name", "zh_CN": "英文名称"},
    "field.color": {"en": "Colour", "zh_CN": "颜色"},
    "field.rule_key": {"en": "Rule key", "zh_CN": "规则代码"},
    "field.tag_code": {"en": "Tag", "zh_CN": "标签"},
    "entity.tag_rule": {"en": "tag rule", "zh_CN": "标签规则"},
    "entity.customer": {"en": "customer", "zh_CN": "客户"},
    "entity.user": {"en": "user", "zh_CN": "用户"},
    # integration: REST API v1 and webhooks (services.integration)
    "api.batch_too_large": {"en": "A batch may hold at most {max} rows; this one has {got}.",
                            "zh_CN": "每批最多 {max} 行，本批为 {got} 行。"},
    "api.body_too_large": {"en": "The request body is larger than {max} bytes.",
                           "zh_CN": "请求内容超过 {max} 字节。"},
    "api.invalid_json": {"en": "is not valid UTF-8 JSON", "zh_CN": "不是有效的 UTF-8 JSON"},
    "api.idempotency_key": {"en": "must be 1-100 characters of A-Z a-z 0-9 . _ : -",
                            "zh_CN": "应为 1-100 个字符（A-Z a-z 0-9 . _ : -）"},
    "api.idempotency_conflict": {
        "en": "Idempotency key {key} was already used with a different request body.",
        "zh_CN": "幂等键 {key} 已用于另一个不同的请求内容。"},
    "api.unknown_reference": {"en": "does not name a record you have sent", "zh_CN": "引用的记录不存在（未由您发送）"},
    "api.account_of_other_customer": {"en": "belongs to another customer", "zh_CN": "属于其他客户"},
    "api.currency_mismatch": {"en": "must be the account currency {currency}", "zh_CN": "必须与账户币种 {currency} 一致"},
    "api.duplicate_in_batch": {"en": "repeats row {row} of this batch", "zh_CN": "与本批第 {row} 行重复"},
    "api.missing_token": {"en": "An access token is required (OAuth2 client credentials).",
                          "zh_CN": "需要访问令牌（OAuth2 客户端凭证）。"},
    "api.invalid_token": {"en": "The access token is invalid or has expired.", "zh_CN": "访问令牌无效或已过期。"},
    "api.insufficient_scope": {"en": "The access token lacks the scope this needs: {scope}.",
                               "zh_CN": "访问令牌缺少所需权限范围：{scope}。"},
    "field.api.external_id": {"en": "External id", "zh_CN": "外部编号"},
    "field.api.external_ref": {"en": "Reference", "zh_CN": "交易参考号"},
    "field.api.customer_external_id": {"en": "Customer external id", "zh_CN": "客户外部编号"},
    "field.api.account_external_id": {"en": "Account external id", "zh_CN": "账户外部编号"},
    "field.api.kind": {"en": "Type", "zh_CN": "类型"},
    "field.api.amount": {"en": "Amount", "zh_CN": "金额"},
    "field.api.currency": {"en": "Currency", "zh_CN": "币种"},
    "field.api.booked_at": {"en": "Booked at", "zh_CN": "记账时间"},
    "field.api.product_code": {"en": "Product code", "zh_CN": "产品代码"},
    "field.api.account_no": {"en": "Account no.", "zh_CN": "账号"},
    "field.api.opened_on": {"en": "Opened on", "zh_CN": "开户日期"},
    "field.api.balance": {"en": "Balance", "zh_CN": "余额"},
    "field.api.quantity": {"en": "Quantity", "zh_CN": "份额"},
    "field.api.cost": {"en": "Cost", "zh_CN": "成本"},
    "field.api.market_value": {"en": "Market value", "zh_CN": "市值"},
    "field.api.as_of": {"en": "As of", "zh_CN": "估值日期"},
    "field.api.attributes": {"en": "Attributes", "zh_CN": "属性"},
    "field.api.rows": {"en": "Rows", "zh_CN": "数据行"},
    "field.api.holdings": {"en": "Holdings", "zh_CN": "持仓"},
    "field.api.body": {"en": "Request body", "zh_CN": "请求内容"},
    "field.api.input": {"en": "Row", "zh_CN": "数据行"},
    "field.api.idempotency_key": {"en": "Idempotency-Key header", "zh_CN": "Idempotency-Key 请求头"},
    "field.api.client_id": {"en": "Client id", "zh_CN": "客户端编号"},
    "field.api.scopes": {"en": "Scopes", "zh_CN": "权限范围"},
    "field.api.default_owner_id": {"en": "Default relationship manager", "zh_CN": "默认客户经理"},
    "field.api.url": {"en": "URL", "zh_CN": "地址"},
    "field.api.events": {"en": "Events", "zh_CN": "事件"},
    "field.api.endpoint_id": {"en": "Endpoint", "zh_CN": "接收端"},
    "entity.account": {"en": "account", "zh_CN": "账户"},
    "entity.api_client": {"en": "API client", "zh_CN": "API 客户端"},
    "entity.webhook_endpoint": {"en": "webhook endpoint", "zh_CN": "Webhook 接收端"},
    # imports, the inbox and the document store (services.imports, services.documents)
    "import.error": {"en": "The import cannot go ahead.", "zh_CN": "无法执行导入。"},
    "import.malformed": {"en": "The file cannot be read.", "zh_CN": "无法读取该文件。"},
    "import.encoding": {"en": "The file's text encoding is not recognised; save it as UTF-8 or GB18030 CSV, or as XLSX.",
                        "zh_CN": "无法识别文件编码；请另存为 UTF-8 或 GB18030 编码的 CSV，或 XLSX。"},
    "import.binary": {"en": "The file is not a text (CSV) file or an XLSX workbook.",
                      "zh_CN": "该文件不是文本（CSV）文件或 XLSX 工作簿。"},
    "import.no_header": {"en": "The first row must hold the column names.", "zh_CN": "第一行应为列名。"},
    "import.too_many_columns": {"en": "The file has more than {max} columns.", "zh_CN": "文件超过 {max} 列。"},
    "import.too_many_rows": {"en": "The file has more than {max} rows; split it.",
                             "zh_CN": "文件超过 {max} 行，请拆分后导入。"},
    "import.malformed_line": {"en": "The file is damaged at line {line} ({detail}).",
                              "zh_CN": "文件第 {line} 行格式错误（{detail}）。"},
    "import.empty": {"en": "The file is empty.", "zh_CN": "文件为空。"},
    "import.malformed_xlsx": {"en": "The workbook is damaged or not an XLSX file ({detail}).",
                              "zh_CN": "工作簿已损坏或不是 XLSX 文件（{detail}）。"},
    "import.formula_header": {"en": "The header row contains formulas.", "zh_CN": "表头行包含公式。"},
    "import.inflated_too_large": {
        "en": "The workbook unpacks to more than {max_mb} MB, or is packed unusually densely (over {ratio}:1); "
              "split it or save it as CSV.",
        "zh_CN": "该工作簿解压后超过 {max_mb} MB，或压缩比异常（超过 {ratio}:1）；请拆分后再导入，或另存为 CSV。"},
    "import.unsupported_format": {"en": "Old .xls workbooks are not supported; save as .xlsx or CSV.",
                                  "zh_CN": "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV。"},
    "import.formula": {"en": "contains a formula or a value starting with = + - @, which is refused",
                       "zh_CN": "包含公式或以 = + - @ 开头的内容，已拒绝"},
    "import.extra_cells": {"en": "The row has {count} cells but the header only {expected}.",
                           "zh_CN": "该行有 {count} 个单元格，但表头只有 {expected} 列。"},
    "import.unknown_choice": {"en": "\"{value}\" is not a known value", "zh_CN": "“{value}”不是可识别的取值"},
    "import.no_key": {"en": "an ID number or a phone number is needed to match the customer",
                      "zh_CN": "需要证件号码或手机号以匹配客户"},
    "import.unknown_column": {"en": "there is no column \"{column}\" in the file", "zh_CN": "文件中没有“{column}”列"},
    "import.unknown_target": {"en": "column \"{column}\" is mapped to an unknown field",
                              "zh_CN": "“{column}”列对应的字段无效"},
    "import.mapped_twice": {"en": "is mapped from more than one column (also \"{column}\")",
                            "zh_CN": "被多个列对应（包括“{column}”）"},
    "import.field_unmapped": {"en": "no column is mapped to this field", "zh_CN": "没有列对应到该字段"},
    "import.duplicate_row": {"en": "The row repeats row {first}.", "zh_CN": "该行与第 {first} 行重复。"},
    "import.duplicate_id_in_file": {"en": "the same ID number is already in row {first}",
                                    "zh_CN": "相同的证件号码已出现在第 {first} 行"},
    "import.unknown_user": {"en": "no user \"{user}\"", "zh_CN": "用户“{user}”不存在"},
    "import.not_in_scope": {"en": "matches a customer outside your scope", "zh_CN": "匹配到您权限范围以外的客户"},
    "import.no_match_needs_id": {"en": "matches no customer; an ID number is needed to create one",
                                 "zh_CN": "未匹配到客户；新建客户需要证件号码"},
    "import.custom_not_for_kind": {"en": "does not apply to this kind of customer (individual or institution)",
                                   "zh_CN": "不适用于该类客户（个人或机构）"},
    "import.already_imported": {"en": "This file was already imported (batch {batch_id}, {when}); nothing to do.",
                                "zh_CN": "该文件已导入（批次 {batch_id}，{when}），无需重复导入。"},
    "import.batch_finished": {"en": "Batch {batch_id} has already been imported.", "zh_CN": "批次 {batch_id} 已导入完成。"},
    "import.batch_running": {"en": "Batch {batch_id} is running.", "zh_CN": "批次 {batch_id} 正在导入。"},
    "import.failed": {"en": "The import failed; nothing was written.", "zh_CN": "导入失败，未写入任何数据。"},
    "import.interrupted": {"en": "The import was interrupted (the server stopped while it ran); nothing was written. "
                                 "Run it again.",
                           "zh_CN": "导入被中断（运行期间服务器停止），未写入任何数据。请重新导入。"},
    "import.rejected_with_errors": {
        "en": "Some rows have errors, so nothing was imported. Fix the file, or import the valid rows only.",
        "zh_CN": "部分行有错误，因此未导入任何数据。请修正文件，或仅导入有效行。"},
    "import.review_decided": {"en": "This row has already been decided.", "zh_CN": "该行已处理。"},
    "import.row_n": {"en": "Row {row}", "zh_CN": "第 {row} 行"},
    "recording.refused": {"en": "The recording was refused.", "zh_CN": "录音录像被拒绝。"},  # RecordingRefused's default
    "document.too_large": {"en": "is larger than {max_mb} MB", "zh_CN": "超过 {max_mb} MB"},
    "document.type_not_allowed": {"en": "must be one of these file types: {allowed}",
                                  "zh_CN": "仅支持以下文件类型：{allowed}"},
    "document.content_mismatch": {"en": "is not a real {ext} file (its content does not match its name)",
                                  "zh_CN": "不是有效的 {ext} 文件（内容与文件名不符）"},
    "document.empty": {"en": "is empty", "zh_CN": "是空文件"},
    "field.document_kind": {"en": "Document type", "zh_CN": "文件类别"},
    "date.invalid": {"en": "is not a real date", "zh_CN": "不是有效日期"},
    "date.format": {"en": "must be a date such as 1985-06-15", "zh_CN": "应为日期，如 1985-06-15"},
    "field.owner": {"en": "Relationship manager", "zh_CN": "客户经理"},
    "field.mapping": {"en": "Column mapping", "zh_CN": "列对应关系"},
    "field.file": {"en": "File", "zh_CN": "文件"},
    "field.row": {"en": "Row", "zh_CN": "行"},
    "field.batch_id": {"en": "Import batch", "zh_CN": "导入批次"},
    "field.document_id": {"en": "Document", "zh_CN": "文件"},
    "field.decision": {"en": "Decision", "zh_CN": "处理方式"},
    "field.item_id": {"en": "Review item", "zh_CN": "待复核记录"},
    "field.apply_valid_rows": {"en": "Import valid rows", "zh_CN": "仅导入有效行"},
    "entity.import_batch": {"en": "import batch", "zh_CN": "导入批次"},
    "entity.document": {"en": "document", "zh_CN": "文件"},
    "entity.error_report": {"en": "error report", "zh_CN": "错误报告"},
    "entity.review_item": {"en": "review item", "zh_CN": "待复核记录"},
}


def normalize_locale(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    low = locale.replace("-", "_").lower()
    if low.startswith("zh"):
        return "zh_CN"
    if low.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def field_label(field: str, locale: str | None, params: dict | None = None) -> str:
    """A field's name for error messages. Custom fields ("custom.<key>") carry their admin-given
    labels in the error's params (field_label_zh / field_label_en); unknown ones show their key."""
    loc = normalize_locale(locale)
    given = (params or {}).get("field_label_en" if loc == "en" else "field_label_zh")
    if given:
        return str(given)
    if f"field.{field}" not in MESSAGES and field.startswith("custom."):
        return field.removeprefix("custom.")
    row = _ROW_PATH.fullmatch(field)
    if row:  # "transactions[3].amount" from a batch: the row as people count it, then the field
        return translate("field.row_path", loc, row=int(row.group(2)) + 1, field=field_label(row.group(3), loc))
    if f"field.{field}" not in MESSAGES:
        return field  # a key we have no name for: show it as sent rather than a message code
    return translate(f"field.{field}", loc)


_ROW_PATH = re.compile(r"(\w+)\[(\d+)\]\.(\w+)")


def translate(code: str, locale: str | None, **params) -> str:
    loc = normalize_locale(locale)
    entry = MESSAGES.get(code)
    if entry is None:
        return code
    text = entry.get(loc) or entry["en"]
    if params:
        # Translate known entity names used as parameters ({what}).
        params = {k: (translate(f"entity.{v}", loc) if k == "what" else v) for k, v in params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError):
            return text
    return text


def _babel_locale(locale: str | None) -> str:
    return "zh_Hans_CN" if normalize_locale(locale) == "zh_CN" else "en_US"


def format_money(amount: Decimal | int | float | None, currency: str, locale: str | None) -> str:
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency, locale=_babel_locale(locale))


def format_number(value: Decimal | int | float | None, locale: str | None, fmt: str | None = None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format=fmt, locale=_babel_locale(locale))


def format_date(value: date | None, locale: str | None) -> str:
    if value is None:
        return ""
    return _format_date(value, format="medium", locale=_babel_locale(locale))


def format_datetime(value: datetime | None, locale: str | None, tz: str | None = None) -> str:
    """A stored time as people read it: in the firm's time zone (FINCRM_TIMEZONE) unless `tz` names another."""
    if value is None:
        return ""
    zone = ZoneInfo(tz) if tz else clock.zone()
    return _format_datetime(value, format="medium", tzinfo=zone, locale=_babel_locale(locale))
