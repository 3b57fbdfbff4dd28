"""UI labels of the workflow definitions page (/admin/workflows)."""
from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "nav.admin_workflows": ("审批流程", "Workflows"),
    "wfadmin.title": ("审批流程定义", "Workflow definitions"),
    "wfadmin.intro": ("流程图为 BPMN 2.0，决策表为 DMN；每次保存都会先校验，再成为新版本。进行中的审批继续使用其开始时的版本。",
                      "Diagrams are BPMN 2.0 and decision tables DMN; every save is validated first and becomes a "
                      "new version. Running approvals keep the version they started on."),
    "wfadmin.current": ("当前版本 {version}", "Version {version}"),
    "wfadmin.is_current": ("当前版本", "Current"),
    "wfadmin.running": ("进行中 {n}", "{n} running"),
    "wfadmin.diagram": ("流程图", "Diagram"),
    "wfadmin.diagram_hint": ("拖拽编辑流程图；保存前会校验（可解析、无死循环、无不可达步骤、角色存在）。",
                             "Drag and drop to change the diagram; it is checked before it is saved (it parses, no "
                             "cycle without exit, no unreachable step, every role exists)."),
    "wfadmin.check": ("校验", "Check"),
    "wfadmin.save_diagram": ("保存为新版本", "Save as a new version"),
    "wfadmin.reset": ("放弃修改", "Discard changes"),
    "wfadmin.unchanged": ("流程图没有修改。", "The diagram has not changed."),
    "wfadmin.valid": ("校验通过，可以保存。", "No problems: it may be saved."),
    "wfadmin.saved": ("已保存为第 {version} 版。", "Saved as version {version}."),
    "wfadmin.note": ("版本说明", "What changed"),
    "wfadmin.parameters": ("常用参数", "Everyday parameters"),
    "wfadmin.parameters_hint": ("无需修改流程图：调整各审批环节的角色、时限和升级对象，以及决策表（路由阈值、审批权限矩阵、评分卡）的各行。",
                                "Without touching the diagram: each step's role, SLA hours and escalation, and the rows "
                                "of the decision tables (routing thresholds, the authority matrix, the scorecard)."),
    "wfadmin.step": ("环节", "Step"),
    "wfadmin.role": ("审批角色", "Role"),
    "wfadmin.sla_hours": ("时限（小时）", "SLA (hours)"),
    "wfadmin.escalate_to": ("超时升级给", "Escalate to"),
    "wfadmin.maker_step": ("经办人本人", "The maker"),
    "wfadmin.none": ("（无）", "(none)"),
    "wfadmin.add_row": ("添加一行", "Add a row"),
    "wfadmin.remove_row": ("删除此行", "Remove this row"),
    "wfadmin.save_parameters": ("保存参数为新版本", "Save the parameters as a new version"),
    "wfadmin.versions": ("版本历史", "Versions"),
    "wfadmin.version_row": ("第 {version} 版 · {by} · {at}", "Version {version} · {by} · {at}"),
    "wfadmin.problems": ("未保存，请修正：", "Not saved. Please fix:"),
    "wfadmin.engine_failed": ("流程图无法显示：{reason}", "The diagram cannot be shown: {reason}"),
}
