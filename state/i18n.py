"""UI labels in Simplified Chinese and English.

Plain Python (no Reflex), so states format server-side display strings with
`label()` and components render static labels with `components.i18n.t()`.
Domain messages (errors, validation) come from `services.i18n` instead.
"""
from __future__ import annotations

from services.i18n import LOCALES, normalize_locale

LOCALE_COOKIE = "fincrm_locale"

# key -> (zh_CN, en)
LABELS: dict[str, tuple[str, str]] = {
    # shell and navigation
    "app.name": ("FinCRM", "FinCRM"),
    "app.tagline": ("金融客户关系管理", "CRM for financial firms"),
    "nav.customers": ("客户", "Customers"),
    "nav.more": ("更多", "More"),
    "nav.logout": ("退出登录", "Sign out"),
    "nav.language": ("语言", "Language"),
    "lang.zh_CN": ("中文", "中文"),
    "lang.en": ("English", "English"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.subtitle": ("请使用您的员工账号登录", "Sign in with your staff account"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    # customers list
    "customers.title": ("客户", "Customers"),
    "customers.search_placeholder": ("姓名、拼音、首字母、手机尾号…", "Name, pinyin, initials, phone last 4…"),
    "customers.search": ("搜索", "Search"),
    "customers.empty": ("没有找到客户。", "No customers found."),
    "customers.prev": ("上一页", "Previous"),
    "customers.next": ("下一页", "Next"),
    "col.name": ("姓名", "Name"),
    "col.customer_no": ("客户号", "Customer no."),
    "col.segment": ("客户分层", "Segment"),
    "col.status": ("状态", "Status"),
    "col.phone": ("手机号", "Phone"),
    "col.owner": ("客户经理", "RM"),
    "col.branch": ("机构", "Branch"),
    # customer detail
    "detail.back": ("返回客户列表", "Back to customers"),
    "detail.aum": ("资产管理规模 (AUM)", "Assets under management"),
    "detail.liabilities": ("负债", "Liabilities"),
    "detail.profile": ("基本信息", "Profile"),
    "detail.id_number": ("证件号码", "ID number"),
    "detail.id_type": ("证件类型", "ID type"),
    "detail.phone": ("手机号", "Phone"),
    "detail.email": ("电子邮箱", "E-mail"),
    "detail.address": ("地址", "Address"),
    "detail.occupation": ("职业", "Occupation"),
    "detail.birth_date": ("出生日期", "Birth date"),
    "detail.gender": ("性别", "Gender"),
    "detail.owner": ("客户经理", "Relationship manager"),
    "detail.branch": ("机构", "Branch"),
    "detail.team": ("团队", "Team"),
    "detail.source": ("获客渠道", "Source channel"),
    "detail.since": ("建档时间", "Customer since"),
    "detail.reveal": ("查看完整", "Reveal"),
    "detail.accounts": ("账户", "Accounts"),
    "detail.holdings": ("持仓", "Holdings"),
    "detail.transactions": ("近期交易", "Recent transactions"),
    "detail.relationships": ("关系人", "Relationships"),
    "detail.interactions": ("互动记录", "Interactions"),
    "detail.none": ("暂无记录", "None yet"),
    "detail.account_no": ("账号", "Account no."),
    "detail.balance": ("余额", "Balance"),
    "detail.opened": ("开户日期", "Opened"),
    "detail.product": ("产品", "Product"),
    "detail.risk": ("风险等级", "Risk level"),
    "detail.quantity": ("份额", "Quantity"),
    "detail.market_value": ("市值", "Market value"),
    "detail.cost": ("成本", "Cost"),
    "detail.amount": ("金额", "Amount"),
    "detail.date": ("日期", "Date"),
    "detail.channel": ("渠道", "Channel"),
    "detail.loading": ("加载中…", "Loading…"),
    "error.invalid_id": ("客户编号无效。", "The customer number is not valid."),
    # enums: segment
    "segment.mass": ("大众客户", "Mass"),
    "segment.affluent": ("富裕客户", "Affluent"),
    "segment.hnw": ("高净值", "High net worth"),
    "segment.uhnw": ("超高净值", "Ultra high net worth"),
    "segment.corporate": ("对公客户", "Corporate"),
    # status
    "status.prospect": ("潜在客户", "Prospect"),
    "status.active": ("有效", "Active"),
    "status.dormant": ("休眠", "Dormant"),
    "status.closed": ("已销户", "Closed"),
    "status.open": ("正常", "Open"),
    # kind
    "kind.individual": ("个人", "Individual"),
    "kind.institution": ("机构", "Institution"),
    "gender.male": ("男", "Male"),
    "gender.female": ("女", "Female"),
    "id_type.resident_id": ("居民身份证", "Resident ID card"),
    "id_type.passport": ("护照", "Passport"),
    "id_type.hk_macao_permit": ("港澳通行证", "HK/Macao permit"),
    "id_type.taiwan_permit": ("台湾通行证", "Taiwan permit"),
    "id_type.uscc": ("统一社会信用代码", "Unified social credit code"),
    "channel.branch": ("网点", "Branch"),
    "channel.referral": ("转介绍", "Referral"),
    "channel.online": ("线上", "Online"),
    "channel.event": ("活动", "Event"),
    "channel.campaign": ("营销活动", "Campaign"),
    "channel.partner": ("合作渠道", "Partner"),
    "channel.mobile": ("手机银行", "Mobile"),
    "channel.counter": ("柜面", "Counter"),
    "channel.atm": ("ATM", "ATM"),
    "channel.web": ("网银", "Web"),
    "channel.pos": ("POS 刷卡", "POS"),
    "account.deposit": ("存款账户", "Deposit"),
    "account.wealth": ("理财账户", "Wealth management"),
    "account.fund": ("基金账户", "Fund"),
    "account.securities": ("证券账户", "Securities"),
    "account.loan": ("贷款", "Loan"),
    "account.credit_card": ("信用卡", "Credit card"),
    "account.insurance": ("保险", "Insurance"),
    "tx.deposit": ("存入", "Deposit"),
    "tx.withdrawal": ("支取", "Withdrawal"),
    "tx.transfer_in": ("转入", "Transfer in"),
    "tx.transfer_out": ("转出", "Transfer out"),
    "tx.purchase": ("申购", "Purchase"),
    "tx.redemption": ("赎回", "Redemption"),
    "tx.dividend": ("分红", "Dividend"),
    "tx.interest": ("利息", "Interest"),
    "tx.fee": ("费用", "Fee"),
    "tx.loan_drawdown": ("放款", "Loan drawdown"),
    "tx.loan_repayment": ("还款", "Loan repayment"),
    "tx.card_spend": ("刷卡消费", "Card spend"),
    "tx.card_repayment": ("信用卡还款", "Card repayment"),
    "tx.premium": ("保费", "Insurance premium"),
    "rel.spouse": ("配偶", "Spouse"),
    "rel.parent": ("父母", "Parent"),
    "rel.child": ("子女", "Child"),
    "rel.related_party": ("关联方", "Related party"),
    "interaction.call": ("电话", "Call"),
    "interaction.visit": ("拜访", "Visit"),
    "interaction.meeting": ("会议", "Meeting"),
    "interaction.note": ("备注", "Note"),
    "product.deposit": ("存款", "Deposit"),
    "product.wealth": ("理财", "Wealth"),
    "product.fund": ("基金", "Fund"),
    "product.bond": ("债券", "Bond"),
    "product.equity": ("股票", "Equity"),
    "product.insurance": ("保险", "Insurance"),
    "product.loan": ("贷款", "Loan"),
    # paging ({page}, {pages}, {total})
    "page.info": ("第 {page} / {pages} 页，共 {total} 位客户", "Page {page} of {pages} · {total} in total"),
    "page.info_capped": ("第 {page} 页，超过 {total} 位客户", "Page {page} · more than {total}"),
}


def _merge_area_labels() -> None:
    """Feature areas keep their labels in state/labels/<area>.py, so features don't edit one table."""
    import importlib
    import pkgutil

    import state.labels as areas

    for mod in pkgutil.iter_modules(areas.__path__):
        extra = importlib.import_module(f"state.labels.{mod.name}").LABELS
        clash = set(extra) & set(LABELS)
        if clash:
            raise RuntimeError(f"label keys defined twice: {sorted(clash)}")
        LABELS.update(extra)


_merge_area_labels()


def ui_default_locale() -> str:
    """The language a user sees until they choose one: the firm's FINCRM_LOCALE (never the browser's)."""
    from services.settings import get_settings

    return locale_or_default(get_settings().locale)


def locale_or_default(value: object, default: str = "zh_CN") -> str:
    """A supported locale: the value if it is one, else the default (never trust the browser)."""
    if isinstance(value, str) and value in LOCALES:
        return value
    return normalize_locale(default)


def label(key: str, locale: str, **params: object) -> str:
    """The label for `key` in `locale`; unknown keys fall back to the last part of the key."""
    entry = LABELS.get(key)
    if entry is None:
        return key.rsplit(".", 1)[-1].replace("_", " ")
    text = entry[1] if locale == "en" else entry[0]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError):
            return text
    return text
