"""Who may do what (permissions), see which customers (data scope) and which fields, and how.

Three axes, each decided here and nowhere else:
- permissions: what an actor may do at all (`Permission`, granted to roles by ROLE_PERMISSIONS and to API
  clients by the OAuth2 scopes of their token, SCOPE_PERMISSIONS). Every use case states the one it needs
  (`@requires`); pages and menus ask which the actor holds (`permissions_of`).
- data scope: which customers (`Scope`, ROLE_SCOPE).
- field policy: which sensitive fields are shown how, and which customer fields a role may change
  (FIELD_POLICY, EDITABLE_FIELDS).

Each is an allow-list: a role not named gets nothing; a field shown in full is never sent to a role that may
only see it masked. A user with several roles gets the most any of them grants.
"""
from __future__ import annotations

import functools
import inspect
from enum import IntEnum, StrEnum
from functools import lru_cache

from typing import Any, Callable, Iterable, TypeVar

from sqlalchemy import and_, false, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from services import holds
from services.errors import NotPermitted
from services.security.actor import Actor
from services.security.models import Role


# API clients act with this pseudo-role: systems of record feeding the CRM.
API_ROLE = "api"


# ---------------------------------------------------------------- permissions

class Permission(StrEnum):
    """What an actor may do, named from the domain as `<thing>.<verb>`."""

    # A member equals its code ("customer.read"), so it hashes as its code too (Enum hashes by name): the code
    # finds the member in a set of permissions.
    __hash__ = str.__hash__

    CUSTOMER_READ = "customer.read"  # search, open (360), the customer's records, consent, custom values
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"  # change fields (which ones: EDITABLE_FIELDS), relationships, household
    CUSTOMER_REVEAL = "customer.reveal"  # show a masked field in full (which ones: FIELD_POLICY REVEALABLE)
    CUSTOMER_EXPORT = "customer.export"
    CUSTOMER_REASSIGN = "customer.reassign"  # give customers to another relationship manager (which: data scope)
    RECORD_WRITE = "record.write"  # add interactions, tasks, tickets, consent, documents to a customer
    ACCOUNT_WRITE = "account.write"  # accounts and holdings from a system of record
    TRANSACTION_INGEST = "transaction.ingest"
    EVENT_INGEST = "event.ingest"  # behaviour events
    IMPORT_RUN = "import.run"  # upload, map, run imports and decide their review queue
    IMPORT_OVERSEE = "import.oversee"  # see every import batch and its files
    TAG_RULE_MANAGE = "tag_rule.manage"
    CUSTOM_FIELD_MANAGE = "custom_field.manage"
    WEBHOOK_MANAGE = "webhook.manage"
    WEBHOOK_VIEW = "webhook.view"  # endpoints and the delivery log
    USER_MANAGE = "user.manage"
    API_CLIENT_MANAGE = "api_client.manage"
    RISK_LEVEL_SET = "risk_level.set"
    KYC_STATUS_SET = "kyc_status.set"
    AML_RISK_SET = "aml_risk.set"
    AML_VIEW = "aml.view"  # the AML picture: hits, cases, alerts, why a rating (read only)
    AML_SCREEN = "aml.screen"  # screen a file of names against the lists in force
    AML_REVIEW = "aml.review"  # decide hits, work cases (notes, assignment, close, report as suspicious)
    AML_LIST_MANAGE = "aml_list.manage"  # load watchlists (re-screens every customer)
    QUESTIONNAIRE_MANAGE = "questionnaire.manage"  # questionnaire versions, professional criteria, regimes, sale rules
    ASSESSMENT_ISSUE = "assessment.issue"  # issue a customer's questionnaire link, run it in the branch
    INVESTOR_CLASSIFY = "investor.classify"  # classify (or revoke) a professional investor, with evidence
    SUITABILITY_CHECK = "suitability.check"  # ask whether a customer may buy a product
    PRODUCT_READ = "product.read"
    SALE_PROPOSE = "sale.propose"  # propose a sale, take the customer's signature, upload its recording, cancel
    SALE_REVIEW = "sale.review"  # compliance: review sales and their recordings
    TASK_REASSIGN = "task.reassign"  # see and hand on the tasks of the people in one's scope
    TICKET_WORK = "ticket.work"  # take, start, resolve, close and reopen tickets of one's customers
    TICKET_ASSIGN = "ticket.assign"  # assign tickets of customers in one's scope to people in it
    TICKET_CATEGORY_MANAGE = "ticket_category.manage"  # ticket categories and their SLAs (data)
    COMPLAINT_REPORT = "complaint.report"  # complaint statistics, as the regulator counts them
    # Approval workflows (services/workflows, services/loans, services/underwriting)
    WORKFLOW_MANAGE = "workflow.manage"  # workflow definitions: diagrams, decision tables, parameters, versions
    APPROVAL_DECIDE = "approval.decide"  # the approval inbox: approve, reject, return; delegate while away
    LOAN_APPLY = "loan.apply"  # submit, revise and withdraw loan applications of one's customers
    LOAN_READ = "loan.read"  # loan applications, their checks, decisions and letters
    UNDERWRITING_SUBMIT = "underwriting.submit"  # submit insurance proposals with their health questionnaire
    UNDERWRITING_READ = "underwriting.read"  # underwriting cases and their decisions
    OPPORTUNITY_WRITE = "opportunity.write"  # open opportunities on customers, move them, win or lose them
    METRICS_VIEW = "metrics.view"  # dashboards and their figures (within the data scope), drill-down, forecasts
    REMINDER_RULE_MANAGE = "reminder_rule.manage"  # the agenda's reminder rules: lead days, on/off, channels (data)


