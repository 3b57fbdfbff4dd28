"""What other systems of the firm send: customers by their own ids, accounts, holdings, and
batches of transactions and behaviour events.

Every use case takes the calling client's `Actor` (kind "api_client") and a unit of work,
validates everything before writing anything (a batch is atomic: one bad row and nothing is
written, and every bad row is named), writes one audit event, and lets the caller commit.
Batches are bulk inserts (Core `insert()` executemany); rows already received (same source
and sender reference) are skipped and counted as duplicates.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Iterable

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from services import clock
from services.activities.events import BehaviourEventsIngested
from services.activities.models import BehaviourEvent, EventKind
from services.customers import custom_fields
from services.customers import search as customer_search
from services.customer360 import service as c360
from services.customers import service as customers
from services.customers.models import Customer
from services.customers.schemas import CustomerCreate, _Strict
from services.customers.views import AccountView, CustomerDetail, CustomerProfile, HoldingView
from services.db import UnitOfWork
from services.errors import DomainError, FieldError, NotFound, NotPermitted, ValidationFailed
from services.integration.models import ExternalRef
from services.portfolio import conventions
from services.portfolio.events import TransactionsIngested
from services.portfolio.models import Account, AccountKind, AccountStatus, Holding, Product, Transaction, TransactionKind
from services.security import audit
from services.security.actor import Actor
from services.security.keys import get_cipher
from services.security.masking import mask_bank_account
from services.security.policy import API_ROLE, Permission, requires
from services.types import Money
from services.validation.dates import CLOCK_SKEW, EARLIEST, BusinessDate, BusinessTime
from services.validation.input import StoredInt, parse
from services.validation.text import text_problem

log = logging.getLogger(__name__)

MAX_BATCH = 10_000
MAX_HOLDINGS = 1_000
MAX_ROW_ERRORS = 200
_CHUNK = 900  # IN (...) lists stay well under every database's parameter limit
LIABILITY_KINDS = conventions.LIABILITY_KINDS

_ADAPTERS: dict[type, TypeAdapter] = {}


class _Row(BaseModel):
    """A batch row: strict about unknown fields; text (control, invisible and bidi characters) is checked
    after validation (one regex per string, not a Python validator per field: batches are large)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---------------------------------------------------------------- errors

class BatchTooLarge(DomainError):
    code = "api.batch_too_large"
    http_status = 413


class BatchValidationFailed(ValidationFailed):
    """Row errors in a batch: each names the row (its index in the array) and the field."""

    def message(self, locale: str) -> str:
        from services.i18n import translate

        parts = [f"{field_label(e.field, locale)}: {translate(e.code, locale, **e.params)}" for e in self.errors]
        return "; ".join(parts[:20]) + ("; …" if len(parts) > 20 else "")


def field_label(path: str, locale: str, params: dict | None = None) -> str:
    """`rows[3].amount` -> `rows[3] 金额`; a plain field name -> its label; `custom.<key>` -> the
    custom field's label carried in the error's params."""
    from services.i18n import MESSAGES, translate
    from services.i18n import field_label as plain_label

    if path.startswith("custom."):
        return plain_label(path, locale, params)

    head, _, name = path.rpartition(".")
    name = name or path
    code = f"field.api.{name}" if f"field.api.{name}" in MESSAGES else f"field.{name}"
    text = translate(code, locale) if code in MESSAGES else name
    return f"{head} {text}" if head else text


def _row_errors(prefix: str, index: int, exc: ValidationFailed) -> list[FieldError]:
    return [FieldError(f"{prefix}[{index}].{e.field}", e.code, e.params) for e in exc.errors]


# ---------------------------------------------------------------- external ids

def _require_client(actor: Actor) -> None:
    """External ids belong to one API client: these doors are for clients only (what each may do is its
    permission, from its token's scopes)."""
    if actor.kind != "api_client" or actor.id is None or not actor.has_role(API_ROLE):
        raise NotPermitted(actor=actor)


