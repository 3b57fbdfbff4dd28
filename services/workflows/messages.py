"""What the workflow domain says, in Simplified Chinese and English (merged into services.i18n.MESSAGES by
services.bootstrap, so the UI and the API give the same words)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------ definitions: why a version is refused
    "workflow.definition_invalid": {
        "zh_CN": "流程定义未保存，请修正以下问题：{problems}",
        "en": "The definition was not saved. Please fix: {problems}"},
    "workflow.def.dmn_list": {
        "zh_CN": "决策表文件无效（最多 20 个 DMN 文档）。", "en": "The decision tables are not valid (at most 20 DMN documents)."},
    "workflow.def.xml_syntax": {
        "zh_CN": "{document} 无法解析（第 {line} 行）：{reason}", "en": "{document} does not parse (line {line}): {reason}"},
    "workflow.def.xml_refused": {
        "zh_CN": "{document} 被拒绝：{reason}", "en": "{document} refused: {reason}"},
    "workflow.def.not_bpmn": {
        "zh_CN": "这不是 BPMN 2.0 文档（根元素应为 bpmn:definitions）。",
        "en": "This is not a BPMN 2.0 document (its root must be bpmn:definitions)."},
    "workflow.def.not_dmn": {
        "zh_CN": "{document} 不是 DMN 文档。", "en": "{document} is not a DMN document."},
    "workflow.def.process_count": {
        "zh_CN": "应恰好包含一个可执行流程（现有 {count} 个）。",
        "en": "There must be exactly one executable process (found {count})."},
    "workflow.def.dmn_one_decision": {
        "zh_CN": "{document} 应恰好包含一个决策（现有 {count} 个）。",
        "en": "{document} must hold exactly one decision (found {count})."},
    "workflow.def.dmn_duplicate": {
        "zh_CN": "决策 {decision} 出现了两次。", "en": "The decision {decision} appears twice."},
    "workflow.def.dmn_no_table": {
        "zh_CN": "决策 {decision} 没有决策表。", "en": "The decision {decision} has no decision table."},
    "workflow.def.dmn_output_name": {
        "zh_CN": "决策 {decision} 的每个输出都需要名称。", "en": "Every output of the decision {decision} needs a name."},
    "workflow.def.dmn_row_shape": {
        "zh_CN": "决策 {decision} 第 {row} 行的单元格数与列数不符。",
        "en": "Row {row} of the decision {decision} does not have one cell per column."},
    "workflow.def.unknown_role_dmn": {
        "zh_CN": "决策 {decision} 第 {row} 行的角色“{role}”不存在。",
        "en": "Row {row} of the decision {decision} names the role “{role}”, which does not exist."},
    "workflow.def.expression_syntax": {
        "zh_CN": "{element} 的{part}无法解析：{expression}", "en": "The {part} of {element} does not parse: {expression}"},
    "workflow.def.expression_unsafe": {
        "zh_CN": "{element} 的{part}只能包含数据与比较（{reason}）：{expression}",
        "en": "The {part} of {element} may hold only data and comparisons ({reason}): {expression}"},
    "workflow.def.decision_missing": {
        "zh_CN": "缺少业务所需的决策表 {decision}。", "en": "The decision table {decision} that this process needs is missing."},
    "workflow.def.decision_output": {
        "zh_CN": "决策 {decision} 缺少输出：{outputs}。", "en": "The decision {decision} lacks the outputs: {outputs}."},
    "workflow.def.decision_input": {
        "zh_CN": "决策 {decision} 读取了系统不提供的数据：{names}。",
        "en": "The decision {decision} reads data the system does not provide: {names}."},
    "workflow.def.script_task": {
        "zh_CN": "{element}：不支持脚本任务（脚本会在服务器上运行代码）。",
        "en": "{element}: script tasks are not supported (a script would run code on the server)."},
    "workflow.def.service_task": {
        "zh_CN": "{element}：不支持服务任务（自动检查由系统在提交时完成）。",
        "en": "{element}: service tasks are not supported (the automatic checks run when an item is submitted)."},
    "workflow.def.unsupported": {
        "zh_CN": "{element}：不支持 {type} 元素。", "en": "{element}: {type} elements are not supported."},
    "workflow.def.code_attribute": {
        "zh_CN": "{element}：不支持 {attribute}（会运行 Java 代码）。",
        "en": "{element}: {attribute} is not supported (it would run Java code)."},
    "workflow.def.assignee": {
        "zh_CN": "{element}：办理人只能是 ${{initiator}}（发起人本人），不能是“{assignee}”。",
        "en": "{element}: the assignee may only be ${{initiator}} (whoever started the item), not “{assignee}”."},
    "workflow.def.no_role": {
        "zh_CN": "{element}：审批步骤需要一个角色（候选组）。", "en": "{element}: an approval step needs a role (candidate group)."},
    "workflow.def.one_role": {
        "zh_CN": "{element}：每个审批步骤只能指定一个角色；需要多人会签请使用并行网关。",
        "en": "{element}: name one role per approval step; for several signers use a parallel gateway."},
    "workflow.def.unknown_role": {
        "zh_CN": "{element}：角色“{role}”不存在。", "en": "{element}: the role “{role}” does not exist."},
    "workflow.def.role_cannot_approve": {
        "zh_CN": "{element}：角色“{role}”没有审批权限。", "en": "{element}: the role “{role}” may not approve."},
    "workflow.def.sla_hours": {
        "zh_CN": "{element}：时限（小时）应为 1 到 {max} 的整数，而不是“{value}”。",
        "en": "{element}: SLA hours must be a whole number from 1 to {max}, not “{value}”."},
    "workflow.def.no_decision_ref": {
        "zh_CN": "{element}：业务规则任务需要引用一个决策表。", "en": "{element}: a business rule task must name a decision."},
    "workflow.def.decision_unknown": {
        "zh_CN": "{element}：引用的决策表 {decision} 不存在。", "en": "{element}: the decision {decision} it names does not exist."},
    "workflow.def.unknown_data": {
        "zh_CN": "{element}：条件读取了流程中不存在的数据：{names}。",
        "en": "{element}: the condition reads data the process does not have: {names}."},
    "workflow.def.dangling_flow": {
        "zh_CN": "连线 {element} 的起点或终点不存在。", "en": "The flow {element} starts or ends at nothing."},
    "workflow.def.no_condition": {
        "zh_CN": "网关 {gateway} 的出口 {element} 既无条件也不是默认出口。",
        "en": "The flow {element} out of the gateway {gateway} has no condition and is not the default."},
    "workflow.def.start_count": {
        "zh_CN": "应恰好有一个开始事件（现有 {count} 个）。", "en": "There must be exactly one start event (found {count})."},
    "workflow.def.no_end": {"zh_CN": "流程没有结束事件。", "en": "The process has no end event."},
    "workflow.def.unreachable": {
        "zh_CN": "步骤 {element} 永远无法到达（从开始事件没有路径通向它）。",
        "en": "The step {element} can never be reached (no path from the start leads to it)."},
    "workflow.def.cycle_without_exit": {
        "zh_CN": "循环没有出口：{elements}（一旦进入就无法结束）。",
        "en": "A cycle with no exit: {elements} (once entered, the process can never end)."},
    "workflow.def.dead_end": {
        "zh_CN": "步骤 {element} 之后无路可走，也不是结束事件。",
        "en": "Nothing follows the step {element}, and it is not an end event."},
    "workflow.def.end_outcome": {
        "zh_CN": "结束事件 {element} 需要属性 outcome（{allowed} 之一）。",
        "en": "The end event {element} needs the property outcome (one of {allowed})."},
    "workflow.def.engine": {
        "zh_CN": "流程引擎无法构建此定义：{reason}", "en": "The workflow engine cannot build this definition: {reason}"},
    "workflow.def.unchanged": {
        "zh_CN": "与当前版本相同，未保存新版本。", "en": "This is the current version unchanged; no new version was saved."},
    "workflow.param.no_such_step": {"zh_CN": "没有这个审批步骤", "en": "no such approval step"},
    "workflow.param.no_such_table": {"zh_CN": "没有这个决策表", "en": "no such decision table"},
    "workflow.param.row_shape": {"zh_CN": "每行需要与列数相同的单元格", "en": "each row needs one cell per column"},
    # ------------------------------------------------------------ deciding
    "workflow.already_decided": {
        "zh_CN": "该审批已由 {who} 于 {at} 处理（{decision}），您的操作未生效。",
        "en": "{who} already decided this task at {at} ({decision}); your decision was not recorded."},
    "workflow.instance_closed": {
        "zh_CN": "该流程已结束（{outcome}），不能再作出决定。",
        "en": "This item's process has ended ({outcome}); no further decision can be made."},
    "workflow.maker_cannot_approve": {
        "zh_CN": "您发起或最后修改了此申请，不能审批它（经办与审批分离）。",
        "en": "You started or last changed this item, so you may not decide it (maker-checker)."},
    "workflow.same_signer": {
        "zh_CN": "您已在本轮审批中签署过此申请，会签需要另一位审批人。",
        "en": "You already signed this item in this round; countersigning needs another approver."},
    "workflow.no_authority": {
        "zh_CN": "超出审批权限：{role}对{product}（风险等级 {grade}）的审批上限为 {limit}，本笔金额 {amount}。",
        "en": "Beyond your authority: as {role} you may approve {product} at risk grade {grade} up to {limit}; "
              "this item is {amount}."},
    "workflow.not_your_task": {
        "zh_CN": "此审批任务不在您的待办中。", "en": "This approval task is not one you may act on."},
    "workflow.comment_required": {
        "zh_CN": "退回或拒绝时请填写意见。", "en": "Please give a comment when you reject or return an item."},
    "workflow.decision_invalid": {
        "zh_CN": "决定只能是同意、拒绝或退回。", "en": "The decision must be approve, reject or return."},
    "workflow.no_definition": {
        "zh_CN": "没有可用的流程定义：{key}。", "en": "No workflow definition is available: {key}."},
    "workflow.not_returned": {
        "zh_CN": "此申请当前没有退回给您修改。", "en": "This item is not waiting for your changes."},
    # ------------------------------------------------------------ delegation
    "workflow.delegate_self": {"zh_CN": "不能委托给自己。", "en": "You cannot delegate to yourself."},
    "workflow.delegate_unknown": {
        "zh_CN": "受托人不存在或不能审批。", "en": "The delegate does not exist or may not approve."},
    "workflow.delegate_period": {
        "zh_CN": "委托期间无效：结束须晚于开始，且不超过 90 天，不能早于现在。",
        "en": "The period is not valid: it must end after it starts, last at most 90 days and not end in the past."},
    # ------------------------------------------------------------ outcomes and decisions, in words
    "workflow.decision.approve": {"zh_CN": "同意", "en": "approved"},
    "workflow.decision.reject": {"zh_CN": "拒绝", "en": "rejected"},
    "workflow.decision.return": {"zh_CN": "退回修改", "en": "returned for changes"},
    "workflow.decision.resubmit": {"zh_CN": "修改后重新提交", "en": "revised and resubmitted"},
    "workflow.decision.withdrawn": {"zh_CN": "因他人拒绝或退回而关闭", "en": "closed: another signer rejected or returned it"},
    "workflow.outcome.approved": {"zh_CN": "已批准", "en": "approved"},
    "workflow.outcome.rejected": {"zh_CN": "已拒绝", "en": "rejected"},
    "workflow.outcome.accepted": {"zh_CN": "已承保", "en": "accepted"},
    "workflow.outcome.declined": {"zh_CN": "已拒保", "en": "declined"},
    "workflow.outcome.cancelled": {"zh_CN": "已撤回", "en": "withdrawn"},
    # product types, as the authority matrix names them
    "product.personal": {"zh_CN": "个人消费贷款", "en": "personal loans"},
    "product.mortgage": {"zh_CN": "个人住房贷款", "en": "mortgages"},
    "product.business": {"zh_CN": "经营贷款", "en": "business loans"},
    "product.life": {"zh_CN": "寿险", "en": "life insurance"},
    "product.health": {"zh_CN": "健康险", "en": "health insurance"},
    "product.critical_illness": {"zh_CN": "重疾险", "en": "critical illness cover"},
    "entity.approval_task": {"zh_CN": "审批任务", "en": "approval task"},
    "entity.workflow_instance": {"zh_CN": "流程实例", "en": "workflow instance"},
    "entity.workflow_definition": {"zh_CN": "流程定义", "en": "workflow definition"},
    "entity.workflow_version": {"zh_CN": "流程版本", "en": "workflow version"},
    "entity.delegation": {"zh_CN": "委托", "en": "delegation"},
    # roles, as the workflow names them
    "role.rm": {"zh_CN": "客户经理", "en": "relationship manager"},
    "role.team_lead": {"zh_CN": "团队主管", "en": "team lead"},
    "role.branch_manager": {"zh_CN": "支行长", "en": "branch manager"},
    "role.compliance": {"zh_CN": "合规专员", "en": "compliance officer"},
    "role.approver": {"zh_CN": "分行审批人", "en": "branch approver"},
    "role.ops": {"zh_CN": "运营人员", "en": "operations"},
    "role.admin": {"zh_CN": "系统管理员", "en": "administrator"},
    "role.auditor": {"zh_CN": "审计", "en": "auditor"},
    "role.credit_officer": {"zh_CN": "信贷审查官", "en": "credit officer"},
    "role.credit_committee": {"zh_CN": "总行信贷审批委员会", "en": "head-office credit committee"},
    "role.underwriter": {"zh_CN": "核保人", "en": "underwriter"},
}
