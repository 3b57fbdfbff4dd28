"""Workflow definitions and their versions: what admins see and change, and what new instances start on.

A definition is its BPMN document and its DMN documents, saved together as a version. A version is never
changed: saving (from the modeler, or from the plain form of everyday parameters) validates the whole
definition (services/workflows/validation.py) and adds the next version, or refuses with every problem
named; instances keep the version they started on. The firm's two definitions ship with FinCRM
(services/workflows/definitions/*.bpmn, *.dmn) and are installed as version 1 the first time they are
needed, by the system, audited like any other version.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from services import clock
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, ValidationFailed
from services.i18n import translate
from services.security import audit
from services.security.actor import SYSTEM, Actor
from services.security.policy import Permission, requires
from services.validation.text import text_problem
from services.workflows import engine, parameters, validation
from services.workflows.kinds import KINDS, Kind
from services.workflows.models import InstanceStatus, WorkflowDefinition, WorkflowInstance, WorkflowVersion
from services.workflows.validation import Problem
from services.workflows.views import DefinitionView, ProblemView, VersionSummary, VersionView

SHIPPED_DIR = Path(__file__).with_name("definitions")
MAX_NOTE = 300


class DefinitionRejected(DomainError):
    """A definition that may not be saved: every problem, each naming the element at fault."""

    code = "workflow.definition_invalid"
    http_status = 422

    def __init__(self, problems: list[Problem]):
        super().__init__()
        self.problems = problems

    def message(self, locale: str) -> str:
        return translate(self.code, locale, problems=" ".join(
            translate(p.code, locale, **p.params) for p in self.problems))

    def views(self, locale: str) -> list[ProblemView]:
        return [ProblemView(code=p.code, message=translate(p.code, locale, **p.params)) for p in self.problems]


class Unchanged(DomainError):
    code = "workflow.def.unchanged"
    http_status = 409


# The definitions FinCRM ships: key -> (kind, zh name, en name, BPMN file, DMN files).
SHIPPED: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "loan_approval": ("loan", "贷款审批", "Loan approval", "loan_approval.bpmn",
                      ("loan_routing.dmn", "loan_authority.dmn", "loan_scorecard.dmn", "loan_grade.dmn",
                       "loan_fraud.dmn")),
    "underwriting": ("underwriting", "保险核保", "Insurance underwriting", "underwriting.bpmn",
                     ("uw_triage.dmn", "uw_authority.dmn")),
}
KEY_OF_KIND = {kind: key for key, (kind, *_rest) in SHIPPED.items()}


def shipped_documents(key: str) -> tuple[str, list[str]]:
    _kind, _zh, _en, bpmn, dmns = SHIPPED[key]
    return (SHIPPED_DIR / bpmn).read_text(encoding="utf-8"), [(SHIPPED_DIR / d).read_text(encoding="utf-8")
                                                               for d in dmns]


def digest(bpmn_xml: str, dmn_xmls: list[str]) -> str:
    return hashlib.sha256(json.dumps([bpmn_xml, dmn_xmls], ensure_ascii=False).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- lookups (used by instances and the subjects)

def definition(session: Session, key: str) -> WorkflowDefinition:
    """The definition `key`, installing the shipped one the first time it is needed."""
    found = session.execute(select(WorkflowDefinition).where(WorkflowDefinition.key == key)).scalar_one_or_none()
    if found is not None:
        return found
    if key not in SHIPPED:
        raise NotFound(what="workflow_definition", id=key)
    kind, zh, en, _bpmn, _dmns = SHIPPED[key]
    found = WorkflowDefinition(key=key, kind=kind, name=zh, name_en=en, created_at=clock.now())
    session.add(found)
    session.flush()
    bpmn_xml, dmn_xmls = shipped_documents(key)
    _add_version(session, SYSTEM, found, bpmn_xml, dmn_xmls, "shipped with FinCRM")
    return found


def current_version(session: Session, key: str) -> WorkflowVersion:
    d = definition(session, key)
    return session.execute(select(WorkflowVersion).where(WorkflowVersion.definition_id == d.id)
                           .order_by(WorkflowVersion.version.desc()).limit(1)).scalar_one()


def compiled_version(version: WorkflowVersion) -> engine.Compiled:
    return engine.compiled(version.id, version.bpmn_xml, list(version.dmn_xmls))


def kind_of(session: Session, definition_id: int) -> Kind:
    return KINDS[session.get(WorkflowDefinition, definition_id).kind]


def _add_version(session: Session, actor: Actor, d: WorkflowDefinition, bpmn_xml: str, dmn_xmls: list[str],
                 note: str) -> WorkflowVersion:
    last = session.execute(select(func.max(WorkflowVersion.version)).where(
        WorkflowVersion.definition_id == d.id)).scalar() or 0
    sha = digest(bpmn_xml, dmn_xmls)
    v = WorkflowVersion(definition_id=d.id, version=last + 1, bpmn_xml=bpmn_xml, dmn_xmls=list(dmn_xmls), sha256=sha,
                        note=note or None, created_by=actor.id if actor.kind == "user" else None,
                        created_by_name=(actor.display_name or actor.name)[:100], created_at=clock.now())
    session.add(v)
    session.flush()
    audit.record(session, actor, "workflow.version_saved", entity_type="workflow_definition", entity_id=d.id,
                 changes={"key": d.key, "version": v.version, "sha256": sha, "note": note or "",
                          "bpmn_bytes": len(bpmn_xml.encode("utf-8")), "dmn_documents": len(dmn_xmls)})
    return v


# ---------------------------------------------------------------- input

def _key(value: Any) -> str:
    if not isinstance(value, str) or value not in SHIPPED:
        raise ValidationFailed([FieldError("definition", "value.invalid_choice",
                                           {"choices": ", ".join(sorted(SHIPPED))})])
    return value


def _documents(bpmn_xml: Any, dmn_xmls: Any) -> tuple[str, list[str]]:
    """The documents as text; anything else is one of the validator's problems (it names it)."""
    if not isinstance(bpmn_xml, str):
        raise DefinitionRejected([Problem("workflow.def.xml_refused", {"document": "BPMN", "reason": "not text"})])
    if not isinstance(dmn_xmls, list) or not all(isinstance(d, str) for d in dmn_xmls):
        raise DefinitionRejected([Problem("workflow.def.dmn_list")])
    docs = [bpmn_xml.lstrip("\ufeff"), *[d.lstrip("\ufeff") for d in dmn_xmls]]
    for i, doc in enumerate(docs):
        # Tabs and line breaks are what XML is made of; other invisible characters would let a name show
        # as something other than what is stored.
        problem = text_problem(doc.replace("\t", " "))
        if problem:
            name = "BPMN" if i == 0 else f"DMN {i}"
            raise DefinitionRejected([Problem("workflow.def.xml_refused", {"document": name,
                                                                            "reason": translate(problem, "en")})])
    return docs[0], docs[1:]


