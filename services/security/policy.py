"""Who may see which customers (data scope) and which fields, and how.

The policy is an allow-list: a role not named for a field gets HIDDEN; a field
shown in full is never sent to a role that may only see it masked. A user with
several roles gets the most open access any of them grants.
"""
from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

from typing import Any, Callable

from sqlalchemy import false, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from services.errors import NotPermitted
from services.security.actor import Actor
from services.security.models import Role


# API clients act with this pseudo-role: systems of record feeding the CRM.
API_ROLE = "api"


class Scope(IntEnum):
    NONE = 0
    CLIENT = 1  # an API client: the customers it has linked to its own external ids, nothing else
    OWN = 2
    TEAM = 3
    BRANCH = 4
    ALL = 5


ROLE_SCOPE: dict[str, Scope] = {
    Role.RM: Scope.OWN,
    Role.TEAM_LEAD: Scope.TEAM,
    Role.BRANCH_MANAGER: Scope.BRANCH,
    Role.APPROVER: Scope.BRANCH,
    Role.OPS: Scope.BRANCH,
    Role.COMPLIANCE: Scope.ALL,
    Role.ADMIN: Scope.ALL,
    Role.AUDITOR: Scope.ALL,
    # A system of record sees what it sent (its external ids), never the rest of the book: a client that
    # could search every branch would leak other systems' and other RMs' customers (hostile review, finding 2).
    API_ROLE: Scope.CLIENT,
}


def scope_of(actor: Actor) -> Scope:
    if actor.kind == "system":
        return Scope.ALL  # the firm's own processes (the nightly pass, the core-banking inbox) act for all
    return max((ROLE_SCOPE.get(r, Scope.NONE) for r in actor.roles), default=Scope.NONE)


_client_scope: Callable[[Any, Any], ColumnElement[bool]] | None = None


def set_client_scope(scope: Callable[[Any, Any], ColumnElement[bool]]) -> None:
    """Install the condition "customers this API client holds" (services.integration.access, by bootstrap)."""
    global _client_scope
    _client_scope = scope


def client_customers(client_pk: Any, customer_id_column: Any) -> ColumnElement[bool]:
    """The customers an API client holds; nothing at all until bootstrap installed the rule."""
    if _client_scope is None:
        return false()
    return _client_scope(client_pk, customer_id_column)


def client_has_customer(session: Any, actor: Actor, customer_id: int) -> Callable[[], bool]:
    """For `can_see_customer`: does this API client have the customer under one of its external ids?"""
    return lambda: actor.kind == "api_client" and actor.id is not None and session.execute(
        select(literal(1)).where(client_customers(actor.id, literal(customer_id)))).first() is not None


def customer_scope_filter(actor: Actor, customer_table) -> ColumnElement[bool]:
    """A WHERE clause limiting customers to the actor's data scope."""
    scope = scope_of(actor)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.CLIENT and actor.kind == "api_client" and actor.id is not None:
        return client_customers(actor.id, customer_table.id)
    if scope is Scope.BRANCH and actor.branch_id is not None:
        return customer_table.branch_id == actor.branch_id
    if scope is Scope.TEAM and actor.team_id is not None:
        return customer_table.team_id == actor.team_id
    if scope is Scope.OWN and actor.id is not None and actor.kind == "user":
        return customer_table.owner_id == actor.id
    return false()


def scope_key(actor: Actor) -> tuple[Scope, int | None]:
    """The actor's scope as (kind, value) for parameterised statements; NONE when it cannot be applied."""
    scope = scope_of(actor)
    if scope is Scope.ALL:
        return scope, None
    value = {Scope.BRANCH: actor.branch_id, Scope.TEAM: actor.team_id,
             Scope.OWN: actor.id if actor.kind == "user" else None,
             Scope.CLIENT: actor.id if actor.kind == "api_client" else None}.get(scope)
    return (scope, value) if value is not None else (Scope.NONE, None)


def can_see_customer(actor: Actor, *, owner_id: int, team_id: int | None, branch_id: int,
                     linked_to_client: Callable[[], bool] | None = None) -> bool:
    """Whether a customer (given by its owner, team and branch) lies in the actor's scope. For an API client
    that depends on its external ids: `linked_to_client()` answers it (False when not given)."""
    scope = scope_of(actor)
    if scope is Scope.CLIENT:
        return actor.kind == "api_client" and linked_to_client is not None and linked_to_client()
    if scope is Scope.ALL:
        return True
    if scope is Scope.BRANCH:
        return actor.branch_id is not None and actor.branch_id == branch_id
    if scope is Scope.TEAM:
        return actor.team_id is not None and actor.team_id == team_id
    if scope is Scope.OWN:
        return actor.kind == "user" and actor.id == owner_id
    return False


