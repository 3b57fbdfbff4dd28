"""Workflow definitions: the shipped BPMN 2.0 + DMN definitions parse and are versioned; a running instance
keeps the version it started on; a definition that does not parse, has a cycle with no exit, an unreachable
step or names a role that does not exist is refused with every problem named, and nothing is saved."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.errors import NotPermitted
from services.security.models import AuditEvent
from services.workflows import definitions, engine, instances
from services.workflows.definitions import DefinitionRejected
from services.workflows.models import WorkflowInstance, WorkflowVersion

from workflow_helpers import open_tasks, start_loan, wf_actors  # noqa: F401 - fixture

LOAN = "loan_approval"


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    # Version ids repeat across the rolled-back test transactions: the compiled cache must not outlive them.
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def _save(uow_factory, actor, bpmn, dmns, note="test"):
    with uow_factory() as uow:
        view = definitions.save_version(uow=uow, actor=actor, key=LOAN, bpmn_xml=bpmn, dmn_xmls=dmns, note=note)
        uow.commit()
        return view


def _problems(uow_factory, actor, bpmn, dmns) -> list[str]:
    with pytest.raises(DefinitionRejected) as err:
        _save(uow_factory, actor, bpmn, dmns)
    assert err.value.message("en").startswith("The definition was not saved")
    return [p.code for p in err.value.problems]


def _versions(connection) -> int:
    return connection.execute(select(func.count()).select_from(WorkflowVersion)).scalar()


def test_the_shipped_definitions_parse_validate_and_install_as_version_1(uow_factory, wf_actors):
    with uow_factory() as uow:
        listed = definitions.list_definitions(uow=uow, actor=wf_actors["admin"])
        uow.commit()
    assert {d.key: (d.kind, d.current_version, d.versions) for d in listed} == {
        "loan_approval": ("loan", 1, 1), "underwriting": ("underwriting", 1, 1)}
    with uow_factory() as uow:
        v = definitions.get_version(uow=uow, actor=wf_actors["admin"], key=LOAN)
        assert v.version == 1 and v.current and "loan_authority" in dict(v.decisions)
        c = definitions.compiled_version(uow.session.get(WorkflowVersion, v.id))
    assert set(c.steps) == {"Task_BranchApproval", "Task_ManagerSignoff", "Task_CreditSignoff", "Task_Committee",
                            "Task_Revise"}
    assert c.steps["Task_BranchApproval"].candidate_groups == ("approver",)
    assert c.steps["Task_BranchApproval"].sla_hours == 24
    assert c.end_outcomes == {"End_Approved": "approved", "End_Rejected": "rejected"}


def test_only_admins_manage_definitions(uow_factory, wf_actors):
    with uow_factory() as uow, pytest.raises(NotPermitted):
        definitions.list_definitions(uow=uow, actor=wf_actors["approver_a"])


def test_a_new_version_is_saved_and_audited_and_a_running_instance_keeps_its_version(uow_factory, wf_actors,
                                                                                       connection):
    admin = wf_actors["admin"]
    first = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    with uow_factory() as uow:
        current = definitions.get_version(uow=uow, actor=admin, key=LOAN)
    # A new version in which the branch approval has a 12 hour SLA.
    bpmn = current.bpmn_xml.replace('<camunda:property name="sla_hours" value="24" />',
                                    '<camunda:property name="sla_hours" value="12" />')
    assert bpmn != current.bpmn_xml
    saved = _save(uow_factory, admin, bpmn, current.dmn_xmls, note="faster branch approvals")
    assert saved.version == 2 and saved.current
    assert connection.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "workflow.version_saved")).scalar() == 2  # version 1 installed, version 2 saved
    second = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    with uow_factory() as uow:
        v_first = uow.session.get(WorkflowVersion, uow.session.get(WorkflowInstance, first).version_id)
        v_second = uow.session.get(WorkflowVersion, uow.session.get(WorkflowInstance, second).version_id)
        assert (v_first.version, v_second.version) == (1, 2)
        listed = definitions.list_versions(uow=uow, actor=admin, key=LOAN)
    assert [(v.version, v.running, v.current) for v in listed] == [(2, 1, True), (1, 1, False)]
    # The instance started on version 1 still runs on it: its task has version 1's 24 hour SLA, the new one 12.
    from services.workflows.models import ApprovalTask

    with uow_factory() as uow:
        t1 = uow.session.get(ApprovalTask, open_tasks(uow_factory, first)["Task_BranchApproval"])
        t2 = uow.session.get(ApprovalTask, open_tasks(uow_factory, second)["Task_BranchApproval"])
        assert (t1.due_at - t1.opened_at).total_seconds() == 24 * 3600
        assert (t2.due_at - t2.opened_at).total_seconds() == 12 * 3600
    # ... and is decided on it to its end.
    from workflow_helpers import decide, instance

    decide(uow_factory, wf_actors["approver_a"], open_tasks(uow_factory, first)["Task_BranchApproval"])
    assert instance(uow_factory, first).outcome == "approved"


def test_saving_the_same_definition_again_is_refused(uow_factory, wf_actors):
    admin = wf_actors["admin"]
    with uow_factory() as uow:
        current = definitions.get_version(uow=uow, actor=admin, key=LOAN)
    with pytest.raises(definitions.Unchanged):
        _save(uow_factory, admin, current.bpmn_xml, current.dmn_xmls)


def test_a_definition_exported_from_camunda_modeler_validates(uow_factory, wf_actors):
    from pathlib import Path

    here = Path(__file__).parent.parent / "fixtures" / "workflows"
    bpmn = (here / "camunda_consumer_loan.bpmn").read_text(encoding="utf-8")
    dmns = [(here / f).read_text(encoding="utf-8") for f in ("approvalLevel.dmn", "loanAuthority.dmn",
                                                             "scorecard.dmn", "grade.dmn", "fraud.dmn")]
    with uow_factory() as uow:
        problems = definitions.check_definition(uow=uow, actor=wf_actors["admin"], key=LOAN, bpmn_xml=bpmn,
                                                dmn_xmls=dmns)
    assert problems == []
    saved = _save(uow_factory, wf_actors["admin"], bpmn, dmns, note="from Camunda Modeler")
    assert saved.version == 2
    # ... and runs: new applications start on it, are routed by its tables and decided in its steps.
    from workflow_helpers import decide, instance

    small = start_loan(uow_factory, wf_actors["rm_a1"], amount=200_000)
    assert list(open_tasks(uow_factory, small)) == ["Activity_1wl0z3r"]
    decide(uow_factory, wf_actors["approver_a"], open_tasks(uow_factory, small)["Activity_1wl0z3r"], "approve")
    assert (instance(uow_factory, small).status, instance(uow_factory, small).outcome) == ("ended", "approved")
    larger = start_loan(uow_factory, wf_actors["rm_a1"], amount=2_000_000)
    tasks = open_tasks(uow_factory, larger)
    assert list(tasks) == ["Activity_0r2dtb7"]
    decide(uow_factory, wf_actors["bm_a"], tasks["Activity_0r2dtb7"], "reject", "收入不足")
    assert instance(uow_factory, larger).outcome == "rejected"


@pytest.fixture
def shipped():
    return definitions.shipped_documents(LOAN)


def test_a_definition_that_does_not_parse_is_refused(uow_factory, wf_actors, shipped, connection):
    bpmn, dmns = shipped
    with uow_factory() as uow:
        definitions.list_definitions(uow=uow, actor=wf_actors["admin"])  # installs version 1
        uow.commit()
    before = _versions(connection)
    assert _problems(uow_factory, wf_actors["admin"], bpmn[: len(bpmn) // 2], dmns) == ["workflow.def.xml_syntax"]
    assert _problems(uow_factory, wf_actors["admin"], bpmn, [dmns[0][:300], *dmns[1:]])[0] == "workflow.def.xml_syntax"
    assert _versions(connection) == before


def test_a_cycle_with_no_exit_is_refused(uow_factory, wf_actors, shipped):
    bpmn, dmns = shipped
    # Approved and rejected both go back to the maker: once decided, the process can never end.
    looped = (bpmn.replace('sourceRef="Gateway_Outcome" targetRef="End_Approved"',
                           'sourceRef="Gateway_Outcome" targetRef="Task_Revise"')
              .replace('sourceRef="Gateway_Outcome" targetRef="End_Rejected"',
                       'sourceRef="Gateway_Outcome" targetRef="Task_Revise"'))
    with pytest.raises(DefinitionRejected) as err:
        _save(uow_factory, wf_actors["admin"], looped, dmns)
    codes = [p.code for p in err.value.problems]
    assert "workflow.def.cycle_without_exit" in codes
    assert "Revise and resubmit (Task_Revise)" in err.value.message("en")
    assert "循环没有出口" in err.value.message("zh_CN")


def test_an_unreachable_step_is_refused(uow_factory, wf_actors, shipped):
    bpmn, dmns = shipped
    orphan = bpmn.replace(
        '<bpmn:sequenceFlow id="Flow_ToRoute"',
        '<bpmn:userTask id="Task_Orphan" name="Forgotten check" camunda:candidateGroups="approver">'
        '<bpmn:outgoing>Flow_Orphan</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:sequenceFlow id="Flow_Orphan" sourceRef="Task_Orphan" targetRef="Gateway_Merge" />'
        '<bpmn:sequenceFlow id="Flow_ToRoute"')
    with pytest.raises(DefinitionRejected) as err:
        _save(uow_factory, wf_actors["admin"], orphan, dmns)
    assert [p.code for p in err.value.problems] == ["workflow.def.unreachable"]
    assert "Forgotten check (Task_Orphan) can never be reached" in err.value.message("en")


def test_a_role_that_does_not_exist_is_refused(uow_factory, wf_actors, shipped):
    bpmn, dmns = shipped
    bad = bpmn.replace('camunda:candidateGroups="approver"', 'camunda:candidateGroups="janitor"')
    with pytest.raises(DefinitionRejected) as err:
        _save(uow_factory, wf_actors["admin"], bad, dmns)
    assert [p.code for p in err.value.problems] == ["workflow.def.unknown_role"]
    assert "“janitor” does not exist" in err.value.message("en")
    # A role that exists but may not approve is refused too.
    rm = bpmn.replace('camunda:candidateGroups="approver"', 'camunda:candidateGroups="rm"')
    assert _problems(uow_factory, wf_actors["admin"], rm, dmns) == ["workflow.def.role_cannot_approve"]


def test_scripts_are_refused(uow_factory, wf_actors, shipped):
    bpmn, dmns = shipped
    script = bpmn.replace('<bpmn:sequenceFlow id="Flow_ToRoute"',
                          '<bpmn:scriptTask id="Task_Script" name="Run code"><bpmn:script>import os</bpmn:script>'
                          '</bpmn:scriptTask><bpmn:sequenceFlow id="Flow_ToRoute"')
    codes = _problems(uow_factory, wf_actors["admin"], script, dmns)
    assert "workflow.def.script_task" in codes


def test_the_parameters_form_saves_a_new_version_that_routes_by_the_new_threshold(uow_factory, wf_actors):
    admin = wf_actors["admin"]
    with uow_factory() as uow:
        params = definitions.read_parameters(uow=uow, actor=admin, key=LOAN)
    routing = next(t for t in params.tables if t.decision_id == "loan_routing")
    branch_row = next(r for r in routing.rows if r[-1] == '"branch"')
    assert branch_row[0] == "<= 500000"
    rows = [[("<= 200000" if r is branch_row and i == 0 else c) for i, c in enumerate(r)] for r in routing.rows]
    steps = [{"id": s.id, "role": s.role, "sla_hours": s.sla_hours, "escalate_to": s.escalate_to}
             for s in params.steps]
    with uow_factory() as uow:
        saved = definitions.save_parameters(uow=uow, actor=admin, key=LOAN, steps=steps,
                                            tables=[{"decision_id": "loan_routing", "rows": rows,
                                                     "descriptions": routing.descriptions}], note="lower limit")
        uow.commit()
    assert saved.version == 2
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)
    assert set(open_tasks(uow_factory, inst)) == {"Task_ManagerSignoff", "Task_CreditSignoff"}
    # A role typed into the form that does not exist is refused like any other definition.
    steps[0]["role"] = "janitor"
    with uow_factory() as uow, pytest.raises(DefinitionRejected):
        definitions.save_parameters(uow=uow, actor=admin, key=LOAN, steps=steps, tables=[])
