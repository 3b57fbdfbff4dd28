"""SpiffWorkflow, as FinCRM runs it: BPMN 2.0 processes with DMN decision tables, in Camunda's dialect.

- `compile_definition(bpmn, dmns)` parses a definition version once (CamundaParser: `camunda:candidateGroups`,
  `camunda:assignee`, `camunda:decisionRef`, `camunda:properties`); `compiled(version_id, ...)` keeps the
  result per version for the life of the process (a version never changes once saved).
- A running instance is stored as its state only: SpiffWorkflow's serialisation minus the process
  specification, which every instance of a version shares (`dump` / `load`). 10,000 instances do not carry
  10,000 copies of the diagram, and loading one does not re-parse it.
- Expressions go through services/workflows/expressions.py (data only, no code); DMN entries written in FEEL
  by Camunda Modeler or dmn-js are translated to the Python SpiffWorkflow evaluates, on a copy: the stored XML
  stays what the modeler wrote.
- `decide(compiled, decision_id, facts)` evaluates one decision table outside any process (the authority
  matrix at the moment someone approves, the loan scorecard at submission).

Nothing here touches the database or knows about loans: services/workflows/service.py does.
"""
from __future__ import annotations

import json
import threading
from copy import deepcopy
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.util.task import TaskState

from services.workflows import expressions

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
MAX_XML_BYTES = 2_000_000


def xml_parser() -> etree.XMLParser:
    """lxml that never resolves entities or fetches anything (a definition is uploaded text)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False,
                           load_dtd=False)


def parse_xml(text: str) -> etree._Element:
    """An XML document from text; raises etree.XMLSyntaxError (or ValueError) with the reason."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty document")
    data = text.encode("utf-8")
    if len(data) > MAX_XML_BYTES:
        raise ValueError("document too large")
    if b"<!DOCTYPE" in data[:2000].upper() or b"<!ENTITY" in data.upper():
        raise ValueError("DOCTYPE and entities are not allowed")
    return etree.fromstring(data, parser=xml_parser())


# ---------------------------------------------------------------- expressions, the safe way

class _DataOnlyEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's expression environment, limited to data (services/workflows/expressions.py)."""

    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expressions.from_juel(expression) or "None", context, external_context)

    def execute(self, script, context, external_context=None):
        raise PermissionError("scripts are not run: definitions hold data and decisions, not code")

    def call_service(self, context, **kwargs):
        raise PermissionError("service tasks are not run by the workflow engine")


class DataOnlyScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=_DataOnlyEnvironment())

    def validate(self, expression):
        expressions.check(expressions.from_juel(expression) or "None")


SCRIPT_ENGINE = DataOnlyScriptEngine()


# ---------------------------------------------------------------- definitions

@dataclass(frozen=True)
class Step:
    """A user task of the definition, with what FinCRM reads from it."""

    id: str
    name: str
    candidate_groups: tuple[str, ...]
    assignee: str | None  # "${initiator}": whoever started the instance
    properties: dict[str, str]

    @property
    def sla_hours(self) -> int | None:
        value = self.properties.get("sla_hours")
        return int(value) if value is not None and str(value).strip().isdigit() else None

    @property
    def escalate_to(self) -> str | None:
        return (self.properties.get("escalate_to") or "").strip() or None


@dataclass
class Compiled:
    """A parsed definition version: what SpiffWorkflow runs, and the decision tables by id."""

    process_id: str
    spec: Any
    subprocess_specs: dict
    steps: dict[str, Step]
    decisions: dict[str, Any]  # decision id -> SpiffWorkflow DecisionTable
    decision_names: dict[str, str] = field(default_factory=dict)
    end_outcomes: dict[str, str] = field(default_factory=dict)  # end event id -> its "outcome" property


def translate_dmn(root: etree._Element) -> etree._Element:
    """A copy of a DMN document whose input entries, input expressions and output entries are what
    SpiffWorkflow evaluates (FEEL unary tests and literals translated; see expressions.py)."""
    copy = deepcopy(root)
    ns = root.nsmap.get(None) or root.nsmap.get("dmn") or DMN_NAMESPACES[0]
    for entry in copy.iter(f"{{{ns}}}inputEntry"):
        text = entry.find(f"{{{ns}}}text")
        if text is not None:
            translated = expressions.from_feel_unary_test(text.text)
            text.text = "-" if translated is None else translated
    for entry in copy.iter(f"{{{ns}}}outputEntry"):
        text = entry.find(f"{{{ns}}}text")
        if text is not None and text.text is not None:
            text.text = expressions.from_juel(text.text)
    for entry in copy.iter(f"{{{ns}}}inputExpression"):
        text = entry.find(f"{{{ns}}}text")
        if text is not None and text.text is not None:
            text.text = expressions.from_juel(text.text)
    return copy


