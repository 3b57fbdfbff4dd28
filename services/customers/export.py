"""Export a customer search (query + filters) as CSV or XLSX.

Scoped and masked for the actor exactly like the list: the actor's data scope limits the rows,
sensitive fields appear as the field policy allows (masked, or not at all), custom fields appear
only when visible to the actor. Every text cell that a spreadsheet could read as a formula
(starting with = + - @, or a tab / carriage return) is prefixed with an apostrophe. One audit
event records who exported what (query, filters, row count, columns).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session

from services.customers import custom_fields as cf
from services.customers import filters as customer_filters
from services.customers import search as customer_search
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, OutOfScope, ValidationFailed
from services.i18n import format_date, normalize_locale
from services.org.models import Branch
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Access, Permission, customer_scope_filter, field_access, requires
from services import clock
from services.validation.input import parse

MAX_ROWS = 10_000
BATCH = 500
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# (key, zh_CN header, en header)
CORE_COLUMNS = (
    ("customer_no", "客户号", "Customer no."),
    ("name", "姓名", "Name"),
    ("kind", "客户类型", "Customer type"),
    ("segment", "客户分层", "Segment"),
    ("status", "状态", "Status"),
    ("phone", "手机号", "Phone"),
    ("id_number", "证件号码", "ID number"),
    ("email", "电子邮箱", "E-mail"),
    ("owner", "客户经理", "Relationship manager"),
    ("branch", "机构", "Branch"),
    ("created_at", "建档日期", "Customer since"),
)
_ENUM_LABELS = {
    "kind": {"individual": ("个人", "Individual"), "institution": ("机构", "Institution")},
    "segment": {"mass": ("大众客户", "Mass"), "affluent": ("富裕客户", "Affluent"), "hnw": ("高净值", "High net worth"),
                "uhnw": ("超高净值", "Ultra high net worth"), "corporate": ("对公客户", "Corporate")},
    "status": {"prospect": ("潜在客户", "Prospect"), "active": ("有效", "Active"), "dormant": ("休眠", "Dormant"),
               "closed": ("已销户", "Closed")},
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    data: bytes
    rows: int


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet will not evaluate: text starting with a formula character gets a
    leading apostrophe. Plain numbers (-12.5) are left alone: they cannot be formulas."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _enum(field: str, value: str, loc: str) -> str:
    pair = _ENUM_LABELS[field].get(value)
    return value if pair is None else (pair[1] if loc == "en" else pair[0])


def _rows(s: Session, actor: Actor, ids: list[int], columns: list[str], defs: list, loc: str):
    from services.customers.service import ID_CONTEXT, PHONE_CONTEXT, present, present_stored_mask

    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = s.execute(
            select(Customer, User.display_name, Branch.name)
            .join(User, User.id == Customer.owner_id).join(Branch, Branch.id == Customer.branch_id)
            .where(Customer.id.in_(chunk))
        ).all()
        by_id = {c.id: (c, owner, branch) for c, owner, branch in rows}
        for cid in chunk:
            c, owner, branch = by_id[cid]
            core = {
                "customer_no": c.customer_no, "name": c.name, "kind": _enum("kind", c.kind, loc),
                "segment": _enum("segment", c.segment, loc), "status": _enum("status", c.status, loc),
                "phone": present_stored_mask(actor, "phone", c.phone_masked, c.phone_enc, PHONE_CONTEXT),
                "id_number": present_stored_mask(actor, "id_number", c.id_number_masked, c.id_number_enc,
                                                 ID_CONTEXT),
                "email": present(actor, "email", c.email), "owner": owner, "branch": branch,
                "created_at": format_date(clock.local_date(c.created_at), loc),
            }
            custom = c.custom or {}
            out = [core[k] for k in columns]
            for d in defs:
                stored = custom.get(d.key) if cf.applies(d, c.kind) else None
                if d.field_type in cf.NUMERIC_TYPES and stored is not None:
                    out.append(Decimal(str(stored)))
                else:
                    out.append(cf.display_value(d, stored, loc))
            yield [neutralise("" if v is None else v) for v in out]
            s.expunge(c)


@requires(Permission.CUSTOMER_EXPORT)
def export_customers(*, uow: UnitOfWork, actor: Actor, query: Any = "", filters: Any = None,
                     fmt: Any = "csv", locale: Any = None) -> ExportFile:
    """The customers the actor's search would find (no paging, at most MAX_ROWS) as a file."""
    if fmt not in FORMATS:
        raise ValidationFailed([FieldError("format", "export.bad_format")])
    loc = normalize_locale(locale if isinstance(locale, str) else actor.locale)
    from services.customers.schemas import SearchRequest

    req = parse(SearchRequest, {"query": query if query is not None else "", "page": 1, "page_size": 20})
    s = uow.session
    where, order, params = customer_search.match_condition(req.query)
    condition = customer_filters.filter_condition(s, actor, filters)
    ids = list(s.execute(
        select(Customer.id).where(where, customer_scope_filter(actor, Customer), condition)
        .order_by(*order).limit(MAX_ROWS + 1), params).scalars())
    if len(ids) > MAX_ROWS:
        raise ValidationFailed([FieldError("filters", "export.too_many", {"count": f"{MAX_ROWS:,}+",
                                                                          "max": f"{MAX_ROWS:,}"})])
    out, columns = _file(s, actor, ids, fmt, loc)
    audit.record(s, actor, "customer.export", entity_type="customer", entity_id=None,
                 changes={"format": fmt, "query": req.query, "filters": filters or [], "rows": len(ids),
                          "columns": columns})
    return out


