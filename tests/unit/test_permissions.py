"""One permission matrix (services/security/policy.py): every public use case states the permission it needs,
the matrix says who holds which, API clients hold what their token's scopes grant, and the check runs before
a use case's body."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any, Callable

import pytest

import services
from services.errors import NotPermitted
from services.integration.clients import SCOPES
from services.security.actor import SYSTEM, Actor
from services.security.models import Role
from services.security.policy import (API_ROLE, EDITABLE_FIELDS, FIELD_POLICY, ROLE_PERMISSIONS, SCOPE_PERMISSIONS,
                                      Access, Permission, permissions_of, permits, require, required_permissions,
                                      requires)

# ---------------------------------------------------------------- every use case states its permission


def _services_modules() -> list[ModuleType]:
    return [importlib.import_module(m.name) for m in pkgutil.walk_packages(services.__path__, "services.")]


def _is_use_case(fn: Any) -> bool:
    """A public function taking keyword-only `actor` and `uow` (or `uow_factory`, for use cases that commit
    in steps of their own)."""
    if not inspect.isfunction(fn) or fn.__name__.startswith("_"):
        return False
    params = inspect.signature(fn).parameters  # follows __wrapped__ through @requires
    kw_only = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return "actor" in kw_only and bool(kw_only & {"uow", "uow_factory"})


def _use_cases() -> dict[str, Callable[..., Any]]:
    found = {}
    for module in _services_modules():
        for name, fn in vars(module).items():
            if getattr(fn, "__module__", None) == module.__name__ and _is_use_case(fn):
                found[f"{module.__name__}.{name}"] = fn
    return found


def _undeclared(use_cases: dict[str, Callable[..., Any]]) -> list[str]:
    return sorted(name for name, fn in use_cases.items() if not required_permissions(fn))


def test_every_public_use_case_states_the_permission_it_needs():
    use_cases = _use_cases()
    # The walk itself works: it finds the use cases of every domain (a walk that found nothing would pass).
    assert len(use_cases) > 60
    for known in ("services.customers.service.create_customer", "services.customer360.service.customer_360",
                  "services.imports.service.run_import", "services.tags.service.save_rule",
                  "services.integration.ingest.ingest_transactions", "services.security.users.create_user"):
        assert known in use_cases
    assert _undeclared(use_cases) == [], "use cases that state no permission (add @requires(Permission.X))"


def test_the_walk_names_a_use_case_without_a_permission():
    def open_account(*, uow: Any, actor: Actor, customer_id: int) -> None: ...

    @requires(Permission.ACCOUNT_WRITE)
    def close_account(*, uow: Any, actor: Actor, account_id: int) -> None: ...

    def _helper(*, uow: Any, actor: Actor) -> None: ...

    def summary(s: Any, actor: Actor) -> None: ...

    assert _is_use_case(open_account) and _is_use_case(close_account)
    assert not _is_use_case(_helper) and not _is_use_case(summary)
    assert _undeclared({"open_account": open_account, "close_account": close_account}) == ["open_account"]


# ---------------------------------------------------------------- the matrix

# Who may do what, as the firm would review it: one row per permission, an x per role that holds it.
MATRIX = """
                        rm  team_lead  branch_manager  ops  compliance  approver  auditor  admin  credit_officer  credit_committee  underwriter
