"""What a figure is asked for: a date range, a branch, team or RM, a product type; checked, and limited to the
asker's data scope.

Everybody reads figures only of what their data scope holds: an RM his own book, a team lead his team, a
branch manager his branch, head office the firm, an API client the organisation an administrator granted it
(services/analytics/grants.py). A filter that names something outside it is refused with a message saying so (and
the refusal is audited): never a figure of someone else's book, and never silently "nothing".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.errors import FieldError, RefusedInput, ValidationFailed
from services.org.models import Branch, Team
from services.portfolio.models import ProductType
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Scope, scope_of
from services.validation.input import RowId, StrictInput, parse

MAX_DAYS = 3 * 366  # the longest range one figure covers
EARLIEST = date(2000, 1, 1)
DEFAULT_DAYS = 365


class FigureFilters(StrictInput):
    date_from: date | None = None
    date_to: date | None = None
    branch_id: RowId | None = None
    team_id: RowId | None = None
    rm_id: RowId | None = None
    product_type: ProductType | None = None


@dataclass(frozen=True)
class Query:
    """A checked request: the range and the cell filter (None: any) the figures read."""

    start: date
    end: date
    branch_id: int | None
    team_id: int | None
    owner_id: int | None
    product_type: str | None
    scope: str  # all, branch, team, own, client: what the asker may see at most

    def key(self) -> tuple:
        return (self.start, self.end, self.branch_id, self.team_id, self.owner_id, self.product_type)

    @property
    def level(self) -> str:
        """The rollup level that holds exactly this cell filter ('f': the whole firm, no cell filter)."""
        return "o" if self.owner_id else "t" if self.team_id else "b" if self.branch_id else "f"

    def as_dict(self) -> dict[str, Any]:
        return {"date_from": self.start.isoformat(), "date_to": self.end.isoformat(), "branch_id": self.branch_id,
                "team_id": self.team_id, "rm_id": self.owner_id, "product_type": self.product_type}


def _clean(data: Any) -> dict:
    """Empty values ("" from a form, None) mean "not filtered"."""
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("input", "value.wrong_type")])
    return {k: v for k, v in data.items() if v not in (None, "")}


def resolve(session: Session, actor: Actor, data: Any) -> Query:
    """The checked query for `data` (a dict of FigureFilters fields), limited to the actor's scope."""
    f = parse(FigureFilters, _clean(data))
    today = clock.today()
    end = f.date_to or today
    start = f.date_from or (end - timedelta(days=DEFAULT_DAYS - 1))
    errors: list[FieldError] = []
    if end > today:
        errors.append(FieldError("date_to", "metrics.future", {"today": today.isoformat()}))
    if f.date_from is not None and f.date_from > today:
        errors.append(FieldError("date_from", "metrics.future", {"today": today.isoformat()}))
    if start < EARLIEST:
        errors.append(FieldError("date_from", "metrics.range_too_early", {"earliest": EARLIEST.isoformat()}))
    if end < start:
        errors.append(FieldError("date_to", "metrics.range_backwards"))
    elif (end - start).days + 1 > MAX_DAYS:
        errors.append(FieldError("date_from", "metrics.range_too_long", {"days": MAX_DAYS}))
    branch = session.get(Branch, f.branch_id) if f.branch_id else None
    team = session.get(Team, f.team_id) if f.team_id else None
    rm = session.get(User, f.rm_id) if f.rm_id else None
    if rm is not None and rm.team_id is None and "rm" not in (rm.roles or ()):
        rm = None  # a user who keeps no book (compliance, an administrator) is no RM to filter on
    if f.branch_id and branch is None:
        errors.append(FieldError("branch_id", "metrics.unknown_branch"))
    if f.team_id and team is None:
        errors.append(FieldError("team_id", "metrics.unknown_team"))
    if f.rm_id and rm is None:
        errors.append(FieldError("rm_id", "metrics.unknown_rm"))
    if branch is not None and team is not None and team.branch_id != branch.id:
        errors.append(FieldError("team_id", "metrics.team_not_in_branch"))
    if rm is not None and ((team is not None and rm.team_id != team.id)
                           or (branch is not None and rm.branch_id != branch.id)):
        errors.append(FieldError("rm_id", "metrics.rm_not_in_team"))
    if errors:
        raise ValidationFailed(errors)
    b, t, o = (branch.id if branch else None), (team.id if team else None), (rm.id if rm else None)
    # The narrowest of what was asked: a team implies its branch, an RM his team and branch.
    if rm is not None:
        b, t = rm.branch_id or b, rm.team_id or t
    elif team is not None:
        b = team.branch_id
    limit = scope_limit(session, actor)
    scope, lb, lt, lo = limit
    refused: list[FieldError] = []
    for field, asked, allowed, name in (("branch_id", b, lb, "branch"), ("team_id", t, lt, "team"),
                                        ("rm_id", o, lo, "rm")):
        if allowed is None:
            continue
        if asked is not None and asked != allowed:
            refused.append(FieldError(field, _out_of_scope(scope)))
    if scope == "none":
        no_grant = actor.kind == "api_client"
        refused = [FieldError("scope", "metrics.no_grant" if no_grant else "metrics.out_of_scope.none")]
    if refused:
        raise RefusedInput(refused, actor=actor, entity_type="metrics")
    b, t, o = (lb if lb is not None else b), (lt if lt is not None else t), (lo if lo is not None else o)
    return Query(start=start, end=end, branch_id=b, team_id=t, owner_id=o,
                 product_type=f.product_type.value if f.product_type else None, scope=scope)


