"""What the activities domain (interactions, tasks, tickets) says, in Simplified Chinese and English; added to
services.i18n.MESSAGES when the domain is imported (services/activities/__init__.py), so the UI and the API
give the same words. Ticket steps and statuses have names here because refusals name them."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # tasks
    "task.due_in_past": {"en": "cannot be in the past", "zh_CN": "不能早于当前时间"},
    "task.not_open": {"en": "This task is already {status}; only open tasks can be changed.",
                      "zh_CN": "该任务已{status}，只有未完成的任务可以修改。"},
    "task.status.open": {"en": "open", "zh_CN": "未完成"},
    "task.status.done": {"en": "done", "zh_CN": "完成"},
    "task.status.cancelled": {"en": "cancelled", "zh_CN": "取消"},
    "task.assignee_out_of_scope": {
        "en": "This task can be handed only to an active colleague in your scope who may see its customer.",
        "zh_CN": "任务只能转派给您管辖范围内、可查看该客户的在职同事。"},
    "task.team_view_refused": {"en": "Only team leads and branch managers see their team's tasks.",
                               "zh_CN": "只有团队主管和支行行长可以查看团队任务。"},
    # tickets
    "ticket.bad_step": {"en": "This ticket is {status}: it cannot be {step}.",
                        "zh_CN": "该工单当前为“{status}”，不能{step}。"},
    "ticket.not_assignee": {"en": "Only the ticket's assignee or a supervisor may do this.",
                            "zh_CN": "只有工单处理人或主管可以执行此操作。"},
    "ticket.assignee_out_of_scope": {
        "en": "A ticket can be assigned only to an active colleague in your scope who may see its customer.",
        "zh_CN": "工单只能指派给您管辖范围内、可查看该客户的在职同事。"},
    "ticket.reopen_expired": {
        "en": "This ticket ended on {ended}; it could be reopened until {until}. Open a new ticket instead.",
        "zh_CN": "该工单已于 {ended} 办结，重开期限至 {until} 已过，请新建工单。"},
    "ticket.category_kind": {"en": "is not a category of this kind of ticket", "zh_CN": "不属于该类工单的类别"},
    "ticket.category_inactive": {"en": "is no longer in use", "zh_CN": "已停用"},
    "ticket.complaint_only": {"en": "applies to complaints only", "zh_CN": "仅适用于投诉"},
    "ticket.resolution_kind": {"en": "must be one of: {choices}", "zh_CN": "必须为以下之一：{choices}"},
    "ticket.status.new": {"en": "new", "zh_CN": "新建"},
    "ticket.status.assigned": {"en": "assigned", "zh_CN": "已指派"},
    "ticket.status.in_progress": {"en": "in progress", "zh_CN": "处理中"},
    "ticket.status.waiting_customer": {"en": "waiting for the customer", "zh_CN": "等待客户"},
    "ticket.status.resolved": {"en": "resolved", "zh_CN": "已解决"},
    "ticket.status.closed": {"en": "closed", "zh_CN": "已关闭"},
    "ticket.step.assign": {"en": "assigned", "zh_CN": "指派"},
    "ticket.step.start": {"en": "started", "zh_CN": "开始处理"},
    "ticket.step.wait": {"en": "put on hold for the customer", "zh_CN": "转为等待客户"},
    "ticket.step.resume": {"en": "resumed", "zh_CN": "恢复处理"},
    "ticket.step.resolve": {"en": "resolved", "zh_CN": "解决"},
    "ticket.step.close": {"en": "closed", "zh_CN": "关闭"},
    "ticket.step.reopen": {"en": "reopened", "zh_CN": "重新打开"},
    # contact with a customer who asked not to be contacted (services/activities/contact.py)
    "contact.basis_required": {
        "en": "the customer asked not to be contacted: say why this contact is allowed (the customer contacted "
              "us, or a notice we owe them)",
        "zh_CN": "客户已要求勿扰：请说明此次联系的依据（客户主动联系，或我行须履行的通知义务）"},
    # ticket categories (administration)
    "ticket_category.sla_order": {"en": "must not be longer than the SLA of a lower priority",
                                  "zh_CN": "不能长于较低优先级的时限"},
    # an interaction's notes revised (services/activities/revisions.py)
    "note.changed": {"en": "This note was changed by {by} after the version you edited. Your text was not saved: "
                           "compare both versions and choose which to keep.",
                     "zh_CN": "您编辑的版本之后，{by} 已修改了这条记录。您的内容尚未保存：请对比两个版本，选择保留哪一个。"},
    "field.interaction_id": {"en": "Interaction", "zh_CN": "互动记录"},
    "field.base_revision": {"en": "Version edited", "zh_CN": "所编辑的版本"},
    "entity.interaction": {"en": "interaction", "zh_CN": "互动记录"},
    # field names
    "field.category": {"en": "Category", "zh_CN": "类别"},
    "field.complaint_reason": {"en": "Complaint reason", "zh_CN": "投诉原因"},
    "field.resolution": {"en": "Resolution", "zh_CN": "处理结果"},
    "field.resolution_note": {"en": "Resolution note", "zh_CN": "处理说明"},
    "field.contact_basis": {"en": "Why this contact is allowed", "zh_CN": "联系依据"},
    "field.task_id": {"en": "Task", "zh_CN": "任务"},
    "field.ticket_id": {"en": "Ticket", "zh_CN": "工单"},
    "field.view": {"en": "View", "zh_CN": "视图"},
    "field.bucket": {"en": "When", "zh_CN": "时间范围"},
    "field.step": {"en": "Step", "zh_CN": "操作"},
    "field.sla_hours_high": {"en": "SLA hours (high priority)", "zh_CN": "时限小时数（高优先级）"},
    "field.sla_hours_normal": {"en": "SLA hours (normal priority)", "zh_CN": "时限小时数（普通优先级）"},
    "field.sla_hours_low": {"en": "SLA hours (low priority)", "zh_CN": "时限小时数（低优先级）"},
    "field.reopen_days": {"en": "Reopen within (days)", "zh_CN": "可重开天数"},
    "field.sort_order": {"en": "Order", "zh_CN": "排序"},
    "field.queue": {"en": "Queue", "zh_CN": "队列"},
    "entity.task": {"en": "task", "zh_CN": "任务"},
    "entity.ticket": {"en": "ticket", "zh_CN": "工单"},
    "entity.ticket_category": {"en": "ticket category", "zh_CN": "工单类别"},
}
