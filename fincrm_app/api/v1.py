"""REST API v1: other systems of the firm feed the customer 360 through the same services as the UI.

- Authentication: OAuth2 client credentials (services.integration.clients, built on Authlib);
  token URL POST /api/v1/oauth/token; every operation declares the scopes it needs.
- Each route: authenticate, read the JSON body (size-capped), call one use case in a unit of
  work, commit, and answer. Domain errors map to HTTP with the error code, a message in the
  caller's language (Accept-Language; zh_CN by default, en) and the fields at fault.
- Batches (transactions, events) need an Idempotency-Key: a replay with the same body gets the
  first answer, a different body gets 409.
- The OpenAPI document of this version alone is served at /api/v1/openapi.json.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2, SecurityScopes
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from services.activities.service import InteractionCreate
from services.customers.custom_fields import MAX_DEFINITIONS, CustomFieldView
from services.customers.schemas import CustomerCreate
from services.customers.views import AccountView, CustomerPage, HoldingView
from services.db import unit_of_work
from services.errors import DomainError, FieldError, ValidationFailed
from services.i18n import normalize_locale, translate
from services.integration import clients, idempotency, ingest, receiver
from services.integration.clients import SCOPES, TOKEN_PATH, ApiCaller, TokenRejected
from services.customers import service as customers
from services.loans import service as loans
from services.suitability import sales as suitability_sales
from services.suitability import service as suitability
from services.suitability.catalogue import ProductPage
from services.suitability.views import ApiInvestorFacts, CheckResult, ReasonView, SaleView, reason_view
from services.validation.input import whole_number
from services.validation.json_input import load_json

MAX_BODY = 16 * 1024 * 1024  # a 10,000-row batch is about 3 MB
MAX_SMALL_BODY = 64 * 1024

router = APIRouter(prefix="/api/v1")

oauth2 = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH, scopes=SCOPES)),
    scheme_name="oauth2", auto_error=False,
    description="OAuth2 client credentials: POST client_id and client_secret (HTTP Basic or form) "
                "with grant_type=client_credentials to the token URL; send the access token as a Bearer token.")


# ---------------------------------------------------------------- errors

class FieldProblem(BaseModel):
    field: str
    code: str
    message: str


class ErrorBody(BaseModel):
    error: str
    message: str
    fields: list[FieldProblem] = []


class ApiProblem(Exception):
    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None):
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def locale_of(request: Request) -> str:
    header = request.headers.get("accept-language") or ""
    first = header.split(",")[0].split(";")[0].strip()
    return normalize_locale(first or None)


def domain_problem(exc: DomainError, locale: str) -> ApiProblem:
    fields = []
    for e in getattr(exc, "errors", []):
        fields.append({"field": e.field, "code": e.code,
                       "message": f"{ingest.field_label(e.field, locale, e.params)}: {translate(e.code, locale, **e.params)}"})
    message = "; ".join(f["message"] for f in fields[:20]) if fields else exc.message(locale)
    return ApiProblem(exc.http_status, {"error": exc.code, "message": message, "fields": fields})


def _problem_response(request: Request, exc: ApiProblem) -> JSONResponse:
    return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)


_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422)}


# ---------------------------------------------------------------- authentication

def _authenticate(security_scopes: SecurityScopes, request: Request, _token: str | None = Security(oauth2)
                  ) -> ApiCaller:
    """The API client behind the bearer token, with every scope this operation needs (runs in a thread)."""
    locale = locale_of(request)
    try:
        with unit_of_work(readonly=True) as uow:
            return clients.authenticate_bearer(uow=uow, headers=request.headers, scopes=security_scopes.scopes)
    except TokenRejected as exc:
        code = {"insufficient_scope": "api.insufficient_scope", "missing_authorization": "api.missing_token"
                }.get(exc.error, "api.invalid_token")
        raise ApiProblem(exc.status, {"error": exc.error, "message": translate(code, locale,
                                                                               scope=" ".join(security_scopes.scopes)),
                                      "fields": []}, dict(exc.headers)) from None


def caller(*scopes: str) -> Any:
    return Security(_authenticate, scopes=list(scopes))


# ---------------------------------------------------------------- request helpers

async def _read_body(request: Request, limit: int = MAX_SMALL_BODY) -> bytes:
    size = request.headers.get("content-length")
    if size is not None and (whole_number(size, low=0) or 0) > limit:
        raise ApiProblem(413, {"error": "api.body_too_large",
                               "message": translate("api.body_too_large", locale_of(request), max=limit),
                               "fields": []})
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiProblem(413, {"error": "api.body_too_large",
                                   "message": translate("api.body_too_large", locale_of(request), max=limit),
                                   "fields": []})
    return body


async def _json(request: Request, limit: int = MAX_SMALL_BODY) -> Any:
    """The body as JSON: bounded nesting, no broken text (services/validation/json_input.py), parsed in
    the threadpool (a 16 MB batch takes a while, and the event loop serves everyone)."""
    raw = await _read_body(request, limit)
    try:
        return await run_in_threadpool(load_json, raw)
    except ValidationFailed as exc:
        raise domain_problem(exc, locale_of(request)) from None


def _run(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a use case in its own unit of work and commit; domain errors become API problems."""
    try:
        with unit_of_work() as uow:
            out = fn(uow, *args, **kwargs)
            uow.commit()
            return out
    except DomainError as exc:
        raise domain_problem(exc, locale_of(request)) from None


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if isinstance(model, BaseModel) else model