def _note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str) or len(note) > MAX_NOTE or text_problem(note):
        raise ValidationFailed([FieldError("note", "value.invalid")])
    return note.strip()


# ---------------------------------------------------------------- use cases

@requires(Permission.WORKFLOW_MANAGE)
def list_definitions(*, uow: UnitOfWork, actor: Actor) -> list[DefinitionView]:
    s = uow.session
    out = []
    for key in SHIPPED:
        d = definition(s, key)
        current, count = s.execute(select(func.max(WorkflowVersion.version), func.count()).where(
            WorkflowVersion.definition_id == d.id)).one()
        running = s.execute(select(func.count()).select_from(WorkflowInstance).where(
            WorkflowInstance.definition_id == d.id, WorkflowInstance.status == InstanceStatus.RUNNING)).scalar()
        out.append(DefinitionView(key=d.key, kind=d.kind, name=d.name, name_en=d.name_en, current_version=current,
                                  versions=count, running=running))
    return out


@requires(Permission.WORKFLOW_MANAGE)
def list_versions(*, uow: UnitOfWork, actor: Actor, key: Any) -> list[VersionSummary]:
    s = uow.session
    d = definition(s, _key(key))
    running = dict(s.execute(select(WorkflowInstance.version_id, func.count()).where(
        WorkflowInstance.definition_id == d.id, WorkflowInstance.status == InstanceStatus.RUNNING)
        .group_by(WorkflowInstance.version_id)).all())
    rows = s.execute(select(WorkflowVersion.id, WorkflowVersion.version, WorkflowVersion.note,
                            WorkflowVersion.created_by_name, WorkflowVersion.created_at)
                     .where(WorkflowVersion.definition_id == d.id).order_by(WorkflowVersion.version.desc())).all()
    top = rows[0].version if rows else 0
    return [VersionSummary(id=r.id, version=r.version, note=r.note or "", created_by=r.created_by_name,
                           created_at=r.created_at, running=running.get(r.id, 0), current=r.version == top)
            for r in rows]