def _out_of_scope(scope: str) -> str:
    return f"metrics.out_of_scope.{scope if scope in ('own', 'team', 'branch', 'client') else 'none'}"


def scope_limit(session: Session, actor: Actor) -> tuple[str, int | None, int | None, int | None]:
    """(scope name, branch, team, RM) the actor's figures are limited to (None: not limited on that)."""
    scope = scope_of(actor)
    if scope is Scope.ALL:
        return "all", None, None, None
    if scope is Scope.CLIENT and actor.kind == "api_client" and actor.id is not None:
        from services.analytics.models import MetricGrant

        g = session.get(MetricGrant, actor.id)
        if g is None:
            return "none", -1, -1, -1
        if g.scope == "all":
            return "client", None, None, None
        if g.scope == "branch":
            return "client", g.branch_id, None, None
        team = session.get(Team, g.team_id)
        return "client", team.branch_id if team else -1, g.team_id, None
    if scope is Scope.BRANCH and actor.branch_id is not None:
        return "branch", actor.branch_id, None, None
    if scope is Scope.TEAM and actor.team_id is not None:
        team = session.get(Team, actor.team_id)
        return "team", team.branch_id if team else actor.branch_id, actor.team_id, None
    if scope is Scope.OWN and actor.kind == "user" and actor.id is not None:
        return "own", actor.branch_id, actor.team_id, actor.id
    return "none", -1, -1, -1


def units(session: Session, actor: Actor) -> dict[str, list[dict]]:
    """The branches, teams and RMs the filter bar offers: those within the actor's scope."""
    scope, lb, lt, lo = scope_limit(session, actor)
    bq = select(Branch.id, Branch.name, Branch.name_en).order_by(Branch.code)
    tq = select(Team.id, Team.name, Team.name_en, Team.branch_id).order_by(Team.branch_id, Team.id)
    uq = select(User.id, User.display_name, User.team_id, User.branch_id).where(
        User.is_active.is_(True), User.team_id.is_not(None)).order_by(User.display_name, User.id)
    if lb is not None:
        bq, tq, uq = bq.where(Branch.id == lb), tq.where(Team.branch_id == lb), uq.where(User.branch_id == lb)
    if lt is not None:
        tq, uq = tq.where(Team.id == lt), uq.where(User.team_id == lt)
    if lo is not None:
        uq = uq.where(User.id == lo)
    return {
        "scope": scope,
        "branches": [{"id": i, "name": n, "name_en": e} for i, n, e in session.execute(bq)],
        "teams": [{"id": i, "name": n, "name_en": e, "branch_id": b} for i, n, e, b in session.execute(tq)],
        "rms": [{"id": i, "name": n, "team_id": t, "branch_id": b} for i, n, t, b in session.execute(uq.limit(500))],
    }
