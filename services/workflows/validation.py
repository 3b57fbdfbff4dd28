"""Checks a definition must pass before a new version is saved: it parses, SpiffWorkflow can build it, every
step can be reached and can reach an end (no cycle without an exit), every role it names exists and may
approve, every expression is plain data, and its decision tables are what its kind's services read
(services/workflows/kinds.py). Each problem names the element at fault, in both languages
(services/workflows/messages.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from services.security.models import Role
from services.security.policy import Permission, ROLE_PERMISSIONS
from services.workflows import engine, expressions
from services.workflows.kinds import Kind

B = f"{{{engine.BPMN_NS}}}"
C = f"{{{engine.CAMUNDA_NS}}}"
INITIATOR = "${initiator}"
MAX_DMN_DOCUMENTS = 20
MAX_SLA_HOURS = 24 * 90

# Flow nodes SpiffWorkflow runs without running code; everything else is refused by name.
_NODES = {"startEvent", "endEvent", "userTask", "businessRuleTask", "exclusiveGateway", "parallelGateway",
          "inclusiveGateway", "task", "manualTask", "subProcess"}
_REFUSED = {"scriptTask": "workflow.def.script_task", "serviceTask": "workflow.def.service_task",
            "sendTask": "workflow.def.unsupported", "receiveTask": "workflow.def.unsupported",
            "callActivity": "workflow.def.unsupported", "intermediateCatchEvent": "workflow.def.unsupported",
            "intermediateThrowEvent": "workflow.def.unsupported", "boundaryEvent": "workflow.def.unsupported",
            "eventBasedGateway": "workflow.def.unsupported", "complexGateway": "workflow.def.unsupported",
            "transaction": "workflow.def.unsupported", "adHocSubProcess": "workflow.def.unsupported"}
# Camunda extensions that would run code in Camunda itself; SpiffWorkflow ignores them, so a definition that
# relies on them would silently do less than it says.
_CODE_ATTRIBUTES = ("class", "delegateExpression", "expression")


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict = field(default_factory=dict)


def approver_roles() -> set[str]:
    """Roles that may act on approval tasks (those holding approval.decide)."""
    return {r for r, perms in ROLE_PERMISSIONS.items() if Permission.APPROVAL_DECIDE in perms and r in set(Role)}


def _label(node: etree._Element) -> str:
    name = (node.get("name") or "").strip()
    return f"{name} ({node.get('id')})" if name else str(node.get("id"))


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def check(bpmn_xml: Any, dmn_xmls: Any, kind: Kind) -> list[Problem]:
    """Every problem of the definition (empty: it may be saved)."""
    problems: list[Problem] = []
    if not isinstance(dmn_xmls, list) or len(dmn_xmls) > MAX_DMN_DOCUMENTS or not all(
            isinstance(d, str) for d in dmn_xmls):
        return [Problem("workflow.def.dmn_list")]
    # 1. It parses.
    try:
        root = engine.parse_xml(bpmn_xml)
    except etree.XMLSyntaxError as exc:
        return [Problem("workflow.def.xml_syntax", {"document": "BPMN", "line": exc.lineno or 0,
                                                     "reason": str(exc.msg)[:200]})]
    except ValueError as exc:
        return [Problem("workflow.def.xml_refused", {"document": "BPMN", "reason": str(exc)[:200]})]
    if _local(root.tag) != "definitions" or etree.QName(root.tag).namespace != engine.BPMN_NS:
        return [Problem("workflow.def.not_bpmn")]
    processes = [p for p in root.iter(f"{B}process")]
    executable = [p for p in processes if (p.get("isExecutable") or "true").lower() == "true"]
    if len(executable) != 1:
        return [Problem("workflow.def.process_count", {"count": len(executable)})]
    process = executable[0]

    decisions: dict[str, dict] = {}
    for i, text in enumerate(dmn_xmls):
        problems.extend(_check_dmn(text, i + 1, decisions))

    problems.extend(_check_nodes(process, decisions, kind))
    problems.extend(_check_graph(process))
    problems.extend(_check_contract(decisions, kind))
    if problems:
        return problems
    # 2. SpiffWorkflow builds it (what it checks beyond the above: references, gateways, data).
    try:
        engine.compile_definition(bpmn_xml, dmn_xmls)
    except Exception as exc:  # SpiffWorkflow's ValidationException and what its parsers raise
        return [Problem("workflow.def.engine", {"reason": _engine_reason(exc)})]
    return []


def _engine_reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    node_id = getattr(exc, "id", None) or getattr(exc, "task_id", None)
    return (f"{text} ({node_id})" if node_id else text)[:300]


# ---------------------------------------------------------------- DMN

def _check_dmn(text: str, index: int, decisions: dict[str, dict]) -> list[Problem]:
    document = f"DMN {index}"
    try:
        root = engine.parse_xml(text)
    except etree.XMLSyntaxError as exc:
        return [Problem("workflow.def.xml_syntax", {"document": document, "line": exc.lineno or 0,
                                                     "reason": str(exc.msg)[:200]})]
    except ValueError as exc:
        return [Problem("workflow.def.xml_refused", {"document": document, "reason": str(exc)[:200]})]
    ns = etree.QName(root.tag).namespace
    if _local(root.tag) != "definitions" or ns not in engine.DMN_NAMESPACES:
        return [Problem("workflow.def.not_dmn", {"document": document})]
    found = list(root.iter(f"{{{ns}}}decision"))
    if len(found) != 1:
        return [Problem("workflow.def.dmn_one_decision", {"document": document, "count": len(found)})]
    decision = found[0]
    did = decision.get("id") or ""
    if did in decisions:
        return [Problem("workflow.def.dmn_duplicate", {"decision": did})]
    table = decision.find(f"{{{ns}}}decisionTable")
    if table is None:
        return [Problem("workflow.def.dmn_no_table", {"decision": _label(decision)})]
    problems: list[Problem] = []
    inputs = []
    for inp in table.findall(f"{{{ns}}}input"):
        expr = inp.find(f"{{{ns}}}inputExpression/{{{ns}}}text")
        inputs.append((expr.text or "").strip() if expr is not None and expr.text else "")
    outputs = [o.get("name") or "" for o in table.findall(f"{{{ns}}}output")]
    if any(not o for o in outputs):
        problems.append(Problem("workflow.def.dmn_output_name", {"decision": _label(decision)}))
    for i, expr in enumerate(inputs):
        problems.extend(_expression(expressions.from_juel(expr) or "", _label(decision), f"input {i + 1}"))
    rows = table.findall(f"{{{ns}}}rule")
    for r, rule in enumerate(rows, start=1):
        entries = rule.findall(f"{{{ns}}}inputEntry")
        outs = rule.findall(f"{{{ns}}}outputEntry")
        if len(entries) != len(inputs) or len(outs) != len(outputs):
            problems.append(Problem("workflow.def.dmn_row_shape", {"decision": _label(decision), "row": r}))
            continue
        for c, entry in enumerate(entries, start=1):
            text_node = entry.find(f"{{{ns}}}text")
            test = expressions.from_feel_unary_test(text_node.text if text_node is not None else None)
            if test is not None:
                candidate = test.replace("?", "dmninputexpr") if "?" in test else f"v == ({test})"
                problems.extend(_expression(candidate, _label(decision), f"row {r}, column {c}",
                                            shown=text_node.text if text_node is not None else ""))
        for c, entry in enumerate(outs, start=1):
            text_node = entry.find(f"{{{ns}}}text")
            value = (text_node.text or "").strip() if text_node is not None and text_node.text else ""
            if value:
                problems.extend(_expression(expressions.from_juel(value) or "", _label(decision),
                                            f"row {r}, output {c}", shown=value))
    role_inputs = [i for i, e in enumerate(inputs) if e == "role"]
    if role_inputs:
        known = {r.value for r in Role}
        for r, rule in enumerate(rows, start=1):
            entries = rule.findall(f"{{{ns}}}inputEntry")
            if len(entries) != len(inputs):
                continue
            node = entries[role_inputs[0]].find(f"{{{ns}}}text")
            for role in _quoted_values(node.text if node is not None else None):
                if role not in known:
                    problems.append(Problem("workflow.def.unknown_role_dmn",
                                            {"decision": _label(decision), "row": r, "role": role}))
    decisions[did] = {"label": _label(decision), "inputs": inputs, "outputs": outputs, "rows": len(rows)}
    return problems


def _quoted_values(text: str | None) -> list[str]:
    if not text:
        return []
    out = []
    for part in expressions._split_list(text.strip()):
        part = part.strip()
        if part.startswith("not(") or part.startswith("not ("):
            part = part[part.index("(") + 1:].rstrip(")")
            out.extend(_quoted_values(part))
            continue
        if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
            out.append(part[1:-1])
    return out


def _expression(expr: str, where: str, part: str, shown: str | None = None) -> list[Problem]:
    try:
        expressions.check(expr)
    except SyntaxError:
        return [Problem("workflow.def.expression_syntax", {"element": where, "part": part,
                                                            "expression": (shown or expr)[:120]})]
    except expressions.UnsafeExpression as exc:
        return [Problem("workflow.def.expression_unsafe", {"element": where, "part": part,
                                                            "expression": (shown or expr)[:120],
                                                            "reason": exc.reason})]
    return []


def _check_contract(decisions: dict[str, dict], kind: Kind) -> list[Problem]:
    problems = []
    for did, contract in kind.decisions.items():
        found = decisions.get(did)
        if found is None:
            problems.append(Problem("workflow.def.decision_missing", {"decision": did}))
            continue
        missing = sorted(contract.outputs - set(found["outputs"]))
        if missing:
            problems.append(Problem("workflow.def.decision_output", {"decision": found["label"],
                                                                     "outputs": ", ".join(missing)}))
        for expr in found["inputs"]:
            try:
                unknown = expressions.names(expressions.from_juel(expr) or "") - contract.inputs
            except (SyntaxError, expressions.UnsafeExpression):
                continue  # reported above
            if unknown:
                problems.append(Problem("workflow.def.decision_input", {"decision": found["label"],
                                                                        "names": ", ".join(sorted(unknown))}))
    return problems


# ---------------------------------------------------------------- BPMN nodes

def _check_nodes(process: etree._Element, decisions: dict[str, dict], kind: Kind) -> list[Problem]:
    problems: list[Problem] = []
    roles = {r.value for r in Role}
    approvers = approver_roles()
    data_names = set(kind.data)
    for d in decisions.values():
        data_names.update(d["outputs"])
    for node in process.iter():
        if not isinstance(node.tag, str) or etree.QName(node.tag).namespace != engine.BPMN_NS:
            continue
        name = _local(node.tag)
        if name in _REFUSED:
            problems.append(Problem(_REFUSED[name], {"element": _label(node), "type": name}))
        for attr in _CODE_ATTRIBUTES:
            if node.get(f"{C}{attr}") is not None:
                problems.append(Problem("workflow.def.code_attribute", {"element": _label(node),
                                                                        "attribute": f"camunda:{attr}"}))
        if name == "startEvent" and len(node):
            if any(_local(ch.tag).endswith("EventDefinition") for ch in node):
                problems.append(Problem("workflow.def.unsupported", {"element": _label(node), "type": name}))
        if name == "userTask":
            groups = [g.strip() for g in (node.get(f"{C}candidateGroups") or "").split(",") if g.strip()]
            assignee = (node.get(f"{C}assignee") or "").strip()
            if assignee and assignee != INITIATOR:
                problems.append(Problem("workflow.def.assignee", {"element": _label(node), "assignee": assignee}))
            if not groups and not assignee:
                problems.append(Problem("workflow.def.no_role", {"element": _label(node)}))
            for g in groups:
                if g not in roles:
                    problems.append(Problem("workflow.def.unknown_role", {"element": _label(node), "role": g}))
                elif g not in approvers:
                    problems.append(Problem("workflow.def.role_cannot_approve", {"element": _label(node), "role": g}))
            props = {p.get("name"): p.get("value") for p in node.iter(f"{C}property")}
            sla = props.get("sla_hours")
            if sla is not None and not (str(sla).strip().isdigit() and 1 <= int(str(sla).strip()) <= MAX_SLA_HOURS):
                problems.append(Problem("workflow.def.sla_hours", {"element": _label(node), "value": str(sla)[:20],
                                                                   "max": MAX_SLA_HOURS}))
            escalate = (props.get("escalate_to") or "").strip()
            if escalate and escalate not in roles:
                problems.append(Problem("workflow.def.unknown_role", {"element": _label(node), "role": escalate}))
            elif escalate and escalate not in approvers:
                problems.append(Problem("workflow.def.role_cannot_approve", {"element": _label(node),
                                                                             "role": escalate}))
        if name == "endEvent":
            outcome = next((p.get("value") for p in node.iter(f"{C}property") if p.get("name") == "outcome"), None)
            if outcome not in kind.outcomes:
                problems.append(Problem("workflow.def.end_outcome", {"element": _label(node),
                                                                     "allowed": ", ".join(sorted(kind.outcomes))}))
        if name == "userTask" and len([g for g in (node.get(f"{C}candidateGroups") or "").split(",") if g.strip()]) > 1:
            problems.append(Problem("workflow.def.one_role", {"element": _label(node)}))
        if name == "businessRuleTask":
            ref = node.get(f"{C}decisionRef")
            if not ref:
                problems.append(Problem("workflow.def.no_decision_ref", {"element": _label(node)}))
            elif ref not in decisions:
                problems.append(Problem("workflow.def.decision_unknown", {"element": _label(node), "decision": ref}))
        if name == "sequenceFlow":
            cond = node.find(f"{B}conditionExpression")
            if cond is not None and (cond.text or "").strip():
                python = expressions.from_juel(cond.text) or ""
                found = _expression(python, _label(node), "condition", shown=cond.text)
                problems.extend(found)
                if not found:
                    unknown = expressions.names(python) - data_names
                    if unknown:
                        problems.append(Problem("workflow.def.unknown_data", {"element": _label(node),
                                                                              "names": ", ".join(sorted(unknown))}))
    return problems


# ---------------------------------------------------------------- the graph

def _check_graph(process: etree._Element) -> list[Problem]:
    """Every step reachable from a start, every step able to reach an end: a cycle from which no end can
    be reached is named as such, a step that merely stops as a dead end."""
    nodes: dict[str, etree._Element] = {}
    for node in process:
        if isinstance(node.tag, str) and _local(node.tag) in _NODES | set(_REFUSED):
            nodes[node.get("id")] = node
    out: dict[str, list[str]] = {n: [] for n in nodes}
    inc: dict[str, list[str]] = {n: [] for n in nodes}
    problems: list[Problem] = []
    for flow in process.findall(f"{B}sequenceFlow"):
        s, t = flow.get("sourceRef"), flow.get("targetRef")
        if s not in nodes or t not in nodes:
            problems.append(Problem("workflow.def.dangling_flow", {"element": _label(flow)}))
            continue
        out[s].append(t)
        inc[t].append(s)
    for gw in (n for n in nodes.values() if _local(n.tag) == "exclusiveGateway"):
        flows = [f for f in process.findall(f"{B}sequenceFlow") if f.get("sourceRef") == gw.get("id")]
        if len(flows) > 1:
            default = gw.get("default")
            for f in flows:
                cond = f.find(f"{B}conditionExpression")
                if f.get("id") != default and (cond is None or not (cond.text or "").strip()):
                    problems.append(Problem("workflow.def.no_condition", {"element": _label(f),
                                                                          "gateway": _label(gw)}))
    starts = [n for n, el in nodes.items() if _local(el.tag) == "startEvent"]
    ends = [n for n, el in nodes.items() if _local(el.tag) == "endEvent"]
    if len(starts) != 1:
        problems.append(Problem("workflow.def.start_count", {"count": len(starts)}))
    if not ends:
        problems.append(Problem("workflow.def.no_end"))
    reachable = _walk(starts, out)
    for n in nodes:
        if n not in reachable:
            problems.append(Problem("workflow.def.unreachable", {"element": _label(nodes[n])}))
    finishing = _walk(ends, inc)
    stuck = [n for n in nodes if n in reachable and n not in finishing]
    if stuck:
        for component in _cycles(stuck, out):
            labels = " → ".join(_label(nodes[n]) for n in component)
            problems.append(Problem("workflow.def.cycle_without_exit", {"elements": labels}))
        in_cycles = {n for c in _cycles(stuck, out) for n in c}
        for n in stuck:
            if n not in in_cycles and not out[n] and _local(nodes[n].tag) != "endEvent":
                problems.append(Problem("workflow.def.dead_end", {"element": _label(nodes[n])}))
    return problems


def _walk(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cycles(subset: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of `subset` that are cycles (Tarjan, iterative)."""
    members = set(subset)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in subset:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = [s for s in edges.get(node, ()) if s in members]
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    out.append(list(reversed(component)))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
