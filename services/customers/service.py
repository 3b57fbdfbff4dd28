"""Customer use cases. Each takes the acting `Actor` and a unit of work, checks
permission, writes its audit event in the same transaction and returns masked views."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from services import clock, holds
from services.customers import custom_fields, pii
from services.customers import filters as customer_filters
from services.customers import search as customer_search
from services.customers.access import (ID_CONTEXT, PHONE_CONTEXT, decrypt, list_value, load_customer,  # noqa: F401
                                       masked_change, present, present_encrypted, present_stored_mask,
                                       present_with)
from services.customers.changes import invalid_input
from services.customers.changes import update_customer  # noqa: F401 - the one change use case, re-exported
from services.customers.events import CustomersCreated, NewCustomer
from services.customers.identity import check_unique_id, resolve_owner, validate_identity
from services.customers.models import Customer, CustomerKind, IdType
from services.customers.pinyin import search_keys
from services.customers.schemas import CustomerCreate, SearchRequest
from services.customers.views import CustomerPage, CustomerProfile, CustomerSummary
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.org.models import Branch, Team
from services.security import audit
from services.security.actor import Actor
from services.security.masking import mask_id_number, mask_phone
from services.security.models import User
from services.security.policy import (Access, Permission, customer_scope_filter, editable_fields, field_access,
                                      require_reveal, requires, scope_key)
from services.validation.identity import id_number_birth_date, id_number_gender
from services.validation.input import parse


# ---------------------------------------------------------------- loading with scope

# ---------------------------------------------------------------- use cases

@requires(Permission.CUSTOMER_CREATE)
def create_customer(*, uow: UnitOfWork, actor: Actor, data: Any, source: str = "form") -> CustomerProfile:
    """A new customer from a form or the API; returns the profile as the actor may see it."""
    s = uow.session
    try:
        new = _prepare_new_customer(s, actor, data)
    except ValidationFailed as exc:  # a duplicate or an RM outside the actor's scope is a refusal, audited
        raise invalid_input(actor, exc.errors) from None
    row = Customer(customer_no=f"TMP{secrets.token_hex(8)}", **new.values)
    s.add(row)
    s.flush()
    row.customer_no = customer_number(row.id)
    s.add(row)
    s.flush()
    _announce_created(uow, actor, [(row.id, new)], source)
    return profile_view(s, actor, row)


@requires(Permission.CUSTOMER_CREATE)
def create_customer_records(*, uow: UnitOfWork, actor: Actor, items: Sequence[Any],
                            source: str = "import") -> list[int | ValidationFailed]:
    """Many new customers at once, for doors that create many and show none (imports).

    Each item is validated exactly as by `create_customer` (same rules, permissions, audit, outbox and
    tag rules); the valid ones are written together: one insert, one audit append. Returns, per item
    in order, the new customer's id or the ValidationFailed that refused it (nothing of it written).
    """
    s = uow.session
    owners: dict[int, User | None] = {}
    definitions = custom_fields.all_definitions(s)
    results: list[_NewCustomer | ValidationFailed] = []
    seen: set[str] = set()
    # The ID numbers first, to ask the database once which of them are taken (one query per customer was the
    # largest part of an import's time); each customer is then checked as `create_customer` checks him.
    identified: list[_Identified | ValidationFailed] = []
    for data in items:
        try:
            identified.append(_identify_new_customer(data))
        except ValidationFailed as exc:
            identified.append(exc)
    taken = taken_id_indexes(s, [i.bidx for i in identified if isinstance(i, _Identified) and i.bidx])
    for ident in identified:
        if isinstance(ident, ValidationFailed):
            results.append(ident)
            continue
        try:
            new = _prepare_identified(s, actor, ident, owners=owners, definitions=definitions, taken=taken)
            if new.values["id_number_bidx"] in seen:
                raise ValidationFailed([FieldError("id_number", "value.duplicate_in_batch")])
            seen.add(new.values["id_number_bidx"])
            results.append(new)
        except ValidationFailed as exc:
            results.append(exc)
    fresh = [r for r in results if isinstance(r, _NewCustomer)]
    if not fresh:
        return results  # type: ignore[return-value]  (all refusals)
    table = Customer.__table__
    conn = s.connection()
    hold = holds.current(s)  # an import writing under a hold: nobody sees these rows until it publishes them
    ids = conn.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"customer_no": f"TMP{secrets.token_hex(8)}", **new.values, "hold_id": hold} for new in fresh]
    ).scalars().all()
    conn.execute(update(table).where(table.c.id == bindparam("b_id")).values(customer_no=bindparam("b_no")),
                 [{"b_id": cid, "b_no": customer_number(cid)} for cid in ids])
    _announce_created(uow, actor, list(zip(ids, fresh)), source)
    new_ids = iter(ids)
    return [next(new_ids) if isinstance(r, _NewCustomer) else r for r in results]


@dataclass
class _NewCustomer:
    values: dict[str, Any]  # Customer columns, all but id and customer_no
    changes: dict[str, Any]  # masked: for the audit event and the outbox


@dataclass
class _Identified:
    """A new customer's parsed data with its identity checked, before anything is read from the database."""
    req: CustomerCreate
    errors: list[FieldError]
    number: str | None
    phone: str | None
    bidx: str | None


