"""Whose tasks and tickets an actor reaches, and to whom they may be handed.

Tasks follow the people they are assigned to: everyone reaches their own; a holder of task.reassign (team leads,
branch managers) also reaches the tasks of the people in their data scope (team, branch). Tickets follow their
customer: an actor reaches the tickets of the customers in their scope, and always the tickets assigned to them.
Work is handed only to active colleagues in the actor's scope who may themselves see the customer it concerns.
Anything out of reach is answered exactly as a missing row (OutOfScope), so nobody learns which ids exist.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from services import holds
from services.activities.models import Task, Ticket
from services.customers.models import Customer
from services.errors import FieldError, NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.security.actor import Actor
from services.security.auth import actor_for_user
from services.security.models import Role, User
from services.security.policy import Permission, Scope, can_see_customer, permits, scope_of
from services.validation.input import ID_LIMIT

MAX_PEOPLE = 200  # people offered to hand work to (a branch at most)


def row_id(value: Any, field: str) -> int:
    """An id from untrusted input (an int, not a bool, in the id range) or ValidationFailed naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < ID_LIMIT:
        raise ValidationFailed([FieldError(field, "value.invalid")])
    return value


def _is_person(actor: Actor) -> bool:
    return actor.kind == "user" and actor.id is not None


# ---------------------------------------------------------------- people

def people_in_scope(actor: Actor, user_table: Any = User) -> ColumnElement[bool]:
    """The colleagues an actor directs: their team (team lead), their branch (branch manager), everyone
    (firm-wide roles), or only themselves."""
    scope = scope_of(actor)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.BRANCH and actor.branch_id is not None:
        return user_table.branch_id == actor.branch_id
    if scope is Scope.TEAM and actor.team_id is not None:
        return user_table.team_id == actor.team_id
    if _is_person(actor):
        return user_table.id == actor.id
    return false()


def _in_scope(actor: Actor, user: User) -> bool:
    scope = scope_of(actor)
    if scope is Scope.ALL:
        return True
    if scope is Scope.BRANCH:
        return actor.branch_id is not None and user.branch_id == actor.branch_id
    if scope is Scope.TEAM:
        return actor.team_id is not None and user.team_id == actor.team_id
    return _is_person(actor) and user.id == actor.id


def _may_see(user: User, customer: Customer | None) -> bool:
    if customer is None:
        return True
    return can_see_customer(actor_for_user(user), owner_id=customer.owner_id, team_id=customer.team_id,
                            branch_id=customer.branch_id)


def assignable_people(session: Session, actor: Actor, *, needs: Permission,
                      customer: Customer | None) -> list[User]:
    """Active colleagues in the actor's scope holding `needs` who may see `customer` (if any), by name."""
    rows = session.execute(select(User).where(User.is_active.is_(True), people_in_scope(actor))
                           .order_by(User.display_name, User.id).limit(MAX_PEOPLE * 5)).scalars()
    out = [u for u in rows if permits(actor_for_user(u), needs) and _may_see(u, customer)]
    return out[:MAX_PEOPLE]


def check_assignee(session: Session, actor: Actor, assignee_id: Any, *, needs: Permission,
                   customer: Customer | None, refusal: str) -> User:
    """The user work is handed to, if the actor may hand it to them; refused (audited) otherwise."""
    uid = row_id(assignee_id, "assignee_id")
    user = session.get(User, uid)
    if (user is None or not user.is_active or not _in_scope(actor, user)
            or not permits(actor_for_user(user), needs) or not _may_see(user, customer)):
        raise NotPermitted(refusal, actor=actor, entity_type="user", entity_id=uid,
                           audit_details={"assignee_id": uid, "customer_id": None if customer is None
                                          else customer.id})
    return user


def escalation_target(session: Session, customer: Customer, assignee_id: int | None) -> User | None:
    """Who hears of a ticket that missed its SLA: the team lead of the customer's team, else of the assignee's
    team, else a branch manager of the customer's branch."""
    teams = [customer.team_id]
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        teams.append(assignee.team_id if assignee is not None else None)
    active = session.execute(select(User).where(User.is_active.is_(True), or_(
        User.team_id.in_([t for t in teams if t is not None] or [-1]), User.branch_id == customer.branch_id))
        .order_by(User.id)).scalars().all()
    for team in teams:
        for u in active:
            if team is not None and u.team_id == team and Role.TEAM_LEAD.value in (u.roles or []):
                return u
    for u in active:
        if u.branch_id == customer.branch_id and Role.BRANCH_MANAGER.value in (u.roles or []):
            return u
    return None


# ---------------------------------------------------------------- tasks

def team_tasks(actor: Actor) -> ColumnElement[bool]:
    """The tasks whose assignee the actor directs (for the team view)."""
    assignee = aliased(User)
    return Task.assignee_id.in_(select(assignee.id).where(people_in_scope(actor, assignee)))


def load_task(session: Session, actor: Actor, task_id: Any, *, lock: bool = True) -> Task:
    """The task (locked for this transaction unless `lock` is false) if the actor may act on it: their own, or
    (task.reassign) one of the people they direct."""
    tid = row_id(task_id, "task_id")
    stmt = select(Task).where(Task.id == tid)
    task = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if task is None:
        raise NotFound(what="task", id=tid)
    if _is_person(actor) and task.assignee_id == actor.id:
        return task
    assignee = session.get(User, task.assignee_id)
    if permits(actor, Permission.TASK_REASSIGN) and assignee is not None and _in_scope(actor, assignee):
        return task
    raise OutOfScope(actor=actor, entity_type="task", entity_id=tid, what="task", id=tid)


# ---------------------------------------------------------------- tickets

def visible_tickets(actor: Actor, scoped_customers: ColumnElement[bool]) -> ColumnElement[bool]:
    """Tickets of customers in scope (`scoped_customers`: policy.customer_scope_filter over Customer, the
    ticket's customer joined), and those assigned to the actor."""
    mine = Ticket.assignee_id == actor.id if _is_person(actor) else false()
    return or_(scoped_customers, mine)


def load_ticket(session: Session, actor: Actor, ticket_id: Any, *, lock: bool = True) -> tuple[Ticket, Customer]:
    """The ticket (locked for this transaction unless `lock` is false) and its customer, if the actor reaches it."""
    tid = row_id(ticket_id, "ticket_id")
    stmt = select(Ticket).where(Ticket.id == tid)
    ticket = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if ticket is None:
        raise NotFound(what="ticket", id=tid)
    customer = session.get(Customer, ticket.customer_id)
    hidden = customer is None or (customer.hold_id is not None and holds.is_open(session, customer.hold_id))
    if not hidden and ((_is_person(actor) and ticket.assignee_id == actor.id) or can_see_customer(
            actor, owner_id=customer.owner_id, team_id=customer.team_id, branch_id=customer.branch_id)):
        return ticket, customer
    raise OutOfScope(actor=actor, entity_type="ticket", entity_id=tid, what="ticket", id=tid)


def sees_customer(actor: Actor, customer: Customer) -> bool:
    return can_see_customer(actor, owner_id=customer.owner_id, team_id=customer.team_id,
                            branch_id=customer.branch_id)


def names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({u for u in user_ids if u is not None})
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def masked_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)

