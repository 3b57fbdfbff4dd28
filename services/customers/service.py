"""Customer use cases. Each takes the acting `Actor` and a unit of work, checks
permission, writes its audit event in the same transaction and returns masked views."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlmodel import Session

from services.activities.models import Interaction
from services.customers import custom_fields, pii
from services.customers import filters as customer_filters
from services.customers import search as customer_search
from services.customers.models import Customer, CustomerKind, IdType, Relationship
from services.customers.pinyin import search_keys
from services.customers.schemas import CustomerCreate, CustomerUpdate, SearchRequest
from services.customers.views import (AccountView, CustomerDetail, CustomerPage, CustomerProfile,
                                      CustomerSummary, HoldingView, InteractionView, RelationshipView,
                                      TransactionView)
from services.db import UnitOfWork
from services.errors import ConcurrentModification, FieldError, NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.org.models import Branch, Team
from services.outbox import publish
from services.portfolio.models import Account, AccountKind, Holding, Product, Transaction
from services.security import audit
from services.security.actor import Actor
from services.security.keys import get_cipher
from services.security.masking import mask_bank_account, mask_email, mask_id_number, mask_phone
from services.security.models import Role, User
from services.security.policy import (CREATOR_ROLES, Access, can_see_customer, client_has_customer,
                                      customer_scope_filter, editable_fields, field_access, require_reveal,
                                      require_scope, scope_key)
from services.types import utcnow
from services.validation.identity import (InvalidValue, id_number_birth_date, id_number_gender,
                                          normalize_id_number, normalize_phone, normalize_uscc)
from services.validation.input import parse

ID_CONTEXT = customer_search.ID_CONTEXT
PHONE_CONTEXT = customer_search.PHONE_CONTEXT
LIABILITY_KINDS = frozenset({AccountKind.LOAN, AccountKind.CREDIT_CARD})
RECENT_TRANSACTIONS = 20
RECENT_INTERACTIONS = 20

_MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "email": mask_email,
            "address": lambda v: (v[:6] + "****") if v else v, "account_no": mask_bank_account}


# ---------------------------------------------------------------- field policy

def present(actor: Actor, field: str, value: str | None) -> str | None:
    """The value as this actor may see it: in full, masked, or not at all."""
    access = field_access(actor, field)
    if value is None or access is Access.HIDDEN:
        return None
    if access is Access.VISIBLE:
        return value
    return _MASKERS[field](value)


def present_encrypted(actor: Actor, field: str, token: str | None, context: str) -> str | None:
    """Like `present`, for an encrypted column; decrypts only when something will be shown."""
    return _present_with(field_access(actor, field), field, token, context)


def present_stored_mask(actor: Actor, field: str, masked: str | None, token: str | None,
                        context: str) -> str | None:
    """For the ID number and phone, whose masks are stored: the mask, or the decrypted value for a
    role that sees the field in full, or nothing."""
    return _list_value(field_access(actor, field), context)(masked, token)


def _present_with(access: Access, field: str, token: str | None, context: str) -> str | None:
    if token is None or access is Access.HIDDEN:
        return None
    value = _decrypt(token, context)
    return value if access is Access.VISIBLE else _MASKERS[field](value)


def _decrypt(token: str | None, context: str) -> str | None:
    return None if token is None else get_cipher().decrypt(token, context=context)


def _masked_change(field: str, value: Any) -> Any:
    if field in _MASKERS and isinstance(value, str):
        return _MASKERS[field](value)
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


# ---------------------------------------------------------------- loading with scope

def load_customer(session: Session, actor: Actor, customer_id: Any) -> Customer:
    """The customer row if it exists and lies in the actor's data scope."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not 0 < customer_id < 2**62:
        raise ValidationFailed([FieldError("customer_id", "value.invalid")])
    row = session.get(Customer, customer_id)
    if row is None:
        raise NotFound(what="customer", id=customer_id)
    if not can_see_customer(actor, owner_id=row.owner_id, team_id=row.team_id, branch_id=row.branch_id,
                            linked_to_client=client_has_customer(session, actor, row.id)):
        # Answered as "not found", so that nobody learns which customer ids exist; audited as a refusal.
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=customer_id, what="customer", id=customer_id)
    return row