def _body_schema(model: type[BaseModel], description: str = "") -> dict:
    """Document a request body that the use case (not FastAPI) validates."""
    _BODY_MODELS[model.__name__] = model
    return {"requestBody": {"required": True, "description": description, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


_BODY_MODELS: dict[str, type[BaseModel]] = {}


class TransactionBatch(BaseModel):
    rows: list[ingest.TransactionRow]


class EventBatch(BaseModel):
    rows: list[ingest.EventRow]


class HoldingBatch(BaseModel):
    holdings: list[ingest.HoldingRow]


class BatchAnswer(BaseModel):
    received: int
    accepted: int
    duplicates: int


class TokenAnswer(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class InteractionAnswer(BaseModel):
    id: int
    customer_id: int
    kind: str
    occurred_at: str
    subject: str


_IDEMPOTENCY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": True,
                       "description": "Your unique key for this batch (1-100 of A-Z a-z 0-9 . _ : -). "
                                      "Replays with the same body get the first answer.",
                       "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,100}$"}}


# ---------------------------------------------------------------- token endpoint

_TOKEN_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["grant_type"], "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {"type": "string", "description": "Space-separated scopes; all of the client's when omitted"},
        "client_id": {"type": "string", "description": "client_secret_post only"},
        "client_secret": {"type": "string", "description": "client_secret_post only"}}}}}}}


@router.post("/oauth/token", tags=["auth"], summary="Get an access token (client credentials)",
             responses={200: {"model": TokenAnswer}, 400: {"description": "OAuth2 error"},
                        401: {"description": "OAuth2 error (invalid_client)"},
                        429: {"description": "Too many failed client authentications from this address or for "
                                             "this client (temporarily_unavailable; see Retry-After)"}},
             openapi_extra=_TOKEN_FORM)
async def token(request: Request) -> Response:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    raw = await _read_body(request, clients.MAX_FORM_BYTES)
    form: dict[str, str] = {}
    if ctype == "application/x-www-form-urlencoded":
        try:
            parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            parsed = {}
        form = {k: v[0] for k, v in parsed.items() if v and len(v) == 1}
    ip = request.client.host if request.client else None

    def issue() -> clients.OAuthResponse:
        with unit_of_work() as uow:
            out = clients.issue_token(uow=uow, method=request.method, headers=request.headers, form=form, ip=ip)
            uow.commit()  # tokens, and failed attempts towards the lockout
            return out

    out = await run_in_threadpool(issue)
    headers = dict(out.headers)
    headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return JSONResponse(out.body, status_code=out.status, headers=headers)


# ---------------------------------------------------------------- customers

