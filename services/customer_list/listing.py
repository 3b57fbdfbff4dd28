"""The customer list: search, filters, a sort and a page, as one use case; and selections for bulk actions.

Without a sort the list is the customer search itself (services/customers/service.py search_customers: the
search box's index order). With a sort, the page's ids are read in the order of one CustomerFigures index
(ORDER BY key, customer_id LIMIT n, so a page costs about the same at any size of book), narrowed by the same
search condition, list filters and data scope; the total is counted up to the search's cap. Either way the rows
are then read for those ids only, masked for the actor.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from services import clock
from services.customer_list.models import NEVER, NO_TASK, CustomerFigures
from services.customer_list.views import CustomerListPage, ListRow
from services.customers import filters as customer_filters
from services.customers import search as customer_search
from services.customers import service as customers
from services.customers.access import PHONE_CONTEXT, list_value
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, OutOfScope, ValidationFailed
from services.org.models import Branch
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, customer_scope_filter, field_access, requires
from services.validation.input import ID_LIMIT, StoredInt, StrictInput, parse

F = CustomerFigures
# Sort key -> column. Every one is served by an index ending in the customer id (models.py).
SORTS: dict[str, Any] = {
    "aum": F.aum, "segment": F.segment_rank, "risk": F.risk_rank, "risk_valid": F.risk_valid_until,
    "kyc": F.kyc_rank, "last_contact": F.last_contact_at, "next_task": F.next_task_due_at,
}
# The direction a column sorts in when first chosen: what people look for first.
DEFAULT_DIRECTION = {"aum": "desc", "segment": "desc", "risk": "desc", "risk_valid": "asc", "kyc": "asc",
                     "last_contact": "asc", "next_task": "asc"}
PAGE_SIZE_MAX = 100
MAX_PAGE = 10_000
MAX_SELECTION = 10_000  # customers one bulk action may change


class FilterItem(StrictInput):
    """One list filter as services/customers/filters.py takes it (which checks field, operator and value)."""

    field: str = Field(min_length=1, max_length=80)
    op: str = Field(default="eq", min_length=1, max_length=16)
    value: bool | StoredInt | float | str | list[str] | None = None


class ListParams(StrictInput):
    """What the list shows: the search box, the filters (services/customers/filters.py validates them), the sort
    and the page. The same in the URL, in a saved view and in a bulk action's "everything that matches"."""

    q: str = Field(default="", max_length=100)
    filters: list[FilterItem] = Field(default_factory=list, max_length=customer_filters.MAX_FILTERS)
    sort: Literal["aum", "segment", "risk", "risk_valid", "kyc", "last_contact", "next_task"] | None = None
    dir: Literal["asc", "desc"] = "asc"
    page: int = Field(default=1, ge=1, le=MAX_PAGE)


def parse_params(data: Any) -> ListParams:
    return parse(ListParams, data if data is not None else {})


def filter_list(p: ListParams) -> list[dict]:
    """The filters as services/customers/filters.py takes them."""
    return [f.model_dump() for f in p.filters]


@requires(Permission.CUSTOMER_READ)
def list_customers(*, uow: UnitOfWork, actor: Actor, params: Any, page_size: Any = 20) -> CustomerListPage:
    """One page of the customers the actor may see, searched, filtered and sorted as `params` says."""
    p = parse_params(params)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 0 < page_size <= PAGE_SIZE_MAX:
        raise ValidationFailed([FieldError("page_size", "value.invalid")])
    s = uow.session
    if p.sort is None:
        found = customers.search_customers(uow=uow, actor=actor, query=p.q, page=p.page, page_size=page_size,
                                           filters=filter_list(p) or None)
        ids, total, capped = [c.id for c in found.items], found.total, found.total_is_capped
    else:
        condition, params = _condition(s, actor, p)
        key = SORTS[p.sort]
        order = (key.desc(), F.customer_id.desc()) if p.dir == "desc" else (key.asc(), F.customer_id.asc())
        ids = list(s.execute(
            select(F.customer_id).join(Customer, Customer.id == F.customer_id).where(condition).order_by(*order)
            .offset((p.page - 1) * page_size).limit(page_size), params).scalars())
        counted = s.execute(select(func.count()).select_from(
            select(Customer.id).where(condition).limit(customer_search.COUNT_CAP + 1).subquery()), params
        ).scalar_one()
        total, capped = min(counted, customer_search.COUNT_CAP), counted > customer_search.COUNT_CAP
    return CustomerListPage(items=_rows(s, actor, ids), page=p.page, page_size=page_size, total=total,
                            total_is_capped=capped, sort=p.sort, direction=p.dir)