# ---------------------------------------------------------------- identity validation

def _validate_identity(kind: str, id_type: str, id_number: str, phone: str | None,
                       errors: list[FieldError]) -> tuple[str | None, str | None]:
    number: str | None = None
    if kind == CustomerKind.INSTITUTION and id_type != IdType.USCC:
        errors.append(FieldError("id_type", "value.wrong_id_type"))
    elif kind == CustomerKind.INDIVIDUAL and id_type == IdType.USCC:
        errors.append(FieldError("id_type", "value.wrong_id_type"))
    try:
        if id_type == IdType.RESIDENT_ID:
            number = normalize_id_number(id_number)
        elif id_type == IdType.USCC:
            number = normalize_uscc(id_number)
        else:
            number = "".join(id_number.split()).upper()
            if not (5 <= len(number) <= 20) or not number.isalnum():
                raise InvalidValue("value.invalid", field="id_number")
    except InvalidValue as exc:
        errors.append(FieldError("id_number", exc.code))
    norm_phone = None
    if phone:
        try:
            norm_phone = normalize_phone(phone)
        except InvalidValue as exc:
            errors.append(FieldError("phone", exc.code))
    return number, norm_phone


def _check_unique_id(session: Session, actor: Actor, bidx: str, errors: list[FieldError],
                     exclude_id: int | None = None) -> None:
    """One customer per ID number. The error names the existing customer only to an actor who may see it:
    anyone else learns that the number is taken, never by whom."""
    other = session.execute(
        select(Customer.id, Customer.customer_no, Customer.owner_id, Customer.team_id, Customer.branch_id)
        .where(Customer.id_number_bidx == bidx)
    ).first()
    if other is None or other.id == exclude_id:
        return
    if can_see_customer(actor, owner_id=other.owner_id, team_id=other.team_id, branch_id=other.branch_id,
                        linked_to_client=client_has_customer(session, actor, other.id)):
        errors.append(FieldError("id_number", "value.duplicate", {"customer_no": other.customer_no}))
    else:
        errors.append(FieldError("id_number", "value.duplicate_elsewhere"))


def _resolve_owner(session: Session, actor: Actor, owner_id: int | None,
                   errors: list[FieldError], known: dict[int, User | None] | None = None) -> User | None:
    """The RM a customer is given to. `known`: users already loaded in this use case (bulk creates)."""
    if owner_id is None:
        if actor.kind != "user" or actor.id is None:
            errors.append(FieldError("owner_id", "value.required"))
            return None
        owner_id = actor.id
    if known is not None and owner_id in known:
        owner = known[owner_id]
    else:
        owner = session.get(User, owner_id)
        if known is not None:
            known[owner_id] = owner
    # A system of record assigns customers to any active RM (it knows the firm's book); people only within
    # their own scope.
    ok = (owner is not None and owner.is_active and Role.RM in owner.roles and owner.branch_id is not None
          and (actor.kind == "api_client"
               or can_see_customer(actor, owner_id=owner.id, team_id=owner.team_id, branch_id=owner.branch_id)))
    if not ok:
        errors.append(FieldError("owner_id", "value.not_an_rm"))
        return None
    return owner


# ---------------------------------------------------------------- use cases

def create_customer(*, uow: UnitOfWork, actor: Actor, data: Any) -> CustomerProfile:
    """A new customer from a form or the API; returns the profile as the actor may see it."""
    _require_creator(actor)
    s = uow.session
    new = _prepare_new_customer(s, actor, data)
    row = Customer(customer_no=f"TMP{secrets.token_hex(8)}", **new.values)
    s.add(row)
    s.flush()
    row.customer_no = customer_number(row.id)
    s.add(row)
    s.flush()
    _announce_created(s, actor, [(row.id, new)])
    return _profile(s, actor, row)