@router.put("/customers/{external_id}", tags=["customers"], summary="Create or update a customer by your id",
            status_code=200, responses={200: {"model": ingest.ApiCustomerProfile},
                                        201: {"model": ingest.ApiCustomerProfile}, **_ERRORS},
            openapi_extra=_body_schema(CustomerCreate, "The customer; on update, fields that differ are changed "
                                                       "(custom: only the keys sent, null clears one)"))
async def put_customer(external_id: str, request: Request,
                       who: ApiCaller = caller("customers:write")) -> JSONResponse:
    body = await _json(request)

    def do(uow):
        return ingest.upsert_customer(uow=uow, actor=who.actor, external_id=external_id, data=body,
                                      default_owner_id=who.default_owner_id)

    out = await run_in_threadpool(_run, request, do)
    return JSONResponse(_dump(out.profile), status_code=201 if out.created else 200)


class ApiCustomer(ingest.ApiCustomerDetail):
    """A customer as GET /customers/{external_id} answers: the detail, and the customer as an investor."""

    investor: ApiInvestorFacts


@router.get("/customers/{external_id}", tags=["customers"],
            summary="A customer with accounts, holdings, investor class, risk level and its expiry",
            responses={200: {"model": ApiCustomer}, **_ERRORS})
async def get_customer(external_id: str, request: Request, who: ApiCaller = caller("customers:read")) -> JSONResponse:
    def do(uow):
        detail = ingest.get_customer(uow=uow, actor=who.actor, external_id=external_id)
        investor = suitability.api_investor_facts(uow=uow, actor=who.actor, customer_id=detail.profile.id)
        return ApiCustomer(**dict(detail), investor=investor)

    out = await run_in_threadpool(_run, request, do)
    return JSONResponse(_dump(out))


@router.get("/custom-fields", tags=["customers"], summary="The custom fields you may see, and whether you may set them",
            responses={200: {"model": list[CustomFieldView]}, **_ERRORS})
async def get_custom_fields(request: Request, who: ApiCaller = caller("customers:read")) -> JSONResponse:
    out = await run_in_threadpool(_run, request, lambda uow: ingest.list_custom_fields(uow=uow, actor=who.actor))
    return JSONResponse([_dump(v) for v in out])


@router.get("/customers", tags=["customers"], summary="Search customers (name, pinyin, phone or ID last 4)",
            responses={200: {"model": CustomerPage}, **_ERRORS})
async def search(request: Request, q: str = "", page: str = "1", page_size: str = "20",
                 who: ApiCaller = caller("customers:read")) -> JSONResponse:
    out = await run_in_threadpool(_run, request, lambda uow: customers.search_customers(
        uow=uow, actor=who.actor, query=q, page=page, page_size=page_size))
    return JSONResponse(_dump(out))


@router.put("/customers/{external_id}/accounts/{account_external_id}", tags=["accounts"],
            summary="Create or update an account by your id", status_code=200,
            responses={200: {"model": AccountView}, 201: {"model": AccountView}, **_ERRORS},
            openapi_extra=_body_schema(ingest.AccountUpsert))
async def put_account(external_id: str, account_external_id: str, request: Request,
                      who: ApiCaller = caller("accounts:write")) -> JSONResponse:
    body = await _json(request)
    out = await run_in_threadpool(_run, request, lambda uow: ingest.upsert_account(
        uow=uow, actor=who.actor, customer_external_id=external_id, account_external_id=account_external_id,
        data=body))
    return JSONResponse(_dump(out.account), status_code=201 if out.created else 200)


@router.put("/customers/{external_id}/accounts/{account_external_id}/holdings", tags=["accounts"],
            summary="Set the positions of an account (up to 1,000)",
            responses={200: {"model": list[HoldingView]}, **_ERRORS}, openapi_extra=_body_schema(HoldingBatch))
async def put_holdings(external_id: str, account_external_id: str, request: Request,
                       who: ApiCaller = caller("accounts:write")) -> JSONResponse:
    body = await _json(request, MAX_BODY)
    out = await run_in_threadpool(_run, request, lambda uow: ingest.upsert_holdings(
        uow=uow, actor=who.actor, customer_external_id=external_id, account_external_id=account_external_id,
        data=body))
    return JSONResponse([_dump(h) for h in out])