def _identify_new_customer(data: Any) -> _Identified:
    req = parse(CustomerCreate, data)
    errors: list[FieldError] = []
    number, phone = validate_identity(req.kind, req.id_type, req.id_number, req.phone, errors)
    bidx = customer_search.id_blind_index(req.id_type, number) if number else None
    return _Identified(req, errors, number, phone, bidx)


def taken_id_indexes(s: Session, bidxs: list[str]) -> set[str]:
    """Which of these ID number blind indexes a stored customer already has (held ones included)."""
    out: set[str] = set()
    unique = sorted(set(bidxs))
    for i in range(0, len(unique), 500):
        out.update(s.execute(select(Customer.id_number_bidx)
                             .where(Customer.id_number_bidx.in_(unique[i:i + 500]))).scalars())
    return out


def _prepare_new_customer(s: Session, actor: Actor, data: Any, *, owners: dict[int, User | None] | None = None,
                          definitions: list | None = None) -> _NewCustomer:
    """Validate one new customer's data into the columns to write; raises ValidationFailed naming every
    field at fault. Writes nothing."""
    return _prepare_identified(s, actor, _identify_new_customer(data), owners=owners, definitions=definitions)


def _prepare_identified(s: Session, actor: Actor, ident: _Identified, *,
                        owners: dict[int, User | None] | None = None, definitions: list | None = None,
                        taken: set[str] | None = None) -> _NewCustomer:
    """`_prepare_new_customer` after `_identify_new_customer`; `taken`: the ID numbers known to be stored
    already, when the caller asked for a whole batch at once (None: ask here)."""
    req, errors, number, phone, bidx = ident.req, ident.errors, ident.number, ident.phone, ident.bidx
    birth, gender = req.birth_date, req.gender
    if number and req.id_type == IdType.RESIDENT_ID:
        if birth is not None and birth != id_number_birth_date(number):
            errors.append(FieldError("birth_date", "value.mismatch_id"))
        if gender is not None and gender != id_number_gender(number):
            errors.append(FieldError("gender", "value.mismatch_id"))
        birth = birth or id_number_birth_date(number)
        gender = gender or id_number_gender(number)
    if birth is not None and birth > clock.today():
        errors.append(FieldError("birth_date", "value.future_date"))
    if bidx and (taken is None or bidx in taken):
        check_unique_id(s, actor, bidx, errors)
    owner = resolve_owner(s, actor, req.owner_id, errors, owners)
    custom = custom_fields.collect_custom_values(s, actor, kind=req.kind, values=req.custom, current=None,
                                                 errors=errors, definitions=definitions)
    if errors:
        raise ValidationFailed(errors)
    assert number is not None and owner is not None and bidx is not None

    full, initials = search_keys(req.name, surname=req.kind == CustomerKind.INDIVIDUAL)
    now = clock.now()
    values = dict(
        kind=req.kind, name=req.name, name_pinyin=full, name_initials=initials, gender=gender, birth_date=birth,
        **pii.id_number_columns(req.id_type, number), **pii.phone_columns(phone), email=req.email,
        address=req.address, occupation=req.occupation, segment=req.segment, owner_id=owner.id,
        team_id=owner.team_id, branch_id=owner.branch_id, source_channel=req.source_channel, status=req.status,
        custom=custom, version=1, created_at=now, updated_at=now)
    changes = {k: masked_change(k, v) for k, v in req.model_dump(exclude_none=True, exclude={"custom"}).items()}
    changes.update(custom_fields.audit_custom_changes(s, {}, custom))
    changes["id_number"] = mask_id_number(number) if req.id_type == IdType.RESIDENT_ID else "****"
    if phone:
        changes["phone"] = mask_phone(phone)
    return _NewCustomer(values, changes)


def _announce_created(uow: UnitOfWork, actor: Actor, created: list[tuple[int, _NewCustomer]], source: str) -> None:
    """What every new customer gets once written: its audit event, and the event the other domains react to
    (tags, webhooks)."""
    audit.record_many(uow.session, actor,
                      [("customer.create", "customer", cid, new.changes) for cid, new in created])
    uow.publish(CustomersCreated(customers=tuple(
        NewCustomer(customer_id=cid, customer_no=customer_number(cid), kind=new.values["kind"], changes=new.changes)
        for cid, new in created), source=source))


def customer_number(customer_id: int) -> str:
    return f"C{customer_id:09d}"