def create_customer_records(*, uow: UnitOfWork, actor: Actor, items: Sequence[Any]) -> list[int | ValidationFailed]:
    """Many new customers at once, for doors that create many and show none (imports).

    Each item is validated exactly as by `create_customer` (same rules, permissions, audit, outbox and
    tag rules); the valid ones are written together: one insert, one audit append. Returns, per item
    in order, the new customer's id or the ValidationFailed that refused it (nothing of it written).
    """
    _require_creator(actor)
    s = uow.session
    owners: dict[int, User | None] = {}
    definitions = custom_fields.all_definitions(s)
    results: list[_NewCustomer | ValidationFailed] = []
    seen: set[str] = set()
    for data in items:
        try:
            new = _prepare_new_customer(s, actor, data, owners=owners, definitions=definitions)
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
    ids = conn.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"customer_no": f"TMP{secrets.token_hex(8)}", **new.values} for new in fresh]).scalars().all()
    conn.execute(update(table).where(table.c.id == bindparam("b_id")).values(customer_no=bindparam("b_no")),
                 [{"b_id": cid, "b_no": customer_number(cid)} for cid in ids])
    _announce_created(s, actor, list(zip(ids, fresh)))
    new_ids = iter(ids)
    return [next(new_ids) if isinstance(r, _NewCustomer) else r for r in results]


def _require_creator(actor: Actor) -> None:
    if not any(actor.has_role(r) for r in CREATOR_ROLES):
        raise NotPermitted(actor=actor, entity_type="customer")


@dataclass
class _NewCustomer:
    values: dict[str, Any]  # Customer columns, all but id and customer_no
    changes: dict[str, Any]  # masked: for the audit event and the outbox


def _prepare_new_customer(s: Session, actor: Actor, data: Any, *, owners: dict[int, User | None] | None = None,
                          definitions: list | None = None) -> _NewCustomer:
    """Validate one new customer's data into the columns to write; raises ValidationFailed naming every
    field at fault. Writes nothing."""
    req = parse(CustomerCreate, data)
    errors: list[FieldError] = []
    number, phone = _validate_identity(req.kind, req.id_type, req.id_number, req.phone, errors)
    birth, gender = req.birth_date, req.gender
    if number and req.id_type == IdType.RESIDENT_ID:
        if birth is not None and birth != id_number_birth_date(number):
            errors.append(FieldError("birth_date", "value.mismatch_id"))
        if gender is not None and gender != id_number_gender(number):
            errors.append(FieldError("gender", "value.mismatch_id"))
        birth = birth or id_number_birth_date(number)
        gender = gender or id_number_gender(number)
    if birth is not None and birth > date.today():
        errors.append(FieldError("birth_date", "value.future_date"))
    bidx = customer_search.id_blind_index(req.id_type, number) if number else None
    if bidx:
        _check_unique_id(s, actor, bidx, errors)
    owner = _resolve_owner(s, actor, req.owner_id, errors, owners)
    custom = custom_fields.collect_custom_values(s, actor, kind=req.kind, values=req.custom, current=None,
                                                 errors=errors, definitions=definitions)
    if errors:
        raise ValidationFailed(errors)
    assert number is not None and owner is not None and bidx is not None

    full, initials = search_keys(req.name, surname=req.kind == CustomerKind.INDIVIDUAL)
    now = utcnow()
    values = dict(
        kind=req.kind, name=req.name, name_pinyin=full, name_initials=initials, gender=gender, birth_date=birth,
        **pii.id_number_columns(req.id_type, number), **pii.phone_columns(phone), email=req.email,
        address=req.address, occupation=req.occupation, segment=req.segment, owner_id=owner.id,
        team_id=owner.team_id, branch_id=owner.branch_id, source_channel=req.source_channel, status=req.status,
        custom=custom, version=1, created_at=now, updated_at=now)
    changes = {k: _masked_change(k, v) for k, v in req.model_dump(exclude_none=True, exclude={"custom"}).items()}
    changes.update(custom_fields.audit_custom_changes(s, {}, custom))
    changes["id_number"] = mask_id_number(number) if req.id_type == IdType.RESIDENT_ID else "****"
    if phone:
        changes["phone"] = mask_phone(phone)
    return _NewCustomer(values, changes)


