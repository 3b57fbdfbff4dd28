"""UI labels of the installed app (issue 14): the web app manifest, its shortcuts, the offline page, the update prompt.

The manifest files and the offline page are static (assets/), written from these labels by
`python -m fincrm_app.pwa`; a unit test keeps them in step.
"""
from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "pwa.name": ("FinCRM 客户经理", "FinCRM Relationship Manager"),
    "pwa.short_name": ("FinCRM", "FinCRM"),
    "pwa.description": ("客户经理的移动工作台：今日日程、提醒、客户和审批。",
                        "The relationship manager's phone desk: today's agenda, reminders, customers and approvals."),
    "pwa.shortcut.agenda": ("今日日程", "Agenda"),
    "pwa.shortcut.customers": ("客户", "Customers"),
    "pwa.shortcut.approvals": ("审批", "Approvals"),
    "pwa.offline.title": ("无法连接服务器", "Cannot reach the server"),
    "pwa.offline.body": ("当前没有网络信号，或服务器暂时不可用。恢复连接后请重试；已打开页面中输入的内容不会丢失。",
                         "There is no signal, or the server cannot be reached right now. Try again when you are back "
                         "online; what you typed in a page that is still open is not lost."),
    "pwa.offline.retry": ("重试", "Try again"),
    "pwa.note.title": ("离线记录", "Write a note offline"),
    "pwa.note.customer": ("客户（最近打开）", "Customer (recently opened)"),
    "pwa.note.kind": ("方式", "How"),
    "pwa.note.kind.visit": ("拜访", "Visit"),
    "pwa.note.kind.call": ("电话", "Call"),
    "pwa.note.kind.note": ("备注", "Note"),
    "pwa.note.notes": ("记录", "Notes"),
    "pwa.note.save": ("保存在此设备", "Save on this device"),
    "pwa.note.kind.meeting": ("会面", "Meeting"),
    "pwa.note.checkin": ("登记我的位置（拜访签到）", "Check in my location (visits)"),
    "pwa.checkin.wait": ("正在获取位置…", "Finding your location…"),
    "pwa.checkin.fix": ("已记录位置（误差约 {m} 米）。", "Location recorded (within about {m} m)."),
    "pwa.checkin.refused": ("未允许定位：拜访将不含位置保存。", "Location not allowed: the visit is saved without one."),
    "pwa.checkin.unavailable": ("无法获取位置：拜访将不含位置保存。", "No location fix: the visit is saved without one."),
    "pwa.task.title": ("离线新建任务", "New task offline"),
    "pwa.task.what": ("任务", "Task"),
    "pwa.task.due": ("到期时间", "Due"),
    "pwa.task.save": ("保存任务在此设备", "Save the task on this device"),
    "pwa.tasks.title": ("我的待办任务（离线）", "My open tasks (offline)"),
    "pwa.recent.title": ("最近打开的客户", "Recently opened customers"),
    "pwa.update.ready": ("新版本已就绪。", "A new version is ready."),
    "pwa.update.reload": ("重新加载", "Reload"),
    "pwa.update.later": ("稍后", "Later"),
}