@router.post("/customers/{external_id}/interactions", tags=["customers"], summary="Record an interaction",
             status_code=201, responses={201: {"model": InteractionAnswer}, **_ERRORS},
             openapi_extra=_body_schema(InteractionCreate))
async def post_interaction(external_id: str, request: Request,
                           who: ApiCaller = caller("interactions:write")) -> JSONResponse:
    body = await _json(request)
    out = await run_in_threadpool(_run, request, lambda uow: ingest.add_interaction(
        uow=uow, actor=who.actor, customer_external_id=external_id, data=body))
    return JSONResponse(out, status_code=201)


# ---------------------------------------------------------------- batches

def _batch(request: Request, who: ApiCaller, key: Any, body: Any, use_case: Callable[..., Any]) -> tuple[int, dict, bool]:
    locale = locale_of(request)
    try:
        key = idempotency.check_key(key)
        digest = idempotency.request_hash(body)
        for _ in range(2):
            try:
                with unit_of_work() as uow:
                    replay = idempotency.lookup(uow.session, client_pk=who.client_pk, key=key, body_hash=digest)
                    if replay is not None:
                        return replay.status_code, replay.response, True
                    result = use_case(uow=uow, actor=who.actor, data=body).as_dict()
                    idempotency.remember(uow.session, client_pk=who.client_pk, key=key, body_hash=digest,
                                         status_code=200, response=result)
                    uow.commit()
                    return 200, result, False
            except IntegrityError:
                continue  # the same key committed concurrently: answer as a replay (or conflict)
        raise idempotency.IdempotencyConflict(key=key)
    except DomainError as exc:
        raise domain_problem(exc, locale) from None


def _batch_response(status: int, body: dict, replayed: bool) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true" if replayed else "false"})


@router.post("/transactions", tags=["batches"], summary="Send a batch of up to 10,000 transactions",
             responses={200: {"model": BatchAnswer}, **_ERRORS},
             openapi_extra={**_body_schema(TransactionBatch, "Rows referencing customers and accounts by your ids; "
                                           "a row whose external_ref was already received is skipped"),
                            "parameters": [_IDEMPOTENCY_HEADER]})
async def post_transactions(request: Request, who: ApiCaller = caller("transactions:write")) -> JSONResponse:
    body = await _json(request, MAX_BODY)
    out = await run_in_threadpool(_batch, request, who, request.headers.get("idempotency-key"), body,
                                  ingest.ingest_transactions)
    return _batch_response(*out)


@router.post("/events", tags=["batches"], summary="Send a batch of up to 10,000 behaviour events",
             responses={200: {"model": BatchAnswer}, **_ERRORS},
             openapi_extra={**_body_schema(EventBatch), "parameters": [_IDEMPOTENCY_HEADER]})
async def post_events(request: Request, who: ApiCaller = caller("events:write")) -> JSONResponse:
    body = await _json(request, MAX_BODY)
    out = await run_in_threadpool(_batch, request, who, request.headers.get("idempotency-key"), body,
                                  ingest.ingest_events)
    return _batch_response(*out)


# ---------------------------------------------------------------- suitability

class SaleRefusedBody(ErrorBody):
    verdict: str = "refused"
    reasons: list[ReasonView] = []
    facts: dict = {}


def _run_sale(request: Request, fn: Callable[..., Any]) -> Any:
    """Like _run; a sale the suitability rules refuse answers 422 with the verdict, its reasons in both
    languages and the facts it rests on (the refusal was audited when it left the unit of work)."""
    try:
        with unit_of_work() as uow:
            out = fn(uow)
            uow.commit()
            return out
    except suitability.SuitabilityRefused as exc:
        locale = locale_of(request)
        raise ApiProblem(exc.http_status, {
            "error": exc.code, "message": exc.message(locale), "fields": [], "verdict": "refused",
            "reasons": [reason_view(r["code"], r.get("params", {})).model_dump() for r in exc.reasons],
            "facts": exc.facts}) from None
    except DomainError as exc:
        raise domain_problem(exc, locale_of(request)) from None


