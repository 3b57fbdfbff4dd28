"""The everyday parameters of a definition, read from and written into its XML: the role, SLA hours and
escalation role of each approval step, and the rows of each decision table (routing thresholds, the
authority matrix, the scorecard). The plain form edits these; the diagram and the tables' columns stay as
they are. What comes out is a new draft that goes through the same validation as any other version.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from services.workflows import engine

B = f"{{{engine.BPMN_NS}}}"
C = f"{{{engine.CAMUNDA_NS}}}"
MAX_ROWS = 200
MAX_CELL = 300


@dataclass
class StepParameters:
    id: str
    name: str
    role: str  # "" for the maker's own step (assignee ${initiator})
    sla_hours: str
    escalate_to: str
    maker_step: bool = False


@dataclass
class TableParameters:
    decision_id: str
    name: str
    document: int  # index into the version's DMN documents
    hit_policy: str
    inputs: list[str]  # column labels (or expressions when unlabelled)
    outputs: list[str]
    rows: list[list[str]] = field(default_factory=list)  # input entries then output entries, as written
    descriptions: list[str] = field(default_factory=list)


@dataclass
class Parameters:
    steps: list[StepParameters]
    tables: list[TableParameters]


def read(bpmn_xml: str, dmn_xmls: list[str]) -> Parameters:
    root = engine.parse_xml(bpmn_xml)
    steps = []
    for node in root.iter(f"{B}userTask"):
        props = {p.get("name"): p.get("value") for p in node.iter(f"{C}property")}
        groups = [g.strip() for g in (node.get(f"{C}candidateGroups") or "").split(",") if g.strip()]
        steps.append(StepParameters(id=node.get("id"), name=node.get("name") or node.get("id"),
                                    role=groups[0] if groups else "", sla_hours=str(props.get("sla_hours") or ""),
                                    escalate_to=str(props.get("escalate_to") or ""),
                                    maker_step=bool((node.get(f"{C}assignee") or "").strip()) and not groups))
    tables = []
    for i, text in enumerate(dmn_xmls):
        droot = engine.parse_xml(text)
        ns = etree.QName(droot.tag).namespace
        for decision in droot.iter(f"{{{ns}}}decision"):
            table = decision.find(f"{{{ns}}}decisionTable")
            if table is None:
                continue
            inputs = []
            for inp in table.findall(f"{{{ns}}}input"):
                expr = inp.find(f"{{{ns}}}inputExpression/{{{ns}}}text")
                inputs.append(inp.get("label") or (expr.text if expr is not None else "") or "")
            outputs = [o.get("label") or o.get("name") or "" for o in table.findall(f"{{{ns}}}output")]
            rows, descriptions = [], []
            for rule in table.findall(f"{{{ns}}}rule"):
                cells = [(e.findtext(f"{{{ns}}}text") or "").strip() for e in rule.findall(f"{{{ns}}}inputEntry")]
                cells += [(e.findtext(f"{{{ns}}}text") or "").strip() for e in rule.findall(f"{{{ns}}}outputEntry")]
                rows.append(cells)
                descriptions.append((rule.findtext(f"{{{ns}}}description") or "").strip())
            tables.append(TableParameters(decision_id=decision.get("id"), name=decision.get("name") or decision.get("id"),
                                          document=i, hit_policy=(table.get("hitPolicy") or "UNIQUE").upper(),
                                          inputs=inputs, outputs=outputs, rows=rows, descriptions=descriptions))
    return Parameters(steps=steps, tables=tables)


class ParameterError(ValueError):
    """A form value that cannot go into the XML at all (the validator judges the rest)."""

    def __init__(self, field_: str, code: str):
        self.field = field_
        self.code = code
        super().__init__(f"{field_}: {code}")


def _text(value: Any, field_: str, limit: int = MAX_CELL) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ParameterError(field_, "value.wrong_type")
    text = str(value).strip()
    if len(text) > limit:
        raise ParameterError(field_, "value.too_long")
    if any(ord(ch) < 32 for ch in text):
        raise ParameterError(field_, "value.control_characters")
    return text


def apply(bpmn_xml: str, dmn_xmls: list[str], steps: Any, tables: Any) -> tuple[str, list[str]]:
    """The definition with the form's values written in. `steps`: [{id, role, sla_hours, escalate_to}];
    `tables`: [{decision_id, rows: [[cell, ...]], descriptions?}] (rows replace the table's rules)."""
    root = engine.parse_xml(bpmn_xml)
    by_id = {n.get("id"): n for n in root.iter(f"{B}userTask")}
    if not isinstance(steps, list) or len(steps) > 200:
        raise ParameterError("steps", "value.wrong_type")
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise ParameterError(f"steps[{i}]", "value.wrong_type")
        node = by_id.get(step.get("id"))
        if node is None:
            raise ParameterError(f"steps[{i}]", "workflow.param.no_such_step")
        role = _text(step.get("role"), f"steps[{i}].role", 32)
        if role:
            node.set(f"{C}candidateGroups", role)
        elif node.get(f"{C}candidateGroups") is not None and not (node.get(f"{C}assignee") or "").strip():
            node.set(f"{C}candidateGroups", "")  # the validator names a step left without a role
        _set_property(node, "sla_hours", _text(step.get("sla_hours"), f"steps[{i}].sla_hours", 8))
        _set_property(node, "escalate_to", _text(step.get("escalate_to"), f"steps[{i}].escalate_to", 32))
    new_bpmn = etree.tostring(root, encoding="unicode", xml_declaration=False)
    new_bpmn = '<?xml version="1.0" encoding="UTF-8"?>\n' + new_bpmn

    if not isinstance(tables, list) or len(tables) > 50:
        raise ParameterError("tables", "value.wrong_type")
    documents = list(dmn_xmls)
    for t, table in enumerate(tables):
        if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
            raise ParameterError(f"tables[{t}]", "value.wrong_type")
        did = table.get("decision_id")
        for d, text in enumerate(documents):
            droot = engine.parse_xml(text)
            ns = etree.QName(droot.tag).namespace
            decision = next((x for x in droot.iter(f"{{{ns}}}decision") if x.get("id") == did), None)
            if decision is None:
                continue
            _write_rules(decision, ns, table, t)
            documents[d] = '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(droot, encoding="unicode")
            break
        else:
            raise ParameterError(f"tables[{t}]", "workflow.param.no_such_table")
    return new_bpmn, documents


def _set_property(node: etree._Element, name: str, value: str) -> None:
    ext = node.find(f"{B}extensionElements")
    props = ext.find(f"{C}properties") if ext is not None else None
    existing = None if props is None else next((p for p in props.findall(f"{C}property") if p.get("name") == name),
                                               None)
    if not value:
        if existing is not None:
            props.remove(existing)
        return
    if existing is not None:
        existing.set("value", value)
        return
    if ext is None:
        ext = etree.Element(f"{B}extensionElements")
        node.insert(0 if node.find(f"{B}documentation") is None else 1, ext)
    if props is None:
        props = etree.SubElement(ext, f"{C}properties")
    prop = etree.SubElement(props, f"{C}property")
    prop.set("name", name)
    prop.set("value", value)


def _write_rules(decision: etree._Element, ns: str, table: dict, t: int) -> None:
    dt = decision.find(f"{{{ns}}}decisionTable")
    inputs = dt.findall(f"{{{ns}}}input")
    outputs = dt.findall(f"{{{ns}}}output")
    rows = table["rows"]
    descriptions = table.get("descriptions") or []
    if len(rows) > MAX_ROWS:
        raise ParameterError(f"tables[{t}].rows", "value.too_many")
    for rule in dt.findall(f"{{{ns}}}rule"):
        dt.remove(rule)
    did = decision.get("id")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(inputs) + len(outputs):
            raise ParameterError(f"tables[{t}].rows[{r}]", "workflow.param.row_shape")
        cells = [_text(c, f"tables[{t}].rows[{r}][{c_i}]") for c_i, c in enumerate(row)]
        rule = etree.SubElement(dt, f"{{{ns}}}rule")
        rule.set("id", f"Rule_{did}_{r + 1}")
        desc = descriptions[r] if r < len(descriptions) and isinstance(descriptions[r], str) else ""
        if desc.strip():
            etree.SubElement(rule, f"{{{ns}}}description").text = _text(desc, f"tables[{t}].descriptions[{r}]")
        for c_i, cell in enumerate(cells[:len(inputs)]):
            entry = etree.SubElement(rule, f"{{{ns}}}inputEntry")
            entry.set("id", f"InputEntry_{did}_{r + 1}_{c_i + 1}")
            etree.SubElement(entry, f"{{{ns}}}text").text = cell or "-"
        for c_i, cell in enumerate(cells[len(inputs):]):
            entry = etree.SubElement(rule, f"{{{ns}}}outputEntry")
            entry.set("id", f"OutputEntry_{did}_{r + 1}_{c_i + 1}")
            etree.SubElement(entry, f"{{{ns}}}text").text = cell