def _condition(s: Session, actor: Actor, p: ListParams) -> tuple[ColumnElement[bool], dict]:
    """The WHERE clause of the list (search, filters, data scope) and the search's parameter values."""
    where, _order, params = customer_search.match_condition(p.q)
    return and_(where, customer_scope_filter(actor, Customer),
                customer_filters.filter_condition(s, actor, filter_list(p) or None)), params


def _rows(s: Session, actor: Actor, ids: list[int]) -> list[ListRow]:
    """The rows of these customers, in this order, masked for the actor."""
    if not ids:
        return []
    c = Customer
    found = {r[0]: r for r in s.execute(
        select(c.id, c.customer_no, c.name, c.kind, c.segment, c.status, c.phone_masked, c.phone_enc,
               User.display_name, Branch.name, c.risk_level, c.risk_valid_until, c.kyc_status, F.aum,
               F.last_contact_at, F.next_task_due_at)
        .join(User, User.id == c.owner_id).join(Branch, Branch.id == c.branch_id)
        .outerjoin(F, F.customer_id == c.id).where(c.id.in_(ids))).all()}
    phone = list_value(field_access(actor, "phone"), PHONE_CONTEXT)
    today = clock.today()
    out = []
    for cid in ids:
        r = found.get(cid)
        if r is None:
            continue
        (_, no, name, kind, segment, status, phone_masked, phone_enc, owner, branch, risk, valid_until, kyc, aum,
         last_contact, next_task) = r
        out.append(ListRow(
            id=cid, customer_no=no, name=name, kind=kind, segment=segment, status=status,
            phone=phone(phone_masked, phone_enc), owner_name=owner, branch_name=branch, aum=aum if aum is not None
            else 0, risk_level=risk, risk_valid_until=valid_until,
            risk_expired=valid_until is None or valid_until < today, kyc_status=kyc,
            last_contact_at=None if last_contact is None or last_contact <= NEVER else last_contact,
            next_task_due_at=None if next_task is None or next_task >= NO_TASK else next_task))
    return out


# ---------------------------------------------------------------- selections for bulk actions

class Selection(StrictInput):
    """The customers a bulk action is for: the rows ticked by hand (`ids`), or everything the list shows
    (`matching`: the list's search and filters)."""

    ids: list[Annotated[int, Field(strict=True, gt=0, lt=ID_LIMIT)]] | None = None
    matching: ListParams | None = None


def selected_ids(s: Session, actor: Actor, selection: Any) -> list[int]:
    """The ids of the selected customers, all of them in the actor's scope, at most MAX_SELECTION; refused whole
    otherwise (a selection naming a customer the actor may not see is a refusal, audited)."""
    if isinstance(selection, dict) and isinstance(selection.get("ids"), list) and len(selection["ids"]) > MAX_SELECTION:
        raise _too_many()
    sel = parse(Selection, selection)
    if (sel.ids is None) == (sel.matching is None):
        raise ValidationFailed([FieldError("selection", "value.invalid")])
    if sel.matching is not None:
        condition, params = _condition(s, actor, sel.matching)
        ids = list(s.execute(select(Customer.id).where(condition).order_by(Customer.id)
                             .limit(MAX_SELECTION + 1), params).scalars())
    else:
        ids = sorted(set(sel.ids or []))
    if not ids:
        raise ValidationFailed([FieldError("selection", "bulk.empty")])
    if len(ids) > MAX_SELECTION:
        raise _too_many()
    if sel.ids is not None:
        visible: set[int] = set()
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            visible.update(s.execute(select(Customer.id).where(Customer.id.in_(chunk),
                                                               customer_scope_filter(actor, Customer))).scalars())
        unknown = [i for i in ids if i not in visible]
        if unknown:
            # Answered as "not found" for the first one, as a single customer would be; audited as a refusal.
            raise OutOfScope(actor=actor, entity_type="customer", entity_id=unknown[0], what="customer",
                             id=unknown[0], audit_details={"selection": len(ids), "outside_scope": len(unknown)})
    return ids


@requires(Permission.CUSTOMER_READ)
def count_selection(*, uow: UnitOfWork, actor: Actor, selection: Any) -> int:
    """How many customers "everything the list matches" is, counted up to one past the bulk limit (enough to
    tell that a bulk action would refuse it)."""
    sel = parse(Selection, selection)
    if sel.matching is None or sel.ids is not None:
        raise ValidationFailed([FieldError("selection", "value.invalid")])
    s = uow.session
    condition, params = _condition(s, actor, sel.matching)
    return s.execute(select(func.count()).select_from(
        select(Customer.id).where(condition).limit(MAX_SELECTION + 1).subquery()), params).scalar_one()


def _too_many() -> ValidationFailed:
    return ValidationFailed([FieldError("selection", "bulk.too_many", {"max": f"{MAX_SELECTION:,}"})])
