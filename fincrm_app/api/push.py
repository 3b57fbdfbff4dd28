"""POST /push/subscriptions: the device's Web Push subscription (PushSubscription.toJSON() from its service worker's
pushManager, sent by assets/push.js) kept for the signed-in person; DELETE with {endpoint} forgets it. Session cookie
only, from the app's own pages (Origin checked; the cookie is SameSite=Strict). services.agenda.push validates."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from fincrm_app.api.cookie_auth import (cross_site_refusal, error_response, json_object, request_locale,
                                        same_origin, signed_in_with_body)
from services.agenda import push
from services.db import unit_of_work
from services.errors import DomainError

router = APIRouter(prefix="/push", tags=["push"])
_NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 8 * 1024


async def _call(request: Request, use_case, key: str) -> Response:
    """Origin and the (bounded) body here; the session and the use case in the threadpool (they wait for the
    database), never on the event loop."""
    if not same_origin(request):
        return cross_site_refusal("push.cross_site")
    data = await json_object(request, MAX_BODY)
    return await run_in_threadpool(_call_now, request, use_case, key, data)


def _call_now(request: Request, use_case, key: str, data: dict | None) -> Response:
    checked = signed_in_with_body(request, data)
    if isinstance(checked, Response):
        return checked
    actor, data = checked
    locale = request_locale(request)
    try:
        with unit_of_work() as uow:
            if key == "subscribe":
                result = use_case(uow=uow, actor=actor, subscription=data,
                                  user_agent=request.headers.get("user-agent"))
            else:
                result = use_case(uow=uow, actor=actor, endpoint=data.get("endpoint"))
            uow.commit()
    except DomainError as exc:
        return error_response(exc, locale)
    return JSONResponse({"ok": bool(result)}, status_code=201 if key == "subscribe" else 200, headers=_NO_STORE)


@router.post("/subscriptions")
async def subscribe(request: Request) -> Response:
    return await _call(request, push.subscribe, "subscribe")


@router.delete("/subscriptions")
async def unsubscribe(request: Request) -> Response:
    return await _call(request, push.unsubscribe, "unsubscribe")
