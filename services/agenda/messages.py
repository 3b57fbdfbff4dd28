"""What the agenda domain says, in Simplified Chinese and English (added to services.i18n.MESSAGES on import)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "agenda.no_phone": {"en": "This customer has no phone number on file.", "zh_CN": "该客户没有登记手机号。"},
    "agenda.do_not_contact": {
        "en": "This customer asked not to be contacted. Log the contact on the customer's page with its basis.",
        "zh_CN": "该客户已要求不被联系。如确需联系，请在客户页面登记联系依据。"},
    "sync.key_reused": {"en": "This device sent two different notes under one key; the second was not recorded.",
                        "zh_CN": "此设备以同一标识发送了两条不同的记录，第二条未保存。"},
    "sync.subject.visit": {"en": "Visit (written offline)", "zh_CN": "客户拜访（离线记录）"},
    "sync.subject.call": {"en": "Call (written offline)", "zh_CN": "电话联系（离线记录）"},
    "sync.subject.note": {"en": "Note (written offline)", "zh_CN": "备注（离线记录）"},
}