@requires(Permission.WORKFLOW_MANAGE)
def get_version(*, uow: UnitOfWork, actor: Actor, key: Any, version: Any = None) -> VersionView:
    s = uow.session
    d = definition(s, _key(key))
    q = select(WorkflowVersion).where(WorkflowVersion.definition_id == d.id)
    top = s.execute(select(func.max(WorkflowVersion.version)).where(WorkflowVersion.definition_id == d.id)).scalar()
    if version is None:
        q = q.where(WorkflowVersion.version == top)
    else:
        if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 2**31:
            raise ValidationFailed([FieldError("version", "value.invalid")])
        q = q.where(WorkflowVersion.version == version)
    v = s.execute(q).scalar_one_or_none()
    if v is None:
        raise NotFound(what="workflow_version", id=version)
    names = []
    for doc in v.dmn_xmls:
        try:
            root = engine.parse_xml(doc)
            ns = root.nsmap.get(None) or root.nsmap.get("dmn")
            names.extend((x.get("id"), x.get("name") or x.get("id")) for x in root.iter(f"{{{ns}}}decision"))
        except Exception:  # noqa: BLE001 - a saved version was validated; show what can be read
            names.append(("?", "?"))
    return VersionView(key=d.key, kind=d.kind, name=d.name, name_en=d.name_en, id=v.id, version=v.version,
                       note=v.note or "", created_by=v.created_by_name, created_at=v.created_at, sha256=v.sha256,
                       bpmn_xml=v.bpmn_xml, dmn_xmls=list(v.dmn_xmls), decisions=names, current=v.version == top)


@requires(Permission.WORKFLOW_MANAGE)
def check_definition(*, uow: UnitOfWork, actor: Actor, key: Any, bpmn_xml: Any, dmn_xmls: Any) -> list[Problem]:
    """The problems a draft has (empty: it may be saved). Nothing is written."""
    d = definition(uow.session, _key(key))
    try:
        bpmn, dmns = _documents(bpmn_xml, dmn_xmls)
    except DefinitionRejected as exc:
        return exc.problems
    return validation.check(bpmn, dmns, KINDS[d.kind])


@requires(Permission.WORKFLOW_MANAGE)
def save_version(*, uow: UnitOfWork, actor: Actor, key: Any, bpmn_xml: Any, dmn_xmls: Any,
                 note: Any = None) -> VersionView:
    """Validate the whole definition and save it as the next version; refuse with every problem otherwise.
    Running instances keep their versions; new ones start on this one."""
    s = uow.session
    d = definition(s, _key(key))
    note_text = _note(note)
    bpmn, dmns = _documents(bpmn_xml, dmn_xmls)
    problems = validation.check(bpmn, dmns, KINDS[d.kind])
    if problems:
        raise DefinitionRejected(problems)
    if digest(bpmn, dmns) == current_version(s, d.key).sha256:
        raise Unchanged()
    v = _add_version(s, actor, d, bpmn, dmns, note_text)
    return get_version.__wrapped__(uow=uow, actor=actor, key=d.key, version=v.version)


@requires(Permission.WORKFLOW_MANAGE)
def read_parameters(*, uow: UnitOfWork, actor: Actor, key: Any, bpmn_xml: Any = None,
                    dmn_xmls: Any = None) -> parameters.Parameters:
    """The everyday parameters of the current version, or of a draft (the modeler's unsaved changes)."""
    s = uow.session
    d = definition(s, _key(key))
    if bpmn_xml is None:
        v = current_version(s, d.key)
        bpmn, dmns = v.bpmn_xml, list(v.dmn_xmls)
    else:
        bpmn, dmns = _documents(bpmn_xml, dmn_xmls)
    try:
        return parameters.read(bpmn, dmns)
    except Exception as exc:  # noqa: BLE001 - a draft that does not parse: the validator's words
        problems = validation.check(bpmn, dmns, KINDS[d.kind]) or [
            Problem("workflow.def.engine", {"reason": str(exc)[:200]})]
        raise DefinitionRejected(problems) from None


@requires(Permission.WORKFLOW_MANAGE)
def apply_parameters(*, uow: UnitOfWork, actor: Actor, key: Any, steps: Any, tables: Any, bpmn_xml: Any = None,
                     dmn_xmls: Any = None) -> tuple[str, list[str]]:
    """The definition (current version, or the given draft) with the form's values written in: a draft to
    look at or save. Nothing is written."""
    s = uow.session
    d = definition(s, _key(key))
    if bpmn_xml is None:
        v = current_version(s, d.key)
        bpmn, dmns = v.bpmn_xml, list(v.dmn_xmls)
    else:
        bpmn, dmns = _documents(bpmn_xml, dmn_xmls)
    try:
        return parameters.apply(bpmn, dmns, steps, tables)
    except parameters.ParameterError as exc:
        raise ValidationFailed([FieldError(exc.field, exc.code)]) from None


@requires(Permission.WORKFLOW_MANAGE)
def save_parameters(*, uow: UnitOfWork, actor: Actor, key: Any, steps: Any, tables: Any,
                    note: Any = None) -> VersionView:
    """The plain form: the current version with new parameters, validated and saved as the next version."""
    bpmn, dmns = apply_parameters.__wrapped__(uow=uow, actor=actor, key=key, steps=steps, tables=tables)
    return save_version.__wrapped__(uow=uow, actor=actor, key=key, bpmn_xml=bpmn, dmn_xmls=dmns, note=note)


def problem_dicts(problems: list[Problem], locale: str) -> list[dict]:
    return [asdict(ProblemView(code=p.code, message=translate(p.code, locale, **p.params))) for p in problems]