def read_steps(bpmn_root: etree._Element) -> dict[str, Step]:
    out: dict[str, Step] = {}
    for node in bpmn_root.iter(f"{{{BPMN_NS}}}userTask"):
        groups = tuple(g.strip() for g in (node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").split(",")
                       if g.strip())
        props = {p.get("name"): p.get("value") for p in node.iter(f"{{{CAMUNDA_NS}}}property")
                 if p.get("name")}
        out[node.get("id")] = Step(id=node.get("id"), name=node.get("name") or node.get("id"),
                                   candidate_groups=groups,
                                   assignee=(node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip() or None,
                                   properties=props)
    return out


def compile_definition(bpmn_xml: str, dmn_xmls: list[str]) -> Compiled:
    """Parse and build a definition. Raises etree.XMLSyntaxError, ValueError or SpiffWorkflow's
    ValidationException with the reason (services/workflows/validation.py words them)."""
    bpmn_root = parse_xml(bpmn_xml)
    parser = CamundaParser()
    decision_ids: list[str] = []
    decision_names: dict[str, str] = {}
    for dmn_xml in dmn_xmls:
        root = parse_xml(dmn_xml)
        parser.add_dmn_xml(translate_dmn(root))
        ns = root.nsmap.get(None) or root.nsmap.get("dmn")
        for d in root.iter(f"{{{ns}}}decision"):
            decision_ids.append(d.get("id"))
            decision_names[d.get("id")] = d.get("name") or d.get("id")
    parser.add_bpmn_xml(bpmn_root)
    executable = [p.get("id") for p in bpmn_root.iter(f"{{{BPMN_NS}}}process")
                  if (p.get("isExecutable") or "true").lower() == "true"]
    if not executable:
        raise ValueError("no executable process")
    process_id = executable[0]
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    decisions = {}
    for did in decision_ids:
        decisions[did] = parser.get_engine(did, bpmn_root).decision_table
    ends = {}
    for node in bpmn_root.iter(f"{{{BPMN_NS}}}endEvent"):
        ends[node.get("id")] = next((p.get("value") for p in node.iter(f"{{{CAMUNDA_NS}}}property")
                                     if p.get("name") == "outcome"), "") or ""
    return Compiled(process_id=process_id, spec=spec, subprocess_specs=subprocess_specs,
                    steps=read_steps(bpmn_root), decisions=decisions, decision_names=decision_names,
                    end_outcomes=ends)


_cache: dict[int, Compiled] = {}
_cache_lock = threading.Lock()


def compiled(version_id: int, bpmn_xml: str, dmn_xmls: list[str]) -> Compiled:
    """The compiled definition of a saved version (versions never change: compiled once per process)."""
    hit = _cache.get(version_id)
    if hit is not None:
        return hit
    built = compile_definition(bpmn_xml, dmn_xmls)
    with _cache_lock:
        _cache.setdefault(version_id, built)
        return _cache[version_id]


def forget_compiled() -> None:
    """Tests that reuse version ids across databases."""
    with _cache_lock:
        _cache.clear()


# ---------------------------------------------------------------- decisions outside a process

def decide(c: Compiled, decision_id: str, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The outputs of the decision table's matching rules (one for FIRST/UNIQUE, every match for COLLECT)."""
    table = c.decisions[decision_id]
    task = SimpleNamespace(data=dict(facts), workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))
    rules = DMNEngine(table).decide(task)
    if table.hit_policy != "COLLECT":
        rules = rules[:1]  # FIRST (and UNIQUE, which SpiffWorkflow stops at the first match of anyway)
    return [dict(rule.output_as_dict(task)) for rule in rules]


# ---------------------------------------------------------------- running instances

class _StateOnlyConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's workflow serialisation without the process specification (kept once per version)."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True, script_engine=SCRIPT_ENGINE)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = deepcopy(CAMUNDA_CONFIG)
_config[BpmnWorkflow] = _StateOnlyConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def start(c: Compiled, data: dict[str, Any]) -> BpmnWorkflow:
    """A new instance with `data` on its start, run up to its first wait (user tasks)."""
    wf = BpmnWorkflow(c.spec, c.subprocess_specs, script_engine=SCRIPT_ENGINE)
    start_task = wf.get_next_task(state=TaskState.READY)
    if start_task is not None:
        start_task.data.update(data)
    wf.do_engine_steps()
    return wf


def dump(wf: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(wf)


def load(c: Compiled, state: str) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct, spec=c.spec, subprocess_specs=c.subprocess_specs)


@dataclass(frozen=True)
class Waiting:
    """A user task the instance waits on."""

    task_id: str
    step_id: str
    data: dict


def waiting(wf: BpmnWorkflow) -> list[Waiting]:
    out = []
    for t in wf.get_tasks(state=TaskState.READY, manual=True):
        out.append(Waiting(task_id=str(t.id), step_id=t.task_spec.name, data=t.data))
    return out


def complete(wf: BpmnWorkflow, task_id: str, updates: dict[str, Any]) -> None:
    """Complete a waiting user task with `updates` merged into its data, then run to the next wait."""
    task = wf.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise KeyError(task_id)
    for key, value in updates.items():
        task.data[key] = value
    task.run()
    wf.do_engine_steps()


def ended_at(wf: BpmnWorkflow) -> str | None:
    """The end event the instance reached (its id), or None while it runs."""
    if not wf.completed:
        return None
    ends = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.__class__.__name__ == "EndEvent"]
    if not ends:
        return "end"
    return max(ends, key=lambda t: t.last_state_change).task_spec.name


def data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The instance's data after its last completed task."""
    last = wf.last_task
    return dict(last.data) if last is not None else dict(wf.data)