P = Permission
# The groups the table is made of, each named for the work it allows.
_SEES_CUSTOMERS = frozenset({P.CUSTOMER_READ, P.CUSTOMER_EXPORT})
_WORKS_WITH_CUSTOMERS = _SEES_CUSTOMERS | {P.CUSTOMER_CREATE, P.CUSTOMER_EDIT, P.RECORD_WRITE}
# Selling: assess customers, ask the suitability question, propose and complete sales (suitability domain).
_SELLS = frozenset({P.ASSESSMENT_ISSUE, P.SUITABILITY_CHECK, P.PRODUCT_READ, P.SALE_PROPOSE})
# Tasks and tickets (services/activities): people who serve customers work tickets; team leads and branch
# managers also direct the work of the people in their scope.
_WORKS_TICKETS = frozenset({P.TICKET_WORK})
_LEADS = frozenset({P.TASK_REASSIGN, P.TICKET_WORK, P.TICKET_ASSIGN})
# Approval workflows (services/workflows, loans, underwriting): people who sell submit loan applications and
# insurance proposals; deciding is for the roles a definition, the authority matrix and the data scope name.
_ORIGINATES = frozenset({P.LOAN_APPLY, P.LOAN_READ, P.UNDERWRITING_SUBMIT, P.UNDERWRITING_READ})
_DECIDES_LOANS = frozenset({P.APPROVAL_DECIDE, P.LOAN_READ})
# Decision support (services/analytics, services/opportunities): whoever sells works opportunities; the
# dashboards show each reader the figures of their own scope.
_PIPELINE_AND_FIGURES = frozenset({P.OPPORTUNITY_WRITE, P.METRICS_VIEW})