class Access(IntEnum):
    HIDDEN = 0
    MASKED = 1
    REVEALABLE = 2  # masked by default; an audited reveal shows it in full
    VISIBLE = 3


SENSITIVE_FIELDS = ("id_number", "phone", "email", "address", "account_no")

# Field policy, per role. Fields not listed for a role are HIDDEN for it.
FIELD_POLICY: dict[str, dict[str, Access]] = {
    Role.RM: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.VISIBLE,
              "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.TEAM_LEAD: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.VISIBLE,
                     "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.BRANCH_MANAGER: {"id_number": Access.MASKED, "phone": Access.REVEALABLE, "email": Access.VISIBLE,
                          "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.COMPLIANCE: {"id_number": Access.REVEALABLE, "phone": Access.REVEALABLE, "email": Access.VISIBLE,
                      "address": Access.VISIBLE, "account_no": Access.REVEALABLE},
    Role.AUDITOR: {"id_number": Access.REVEALABLE, "phone": Access.MASKED, "email": Access.MASKED,
                   "address": Access.MASKED, "account_no": Access.REVEALABLE},
    Role.APPROVER: {"id_number": Access.REVEALABLE, "phone": Access.MASKED, "email": Access.VISIBLE,
                    "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.OPS: {"id_number": Access.REVEALABLE, "phone": Access.REVEALABLE, "email": Access.VISIBLE,
               "address": Access.VISIBLE, "account_no": Access.REVEALABLE},
    # Systems of record already hold the full values; they get them back masked like staff.
    API_ROLE: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.VISIBLE,
               "address": Access.VISIBLE, "account_no": Access.MASKED},
    # Administrators configure the system; they do not need customers' identities.
    Role.ADMIN: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.MASKED,
                 "address": Access.MASKED, "account_no": Access.MASKED},
}

# Which customer fields a role may change (on customers within its scope).
EDITABLE_FIELDS: dict[str, frozenset[str]] = {
    Role.RM: frozenset({"phone", "email", "address", "occupation", "status", "segment"}),
    Role.TEAM_LEAD: frozenset({"phone", "email", "address", "occupation", "status", "segment", "owner_id"}),
    Role.BRANCH_MANAGER: frozenset({"phone", "email", "address", "occupation", "status", "segment", "owner_id"}),
    Role.OPS: frozenset({"name", "gender", "birth_date", "id_type", "id_number", "phone", "email",
                         "address", "occupation", "status"}),
    Role.COMPLIANCE: frozenset({"status"}),
    Role.ADMIN: frozenset(),
    API_ROLE: frozenset({"name", "gender", "birth_date", "id_type", "id_number", "phone", "email", "address",
                         "occupation", "status", "segment", "source_channel", "owner_id"}),
}

CREATOR_ROLES = frozenset({Role.RM, Role.TEAM_LEAD, Role.BRANCH_MANAGER, Role.OPS, API_ROLE})

# Who may add to a customer's records (interactions, tasks, tickets, consent, documents) within their scope:
# the people who work with customers. Admins configure the system and auditors only read; neither writes
# customer records, although both may see every customer.
CUSTOMER_RECORD_ROLES = frozenset({Role.RM, Role.TEAM_LEAD, Role.BRANCH_MANAGER, Role.COMPLIANCE, Role.APPROVER,
                                   Role.OPS, API_ROLE})


def require_scope(actor: Actor, scope: str) -> None:
    """An API client may do only what its token was granted; people and the system are not scoped."""
    if actor.kind == "api_client" and (actor.scopes is None or scope not in actor.scopes):
        raise NotPermitted(actor=actor, permission=scope)


def require_customer_record_role(actor: Actor) -> None:
    if actor.id is None or not actor.has_role(*CUSTOMER_RECORD_ROLES):
        raise NotPermitted(actor=actor)


def field_access(actor: Actor, field: str) -> Access:
    roles = actor.roles
    return _field_access(roles if isinstance(roles, frozenset) else frozenset(roles), field)


@lru_cache(maxsize=1024)  # a handful of role sets times a handful of fields; asked on every list row
def _field_access(roles: frozenset[str], field: str) -> Access:
    return max((FIELD_POLICY.get(r, {}).get(field, Access.HIDDEN) for r in roles), default=Access.HIDDEN)


def editable_fields(actor: Actor) -> frozenset[str]:
    out: set[str] = set()
    for r in actor.roles:
        out |= EDITABLE_FIELDS.get(r, frozenset())
    return frozenset(out)


def require_reveal(actor: Actor, field: str) -> None:
    if field not in SENSITIVE_FIELDS or field_access(actor, field) < Access.REVEALABLE:
        raise NotPermitted(actor=actor, audit_details={"field": str(field)[:40]})


def require_any_role(actor: Actor, *roles: Role) -> None:
    if not actor.has_role(*roles):
        raise NotPermitted(actor=actor)
