"""Delegation while away: an approver names a colleague who may act on his approval tasks for a period. The
delegate acts in the delegator's roles and scope, is recorded as deciding on his behalf, and is held to
maker-checker for both of them (services/workflows/instances.py)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from services import clock
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, requires
from services.validation.input import whole_number
from services.validation.text import text_problem
from services.workflows import validation
from services.workflows.models import ApprovalDelegation
from services.workflows.views import DelegationView

MAX_DAYS = 90


class DelegationRefused(DomainError):
    http_status = 422


def _when(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and 0 < len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed([FieldError(field, "value.invalid")]) from None
    else:
        raise ValidationFailed([FieldError(field, "value.required")])
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=clock.zone())


def _view(d: ApprovalDelegation, names: dict[int, str], now: datetime) -> DelegationView:
    return DelegationView(id=d.id, delegator=names.get(d.delegator_id, ""), delegate=names.get(d.delegate_id, ""),
                          delegate_id=d.delegate_id, starts_at=d.starts_at, ends_at=d.ends_at, reason=d.reason or "",
                          active=d.revoked_at is None and d.starts_at <= now < d.ends_at, delegator_id=d.delegator_id)


@requires(Permission.APPROVAL_DECIDE)
def delegate_candidates(*, uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    """Colleagues who may approve (any role that may), in the actor's branch or at head office."""
    approvers = validation.approver_roles()
    out = []
    for u in uow.session.execute(select(User).where(User.is_active.is_(True), User.id != actor.id)
                                 .order_by(User.display_name)).scalars():
        if set(u.roles or []) & approvers and (u.branch_id is None or u.branch_id == actor.branch_id):
            out.append((u.id, u.display_name))
    return out[:200]


@requires(Permission.APPROVAL_DECIDE)
def delegate(*, uow: UnitOfWork, actor: Actor, delegate_id: Any, starts_at: Any, ends_at: Any,
             reason: Any = None) -> DelegationView:
    s = uow.session
    uid = whole_number(delegate_id, low=1, high=2**31)
    if uid is None:
        raise ValidationFailed([FieldError("delegate_id", "value.invalid")])
    if uid == actor.id:
        raise DelegationRefused("workflow.delegate_self")
    if uid not in {i for i, _ in delegate_candidates.__wrapped__(uow=uow, actor=actor)}:
        raise DelegationRefused("workflow.delegate_unknown")
    start, end = _when(starts_at, "starts_at"), _when(ends_at, "ends_at")
    now = clock.now()
    if not (end > start and end - start <= timedelta(days=MAX_DAYS) and end > now):
        raise DelegationRefused("workflow.delegate_period")
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if len(text) > 200 or (text and text_problem(text)):
        raise ValidationFailed([FieldError("reason", "value.invalid")])
    d = ApprovalDelegation(delegator_id=actor.id, delegate_id=uid, starts_at=start, ends_at=end, reason=text or None,
                           created_at=now)
    s.add(d)
    s.flush()
    audit.record(s, actor, "approval.delegated", entity_type="delegation", entity_id=d.id,
                 changes={"delegate_id": uid, "starts_at": start.isoformat(), "ends_at": end.isoformat(),
                          "reason": text})
    names = {u.id: u.display_name for u in s.execute(select(User).where(User.id.in_((actor.id, uid)))).scalars()}
    return _view(d, names, now)


@requires(Permission.APPROVAL_DECIDE)
def my_delegations(*, uow: UnitOfWork, actor: Actor) -> list[DelegationView]:
    """Delegations the actor gave or received that have not ended."""
    s = uow.session
    now = clock.now()
    rows = list(s.execute(select(ApprovalDelegation).where(
        (ApprovalDelegation.delegator_id == actor.id) | (ApprovalDelegation.delegate_id == actor.id),
        ApprovalDelegation.revoked_at.is_(None), ApprovalDelegation.ends_at > now)
        .order_by(ApprovalDelegation.starts_at)).scalars())
    ids = {r.delegator_id for r in rows} | {r.delegate_id for r in rows}
    names = {u.id: u.display_name for u in s.execute(select(User).where(User.id.in_(ids or {-1}))).scalars()}
    return [_view(r, names, now) for r in rows]


@requires(Permission.APPROVAL_DECIDE)
def revoke_delegation(*, uow: UnitOfWork, actor: Actor, delegation_id: Any) -> None:
    s = uow.session
    did = whole_number(delegation_id, low=1, high=2**31)
    d = s.get(ApprovalDelegation, did) if did is not None else None
    if d is None or d.delegator_id != actor.id or d.revoked_at is not None:
        raise NotFound(what="delegation", id=delegation_id)
    d.revoked_at = clock.now()
    audit.record(s, actor, "approval.delegation_revoked", entity_type="delegation", entity_id=d.id, changes={})