customer.read           x   x          x               x    x           x         x        x      x               x                 x
customer.create         x   x          x               x    .           .         .        .      .               .                 .
customer.edit           x   x          x               x    x           .         .        .      .               .                 .
customer.reveal         .   .          x               x    x           x         x        .      .               .                 .
customer.export         x   x          x               x    x           x         x        x      .               .                 .
customer.reassign       .   x          x               .    .           .         .        .      .               .                 .
record.write            x   x          x               x    x           x         .        .      .               .                 .
account.write           .   .          .               .    .           .         .        .      .               .                 .
transaction.ingest      .   .          .               .    .           .         .        .      .               .                 .
event.ingest            .   .          .               .    .           .         .        .      .               .                 .
import.run              .   x          x               x    .           .         .        .      .               .                 .
import.oversee          .   .          .               .    x           .         x        x      .               .                 .
tag_rule.manage         .   .          .               .    .           .         .        x      .               .                 .
custom_field.manage     .   .          .               .    .           .         .        x      .               .                 .
webhook.manage          .   .          .               .    .           .         .        x      .               .                 .
webhook.view            .   .          .               .    x           .         .        x      .               .                 .
user.manage             .   .          .               .    .           .         .        x      .               .                 .
api_client.manage       .   .          .               .    .           .         .        x      .               .                 .
risk_level.set          .   .          .               x    x           .         .        .      .               .                 .
kyc_status.set          .   .          .               x    x           .         .        .      .               .                 .
aml_risk.set            .   .          .               .    x           .         .        .      .               .                 .
aml.view                .   .          .               .    x           .         x        .      .               .                 .
aml.screen              .   .          .               x    x           .         .        .      .               .                 .
aml.review              .   .          .               .    x           .         .        .      .               .                 .
aml_list.manage         .   .          .               .    x           .         .        .      .               .                 .
questionnaire.manage    .   .          .               .    x           .         .        x      .               .                 .
assessment.issue        x   x          x               x    .           .         .        .      .               .                 .
investor.classify       .   .          .               .    x           .         .        .      .               .                 .
suitability.check       x   x          x               x    x           x         x        .      .               .                 .
product.read            x   x          x               x    x           x         x        x      .               .                 .
sale.propose            x   x          x               x    .           .         .        .      .               .                 .
sale.review             .   .          .               .    x           .         .        .      .               .                 .
task.reassign           .   x          x               .    .           .         .        .      .               .                 .
ticket.work             x   x          x               x    x           .         .        .      .               .                 .
ticket.assign           .   x          x               .    x           .         .        .      .               .                 .
ticket_category.manage  .   .          .               .    .           .         .        x      .               .                 .
complaint.report        .   .          x               .    x           .         x        .      .               .                 .
opportunity.write       x   x          x               x    .           .         .        .      .               .                 .
metrics.view            x   x          x               .    x           .         x        .      .               .                 .
workflow.manage         .   .          .               .    .           .         .        x      .               .                 .
approval.decide         .   .          x               .    .           x         .        .      x               x                 x
loan.apply              x   x          x               x    .           .         .        .      .               .                 .
loan.read               x   x          x               x    x           x         x        .      x               x                 .
underwriting.submit     x   x          x               x    .           .         .        .      .               .                 .
underwriting.read       x   x          x               x    x           .         x        .      .               x                 x
reminder_rule.manage    .   .          .               .    .           .         .        x      .               .                 .
"""


def _matrix() -> dict[str, set[str]]:
    header, *rows = [line.split() for line in MATRIX.strip().splitlines()]
    held: dict[str, set[str]] = {role: set() for role in header}
    for permission, *marks in rows:
        assert len(marks) == len(header), permission
        for role, mark in zip(header, marks):
            if mark == "x":
                held[role].add(permission)
    return held


def _user(*roles: str) -> Actor:
    return Actor(kind="user", id=7, name="u", roles=frozenset(roles))


def test_the_table_names_every_role_and_every_permission():
    header = MATRIX.strip().splitlines()[0].split()
    assert set(header) == {r.value for r in Role}
    assert {line.split()[0] for line in MATRIX.strip().splitlines()[1:]} == {p.value for p in Permission}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_holds_exactly_what_the_table_says(role):
    assert {str(p) for p in permissions_of(_user(role))} == _matrix()[role]


def test_several_roles_hold_what_any_of_them_holds():
    assert permissions_of(_user("rm", "auditor")) == permissions_of(_user("rm")) | permissions_of(_user("auditor"))
    assert permissions_of(_user("nobody")) == frozenset()


def test_every_permission_is_granted_to_someone():
    granted = frozenset().union(*ROLE_PERMISSIONS.values())
    assert set(Permission) - granted == set()
    # ... and the API's permissions reach clients through at least one scope.
    assert ROLE_PERMISSIONS[API_ROLE] == frozenset().union(*SCOPE_PERMISSIONS.values())


def test_reveal_and_edit_follow_the_field_policy():
    """The permission to reveal or edit at all goes exactly to the roles whose field policy lets them reveal
    or edit some field (which fields stays the field policy's)."""
    for role in Role:
        revealable = any(a is Access.REVEALABLE for a in FIELD_POLICY.get(role, {}).values())
        assert (Permission.CUSTOMER_REVEAL in ROLE_PERMISSIONS[role]) == revealable, role
        assert (Permission.CUSTOMER_EDIT in ROLE_PERMISSIONS[role]) == bool(EDITABLE_FIELDS.get(role)), role


def test_the_system_may_do_everything():
    assert permissions_of(SYSTEM) == frozenset(Permission)
    inbox = Actor(kind="system", id=None, name="inbox", roles=frozenset({API_ROLE}))
    assert permits(inbox, Permission.IMPORT_RUN)


# ---------------------------------------------------------------- API clients: scopes are permissions

def _client(*scopes: str) -> Actor:
    return Actor(kind="api_client", id=3, name="core-banking", roles=frozenset({API_ROLE}), scopes=frozenset(scopes))


def test_every_oauth_scope_maps_to_permissions():
    assert set(SCOPE_PERMISSIONS) == set(SCOPES)
    assert all(SCOPE_PERMISSIONS.values())


def test_an_api_client_holds_only_what_its_token_grants():
    assert permissions_of(_client("customers:read")) == {Permission.CUSTOMER_READ}
    assert permissions_of(_client("transactions:write", "events:write")) == {
        Permission.TRANSACTION_INGEST, Permission.EVENT_INGEST}
    assert permissions_of(_client(*SCOPES)) == ROLE_PERMISSIONS[API_ROLE]
    assert permissions_of(_client()) == frozenset()
    assert permissions_of(Actor(kind="api_client", id=3, name="x", roles=frozenset({API_ROLE}))) == frozenset()
    # A scope never lifts a client above its role (no scope grants an admin permission).
    assert not permits(_client(*SCOPES), Permission.USER_MANAGE)


# ---------------------------------------------------------------- the check

def test_require_refuses_with_the_actor_and_the_permission():
    auditor = _user("auditor")
    require(auditor, Permission.CUSTOMER_READ)
    with pytest.raises(NotPermitted) as refused:
        require(auditor, Permission.RECORD_WRITE)
    assert refused.value.actor is auditor and refused.value.permission == Permission.RECORD_WRITE


def test_requires_checks_before_the_body_runs_and_names_the_use_case():
    ran = []

    @requires(Permission.RECORD_WRITE)
    def add_note(*, uow: Any, actor: Actor, text: str) -> str:
        ran.append(text)
        return text

    assert add_note(uow=None, actor=_user("rm"), text="called") == "called"
    with pytest.raises(NotPermitted) as refused:
        add_note(uow=None, actor=_user("auditor"), text="refused")
    assert ran == ["called"]
    assert refused.value.permission == "record.write"
    assert refused.value.audit_details["operation"].endswith("add_note")
    assert required_permissions(add_note) == (Permission.RECORD_WRITE,)
    assert inspect.signature(add_note) == inspect.signature(add_note.__wrapped__)


def test_requires_with_alternatives_admits_any_one_of_them():
    @requires(Permission.IMPORT_RUN, Permission.IMPORT_OVERSEE)
    def list_batches(*, uow: Any, actor: Actor) -> bool:
        return True

    assert list_batches(uow=None, actor=_user("ops")) and list_batches(uow=None, actor=_user("auditor"))
    with pytest.raises(NotPermitted):
        list_batches(uow=None, actor=_user("rm"))


def test_a_use_case_takes_its_actor_by_keyword():
    with pytest.raises(TypeError):
        @requires(Permission.CUSTOMER_READ)
        def read(uow: Any, actor: Actor) -> None: ...
