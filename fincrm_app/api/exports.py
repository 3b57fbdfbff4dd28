"""GET /exports/customers.{csv|xlsx}?q=<search>&filters=<JSON list>: the customer list's export download.

Authenticated by the same HttpOnly session cookie as the UI (resolved to an Actor on every request,
so sign-out and expiry act at once). `services.customers.export.export_customers` does the rest:
the actor's data scope, field masks, visible custom fields only, neutralised formulas, the row limit
and the audit event, which is committed here with the export. Bad input gets 422 with a message in
the user's language; a browser navigation (the page's export links) gets the message as a small page
with a link back to the list, anything else gets JSON.
"""
from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fincrm_app.api.cookie_auth import attachment, error_response, request_actor, request_locale
from services.customers.export import export_customers
from services.db import unit_of_work
from services.errors import DomainError, FieldError, SessionInvalid, ValidationFailed
from services.validation.json_input import INVALID, load_json
from state.i18n import label

router = APIRouter(prefix="/exports", tags=["exports"])

MAX_QUERY = 100
MAX_FILTERS_JSON = 16_384


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _error(request: Request, exc: DomainError, locale: str) -> Response:
    message = exc.message(locale)
    if _wants_html(request):
        title = label("lf.export_failed", locale)
        page = (f'<!doctype html><html lang="{"en" if locale == "en" else "zh-CN"}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}'
                f'</title></head><body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
                f'<h1 style="font-size:1.3rem">{html.escape(title)}</h1><p id="export-error" role="alert">'
                f'{html.escape(message)}</p><p><a id="export-back" href="/customers">'
                f'{html.escape(label("lf.export_back", locale))}</a></p></body></html>')
        return HTMLResponse(page, status_code=exc.http_status, headers={"Cache-Control": "no-store"})
    return error_response(exc, locale)


def _filters(raw: str | None) -> Any:
    """The filters parameter as JSON (a list; the service validates its items), or ValidationFailed."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_FILTERS_JSON:
        raise ValidationFailed([FieldError("filters", "value.too_long", {"max": MAX_FILTERS_JSON})])
    try:
        value = load_json(raw, field="filters")  # bounded nesting, no broken text (lone surrogates)
    except ValidationFailed as exc:  # one parameter: name it, whatever inside it was wrong
        first = exc.errors[0]
        code = "value.wrong_type" if first.code == INVALID else first.code
        raise ValidationFailed([FieldError("filters", code, first.params)]) from None
    if not isinstance(value, list):
        raise ValidationFailed([FieldError("filters", "value.wrong_type")])
    return value


# A plain `def` route: FastAPI runs it in its threadpool, so the session lookup, the query and the file
# building never hold the event loop (tests/api/test_api_hostile_input.py checks it).
@router.get("/customers.{fmt}")
def export_customers_file(fmt: str, request: Request, q: str = "", filters: str | None = None) -> Response:
    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return _error(request, SessionInvalid(), locale)
    try:
        if fmt not in ("csv", "xlsx"):
            raise ValidationFailed([FieldError("format", "export.bad_format")])
        if len(q) > MAX_QUERY:
            raise ValidationFailed([FieldError("query", "value.too_long", {"max": MAX_QUERY})])
        parsed = _filters(filters)
        with unit_of_work() as uow:
            out = export_customers(uow=uow, actor=actor, query=q, filters=parsed, fmt=fmt, locale=locale)
            uow.commit()  # the audit event of the export
    except DomainError as exc:
        return _error(request, exc, locale)
    return attachment(out.data, out.content_type, out.filename, **{"X-Export-Rows": str(out.rows)})


@router.get("/metrics/{figure}.{fmt}")
def export_metric_file(figure: str, fmt: str, request: Request, date_from: str | None = None,
                       date_to: str | None = None, branch_id: str | None = None, team_id: str | None = None,
                       rm_id: str | None = None, product_type: str | None = None) -> Response:
    """A dashboard figure's table (services/analytics/exports.py): the dashboard's filters, the actor's scope."""
    from services.analytics.exports import export_figure

    locale = request_locale(request)
    actor = request_actor(request)
    if actor is None:
        return _error(request, SessionInvalid(), locale)
    filters = {"date_from": date_from, "date_to": date_to, "branch_id": branch_id, "team_id": team_id,
               "rm_id": rm_id, "product_type": product_type}
    try:
        with unit_of_work() as uow:
            out = export_figure(uow=uow, actor=actor, figure=figure, filters=filters, fmt=fmt, locale=locale)
            uow.commit()  # the audit event of the export
    except DomainError as exc:
        return _error(request, exc, locale)
    return attachment(out.data, out.content_type, out.filename, **{"X-Export-Rows": str(out.rows)})