@router.post("/suitability/check", tags=["suitability"], summary="May this customer buy this product?",
             responses={200: {"model": CheckResult}, **_ERRORS},
             openapi_extra=_body_schema(suitability.CheckQuestion,
                                        "The customer (customer_id, or external_id: your own id) and the product "
                                        "code. The answer is stored and audited."))
async def suitability_check(request: Request, who: ApiCaller = caller("suitability:read")) -> JSONResponse:
    body = await _json(request)
    out = await run_in_threadpool(_run, request, lambda uow: suitability.answer_check(uow=uow, actor=who.actor,
                                                                                      data=body))
    return JSONResponse(_dump(out))


@router.get("/products", tags=["suitability"], summary="Products with their risk level, regime and issuer",
            responses={200: {"model": ProductPage}, **_ERRORS})
async def products(request: Request, page: str = "1", page_size: str = "50",
                   who: ApiCaller = caller("products:read")) -> JSONResponse:
    out = await run_in_threadpool(_run, request, lambda uow: suitability.list_products(
        uow=uow, actor=who.actor, page=page, page_size=page_size))
    return JSONResponse(_dump(out))


@router.post("/sales", tags=["suitability"], summary="Propose a sale (checked for suitability first)",
             status_code=201, responses={201: {"model": SaleView}, 422: {"model": SaleRefusedBody}, **{
                 k: v for k, v in _ERRORS.items() if k != 422}},
             openapi_extra=_body_schema(suitability_sales.SaleProposal,
                                        "A refused sale records nothing and answers 422 with the reasons; an allowed "
                                        "one waits for the customer's signature in FinCRM"))
async def propose_sale(request: Request, who: ApiCaller = caller("sales:write")) -> JSONResponse:
    body = await _json(request)
    out = await run_in_threadpool(_run_sale, request, lambda uow: suitability_sales.propose_sale_request(
        uow=uow, actor=who.actor, data=body))
    return JSONResponse(_dump(out), status_code=201)


# ---------------------------------------------------------------- loan applications

class ApiLoanStep(BaseModel):
    step_id: str
    step_name: str
    roles: list[str]  # the roles that may act now; empty: the submitting RM revises it
    opened_at: str
    due_at: str | None


class ApiLoanDecision(BaseModel):
    step_id: str
    step_name: str
    decision: str  # approve | reject | return | resubmit | withdrawn
    role: str | None  # the authority it was decided under
    comment: str
    decided_at: str


class ApiLoanApplication(BaseModel):
    id: int
    ref: str
    customer_id: int
    status: str  # in_review | returned | approved | rejected | withdrawn
    status_text: str
    product_type: str
    purpose: str
    amount: str
    term_months: int
    collateral_type: str
    risk_grade: str | None
    score: int | None
    route: str | None  # branch | countersign | committee
    checks: dict
    current_steps: list[ApiLoanStep]
    decisions: list[ApiLoanDecision]
    submitted_at: str
    decided_at: str | None


def _api_loan(view, locale: str) -> ApiLoanApplication:
    iso = lambda d: d.isoformat() if d is not None else None  # noqa: E731
    return ApiLoanApplication(
        id=view.id, ref=view.ref, customer_id=view.customer_id, status=view.status,
        status_text=translate(f"loan.status.{view.status}", locale), product_type=view.product_type,
        purpose=view.purpose, amount=f"{view.amount:.2f}", term_months=view.term_months,
        collateral_type=view.collateral_type, risk_grade=view.risk_grade, score=view.score, route=view.route,
        checks=view.checks,
        current_steps=[ApiLoanStep(step_id=s.step_id, step_name=s.step_name, roles=s.roles, opened_at=iso(s.opened_at),
                                   due_at=iso(s.due_at)) for s in view.current_steps],
        decisions=[ApiLoanDecision(step_id=d.step_id, step_name=d.step_name, decision=d.decision, role=d.acted_as,
                                   comment=d.comment, decided_at=iso(d.at)) for d in view.decisions],
        submitted_at=iso(view.submitted_at), decided_at=iso(view.decided_at))


