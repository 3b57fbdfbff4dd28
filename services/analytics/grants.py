"""Which organisation an API client reads figures of (GET /api/v1/metrics): the whole firm, one branch or one
team, granted explicitly by an administrator (`fincrm metrics grant`). A client with no grant reads nothing.

A client's customer data scope is the customers it linked to its own external ids; the figures are kept per
branch, team and RM, not per client, so a reporting system is given an organisation instead (filters.scope_limit).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services import clock
from services.analytics.models import MetricGrant
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.org.models import Branch, Team
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission as P, requires


@requires(P.API_CLIENT_MANAGE)
def grant(*, uow: UnitOfWork, actor: Actor, client_pk: Any, branch_code: Any = None, team_id: Any = None,
          everything: bool = False) -> str:
    """Grant (or replace the grant of) an API client (its row id: the caller resolves its client_id through the
    integration domain): the firm, a branch (by code) or a team (by id). Returns the grant in words."""
    s = uow.session
    if isinstance(client_pk, bool) or not isinstance(client_pk, int) or client_pk <= 0:
        raise ValidationFailed([FieldError("client_id", "value.invalid")])
    chosen = sum(1 for x in (branch_code, team_id, everything or None) if x is not None)
    if chosen != 1:
        raise ValidationFailed([FieldError("scope", "value.invalid")])
    row = s.get(MetricGrant, client_pk) or MetricGrant(client_pk=client_pk, scope="all", granted_by=actor.name,
                                                        granted_at=clock.now())
    if everything:
        row.scope, row.branch_id, row.team_id, words = "all", None, None, "the whole firm"
    elif branch_code is not None:
        branch = s.execute(select(Branch).where(Branch.code == str(branch_code))).scalar_one_or_none()
        if branch is None:
            raise ValidationFailed([FieldError("branch_id", "metrics.unknown_branch")])
        row.scope, row.branch_id, row.team_id, words = "branch", branch.id, None, f"branch {branch.code}"
    else:
        team = s.get(Team, int(team_id)) if str(team_id).isdigit() else None
        if team is None:
            raise ValidationFailed([FieldError("team_id", "metrics.unknown_team")])
        row.scope, row.branch_id, row.team_id, words = "team", team.branch_id, team.id, f"team {team.id}"
    row.granted_by, row.granted_at = actor.name, clock.now()
    s.add(row)
    s.flush()
    audit.record(s, actor, "metrics.grant", entity_type="api_client", entity_id=client_pk,
                 changes={"scope": row.scope, "branch_id": row.branch_id, "team_id": row.team_id})
    return words
