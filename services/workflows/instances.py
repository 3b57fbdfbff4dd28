"""Running instances: starting one, deciding its approval tasks, the maker's resubmission, withdrawal.

What happens when someone decides a task, in one transaction:
1. the instance row is locked (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the unit of work already holds the
   database's write lock), and the task re-read under that lock: of two approvers acting at once, the second
   finds the task decided and is told by whom (`AlreadyDecided`, 409), with nothing changed;
2. who may act: the task's role (or the role it was escalated to) held by the actor, or by someone who
   delegated to him for now, within the role's data scope (a branch role: the item's branch);
3. maker-checker: whoever started the item or last changed it may not decide it, neither himself nor through
   a delegate; and one person signs once per round (countersigning needs two people);
4. authority (to approve): the definition's authority matrix (DMN: role x product type x risk grade ->
   maximum amount) for the role acted in must cover the item's amount;
5. the engine completes the task (its decision in the instance's `decisions`), and runs to the next wait;
   a rejection or a return by one countersigner closes the other open tasks of the round as withdrawn;
6. the task rows follow the engine (new waits become tasks with their SLA), the state is stored under
   optimistic concurrency (`revision`), the decision is audited, and the domain events go out (the subject's
   domain hears of a return or of the end).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import Session

from services import clock
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, NotPermitted, OutOfScope, Refusal, ValidationFailed
from services.events import bus
from services.i18n import format_datetime, format_money, translate
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, Scope, ROLE_SCOPE, requires
from services.validation.input import whole_number
from services.validation.text import text_problem
from services.workflows import definitions, engine, validation
from services.workflows.events import (ApprovalDecided, ApprovalTaskOpened, WorkflowEnded, WorkflowReturned)
from services.workflows.kinds import KINDS
from services.workflows.models import (ApprovalDelegation, ApprovalTask, Decision, InstanceStatus, TaskStatus,
                                       WorkflowDefinition, WorkflowInstance, WorkflowVersion)
from services.workflows.views import DecisionResult, StepView

MAX_COMMENT = 2000
DECISIONS = (Decision.APPROVE, Decision.REJECT, Decision.RETURN)
REMINDER_SHARE = 0.75  # a reminder when three quarters of the SLA have passed


# ---------------------------------------------------------------- errors

class AlreadyDecided(DomainError):
    code = "workflow.already_decided"
    http_status = 409


class InstanceClosed(DomainError):
    code = "workflow.instance_closed"
    http_status = 409


class MakerCannotApprove(Refusal):
    code = "workflow.maker_cannot_approve"
    http_status = 403


class SameSigner(Refusal):
    code = "workflow.same_signer"
    http_status = 403


class NoAuthority(Refusal):
    code = "workflow.no_authority"
    http_status = 403


class NotReturned(DomainError):
    code = "workflow.not_returned"
    http_status = 409


# ---------------------------------------------------------------- who may act

@dataclass(frozen=True)
class Grant:
    """A role the actor may act in now: his own, or one of someone who delegated to him."""

    role: str
    branch_id: int | None  # None: every branch (a head-office role)
    on_behalf_of: int | None = None
    on_behalf_of_name: str | None = None


def _role_grants(roles, branch_id: int | None, approvers: set[str], **extra) -> list[Grant]:
    out = []
    for r in sorted(roles):
        if r not in approvers:
            continue
        scope = ROLE_SCOPE.get(r, Scope.NONE)
        if scope is Scope.ALL:
            out.append(Grant(r, None, **extra))
        elif scope is Scope.BRANCH and branch_id is not None:
            out.append(Grant(r, branch_id, **extra))
    return out


def grants(session: Session, actor: Actor) -> list[Grant]:
    """Every role in which the actor may act on approval tasks now, his own first."""
    if actor.kind != "user" or actor.id is None:
        return []
    approvers = validation.approver_roles()
    out = _role_grants(actor.roles, actor.branch_id, approvers)
    now = clock.now()
    rows = session.execute(
        select(ApprovalDelegation.delegator_id, User.roles, User.branch_id, User.display_name)
        .join(User, User.id == ApprovalDelegation.delegator_id)
        .where(ApprovalDelegation.delegate_id == actor.id, ApprovalDelegation.revoked_at.is_(None),
               ApprovalDelegation.starts_at <= now, ApprovalDelegation.ends_at > now, User.is_active.is_(True))
        .order_by(ApprovalDelegation.id)).all()
    for delegator_id, roles, branch_id, name in rows:
        out.extend(_role_grants(roles or [], branch_id, approvers, on_behalf_of=delegator_id,
                                on_behalf_of_name=name))
    return out


def grant_condition(gs: list[Grant]):
    """SQL: open role tasks any of these grants may act on (task joined with its instance)."""
    if not gs:
        return None
    clauses = []
    for g in gs:
        role_match = or_(ApprovalTask.role == g.role, ApprovalTask.escalated_to == g.role)
        clauses.append(role_match if g.branch_id is None else and_(role_match,
                                                                    WorkflowInstance.branch_id == g.branch_id))
    return or_(*clauses)


def grant_for(gs: list[Grant], task: ApprovalTask, inst: WorkflowInstance) -> Grant | None:
    for g in gs:
        if (task.role == g.role or task.escalated_to == g.role) and (g.branch_id is None or
                                                                     g.branch_id == inst.branch_id):
            return g
    return None


def makers(inst: WorkflowInstance) -> set[int]:
    return {u for u in (inst.started_by, inst.last_edited_by) if u is not None}


# ---------------------------------------------------------------- engine <-> rows

def _version(session: Session, inst: WorkflowInstance) -> WorkflowVersion:
    return session.get(WorkflowVersion, inst.version_id)


def _sync_tasks(session: Session, inst: WorkflowInstance, c: engine.Compiled, wf, now: datetime) -> list[ApprovalTask]:
    """Task rows for every user task the engine now waits on; returns the new ones."""
    waiting = engine.waiting(wf)
    known = {t.engine_task_id for t in session.execute(select(ApprovalTask).where(
        ApprovalTask.instance_id == inst.id, ApprovalTask.status == TaskStatus.OPEN)).scalars()}
    created = []
    for w in waiting:
        if w.task_id in known:
            continue
        step = c.steps.get(w.step_id)
        if step is None:
            continue
        sla = step.sla_hours
        task = ApprovalTask(instance_id=inst.id, engine_task_id=w.task_id, step_id=step.id,
                            step_name=step.name[:200], role=step.candidate_groups[0] if step.candidate_groups else None,
                            assignee_id=inst.owner_id if not step.candidate_groups else None, round=inst.round,
                            status=TaskStatus.OPEN, opened_at=now,
                            due_at=now + timedelta(hours=sla) if sla else None)
        session.add(task)
        created.append(task)
    session.flush()
    for task in created:
        bus.publish(session, ApprovalTaskOpened(task_id=task.id, instance_id=inst.id, role=task.role))
    return created


def _store(session: Session, inst: WorkflowInstance, wf, now: datetime) -> None:
    """The new engine state, under optimistic concurrency (the row is locked too; this is the backstop)."""
    state = engine.dump(wf)
    done = session.execute(update(WorkflowInstance).where(
        WorkflowInstance.id == inst.id, WorkflowInstance.revision == inst.revision).values(
        state=state, revision=inst.revision + 1, updated_at=now)).rowcount
    if done != 1:
        from services.errors import ConcurrentModification

        raise ConcurrentModification()
    session.expire(inst)


def _finish(session: Session, actor: Actor, inst: WorkflowInstance, c: engine.Compiled, wf, now: datetime) -> None:
    end = engine.ended_at(wf)
    if end is None:
        return
    outcome = c.end_outcomes.get(end) or end
    session.execute(update(WorkflowInstance).where(WorkflowInstance.id == inst.id).values(
        status=InstanceStatus.ENDED, outcome=outcome, ended_at=now))
    session.execute(update(ApprovalTask).where(ApprovalTask.instance_id == inst.id,
                                               ApprovalTask.status == TaskStatus.OPEN).values(
        status=TaskStatus.CANCELLED))
    audit.record(session, actor, "workflow.ended", entity_type="workflow_instance", entity_id=inst.id,
                 changes={"subject": f"{inst.subject_type}:{inst.subject_id}", "outcome": outcome, "end": end})
    bus.publish(session, WorkflowEnded(instance_id=inst.id, subject_type=inst.subject_type,
                                       subject_id=inst.subject_id, outcome=outcome))


def _route(wf) -> str | None:
    data = engine.data(wf)
    value = data.get("route") or data.get("outcome")
    return str(value)[:64] if value is not None else None


def _plain(value: Any) -> Any:
    """Engine data is JSON: amounts as numbers (Decimal is not JSON)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- starting (the subject domains call these)

