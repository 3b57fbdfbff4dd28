"""Giving customers to another relationship manager, many at once (the customer list's bulk action).

A team lead's or branch manager's action (Permission.CUSTOMER_REASSIGN), to an RM in the actor's own scope, for
customers in it. Each customer changes through the one change pipeline (services/customers/changes.py): its
version bumped, its own audit event, CustomerChanged and CustomerReassigned. All or nothing: one customer the
actor may not reach refuses the whole action, and nothing is written.
(One customer's RM also changes through update_customer, e.g. from the customer's edit form.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services.customers.access import masked_change
from services.customers.changes import Difference, _commit, check_edit_rights, invalid_input
from services.customers.identity import resolve_owner
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, OutOfScope, ValidationFailed
from services.org.models import Team
from services.security.actor import Actor
from services.security.models import Role, User
from services.security.policy import Permission, Scope, can_see_customer, customer_scope_filter, requires, scope_of

MAX_CUSTOMERS = 10_000
CHUNK = 500
MAX_OWNERS = 500  # a select people can use


@requires(Permission.CUSTOMER_REASSIGN)
def reassign_customers(*, uow: UnitOfWork, actor: Actor, customer_ids: Any, owner_id: Any,
                       source: str = "bulk") -> int:
    """Give these customers to the RM `owner_id`; returns how many changed (customers already his stay as they
    are). Refused whole (ValidationFailed / RefusedInput / OutOfScope) when anything is wrong."""
    ids = _ids(customer_ids)
    s = uow.session
    errors: list[FieldError] = []
    if isinstance(owner_id, bool) or not isinstance(owner_id, int) or not 0 < owner_id < 2**31:
        raise ValidationFailed([FieldError("owner_id", "value.invalid")])
    owner = resolve_owner(s, actor, owner_id, errors)
    errors += check_edit_rights(actor, Difference(fields=["owner_id"]))
    if errors or owner is None:
        raise invalid_input(actor, errors or [FieldError("owner_id", "value.not_an_rm")])
    rows: dict[int, Customer] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows.update((r.id, r) for r in s.execute(
            select(Customer).where(Customer.id.in_(chunk), customer_scope_filter(actor, Customer))).scalars())
    unknown = [i for i in ids if i not in rows]
    if unknown:
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=unknown[0], what="customer", id=unknown[0],
                         audit_details={"customers": len(ids), "outside_scope": len(unknown)})
    changed = 0
    for cid in ids:
        row = rows[cid]
        if row.owner_id == owner.id:
            continue
        diff = Difference(values={"owner_id": owner.id, "team_id": owner.team_id, "branch_id": owner.branch_id},
                          audit={"owner_id": [masked_change("owner_id", row.owner_id), owner.id]},
                          fields=["owner_id"])
        _commit(uow, actor, row, row.version, diff, source=source, action="customer.reassign")
        changed += 1
    return changed


def _ids(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationFailed([FieldError("customer_ids", "value.required")])
    if len(value) > MAX_CUSTOMERS:
        raise ValidationFailed([FieldError("selection", "bulk.too_many", {"max": f"{MAX_CUSTOMERS:,}"})])
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in value):
        raise ValidationFailed([FieldError("customer_ids", "value.invalid")])
    return sorted(set(value))


@requires(Permission.CUSTOMER_CREATE, Permission.CUSTOMER_REASSIGN)
def assignable_owners(*, uow: UnitOfWork, actor: Actor) -> list[OwnerOption]:
    """The relationship managers the actor may give customers to (a new customer's RM, a reassignment): active
    RMs in the actor's own data scope, by name."""
    s = uow.session
    stmt = (select(User.id, User.display_name, User.roles, User.team_id, User.branch_id, Team.name, Team.name_en)
            .outerjoin(Team, Team.id == User.team_id)
            .where(User.is_active.is_(True), User.branch_id.is_not(None)))
    scope = scope_of(actor)
    if scope is Scope.OWN:
        stmt = stmt.where(User.id == (actor.id if actor.kind == "user" else -1))
    elif scope is Scope.TEAM:
        stmt = stmt.where(User.team_id == actor.team_id)
    elif scope is Scope.BRANCH:
        stmt = stmt.where(User.branch_id == actor.branch_id)
    elif scope is not Scope.ALL:
        return []
    out = [OwnerOption(id=uid, name=name, team=team, team_en=team_en)
           for uid, name, roles, team_id, branch_id, team, team_en in s.execute(stmt.order_by(User.display_name))
           if Role.RM in (roles or []) and can_see_customer(actor, owner_id=uid, team_id=team_id, branch_id=branch_id)]
    return out[:MAX_OWNERS]


@dataclass(frozen=True)
class OwnerOption:
    id: int
    name: str
    team: str | None
    team_en: str | None