# Who may do what: the one permission matrix (tests/unit/test_permissions.py holds it cell by cell). Admins
# configure the system and auditors only read: neither writes customers or their records, although both see
# every customer. Reveal goes to the roles whose field policy makes a field REVEALABLE (a test holds the two
# together). Reassigning customers directs other people's work: team leads, branch managers (to the RMs in
# their scope) and the systems of record that keep the firm's book (with their customers:write scope).
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.RM: _WORKS_WITH_CUSTOMERS | _SELLS | _WORKS_TICKETS | _ORIGINATES | _PIPELINE_AND_FIGURES,
    Role.TEAM_LEAD: _WORKS_WITH_CUSTOMERS | _SELLS | _LEADS | _ORIGINATES | _PIPELINE_AND_FIGURES
    | {P.IMPORT_RUN, P.CUSTOMER_REASSIGN},
    Role.BRANCH_MANAGER: _WORKS_WITH_CUSTOMERS | _SELLS | _LEADS | _ORIGINATES | _DECIDES_LOANS | _PIPELINE_AND_FIGURES
    | {P.CUSTOMER_REVEAL, P.IMPORT_RUN, P.COMPLAINT_REPORT, P.CUSTOMER_REASSIGN},
    Role.OPS: _WORKS_WITH_CUSTOMERS | _SELLS | _WORKS_TICKETS | _ORIGINATES
    | {P.CUSTOMER_REVEAL, P.IMPORT_RUN, P.RISK_LEVEL_SET, P.KYC_STATUS_SET, P.AML_SCREEN, P.OPPORTUNITY_WRITE},
    # Compliance handles complaints and AML across the firm and reviews sales; reads loans and proposals.
    Role.COMPLIANCE: _SEES_CUSTOMERS | {
        P.CUSTOMER_EDIT, P.CUSTOMER_REVEAL, P.RECORD_WRITE, P.IMPORT_OVERSEE, P.WEBHOOK_VIEW, P.RISK_LEVEL_SET,
        P.KYC_STATUS_SET, P.AML_RISK_SET, P.AML_VIEW, P.AML_SCREEN, P.AML_REVIEW, P.AML_LIST_MANAGE,
        P.QUESTIONNAIRE_MANAGE, P.INVESTOR_CLASSIFY, P.SUITABILITY_CHECK, P.PRODUCT_READ, P.SALE_REVIEW,
        P.TICKET_WORK, P.TICKET_ASSIGN, P.COMPLAINT_REPORT, P.LOAN_READ, P.UNDERWRITING_READ, P.METRICS_VIEW},
    Role.APPROVER: _SEES_CUSTOMERS | _DECIDES_LOANS
    | {P.CUSTOMER_REVEAL, P.RECORD_WRITE, P.SUITABILITY_CHECK, P.PRODUCT_READ},
    # Head office's deciders see the customers their cases are about, nothing else.
    Role.CREDIT_OFFICER: frozenset({P.CUSTOMER_READ}) | _DECIDES_LOANS,
    Role.CREDIT_COMMITTEE: frozenset({P.CUSTOMER_READ}) | _DECIDES_LOANS | {P.UNDERWRITING_READ},
    Role.UNDERWRITER: frozenset({P.CUSTOMER_READ, P.APPROVAL_DECIDE, P.UNDERWRITING_READ}),
    Role.AUDITOR: _SEES_CUSTOMERS | {P.CUSTOMER_REVEAL, P.IMPORT_OVERSEE, P.AML_VIEW, P.SUITABILITY_CHECK,
                                     P.PRODUCT_READ, P.COMPLAINT_REPORT, P.LOAN_READ, P.UNDERWRITING_READ,
                                     P.METRICS_VIEW},
    # Admins keep the configuration that is data: tag rules, custom fields, webhooks, users, API clients,
    # questionnaires, ticket categories, workflow definitions, reminder rules.
    Role.ADMIN: _SEES_CUSTOMERS | {P.IMPORT_OVERSEE, P.TAG_RULE_MANAGE, P.CUSTOM_FIELD_MANAGE, P.WEBHOOK_MANAGE,
                                   P.WEBHOOK_VIEW, P.USER_MANAGE, P.API_CLIENT_MANAGE, P.QUESTIONNAIRE_MANAGE,
                                   P.PRODUCT_READ, P.TICKET_CATEGORY_MANAGE, P.WORKFLOW_MANAGE,
                                   P.REMINDER_RULE_MANAGE},
    # The most any API client may do; its token's scopes grant a part of it (SCOPE_PERMISSIONS).
    API_ROLE: frozenset({P.CUSTOMER_READ, P.CUSTOMER_CREATE, P.CUSTOMER_EDIT, P.CUSTOMER_REASSIGN, P.RECORD_WRITE,
                         P.ACCOUNT_WRITE, P.TRANSACTION_INGEST, P.EVENT_INGEST, P.PRODUCT_READ, P.SUITABILITY_CHECK,
                         P.SALE_PROPOSE, P.LOAN_APPLY, P.LOAN_READ, P.METRICS_VIEW}),
}

# What each OAuth2 scope (services.integration.clients.SCOPES) grants an API client's token.
SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "customers:read": frozenset({P.CUSTOMER_READ}),
    "customers:write": frozenset({P.CUSTOMER_CREATE, P.CUSTOMER_EDIT, P.CUSTOMER_REASSIGN}),
    "accounts:write": frozenset({P.ACCOUNT_WRITE}),
    "transactions:write": frozenset({P.TRANSACTION_INGEST}),
    "events:write": frozenset({P.EVENT_INGEST}),
    "interactions:write": frozenset({P.RECORD_WRITE}),
    "products:read": frozenset({P.PRODUCT_READ}),
    "suitability:read": frozenset({P.SUITABILITY_CHECK, P.PRODUCT_READ}),
    "sales:write": frozenset({P.SALE_PROPOSE}),
    "loans:write": frozenset({P.LOAN_APPLY}),
    "loans:read": frozenset({P.LOAN_READ}),
    "metrics:read": frozenset({P.METRICS_VIEW}),
}

ALL_PERMISSIONS = frozenset(Permission)


def permissions_of(actor: Actor) -> frozenset[Permission]:
    """Everything the actor may do. The firm's own processes (kind "system") may do everything; an API
    client only what both its role and its token's scopes grant; people what their roles grant."""
    roles = actor.roles
    return _permissions(actor.kind, roles if isinstance(roles, frozenset) else frozenset(roles), actor.scopes)


@lru_cache(maxsize=256)  # a handful of role sets and scope sets; asked by every use case
def _permissions(kind: str, roles: frozenset[str], scopes: frozenset[str] | None) -> frozenset[Permission]:
    if kind == "system":
        return ALL_PERMISSIONS
    granted = frozenset().union(*(ROLE_PERMISSIONS.get(r, ()) for r in roles))
    if kind == "api_client":
        granted &= frozenset().union(*(SCOPE_PERMISSIONS.get(s, ()) for s in scopes or ()))
    return granted