def _check_external_id(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 100 or value != value.strip():
        raise ValidationFailed([FieldError(field_name, "value.invalid")])
    problem = text_problem(value)
    if problem:
        raise ValidationFailed([FieldError(field_name, problem)])
    return value


def _resolve(session: Session, client_pk: int, entity_type: str, external_ids: Iterable[str]) -> dict[str, int]:
    ids = list(dict.fromkeys(external_ids))
    out: dict[str, int] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        out.update(session.execute(select(ExternalRef.external_id, ExternalRef.entity_id).where(
            ExternalRef.client_id == client_pk, ExternalRef.entity_type == entity_type,
            ExternalRef.external_id.in_(chunk))).all())
    return out


def _customer_id(session: Session, actor: Actor, external_id: Any) -> int:
    ext = _check_external_id(external_id, "external_id")
    found = _resolve(session, actor.id, "customer", [ext]).get(ext)
    if found is None:
        raise NotFound(what="customer", id=ext)
    return found


# ---------------------------------------------------------------- customers

CustomValues = dict[str, str | list[str]]
_CUSTOM_DESCRIPTION = ("Custom field values by field key, in their stored form: text, number and money as strings "
                       "(\"1234.5\", \"1234.50\"), date as YYYY-MM-DD, choice as the choice value, multi-choice as "
                       "a list of choice values. Only the fields this client may see; see GET /api/v1/custom-fields.")


class ApiCustomerProfile(CustomerProfile):
    """A customer's profile as the API answers it: with the custom values the client may see."""

    custom: CustomValues = Field(default_factory=dict, description=_CUSTOM_DESCRIPTION)


class ApiCustomerDetail(CustomerDetail):
    profile: ApiCustomerProfile


def _api_profile(s: Session, actor: Actor, profile: CustomerProfile) -> ApiCustomerProfile:
    row = s.get(Customer, profile.id)
    shown = custom_fields.present_custom_values(s, actor, row.kind, row.custom, include_empty=False)
    return ApiCustomerProfile(**dict(profile), custom={v.key: v.value for v in shown})


@dataclass(frozen=True)
class Upserted:
    created: bool
    profile: ApiCustomerProfile


@requires(Permission.CUSTOMER_CREATE, Permission.CUSTOMER_EDIT)  # and create_customer / update_customer each theirs
def upsert_customer(*, uow: UnitOfWork, actor: Actor, external_id: Any, data: Any,
                    default_owner_id: int | None = None) -> Upserted:
    """PUT by the caller's id: create the customer, or change what differs (nothing if nothing does)."""
    _require_client(actor)
    ext = _check_external_id(external_id, "external_id")
    s = uow.session
    existing = _resolve(s, actor.id, "customer", [ext]).get(ext)
    if existing is None:
        body = dict(data) if isinstance(data, dict) else data
        if isinstance(body, dict) and body.get("owner_id") is None and default_owner_id is not None:
            body["owner_id"] = default_owner_id
        profile = customers.create_customer(uow=uow, actor=actor, data=body)
        s.add(ExternalRef(client_id=actor.id, entity_type="customer", external_id=ext, entity_id=profile.id))
        s.flush()
        return Upserted(True, _api_profile(s, actor, profile))

    req = parse(CustomerCreate, data)  # the full representation, validated as for a new customer
    row = customers.load_customer(s, actor, existing)
    given = req.model_dump(include=req.model_fields_set)
    if "kind" in given and given["kind"] != row.kind:
        raise ValidationFailed([FieldError("kind", "value.not_editable")])
    # A PUT sends the whole customer: what it leaves out or sends as null keeps its value; the change
    # pipeline decides what actually differs (identity normalised) and changes only that.
    given = {k: v for k, v in given.items() if k != "kind" and (v is not None or k == "custom")}
    profile = customers.update_customer(uow=uow, actor=actor, customer_id=row.id, version=row.version,
                                        changes=given, source="api")
    return Upserted(False, _api_profile(s, actor, profile))


@requires(Permission.CUSTOMER_READ)
def get_customer(*, uow: UnitOfWork, actor: Actor, external_id: Any) -> ApiCustomerDetail:
    _require_client(actor)
    cid = _customer_id(uow.session, actor, external_id)
    detail = c360.get_customer(uow=uow, actor=actor, customer_id=cid)
    audit.record(uow.session, actor, "customer.read", entity_type="customer", entity_id=cid)
    return ApiCustomerDetail(**{**dict(detail), "profile": _api_profile(uow.session, actor, detail.profile)})


@requires(Permission.CUSTOMER_READ)
def list_custom_fields(*, uow: UnitOfWork, actor: Actor) -> list[custom_fields.CustomFieldView]:
    """The active custom fields this client may see, with their types, choices, limits and whether it may set them."""
    _require_client(actor)
    return custom_fields.list_definitions(uow=uow, actor=actor)


# ---------------------------------------------------------------- accounts and holdings

class AccountUpsert(_Strict):
    kind: AccountKind
    account_no: str = Field(min_length=6, max_length=34, pattern=r"^[0-9A-Z]+$")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    opened_on: BusinessDate
    status: AccountStatus = AccountStatus.OPEN
    balance: Decimal | None = Field(default=None, max_digits=15, decimal_places=2)


@dataclass(frozen=True)
class AccountUpserted:
    created: bool
    account: AccountView


def _account_view(actor: Actor, a: Account) -> AccountView:
    return AccountView(id=a.id, kind=a.kind, account_no=customers.present_encrypted(
        actor, "account_no", a.account_no_enc, customer_search.ACCOUNT_NO_CONTEXT), currency=a.currency,
        balance=a.balance, is_liability=a.kind in LIABILITY_KINDS, status=a.status, opened_on=a.opened_on)


@requires(Permission.ACCOUNT_WRITE)
def upsert_account(*, uow: UnitOfWork, actor: Actor, customer_external_id: Any, account_external_id: Any,
                   data: Any) -> AccountUpserted:
    _require_client(actor)
    s = uow.session
    cid = _customer_id(s, actor, customer_external_id)
    ext = _check_external_id(account_external_id, "account_external_id")
    req = parse(AccountUpsert, data)
    customer = customers.load_customer(s, actor, cid)
    if req.opened_on > clock.today():
        raise ValidationFailed([FieldError("opened_on", "value.future_date")])
    cipher = get_cipher()
    bidx = cipher.blind_index(req.account_no, context=customer_search.ACCOUNT_NO_CONTEXT)
    existing = _resolve(s, actor.id, "account", [ext]).get(ext)
    if existing is None:
        row = Account(customer_id=customer.id, kind=req.kind,
                      account_no_enc=cipher.encrypt(req.account_no, context=customer_search.ACCOUNT_NO_CONTEXT),
                      account_no_bidx=bidx, account_no_last4=req.account_no[-4:], currency=req.currency,
                      balance=req.balance or Decimal("0"), branch_id=customer.branch_id, opened_on=req.opened_on,
                      status=req.status)
        s.add(row)
        s.flush()
        s.add(ExternalRef(client_id=actor.id, entity_type="account", external_id=ext, entity_id=row.id))
        audit.record(s, actor, "account.create", entity_type="customer", entity_id=customer.id,
                     changes={"account_id": row.id, "kind": req.kind.value,
                              "account_no": mask_bank_account(req.account_no), "currency": req.currency})
        s.flush()
        return AccountUpserted(True, _account_view(actor, row))
    row = s.get(Account, existing)
    errors = []
    if row.customer_id != customer.id:
        errors.append(FieldError("account_external_id", "api.account_of_other_customer"))
    if row.kind != req.kind:
        errors.append(FieldError("kind", "value.not_editable"))
    if row.currency != req.currency:
        errors.append(FieldError("currency", "value.not_editable"))
    if errors:
        raise ValidationFailed(errors)
    diff: dict[str, Any] = {}
    if row.account_no_bidx != bidx:
        row.account_no_enc = cipher.encrypt(req.account_no, context=customer_search.ACCOUNT_NO_CONTEXT)
        row.account_no_bidx, row.account_no_last4 = bidx, req.account_no[-4:]
        diff["account_no"] = mask_bank_account(req.account_no)
    for f in ("opened_on", "status", "balance"):
        value = getattr(req, f)
        if value is not None and value != getattr(row, f):
            diff[f] = str(value)
            setattr(row, f, value)
    if diff:
        s.add(row)
        audit.record(s, actor, "account.update", entity_type="customer", entity_id=customer.id,
                     changes={"account_id": row.id, **diff})
        s.flush()
    return AccountUpserted(False, _account_view(actor, row))


class HoldingRow(_Row):
    product_code: str = Field(min_length=1, max_length=32)
    quantity: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    cost: Decimal = Field(max_digits=15, decimal_places=2)
    market_value: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    as_of: BusinessDate


@requires(Permission.ACCOUNT_WRITE)
def upsert_holdings(*, uow: UnitOfWork, actor: Actor, customer_external_id: Any, account_external_id: Any,
                    data: Any) -> list[HoldingView]:
    """Set the positions of one account (one per product); positions not named stay as they are."""
    _require_client(actor)
    s = uow.session
    cid = _customer_id(s, actor, customer_external_id)
    ext = _check_external_id(account_external_id, "account_external_id")
    customer = customers.load_customer(s, actor, cid)
    aid = _resolve(s, actor.id, "account", [ext]).get(ext)
    account = s.get(Account, aid) if aid else None
    if account is None or account.customer_id != customer.id:
        raise NotFound(what="account", id=ext)
    rows = data.get("holdings") if isinstance(data, dict) else None
    if not isinstance(rows, list) or set(data) - {"holdings"}:
        raise ValidationFailed([FieldError("holdings", "value.required")])
    if len(rows) > MAX_HOLDINGS:
        raise BatchTooLarge(max=MAX_HOLDINGS, got=len(rows))
    parsed, errors = _parse_rows("holdings", HoldingRow, rows)
    products = _products(s, {r.product_code for r in parsed if r is not None})
    seen: dict[str, int] = {}
    for i, r in enumerate(parsed):
        if r is None:
            continue
        if r.product_code not in products:
            errors.append(FieldError(f"holdings[{i}].product_code", "api.unknown_reference"))
        if r.product_code in seen:
            errors.append(FieldError(f"holdings[{i}].product_code", "api.duplicate_in_batch",
                                     {"row": seen[r.product_code]}))
        seen.setdefault(r.product_code, i)
        if r.as_of > clock.today():
            errors.append(FieldError(f"holdings[{i}].as_of", "value.future_date"))
    if errors:
        raise BatchValidationFailed(errors[:MAX_ROW_ERRORS])
    current = {h.product_id: h for h in s.execute(select(Holding).where(Holding.account_id == account.id)).scalars()}
    changed = 0
    for r in parsed:
        pid = products[r.product_code]
        h = current.get(pid)
        values = dict(quantity=r.quantity, cost=r.cost, market_value=r.market_value, as_of=r.as_of)
        if h is None:
            s.add(Holding(account_id=account.id, customer_id=customer.id, product_id=pid, currency=account.currency,
                          **values))
            changed += 1
        elif any(getattr(h, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(h, k, v)
            s.add(h)
            changed += 1
    s.flush()
    if changed:
        audit.record(s, actor, "holding.upsert", entity_type="customer", entity_id=customer.id,
                     changes={"account_id": account.id, "positions": changed})
    return c360.get_customer(uow=uow, actor=actor, customer_id=customer.id).holdings


def _products(session: Session, codes: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    codes_l = list(codes)
    for i in range(0, len(codes_l), _CHUNK):
        out.update(session.execute(select(Product.code, Product.id).where(Product.code.in_(codes_l[i:i + _CHUNK]))
                                   ).all())
    return out


# ---------------------------------------------------------------- batches

def _text_problem_in(value: Any) -> str | None:
    """The first text problem of a text field (None left alone) or of a dict field's keys and text values."""
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or (isinstance(item, str) and text_problem(item))
            if problem:
                return problem
        return None
    return text_problem(value) if value is not None else None


def _parse_rows(prefix: str, model: type[BaseModel], rows: list) -> tuple[list, list[FieldError]]:
    """Validate every row; the fast path validates the whole list at once, the slow one names each bad row."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])
    errors: list[FieldError] = []
    try:
        parsed: list = adapter.validate_python(rows)
    except ValidationError:
        parsed = []
        for i, raw in enumerate(rows):
            try:
                parsed.append(parse(model, raw))
            except ValidationFailed as exc:
                parsed.append(None)
                if len(errors) < MAX_ROW_ERRORS:
                    errors.extend(_row_errors(prefix, i, exc))
    text_fields = [name for name, f in model.model_fields.items() if f.annotation in (str, str | None)]
    dict_fields = [name for name, f in model.model_fields.items() if getattr(f.annotation, "__origin__", None) is dict]
    for i, row in enumerate(parsed):
        if row is None:
            continue
        problems = [(name, _text_problem_in(getattr(row, name))) for name in text_fields + dict_fields]
        problems = [(name, problem) for name, problem in problems if problem]
        if problems:  # refused like a row that failed validation: its text (a NUL byte, say) goes to no query
            parsed[i] = None
        for name, problem in problems[:max(0, MAX_ROW_ERRORS - len(errors))]:
            errors.append(FieldError(f"{prefix}[{i}].{name}", problem))
    return parsed, errors


def _batch_rows(data: Any) -> list:
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or set(data) - {"rows"}:
        raise ValidationFailed([FieldError("rows", "value.required")])
    if len(rows) > MAX_BATCH:
        raise BatchTooLarge(max=MAX_BATCH, got=len(rows))
    if not rows:
        raise ValidationFailed([FieldError("rows", "value.required")])
    return rows


_AMOUNT_DOC = conventions.describe()
_TIME_DOC = (f"With a time zone; from {EARLIEST.isoformat()} on, and at most {CLOCK_SKEW.seconds // 60} minutes "
             f"ahead of the server's clock.")


class TransactionRow(_Row):
    external_ref: str = Field(min_length=1, max_length=64)
    customer_external_id: str = Field(min_length=1, max_length=100)
    account_external_id: str = Field(min_length=1, max_length=100)
    kind: TransactionKind
    amount: Decimal = Field(max_digits=15, decimal_places=2, description=_AMOUNT_DOC)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    booked_at: BusinessTime = Field(description=_TIME_DOC)  # CLOCK_SKEW ahead at most: checked with the batch
    channel: str = Field(default="api", pattern=r"^[a-z_]{1,16}$")
    description: str | None = Field(default=None, max_length=200)
    product_code: str | None = Field(default=None, min_length=1, max_length=32)
    counterparty_name: str | None = Field(default=None, min_length=1, max_length=200,
                                          description="The other party of a transfer (screened against the watchlists).")
    counterparty_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$",
                                             description="The other party's country, ISO 3166 alpha-2 (another "
                                                         "country than CN makes a transfer cross-border).")

    @field_validator("amount")
    @classmethod
    def _nonzero(cls, v: Decimal) -> Decimal:
        if v == 0 or not v.is_finite():
            raise ValueError("zero")
        return v


@dataclass
class BatchResult:
    received: int
    accepted: int
    duplicates: int
    customers: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"received": self.received, "accepted": self.accepted, "duplicates": self.duplicates}


def _existing_refs(session: Session, column_source, column_ref, source: str, refs: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(refs), _CHUNK):
        out.update(session.execute(select(column_ref).where(column_source == source,
                                                             column_ref.in_(refs[i:i + _CHUNK]))).scalars())
    return out


def _check_in_batch_duplicates(prefix: str, keys: list[str | None], errors: list[FieldError], name: str) -> None:
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        if k in first:
            if len(errors) < MAX_ROW_ERRORS:
                errors.append(FieldError(f"{prefix}[{i}].{name}", "api.duplicate_in_batch", {"row": first[k]}))
        else:
            first[k] = i


@requires(Permission.TRANSACTION_INGEST)
def ingest_transactions(*, uow: UnitOfWork, actor: Actor, data: Any) -> BatchResult:
    """A batch of up to 10,000 bookings referencing customers and accounts by the caller's ids."""
    _require_client(actor)
    s = uow.session
    rows = _batch_rows(data)
    parsed, errors = _parse_rows("rows", TransactionRow, rows)
    _check_in_batch_duplicates("rows", [r.external_ref if r else None for r in parsed], errors, "external_ref")
    ok = [r for r in parsed if r is not None]
    cust = _resolve(s, actor.id, "customer", (r.customer_external_id for r in ok))
    accs = _resolve(s, actor.id, "account", (r.account_external_id for r in ok))
    acc_info: dict[int, tuple[int, str, str]] = {}
    acc_ids = list(set(accs.values()))
    for i in range(0, len(acc_ids), _CHUNK):
        for aid, ac_cust, cur, kind in s.execute(select(Account.id, Account.customer_id, Account.currency,
                                                        Account.kind).where(Account.id.in_(acc_ids[i:i + _CHUNK]))):
            acc_info[aid] = (ac_cust, cur, kind)
    products = _products(s, {r.product_code for r in ok if r.product_code})
    now = clock.now()
    latest = now + CLOCK_SKEW
    for i, r in enumerate(parsed):
        if r is None or len(errors) >= MAX_ROW_ERRORS:
            continue
        cid = cust.get(r.customer_external_id)
        if cid is None:
            errors.append(FieldError(f"rows[{i}].customer_external_id", "api.unknown_reference"))
        aid = accs.get(r.account_external_id)
        if aid is None:
            errors.append(FieldError(f"rows[{i}].account_external_id", "api.unknown_reference"))
        elif cid is not None and acc_info[aid][0] != cid:
            errors.append(FieldError(f"rows[{i}].account_external_id", "api.account_of_other_customer"))
        elif r.currency != acc_info[aid][1]:
            errors.append(FieldError(f"rows[{i}].currency", "api.currency_mismatch",
                                     {"currency": acc_info[aid][1]}))
        if aid is not None and (problem := conventions.sign_problem(r.kind, acc_info[aid][2], r.amount)):
            errors.append(FieldError(f"rows[{i}].amount", problem, {"kind": r.kind.value}))
        if r.product_code and r.product_code not in products:
            errors.append(FieldError(f"rows[{i}].product_code", "api.unknown_reference"))
        if r.booked_at > latest:
            errors.append(FieldError(f"rows[{i}].booked_at", "value.future_date"))
    if errors:
        raise BatchValidationFailed(errors[:MAX_ROW_ERRORS])

    source = actor.name
    seen = _existing_refs(s, Transaction.source, Transaction.external_ref, source, [r.external_ref for r in ok])
    values = []
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    touched: set[int] = set()
    for r in ok:
        if r.external_ref in seen:
            continue
        aid, cid = accs[r.account_external_id], cust[r.customer_external_id]
        values.append({"account_id": aid, "customer_id": cid,
                       "product_id": products.get(r.product_code) if r.product_code else None,
                       "kind": r.kind.value, "amount": r.amount, "currency": r.currency, "booked_at": r.booked_at,
                       "channel": r.channel, "description": r.description, "source": source,
                       "counterparty_name": r.counterparty_name,
                       "counterparty_country": r.counterparty_country.lower() if r.counterparty_country else None,
                       "external_ref": r.external_ref, "created_at": now})
        # Balances: deposit-like accounts hold what the customer has, loans and cards what is owed
        # (amounts are signed from the account's side: services/portfolio/conventions.py).
        deltas[aid] += -r.amount if conventions.is_liability(acc_info[aid][2]) else r.amount
        touched.add(cid)
    booked: list[int] = []
    if values:
        table = Transaction.__table__
        booked = list(s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                values).scalars())
        acc = Account.__table__
        changes = [{"aid": aid, "delta": delta} for aid, delta in deltas.items() if delta]
        if changes:
            s.connection().execute(
                update(acc).where(acc.c.id == bindparam("aid"))
                .values(balance=acc.c.balance + bindparam("delta", type_=Money())), changes)
    result = BatchResult(received=len(rows), accepted=len(values), duplicates=len(rows) - len(values),
                         customers=sorted(touched))
    audit.record(s, actor, "transaction.ingest", entity_type="api_client", entity_id=actor.id,
                 changes={**result.as_dict(), "customers": len(touched)})
    if touched:
        uow.publish(TransactionsIngested(customer_ids=tuple(sorted(touched)), count=len(values),
                                         transaction_ids=tuple(booked)))
    return result


def _not_an_int(v: Any) -> Any:
    if isinstance(v, int):  # an int too large for StoredInt must not slip through as a float
        raise ValueError("int")
    return v


_Fraction = Annotated[float, BeforeValidator(_not_an_int), Field(allow_inf_nan=False)]


class EventRow(_Row):
    external_id: str = Field(min_length=1, max_length=64)
    customer_external_id: str = Field(min_length=1, max_length=100)
    kind: EventKind
    occurred_at: BusinessTime = Field(description=_TIME_DOC)
    product_code: str | None = Field(default=None, min_length=1, max_length=32)
    attributes: dict[str, str | StoredInt | _Fraction | bool | None] = Field(default_factory=dict, max_length=20)

    @field_validator("attributes")
    @classmethod
    def _small(cls, v: dict) -> dict:
        if any(len(k) > 40 or (isinstance(x, str) and len(x) > 200) for k, x in v.items()):
            raise ValueError("too long")
        return v


@requires(Permission.EVENT_INGEST)
def ingest_events(*, uow: UnitOfWork, actor: Actor, data: Any) -> BatchResult:
    """A batch of behaviour events (app page views, product views, searches)."""
    _require_client(actor)
    s = uow.session
    rows = _batch_rows(data)
    parsed, errors = _parse_rows("rows", EventRow, rows)
    _check_in_batch_duplicates("rows", [r.external_id if r else None for r in parsed], errors, "external_id")
    ok = [r for r in parsed if r is not None]
    cust = _resolve(s, actor.id, "customer", (r.customer_external_id for r in ok))
    products = _products(s, {r.product_code for r in ok if r.product_code})
    latest = clock.now() + CLOCK_SKEW
    for i, r in enumerate(parsed):
        if r is None or len(errors) >= MAX_ROW_ERRORS:
            continue
        if r.customer_external_id not in cust:
            errors.append(FieldError(f"rows[{i}].customer_external_id", "api.unknown_reference"))
        if r.product_code and r.product_code not in products:
            errors.append(FieldError(f"rows[{i}].product_code", "api.unknown_reference"))
        if r.occurred_at > latest:
            errors.append(FieldError(f"rows[{i}].occurred_at", "value.future_date"))
    if errors:
        raise BatchValidationFailed(errors[:MAX_ROW_ERRORS])
    source = actor.name
    seen = _existing_refs(s, BehaviourEvent.source, BehaviourEvent.external_id, source, [r.external_id for r in ok])
    values = []
    touched: set[int] = set()
    for r in ok:
        if r.external_id in seen:
            continue
        cid = cust[r.customer_external_id]
        values.append({"customer_id": cid, "kind": r.kind.value, "occurred_at": r.occurred_at,
                       "product_id": products.get(r.product_code) if r.product_code else None,
                       "attributes": r.attributes, "source": source, "external_id": r.external_id})
        touched.add(cid)
    if values:
        s.execute(insert(BehaviourEvent.__table__), values)
    result = BatchResult(received=len(rows), accepted=len(values), duplicates=len(rows) - len(values),
                         customers=sorted(touched))
    audit.record(s, actor, "event.ingest", entity_type="api_client", entity_id=actor.id,
                 changes={**result.as_dict(), "customers": len(touched)})
    if touched:
        uow.publish(BehaviourEventsIngested(customer_ids=tuple(sorted(touched)), count=len(values)))
    return result


# ---------------------------------------------------------------- interactions

@requires(Permission.RECORD_WRITE)
def add_interaction(*, uow: UnitOfWork, actor: Actor, customer_external_id: Any, data: Any) -> dict:
    _require_client(actor)
    from services.activities import service as activities

    cid = _customer_id(uow.session, actor, customer_external_id)
    row = activities.log_interaction(uow=uow, actor=actor, customer_id=cid, data=data)
    return {"id": row.id, "customer_id": cid, "kind": row.kind, "occurred_at": row.occurred_at.isoformat(),
            "subject": row.subject}
