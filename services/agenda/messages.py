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
    "sync.subject.meeting": {"en": "Meeting (written offline)", "zh_CN": "会面（离线记录）"},
    "sync.task_changed": {"en": "This task was changed on another device after this one last saw it. Choose the "
                                "version to keep.",
                          "zh_CN": "该任务在此设备上次同步后已在其他设备上修改。请选择保留哪个版本。"},
    # Reminders announced by e-mail and Web Push (services/agenda/delivery.py) and their rules (services/agenda/rules.py)
    "reminder.line.birthday": {"en": "{name}: birthday on {date}", "zh_CN": "{name}：{date} 生日"},
    "reminder.line.assessment_expiry": {"en": "{name}: risk assessment expires on {date}",
                                        "zh_CN": "{name}：风险评估 {date} 到期"},
    "reminder.line.follow_up": {"en": "{name}: follow-up due on {date}", "zh_CN": "{name}：{date} 应回访"},
    "reminder.line.product_maturity": {"en": "{name}: {product} matures on {date}",
                                       "zh_CN": "{name}：{product} {date} 到期"},
    "reminder.line.kyc_review": {"en": "{name}: KYC review due on {date}", "zh_CN": "{name}：KYC 复核 {date} 到期"},
    "reminder.line.approval_sla": {"en": "Approval \"{step}\" is due on {date}",
                                   "zh_CN": "审批“{step}”将于 {date} 到期"},
    "reminder.mail.subject": {"en": "FinCRM: {n} new reminder(s)", "zh_CN": "FinCRM：{n} 条新提醒"},
    "reminder.mail.greeting": {"en": "Hello {name},", "zh_CN": "{name}，您好："},
    "reminder.mail.footer": {"en": "Your agenda: {url}", "zh_CN": "查看今日日程：{url}"},
    "reminder.push.title": {"en": "{n} new reminder(s)", "zh_CN": "{n} 条新提醒"},
    "reminder_rule.channels": {"en": "Channels are the agenda, e-mail and push only.",
                               "zh_CN": "提醒渠道只能是日程、邮件和推送。"},
    "reminder_rule.unknown_source": {"en": "This rule reads data FinCRM does not know; it cannot be changed here.",
                                     "zh_CN": "该规则的数据来源无法识别，不能在此修改。"},
    "entity.reminder_rule": {"en": "reminder rule", "zh_CN": "提醒规则"},
    "field.lead_days": {"en": "Days ahead", "zh_CN": "提前天数"},
    "field.channels": {"en": "Channels", "zh_CN": "提醒渠道"},
    "push.not_configured": {"en": "Push notifications are not configured on this server.",
                            "zh_CN": "服务器未配置推送通知。"},
    "push.users_only": {"en": "Only signed-in people can receive push notifications.",
                        "zh_CN": "只有已登录的用户可以接收推送通知。"},
}
