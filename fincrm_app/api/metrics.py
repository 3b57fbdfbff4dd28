"""API v1: the dashboards' figures as JSON for other systems (BI tools, head office's reporting).

GET /api/v1/metrics               the figures there are, and the organisation this client reads
GET /api/v1/metrics/{figure}      one figure, with the dashboard's filters as query parameters

Both need the metrics:read scope; a client reads only the organisation an administrator granted it
(`fincrm metrics grant`), through the same use cases as the dashboard page (services/analytics/figures.py), so the
figures are the page's, read from the same rollup and changing as soon as it changes. Routes are registered on
API v1's router (fincrm_app/api/v1.py imports this module) and listed in its OpenAPI document.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.v1 import _ERRORS, ApiCaller, _dump, _run, caller, router
from services.analytics import figures
from services.analytics.figures import FigureData
from services.analytics.filters import scope_limit
from services.security.policy import Permission as P, requires

_FILTER_PARAMS = ("date_from", "date_to", "branch_id", "team_id", "rm_id", "product_type")


class FigureInfo(BaseModel):
    name: str
    unit: str
    chart: str
    product_type_filter: bool
    path: str


class FigureList(BaseModel):
    figures: list[FigureInfo]
    filters: list[str]
    scope: str  # all, branch, team: the organisation this client reads; none: no grant yet
    branch_id: int | None
    team_id: int | None


# What each figure draws (for a client deciding which to fetch): the figures' own answers say it too.
_KIND = {"aum_trend": ("money", "area"), "aum_unit_trend": ("money", "line"), "aum_by_unit": ("money", "bar"), "aum_by_segment": ("money", "bar"),
         "customers_new_lost": ("count", "bar"), "pipeline_funnel": ("count", "funnel"),
         "sales_by_type": ("money", "stacked_bar"), "sales_by_risk": ("money", "stacked_bar"),
         "rm_leaderboard": ("money", "bar"), "channel_quality": ("percent", "bar"),
         "repurchase_rate": ("percent", "bar"), "nba_conversion": ("percent", "bar"),
         "sales_forecast": ("money", "forecast")}


@requires(P.METRICS_VIEW)
def _figure_list(*, uow, actor) -> FigureList:
    scope, branch, team, _owner = scope_limit(uow.session, actor)
    return FigureList(
        figures=[FigureInfo(name=n, unit=_KIND.get(n, ("", ""))[0], chart=_KIND.get(n, ("", ""))[1],
                            product_type_filter=n in figures.PRODUCT_FIGURES, path=f"/api/v1/metrics/{n}")
                 for n in figures.FIGURES],
        filters=list(_FILTER_PARAMS), scope="none" if scope == "none" else ("all" if branch is None else
                                                                            "team" if team else "branch"),
        branch_id=branch if branch and branch > 0 else None, team_id=team if team and team > 0 else None)


@router.get("/metrics", tags=["metrics"], summary="The dashboards' figures, and the organisation you read",
            responses={200: {"model": FigureList}, **_ERRORS})
async def list_metrics(request: Request, who: ApiCaller = caller("metrics:read")) -> JSONResponse:
    out = await run_in_threadpool(_run, request, lambda uow: _figure_list(uow=uow, actor=who.actor))
    return JSONResponse(_dump(out))


_FIGURE_DESCRIPTION = (
    "One figure of the dashboards, read from the rollup the dashboards read (it changes as soon as a sale or a "
    "transaction lands). Filters: date_from / date_to (YYYY-MM-DD; default the last 365 days up to today; at most "
    "three years), branch_id, team_id, rm_id (within the organisation granted to you), product_type (deposit, "
    "wealth, fund, bond, equity, insurance, loan; figures about customers and AUM ignore it and say so in notes). "
    "A filter outside what you may read is refused with 422, naming the field. Answer: series (x, y, and the "
    "drill-down key of each point), the same numbers as rows, notes (message codes) and the filters applied.")


@router.get("/metrics/{figure}", tags=["metrics"], summary="One figure, with the dashboard's filters",
            description=_FIGURE_DESCRIPTION, responses={200: {"model": FigureData}, **_ERRORS})
async def get_metric(figure: str, request: Request, date_from: str | None = None, date_to: str | None = None,
                     branch_id: str | None = None, team_id: str | None = None, rm_id: str | None = None,
                     product_type: str | None = None, who: ApiCaller = caller("metrics:read")) -> JSONResponse:
    filters: dict[str, Any] = {"date_from": date_from, "date_to": date_to, "branch_id": branch_id,
                               "team_id": team_id, "rm_id": rm_id, "product_type": product_type}
    # Unknown query parameters are refused like unknown fields of a body: a typo is not a silent "all".
    for key in request.query_params:
        if key not in _FILTER_PARAMS:
            filters[key] = request.query_params[key]
    out = await run_in_threadpool(_run, request, lambda uow: figures.figure(uow=uow, actor=who.actor, figure=figure,
                                                                            filters=filters))
    return JSONResponse(_dump(out))
