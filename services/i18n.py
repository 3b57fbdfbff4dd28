"""Messages the domain produces, in Simplified Chinese and English, and locale-aware formatting.

The UI keeps its own labels; what services say (errors, validation) lives here so
the UI and the REST API give the same words.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency, format_decimal

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
    "auth.locked": {
        "en": "Too many failed sign-ins. The account is locked for {minutes} minutes.",
        "zh_CN": "登录失败次数过多，账户已锁定 {minutes} 分钟。",
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
    "value.duplicate_link": {"en": "is already linked this way", "zh_CN": "已存在相同的关联"},
    "value.share_only_for_owners": {"en": "a share applies to beneficial owners only",
                                    "zh_CN": "持股比例仅适用于受益所有人"},
    "value.needs_timezone": {"en": "needs a time zone", "zh_CN": "需要包含时区"},
    "value.invalid": {"en": "is not valid", "zh_CN": "无效"},
    "value.invalid_choice": {"en": "must be one of: {choices}", "zh_CN": "必须为以下之一：{choices}"},
    "value.wrong_type": {"en": "has the wrong type", "zh_CN": "类型错误"},
    "value.future_date": {"en": "cannot be in the future", "zh_CN": "不能晚于今天"},
    "value.unknown_field": {"en": "is not a known field", "zh_CN": "不是可识别的字段"},
    "value.not_editable": {"en": "may not be changed by you", "zh_CN": "您无权修改"},
    "value.duplicate": {"en": "already belongs to customer {customer_no}", "zh_CN": "已属于客户 {customer_no}"},
    "value.mismatch_id": {"en": "does not match the ID number", "zh_CN": "与证件号码不符"},
    "value.wrong_id_type": {"en": "does not fit this customer type", "zh_CN": "与客户类型不符"},
    "value.not_an_rm": {"en": "must be an active relationship manager you may assign",
                        "zh_CN": "必须是您可指派的在职客户经理"},
    "value.taken": {"en": "is already taken", "zh_CN": "已被占用"},
    # custom fields, list filters, exports, consent (services/customers/{custom_fields,filters,export,consent}.py)
    "value.not_a_number": {"en": "must be a number", "zh_CN": "必须是数字"},
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
    "field.title": {"en": "Task", "zh_CN": "任务"},
    "field.due_at": {"en": "Due", "zh_CN": "截止时间"},
    "field.priority": {"en": "Priority", "zh_CN": "优先级"},
    "field.description": {"en": "Description", "zh_CN": "描述"},
    "field.input": {"en": "Input", "zh_CN": "输入"},
    "entity.customer": {"en": "customer", "zh_CN": "客户"},
    "entity.user": {"en": "user", "zh_CN": "用户"},
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
    return translate(f"field.{field}", loc)


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


def format_datetime(value: datetime | None, locale: str | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return ""
    return _format_datetime(value, format="medium", tzinfo=ZoneInfo(tz), locale=_babel_locale(locale))