def _announce_created(s: Session, actor: Actor, created: list[tuple[int, _NewCustomer]]) -> None:
    """What every new customer gets once written: its audit event, its outbox message, its tags."""
    audit.record_many(s, actor, [("customer.create", "customer", cid, new.changes) for cid, new in created])
    for cid, new in created:
        publish(s, "customer.created", _payload(cid, customer_number(cid), new.values["kind"], 1, new.changes))
    from services.tags import service as tags  # late: the tags domain builds on this one

    tags.on_customers_changed(s, [cid for cid, _ in created], reason="customer.created")


def _reevaluate_tags(s: Session, customer_id: int, reason: str) -> None:
    """Tag rules read customer fields, so a changed customer may gain or lose tags at once."""
    from services.tags import service as tags  # late: the tags domain builds on this one

    tags.on_customer_changed(s, customer_id, reason=reason)


def _event_payload(row: Customer, changes: dict) -> dict:
    return _payload(row.id, row.customer_no, row.kind, row.version, changes)


def _payload(customer_id: int, customer_no: str, kind: str, version: int, changes: dict) -> dict:
    """What other systems are told: identifiers and the (masked) change, never raw PII."""
    return {"customer_id": customer_id, "customer_no": customer_no, "kind": kind, "version": version,
            "changes": changes}


def customer_number(customer_id: int) -> str:
    return f"C{customer_id:09d}"


def update_customer(*, uow: UnitOfWork, actor: Actor, customer_id: Any, version: Any,
                    changes: Any) -> CustomerProfile:
    s = uow.session
    row = load_customer(s, actor, customer_id)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed([FieldError("version", "value.wrong_type")])
    req = parse(CustomerUpdate, changes)
    given = req.model_dump(exclude_unset=True)
    allowed = editable_fields(actor)
    errors = [FieldError(f, "value.not_editable") for f in given if f not in allowed and f != "custom"]
    if errors:
        raise ValidationFailed(errors)
    if not given:
        return _profile(s, actor, row)

    values: dict[str, Any] = {}
    audit_changes: dict[str, Any] = {}
    id_type = given.get("id_type", row.id_type)
    if "id_number" in given or "id_type" in given or "phone" in given:
        old_number = pii.stored_id_number(row)
        number_in = given.get("id_number", old_number)
        phone_in = given.get("phone") if "phone" in given else None
        number, phone = _validate_identity(row.kind, id_type, number_in, phone_in, errors)
        if number and ("id_number" in given or "id_type" in given):
            bidx = customer_search.id_blind_index(id_type, number)
            _check_unique_id(s, actor, bidx, errors, exclude_id=row.id)
            values.update(pii.id_number_columns(id_type, number))
            audit_changes["id_number"] = [mask_id_number(old_number), mask_id_number(number)]
        if "phone" in given:
            old_phone = pii.stored_phone(row)
            values.update(pii.phone_columns(phone))
            audit_changes["phone"] = [mask_phone(old_phone), mask_phone(phone)]
    if "owner_id" in given:
        owner = _resolve_owner(s, actor, given["owner_id"], errors)
        if owner is not None:
            values.update(owner_id=owner.id, team_id=owner.team_id, branch_id=owner.branch_id)
            audit_changes["owner_id"] = [row.owner_id, owner.id]
    if given.get("custom") is not None:  # per-field permissions are checked by custom_fields
        custom = custom_fields.collect_custom_values(s, actor, kind=row.kind, values=given["custom"],
                                                     current=row.custom or {}, errors=errors)
        if custom != (row.custom or {}):
            values["custom"] = custom
            audit_changes.update(custom_fields.audit_custom_changes(s, row.custom, custom))
    if "birth_date" in given and given["birth_date"] and given["birth_date"] > date.today():
        errors.append(FieldError("birth_date", "value.future_date"))
    if errors:
        raise ValidationFailed(errors)
    for f in ("name", "gender", "birth_date", "email", "address", "occupation", "segment",
              "source_channel", "status"):
        if f in given and given[f] != getattr(row, f):
            values[f] = given[f]
            audit_changes[f] = [_masked_change(f, getattr(row, f)), _masked_change(f, given[f])]
    if "name" in values:
        values["name_pinyin"], values["name_initials"] = search_keys(
            values["name"], surname=row.kind == CustomerKind.INDIVIDUAL)
    if not values:
        return _profile(s, actor, row)

    values.update(version=Customer.version + 1, updated_at=utcnow())
    result = s.execute(
        update(Customer).where(Customer.id == row.id, Customer.version == version).values(**values)
    )
    if result.rowcount != 1:
        raise ConcurrentModification()
    audit.record(s, actor, "customer.update", entity_type="customer", entity_id=row.id,
                 changes={"version": version, **audit_changes})
    s.expire(row)
    row = s.get(Customer, row.id)
    publish(s, "customer.updated", _event_payload(row, audit_changes))
    _reevaluate_tags(s, row.id, "customer.updated")
    return _profile(s, actor, row)