@dataclass(frozen=True)
class Subject:
    """What an item is, for the inbox and the authority matrix."""

    subject_type: str
    subject_id: int
    subject_ref: str
    customer_id: int | None
    branch_id: int | None
    product_type: str
    risk_grade: str | None
    amount: Decimal
    owner_id: int | None  # who revises the item when it is returned (its maker, or the customer's RM)


def start(session: Session, actor: Actor, *, kind: str, subject: Subject, data: dict[str, Any]) -> WorkflowInstance:
    """Start the kind's current definition version for `subject`, with `data` on its start event. Called by
    the subject domain's use case (which checked its own permission) in its transaction."""
    key = definitions.KEY_OF_KIND[kind]
    version = definitions.current_version(session, key)
    c = definitions.compiled_version(version)
    now = clock.now()
    maker = actor.id if actor.kind == "user" else None
    start_data = _plain({**data, "decisions": {}, "initiator": subject.owner_id, "amount": subject.amount,
                         "product_type": subject.product_type})
    wf = engine.start(c, start_data)
    inst = WorkflowInstance(definition_id=version.definition_id, version_id=version.id,
                            subject_type=subject.subject_type, subject_id=subject.subject_id,
                            subject_ref=subject.subject_ref[:40], customer_id=subject.customer_id,
                            branch_id=subject.branch_id, product_type=subject.product_type,
                            risk_grade=(engine.data(wf).get("risk_grade") or subject.risk_grade),
                            amount=subject.amount, status=InstanceStatus.RUNNING, route=_route(wf),
                            started_by=maker, started_by_name=(actor.display_name or actor.name)[:100],
                            last_edited_by=maker, owner_id=subject.owner_id, round=1, state=engine.dump(wf),
                            revision=1, started_at=now, updated_at=now)
    session.add(inst)
    session.flush()
    _sync_tasks(session, inst, c, wf, now)
    audit.record(session, actor, "workflow.started", entity_type="workflow_instance", entity_id=inst.id,
                 changes={"subject": f"{subject.subject_type}:{subject.subject_id}", "definition": key,
                          "version": version.version, "route": inst.route})
    _finish(session, actor, inst, c, wf, now)
    return inst