@requires(Permission.CUSTOMER_REVEAL)
def reveal_field(*, uow: UnitOfWork, actor: Actor, customer_id: Any, field: Any) -> str | None:
    """Show one sensitive field in full, to a role whose field policy makes it REVEALABLE, and leave an audit
    event."""
    if field not in ("id_number", "phone"):
        raise ValidationFailed([FieldError("field", "value.invalid")])
    require_reveal(actor, field)
    row = load_customer(uow.session, actor, customer_id)
    token = row.id_number_enc if field == "id_number" else row.phone_enc
    context = ID_CONTEXT if field == "id_number" else PHONE_CONTEXT
    value = decrypt(token, context)
    audit.record(uow.session, actor, "customer.reveal", entity_type="customer", entity_id=row.id,
                 changes={"field": field})
    return value


@requires(Permission.CUSTOMER_READ)
def search_customers(*, uow: UnitOfWork, actor: Actor, query: Any = "", page: Any = 1,
                     page_size: Any = 20, filters: Any = None) -> CustomerPage:
    """`filters`: [{"field": "segment" | "custom.<key>" | ..., "op": ..., "value": ...}] (customers.filters)."""
    req = parse(SearchRequest, {"query": query, "page": page, "page_size": page_size})
    s = uow.session
    kind, params = customer_search.prepare(req.query)
    scope, scope_value = scope_key(actor)
    params.update(scope_value=scope_value, offset=(req.page - 1) * req.page_size, limit=req.page_size)
    conn = s.connection()  # Core or driver SQL: the rows are tuples for views, no ORM objects needed
    if filters:
        # Filters: the statements are built once per shape of the filter list (fields, operators, how many
        # values) and reused with this call's values; building and keying them cost more than a selective
        # filter's SQL.
        condition, values, shape = customer_filters.filter_parts(s, actor, filters)
        params.update(values)
        prepared = customer_search.filtered_statements(kind, scope, shape, condition, conn.dialect)
    else:
        prepared = customer_search.driver_statements(kind, scope, conn.dialect)
    if isinstance(prepared[0], customer_search.DriverStatement):
        rows = prepared[0].execute(conn, params).all()
        total = prepared[1].execute(conn, params).scalar_one()
    else:
        rows = conn.execute(prepared[0], params).all()
        total = conn.execute(prepared[1], params).scalar_one()
    capped = total > customer_search.COUNT_CAP
    return CustomerPage(items=_summaries(actor, rows), page=req.page, page_size=req.page_size,
                        total=min(total, customer_search.COUNT_CAP), total_is_capped=capped)


def _summaries(actor: Actor, rows) -> list[CustomerSummary]:
    """Views for a page of SUMMARY_COLUMNS rows (plus owner and branch names), masked for the actor."""
    phone = list_value(field_access(actor, "phone"), PHONE_CONTEXT)
    id_number = list_value(field_access(actor, "id_number"), ID_CONTEXT)
    return [CustomerSummary(cid, no, name, kind, segment, status, phone(phone_masked, phone_enc),
                            id_number(id_masked, id_enc), owner_name, branch_name)
            for (cid, no, name, kind, segment, status, phone_masked, id_masked, phone_enc, id_enc,
                 owner_name, branch_name) in rows]


def profile_view(s: Session, actor: Actor, c: Customer) -> CustomerProfile:
    """The customer's profile as the actor may see it."""
    owner = s.get(User, c.owner_id)
    branch = s.get(Branch, c.branch_id)
    team = s.get(Team, c.team_id) if c.team_id else None
    revealable = [f for f in ("id_number", "phone") if field_access(actor, f) is Access.REVEALABLE]
    return CustomerProfile(
        id=c.id, customer_no=c.customer_no, kind=c.kind, name=c.name, name_pinyin=c.name_pinyin,
        gender=c.gender, birth_date=c.birth_date, id_type=c.id_type,
        id_number=present_stored_mask(actor, "id_number", c.id_number_masked, c.id_number_enc, ID_CONTEXT),
        phone=present_stored_mask(actor, "phone", c.phone_masked, c.phone_enc, PHONE_CONTEXT),
        email=present(actor, "email", c.email), address=present(actor, "address", c.address),
        occupation=c.occupation, segment=c.segment, source_channel=c.source_channel, status=c.status,
        owner_id=c.owner_id, owner_name=owner.display_name if owner else None, branch_id=c.branch_id,
        branch_name=branch.name if branch else None, team_name=team.name if team else None,
        version=c.version, created_at=c.created_at, revealable=revealable,
        editable=sorted(editable_fields(actor)))


@requires(Permission.CUSTOMER_READ)
def customer_count(*, uow: UnitOfWork, actor: Actor) -> int:
    return uow.session.execute(
        select(func.count()).select_from(Customer).where(customer_scope_filter(actor, Customer))
    ).scalar_one()