def reveal_field(*, uow: UnitOfWork, actor: Actor, customer_id: Any, field: Any) -> str | None:
    """Show one sensitive field in full, to a role allowed to, and leave an audit event."""
    if field not in ("id_number", "phone"):
        raise ValidationFailed([FieldError("field", "value.invalid")])
    require_reveal(actor, field)
    row = load_customer(uow.session, actor, customer_id)
    token = row.id_number_enc if field == "id_number" else row.phone_enc
    context = ID_CONTEXT if field == "id_number" else PHONE_CONTEXT
    value = _decrypt(token, context)
    audit.record(uow.session, actor, "customer.reveal", entity_type="customer", entity_id=row.id,
                 changes={"field": field})
    return value


def search_customers(*, uow: UnitOfWork, actor: Actor, query: Any = "", page: Any = 1,
                     page_size: Any = 20, filters: Any = None) -> CustomerPage:
    """`filters`: [{"field": "segment" | "custom.<key>" | ..., "op": ..., "value": ...}] (customers.filters)."""
    require_scope(actor, "customers:read")
    req = parse(SearchRequest, {"query": query, "page": page, "page_size": page_size})
    s = uow.session
    kind, params = customer_search.prepare(req.query)
    scope, scope_value = scope_key(actor)
    params.update(scope_value=scope_value, offset=(req.page - 1) * req.page_size, limit=req.page_size)
    conn = s.connection()  # Core or driver SQL: the rows are tuples for views, no ORM objects needed
    prepared = None if filters else customer_search.driver_statements(kind, scope, conn.dialect)
    if prepared is not None:
        rows = prepared[0].execute(conn, params).all()
        total = prepared[1].execute(conn, params).scalar_one()
    else:
        page_stmt, count_stmt = (
            customer_search.build_statements(kind, scope, customer_filters.filter_condition(s, actor, filters))
            if filters else customer_search.statements(kind, scope))
        rows = conn.execute(page_stmt, params).all()
        total = conn.execute(count_stmt, params).scalar_one()
    capped = total > customer_search.COUNT_CAP
    return CustomerPage(items=_summaries(actor, rows), page=req.page, page_size=req.page_size,
                        total=min(total, customer_search.COUNT_CAP), total_is_capped=capped)


def _summaries(actor: Actor, rows) -> list[CustomerSummary]:
    """Views for a page of SUMMARY_COLUMNS rows (plus owner and branch names), masked for the actor."""
    phone = _list_value(field_access(actor, "phone"), PHONE_CONTEXT)
    id_number = _list_value(field_access(actor, "id_number"), ID_CONTEXT)
    return [CustomerSummary(cid, no, name, kind, segment, status, phone(phone_masked, phone_enc),
                            id_number(id_masked, id_enc), owner_name, branch_name)
            for (cid, no, name, kind, segment, status, phone_masked, id_masked, phone_enc, id_enc,
                 owner_name, branch_name) in rows]