@router.post("/loan-applications", tags=["loans"], summary="Submit a loan application for one of your customers",
             status_code=201, responses={201: {"model": ApiLoanApplication}, **_ERRORS},
             openapi_extra=_body_schema(loans.ApiLoanInput,
                                        "The customer by your own id (external_id), the amount, term and purpose, "
                                        "and what you know of income, debts and collateral. The automatic checks "
                                        "run at once and the application goes to the approvers its routing names."))
async def submit_loan_application(request: Request, who: ApiCaller = caller("loans:write")) -> JSONResponse:
    body = await _json(request)
    out = await run_in_threadpool(_run, request, lambda uow: loans.submit_application_request(
        uow=uow, actor=who.actor, data=body))
    return JSONResponse(_dump(_api_loan(out, locale_of(request))), status_code=201)


@router.get("/loan-applications/{application_id}", tags=["loans"],
            summary="A loan application: status, the steps waiting with the roles that may act, checks, decisions",
            responses={200: {"model": ApiLoanApplication}, **_ERRORS})
async def get_loan_application(application_id: str, request: Request,
                               who: ApiCaller = caller("loans:read")) -> JSONResponse:
    number = whole_number(application_id, low=1, high=2**31 - 1)
    if number is None:
        raise domain_problem(ValidationFailed([FieldError("application_id", "value.invalid")]), locale_of(request))
    out = await run_in_threadpool(_run, request, lambda uow: loans.get_application(
        uow=uow, actor=who.actor, application_id=number))
    return JSONResponse(_dump(_api_loan(out, locale_of(request))))


# ---------------------------------------------------------------- demo receiver

@router.post(receiver.RECEIVER_PATH.removeprefix("/api/v1"), include_in_schema=False)
async def demo_webhook_receiver(request: Request) -> Response:
    """Demo mode only: the seeded webhook endpoint points here; it checks the signature like a receiver
    would, with the secret stored with the endpoints registered for this URL."""
    from services.settings import get_settings

    if not get_settings().demo_mode:
        return Response(status_code=404)
    body = await _read_body(request, MAX_BODY)

    def check() -> bool:
        with unit_of_work(readonly=True) as uow:
            return receiver.verify_own_delivery(uow=uow, timestamp=request.headers.get("x-fincrm-timestamp", ""),
                                                body=body, signature=request.headers.get("x-fincrm-signature", ""))

    ok = await run_in_threadpool(check)
    return Response(status_code=204 if ok else 401)


# ---------------------------------------------------------------- OpenAPI

@lru_cache(maxsize=1)
def openapi_document() -> dict:
    routes = [r for r in router.routes if getattr(r, "include_in_schema", True)]
    doc = get_openapi(title="FinCRM API", version="1.0.0", routes=routes,
                      description="Customer 360 integration API. Authenticate with OAuth2 client credentials.")
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _BODY_MODELS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(def_name, definition)
        schemas[name] = schema
    custom = schemas.get("CustomerCreate", {}).get("properties", {})
    if "custom" in custom:  # validated by custom_fields (types, choices, ranges, field permissions)
        custom["custom"] = {"anyOf": [{"type": "object", "maxProperties": MAX_DEFINITIONS, "additionalProperties": {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "array", "items": {"type": "string"}},
                      {"type": "null"}]}}, {"type": "null"}], "default": None, "title": "Custom",
            "description": "Custom field values by field key (GET /api/v1/custom-fields lists them): text; number and "
                           "money as a number or a decimal string; date as YYYY-MM-DD; choice as its value or label; "
                           "multi-choice as a list. null or \"\" clears a value; keys not sent keep theirs."}
    return doc


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json() -> JSONResponse:
    return JSONResponse(openapi_document())


def install(app: FastAPI) -> None:
    """Mount API v1 on the app: the routes and the error format of its problems."""
    app.include_router(router)
    app.add_exception_handler(ApiProblem, _problem_response)


# Routes of other areas registered on this router (imported last: they use the helpers above).
from fincrm_app.api import metrics as _metrics  # noqa: E402,F401