_CODES: dict[tuple[Any, ...], frozenset[str]] = {}


def _codes_of(actor: Actor) -> frozenset[str]:
    """`permissions_of` as plain codes, for the check every use case call makes: one dict lookup (about 0.2 µs
    where the Enum members' own hashing cost 2 µs a call)."""
    key = (actor.kind, actor.roles, actor.scopes)
    try:
        return _CODES[key]
    except KeyError:
        pass
    except TypeError:  # roles or scopes given as plain sets, which cannot be a key: not remembered
        return frozenset(p.value for p in permissions_of(actor))
    codes = frozenset(p.value for p in permissions_of(actor))
    if len(_CODES) > 1024:  # a handful of role and scope sets in practice; never unbounded
        _CODES.clear()
    _CODES[key] = codes
    return codes


def permits(actor: Actor, permission: Permission) -> bool:
    return permission in permissions_of(actor)


def require(actor: Actor, permission: Permission, **refusal: Any) -> None:
    """Refuse (NotPermitted, audited as `access.refused`) unless the actor holds `permission`. `refusal`:
    what else the refusal records (entity_type, entity_id, audit_details)."""
    if permission not in permissions_of(actor):
        raise NotPermitted(actor=actor, permission=permission, **refusal)


_UseCase = TypeVar("_UseCase", bound=Callable[..., Any])


def requires(permission: Permission, *alternatives: Permission) -> Callable[[_UseCase], _UseCase]:
    """A use case's permission: checked before its body runs, and recorded on it (`required_permissions`)
    for the test that every use case states one. With alternatives, any one of them admits; a use case whose
    permission depends on its arguments states its base permission here and checks more inside."""
    needed = (permission, *alternatives)
    codes = frozenset(p.value for p in needed)

    def decorate(fn: _UseCase) -> _UseCase:
        params = inspect.signature(fn).parameters
        if "actor" not in params or params["actor"].kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{fn.__qualname__}: a use case takes its actor as a keyword-only argument")
        operation = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def use_case(*args: Any, **kwargs: Any) -> Any:
            actor = kwargs.get("actor")
            if actor is None:
                raise TypeError(f"{operation}() needs its keyword-only argument 'actor'")
            if _codes_of(actor).isdisjoint(codes):
                # The refusal is raised here, not in the use case, so it names the use case itself.
                raise NotPermitted(actor=actor, permission="|".join(needed),
                                   audit_details={"operation": operation})
            return fn(*args, **kwargs)

        use_case.required_permissions = needed  # type: ignore[attr-defined]
        return use_case  # type: ignore[return-value]

    return decorate


def required_permissions(use_case: Callable[..., Any]) -> tuple[Permission, ...]:
    """The permissions a use case states (empty when it states none)."""
    return tuple(getattr(use_case, "required_permissions", ()))


# ---------------------------------------------------------------- data scope

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
    # The head office's credit department and underwriters decide for every branch.
    Role.CREDIT_OFFICER: Scope.ALL,
    Role.CREDIT_COMMITTEE: Scope.ALL,
    Role.UNDERWRITER: Scope.ALL,
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
    """A WHERE clause limiting customers to the actor's data scope, and to published customers: the rows of an
    import that has not finished are nobody's yet (services/holds.py; the one visibility rule of every list)."""
    scope = scope_of(actor)
    if scope is Scope.ALL:
        scoped = true()
    elif scope is Scope.CLIENT and actor.kind == "api_client" and actor.id is not None:
        scoped = client_customers(actor.id, customer_table.id)
    elif scope is Scope.BRANCH and actor.branch_id is not None:
        scoped = customer_table.branch_id == actor.branch_id
    elif scope is Scope.TEAM and actor.team_id is not None:
        scoped = customer_table.team_id == actor.team_id
    elif scope is Scope.OWN and actor.id is not None and actor.kind == "user":
        scoped = customer_table.owner_id == actor.id
    else:
        return false()
    return and_(holds.visible(customer_table.id), scoped)


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
    # Credit and underwriting decide on an application's facts; identities stay masked.
    Role.CREDIT_OFFICER: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.VISIBLE,
                          "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.CREDIT_COMMITTEE: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.VISIBLE,
                            "address": Access.VISIBLE, "account_no": Access.MASKED},
    Role.UNDERWRITER: {"id_number": Access.MASKED, "phone": Access.MASKED, "email": Access.MASKED,
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
    """customer.reveal for this field: the field policy must make it REVEALABLE for one of the actor's roles."""
    if field not in SENSITIVE_FIELDS or field_access(actor, field) < Access.REVEALABLE:
        raise NotPermitted(actor=actor, permission=Permission.CUSTOMER_REVEAL,
                           audit_details={"field": str(field)[:40]})