def _list_value(access: Access, context: str):
    """How a list shows a sensitive field for this access: (stored mask, ciphertext) -> value.
    Masked roles get the stored mask, so a page decrypts nothing."""
    if access is Access.HIDDEN:
        return lambda masked, token: None
    if access is Access.VISIBLE:
        return lambda masked, token: _decrypt(token, context)
    return lambda masked, token: masked


def _profile(s: Session, actor: Actor, c: Customer) -> CustomerProfile:
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


def get_customer(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CustomerDetail:
    """The customer's profile, accounts, holdings, recent transactions, relationships and interactions."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    accounts = s.execute(select(Account).where(Account.customer_id == c.id).order_by(Account.kind, Account.id)
                         ).scalars().all()
    account_views = [AccountView(
        id=a.id, kind=a.kind, account_no=present_encrypted(actor, "account_no", a.account_no_enc,
                                     customer_search.ACCOUNT_NO_CONTEXT),
        currency=a.currency, balance=a.balance, is_liability=a.kind in LIABILITY_KINDS, status=a.status,
        opened_on=a.opened_on) for a in accounts]
    holdings = s.execute(
        select(Holding, Product).join(Product, Product.id == Holding.product_id)
        .where(Holding.customer_id == c.id).order_by(Holding.market_value.desc())
    ).all()
    holding_views = [HoldingView(
        id=h.id, account_id=h.account_id, product_code=p.code, product_name=p.name, product_name_en=p.name_en,
        product_type=p.product_type, risk_level=p.risk_level, quantity=h.quantity, cost=h.cost,
        market_value=h.market_value, currency=h.currency, as_of=h.as_of) for h, p in holdings]
    txs = s.execute(
        select(Transaction, Product.name).outerjoin(Product, Product.id == Transaction.product_id)
        .where(Transaction.customer_id == c.id)
        .order_by(Transaction.booked_at.desc(), Transaction.id.desc()).limit(RECENT_TRANSACTIONS)
    ).all()
    tx_views = [TransactionView(
        id=t.id, account_id=t.account_id, kind=t.kind, amount=t.amount, currency=t.currency,
        booked_at=t.booked_at, channel=t.channel, description=t.description, product_name=pname)
        for t, pname in txs]
    rels = s.execute(
        select(Relationship, Customer).join(Customer, Customer.id == Relationship.related_customer_id)
        .where(Relationship.customer_id == c.id).order_by(Relationship.id)
    ).all()
    rel_views = []
    for r, other in rels:
        visible = can_see_customer(actor, owner_id=other.owner_id, team_id=other.team_id,
                                   branch_id=other.branch_id)
        rel_views.append(RelationshipView(
            kind=r.kind, related_customer_id=other.id if visible else None,
            related_name=other.name if visible else other.name[:1] + "*" * max(1, len(other.name) - 1)))
    inters = s.execute(
        select(Interaction, User.display_name).join(User, User.id == Interaction.user_id)
        .where(Interaction.customer_id == c.id)
        .order_by(Interaction.occurred_at.desc()).limit(RECENT_INTERACTIONS)
    ).all()
    inter_views = [InteractionView(id=i.id, kind=i.kind, occurred_at=i.occurred_at, subject=i.subject,
                                   notes=i.notes, user_name=uname) for i, uname in inters]
    # AUM: what the customer has with us; liabilities: what they owe (loans, cards). CNY only in v1.
    assets = sum((a.balance for a in accounts if a.kind not in LIABILITY_KINDS and a.kind != AccountKind.INSURANCE),
                 Decimal("0"))
    assets += sum((h.market_value for h, _ in holdings), Decimal("0"))
    liabilities = sum((a.balance for a in accounts if a.kind in LIABILITY_KINDS), Decimal("0"))
    return CustomerDetail(profile=_profile(s, actor, c), aum=assets, liabilities=liabilities, currency="CNY",
                          accounts=account_views, holdings=holding_views, recent_transactions=tx_views,
                          relationships=rel_views, interactions=inter_views)


def customer_count(*, uow: UnitOfWork, actor: Actor) -> int:
    return uow.session.execute(
        select(func.count()).select_from(Customer).where(customer_scope_filter(actor, Customer))
    ).scalar_one()