@requires(Permission.CUSTOMER_EXPORT)
def export_selected(*, uow: UnitOfWork, actor: Actor, customer_ids: Any, fmt: Any = "csv",
                    locale: Any = None) -> ExportFile:
    """These customers (ticked in the list; at most MAX_ROWS, all in the actor's scope, else refused whole) as a
    file, with one audit event per customer exported."""
    if fmt not in FORMATS:
        raise ValidationFailed([FieldError("format", "export.bad_format")])
    if not isinstance(customer_ids, (list, tuple)) or not customer_ids:
        raise ValidationFailed([FieldError("customer_ids", "value.required")])
    if len(customer_ids) > MAX_ROWS:
        raise ValidationFailed([FieldError("selection", "export.too_many", {"count": f"{len(customer_ids):,}",
                                                                            "max": f"{MAX_ROWS:,}"})])
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in customer_ids):
        raise ValidationFailed([FieldError("customer_ids", "value.invalid")])
    loc = normalize_locale(locale if isinstance(locale, str) else actor.locale)
    s = uow.session
    ids = sorted(set(customer_ids))
    visible: set[int] = set()
    for start in range(0, len(ids), BATCH):
        visible.update(s.execute(select(Customer.id).where(Customer.id.in_(ids[start:start + BATCH]),
                                                           customer_scope_filter(actor, Customer))).scalars())
    unknown = [i for i in ids if i not in visible]
    if unknown:
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=unknown[0], what="customer", id=unknown[0],
                         audit_details={"customers": len(ids), "outside_scope": len(unknown)})
    out, columns = _file(s, actor, ids, fmt, loc)
    audit.record_many(s, actor, [("customer.export", "customer", cid, {"format": fmt, "selected": len(ids)})
                                 for cid in ids])
    return out


def _file(s: Session, actor: Actor, ids: list[int], fmt: str, loc: str) -> tuple[ExportFile, list[str]]:
    """The file of these customers' rows (columns as the actor may see them), and the columns' keys."""
    columns = [k for k, _, _ in CORE_COLUMNS
               if k not in ("phone", "id_number", "email") or field_access(actor, k) is not Access.HIDDEN]
    defs = cf.visible_definitions(s, actor)
    headers = [(en if loc == "en" else zh) for k, zh, en in CORE_COLUMNS if k in columns]
    headers += [(d.label_en if loc == "en" else d.label) for d in defs]
    stamp = clock.local_now().strftime("%Y%m%d-%H%M%S")  # a file name people read: the firm's time
    rows = _rows(s, actor, ids, columns, defs, loc)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in headers])
        writer.writerows(rows)
        data = ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("customers")
        ws.append([neutralise(h) for h in headers])
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
    return (ExportFile(filename=f"customers-{stamp}.{fmt}", content_type=FORMATS[fmt], data=data, rows=len(ids)),
            columns + [f"custom.{d.key}" for d in defs])