def resubmit(session: Session, actor: Actor, *, instance_id: int, data: dict[str, Any], amount: Decimal,
             risk_grade: str | None) -> WorkflowInstance:
    """The maker's answer to a return: the item's new facts go into the instance, which routes again. The
    actor becomes the item's last editor (so he may not decide it either)."""
    inst = _lock(session, instance_id)
    if inst.status != InstanceStatus.RUNNING:
        raise InstanceClosed(outcome=_outcome_words(inst, "en"))
    task = session.execute(select(ApprovalTask).where(
        ApprovalTask.instance_id == inst.id, ApprovalTask.status == TaskStatus.OPEN,
        ApprovalTask.role.is_(None))).scalars().first()
    if task is None:
        raise NotReturned()
    c = definitions.compiled_version(_version(session, inst))
    wf = engine.load(c, inst.state)
    now = clock.now()
    engine.complete(wf, task.engine_task_id, _plain({**data, "decisions": {}, "decision": None, "approved": False,
                                                      "amount": amount}))
    task.status, task.decision, task.decided_at = TaskStatus.DONE, Decision.RESUBMIT, now
    task.decided_by = actor.id if actor.kind == "user" else None
    task.decided_by_name = (actor.display_name or actor.name)[:100]
    editor = actor.id if actor.kind == "user" else inst.last_edited_by
    _store(session, inst, wf, now)
    session.execute(update(WorkflowInstance).where(WorkflowInstance.id == inst.id).values(
        round=WorkflowInstance.round + 1, amount=amount, risk_grade=risk_grade, last_edited_by=editor,
        route=_route(wf)))
    session.refresh(inst)
    _sync_tasks(session, inst, c, wf, now)
    audit.record(session, actor, "workflow.resubmitted", entity_type="workflow_instance", entity_id=inst.id,
                 changes={"subject": f"{inst.subject_type}:{inst.subject_id}", "round": inst.round,
                          "route": inst.route})
    _finish(session, actor, inst, c, wf, now)
    return inst


def cancel(session: Session, actor: Actor, *, instance_id: int, reason: str) -> WorkflowInstance:
    """Withdraw a running instance (its maker withdrew the item): open tasks are cancelled."""
    inst = _lock(session, instance_id)
    if inst.status != InstanceStatus.RUNNING:
        raise InstanceClosed(outcome=_outcome_words(inst, "en"))
    now = clock.now()
    c = definitions.compiled_version(_version(session, inst))
    wf = engine.load(c, inst.state)
    wf.cancel()
    _store(session, inst, wf, now)
    session.execute(update(WorkflowInstance).where(WorkflowInstance.id == inst.id).values(
        status=InstanceStatus.CANCELLED, outcome="cancelled", ended_at=now))
    session.execute(update(ApprovalTask).where(ApprovalTask.instance_id == inst.id,
                                               ApprovalTask.status == TaskStatus.OPEN).values(
        status=TaskStatus.CANCELLED))
    audit.record(session, actor, "workflow.cancelled", entity_type="workflow_instance", entity_id=inst.id,
                 changes={"subject": f"{inst.subject_type}:{inst.subject_id}", "reason": reason[:300]})
    bus.publish(session, WorkflowEnded(instance_id=inst.id, subject_type=inst.subject_type,
                                       subject_id=inst.subject_id, outcome="cancelled"))
    session.refresh(inst)
    return inst


def _lock(session: Session, instance_id: int) -> WorkflowInstance:
    inst = session.execute(select(WorkflowInstance).where(WorkflowInstance.id == instance_id)
                           .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if inst is None:
        raise NotFound(what="workflow_instance", id=instance_id)
    return inst


def _outcome_words(inst: WorkflowInstance, locale: str) -> str:
    return translate(f"workflow.outcome.{inst.outcome}", locale) if inst.outcome else inst.status


# ---------------------------------------------------------------- authority

def authority_limit(session: Session, inst: WorkflowInstance, role: str) -> Decimal:
    """The most `role` may approve of this item, from its version's authority matrix."""
    version = _version(session, inst)
    c = definitions.compiled_version(version)
    kind = definitions.kind_of(session, inst.definition_id)
    found = engine.decide(c, kind.authority_decision, {"role": role, "product_type": inst.product_type,
                                                       "risk_grade": inst.risk_grade or ""})
    if not found:
        return Decimal(0)
    try:
        return Decimal(str(found[0].get("max_amount") or 0))
    except ArithmeticError:
        return Decimal(0)


# ---------------------------------------------------------------- deciding (the inbox's use case)

def _decision(value: Any) -> str:
    if not isinstance(value, str) or value not in DECISIONS:
        raise ValidationFailed([FieldError("decision", "workflow.decision_invalid")])
    return value


def _comment(value: Any, decision: str) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise ValidationFailed([FieldError("comment", "value.too_long", {"max": MAX_COMMENT})])
    problem = text_problem(value.replace("\t", " "))
    if problem:
        raise ValidationFailed([FieldError("comment", problem)])
    value = value.strip()
    if decision in (Decision.REJECT, Decision.RETURN) and not value:
        raise ValidationFailed([FieldError("comment", "workflow.comment_required")])
    return value


@requires(Permission.APPROVAL_DECIDE)
def decide(*, uow: UnitOfWork, actor: Actor, task_id: Any, decision: Any, comment: Any = None) -> DecisionResult:
    """Approve, reject or return an approval task, with a comment (required to reject or return)."""
    s = uow.session
    tid = whole_number(task_id, low=1, high=2**31)
    if tid is None:
        raise ValidationFailed([FieldError("task_id", "value.invalid")])
    chosen = _decision(decision)
    text = _comment(comment, chosen)
    peek = s.get(ApprovalTask, tid)
    if peek is None or peek.role is None:
        raise NotFound(what="approval_task", id=tid)
    inst = _lock(s, peek.instance_id)  # every decision on this instance waits here for the one before it
    task = s.execute(select(ApprovalTask).where(ApprovalTask.id == tid)
                     .execution_options(populate_existing=True)).scalar_one()
    mine = grants(s, actor)
    grant = grant_for(mine, task, inst)
    if grant is None:
        # Not one of his: answered as "not found" (which tasks exist elsewhere is not his to learn), audited.
        raise OutOfScope(actor=actor, entity_type="approval_task", entity_id=tid, what="approval_task", id=tid)
    if task.status != TaskStatus.OPEN:
        raise AlreadyDecided(who=task.decided_by_name or "-", at=format_datetime(task.decided_at, actor.locale),
                             decision=translate(f"workflow.decision.{task.decision}", actor.locale))
    if inst.status != InstanceStatus.RUNNING:
        raise InstanceClosed(outcome=_outcome_words(inst, actor.locale))
    if actor.id in makers(inst) or (grant.on_behalf_of is not None and grant.on_behalf_of in makers(inst)):
        raise MakerCannotApprove(actor=actor, entity_type="approval_task", entity_id=tid,
                                 audit_details={"instance": inst.id, "rule": "maker_checker"})
    signed = s.execute(select(ApprovalTask.id).where(
        ApprovalTask.instance_id == inst.id, ApprovalTask.round == inst.round, ApprovalTask.id != task.id,
        ApprovalTask.status == TaskStatus.DONE, ApprovalTask.role.is_not(None),
        or_(ApprovalTask.decided_by == actor.id,
            and_(ApprovalTask.on_behalf_of.is_not(None), ApprovalTask.on_behalf_of == grant.on_behalf_of))
    ).limit(1)).first()
    if signed is not None:
        raise SameSigner(actor=actor, entity_type="approval_task", entity_id=tid,
                         audit_details={"instance": inst.id, "rule": "four_eyes"})
    if chosen == Decision.APPROVE:
        limit = authority_limit(s, inst, grant.role)
        if inst.amount > limit:
            loc = actor.locale
            raise NoAuthority(actor=actor, entity_type="approval_task", entity_id=tid,
                              audit_details={"instance": inst.id, "role": grant.role, "limit": str(limit),
                                             "amount": str(inst.amount)},
                              role=translate(f"role.{grant.role}", loc),
                              product=translate(f"product.{inst.product_type}", loc), grade=inst.risk_grade or "-",
                              limit=format_money(limit, "CNY", loc), amount=format_money(inst.amount, "CNY", loc))

    now = clock.now()
    version = _version(s, inst)
    c = definitions.compiled_version(version)
    wf = engine.load(c, inst.state)
    waiting = {w.task_id: w for w in engine.waiting(wf)}
    own = waiting.get(task.engine_task_id)
    if own is None:  # the rows and the engine disagree: never decide blind
        from services.errors import ConcurrentModification

        raise ConcurrentModification()
    engine.complete(wf, task.engine_task_id, {"decisions": {**own.data.get("decisions", {}), task.step_id: chosen},
                                              "decision": chosen, "approved": chosen == Decision.APPROVE,
                                              "last_comment": text[:500]})
    task.status, task.decision, task.comment, task.decided_at = TaskStatus.DONE, chosen, text or None, now
    task.decided_by, task.decided_by_name = actor.id, (actor.display_name or actor.name)[:100]
    task.on_behalf_of, task.on_behalf_of_name = grant.on_behalf_of, grant.on_behalf_of_name
    task.acted_as = grant.role
    withdrawn = []
    if chosen in (Decision.REJECT, Decision.RETURN):
        # The round is over: the other signers' open tasks close unanswered, so the engine can move on.
        for other in s.execute(select(ApprovalTask).where(
                ApprovalTask.instance_id == inst.id, ApprovalTask.status == TaskStatus.OPEN,
                ApprovalTask.id != task.id, ApprovalTask.role.is_not(None))).scalars():
            w = {x.task_id: x for x in engine.waiting(wf)}.get(other.engine_task_id)
            if w is not None:
                engine.complete(wf, other.engine_task_id,
                                {"decisions": {**w.data.get("decisions", {}), other.step_id: Decision.WITHDRAWN},
                                 "decision": chosen, "approved": False})
            other.status, other.decision, other.decided_at = TaskStatus.WITHDRAWN, Decision.WITHDRAWN, now
            withdrawn.append(other.id)
    s.flush()
    _store(s, inst, wf, now)
    s.execute(update(WorkflowInstance).where(WorkflowInstance.id == inst.id).values(route=_route(wf) or inst.route))
    inst = s.get(WorkflowInstance, inst.id)
    s.refresh(inst)
    new = _sync_tasks(s, inst, c, wf, now)
    audit.record(s, actor, "approval.decided", entity_type="approval_task", entity_id=task.id,
                 changes={"instance": inst.id, "subject": f"{inst.subject_type}:{inst.subject_id}",
                          "step": task.step_id, "decision": chosen, "comment": text[:500], "acted_as": grant.role,
                          "on_behalf_of": grant.on_behalf_of, "round": task.round, "withdrawn": withdrawn,
                          "amount": str(inst.amount)})
    bus.publish(s, ApprovalDecided(task_id=task.id, instance_id=inst.id, subject_type=inst.subject_type,
                                   subject_id=inst.subject_id, decision=chosen))
    if any(t.role is None for t in new):
        bus.publish(s, WorkflowReturned(instance_id=inst.id, subject_type=inst.subject_type,
                                        subject_id=inst.subject_id))
    _finish(s, actor, inst, c, wf, now)
    s.refresh(inst)
    steps = [StepView(task_id=t.id, step_id=t.step_id, step_name=t.step_name, role=t.role, assignee=None,
                      opened_at=t.opened_at, due_at=t.due_at, escalated_to=t.escalated_to, reminded=False)
             for t in s.execute(select(ApprovalTask).where(ApprovalTask.instance_id == inst.id,
                                                          ApprovalTask.status == TaskStatus.OPEN)).scalars()]
    return DecisionResult(task_id=task.id, decision=chosen, instance_status=inst.status, outcome=inst.outcome,
                          next_steps=steps)
