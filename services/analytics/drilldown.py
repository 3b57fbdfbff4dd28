"""The customers behind a bar of a figure: the dashboard's drill-down.

A bar is named by the key the figure gave it (figures.Series.bars), for example `segment:hnw`, `owner:12`,
`new|month:2026-03-01`, `stage:proposal`, `type:fund|month:2026-05-01`, `channel:referral`. The key is parsed
strictly; an organisation unit in it (a branch, team or RM) is added to the dashboard's filters and checked again
with them (filters.resolve), so a bar of a unit outside the asker's scope is refused with the same message as the
filter would be; and the customers are limited to the asker's data scope as every customer list is
(policy.customer_scope_filter). Sensitive fields come out as the asker's role may see them (the phone masked for most).

Read from metric_customer and metric_opportunity (one row per customer / opportunity, indexed by organisation), and
for sales from the sale table limited to the bar's days: one page of 20 customers, largest AUM first.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, func, select

from services import clock
from services.analytics.facts import month_of
from services.analytics.filters import Query, resolve
from services.analytics.models import MetricCustomer, MetricOpportunity, NextBestAction
from services.analytics.rollups import COUNTED_SALES
from services.customers.access import PHONE_CONTEXT, list_value
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotPermitted, ValidationFailed
from services.opportunities.models import FUNNEL
from services.portfolio.models import Product
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission as P, customer_scope_filter, field_access, requires
from services.suitability.models import Sale

PAGE_SIZE = 20
MAX_PAGE = 500

_PART = re.compile(r"^(segment|branch|team|owner|channel|stage|type|risk|kind|day|month|new|lost)(?::([A-Za-z0-9_-]{1,24}))?$")
# Which bar keys each figure draws (a key another figure draws is refused here too).
_ALLOWED = {
    "aum_trend": {"segment"}, "aum_by_segment": {"segment"}, "aum_by_unit": {"segment", "branch", "team", "owner"},
    "aum_unit_trend": {"segment", "branch", "team", "owner"},
    "customers_new_lost": {"new", "lost", "day", "month"}, "pipeline_funnel": {"stage"},
    "sales_by_type": {"type", "day", "month"}, "sales_by_risk": {"risk", "day", "month"},
    "rm_leaderboard": {"owner"}, "channel_quality": {"channel"}, "repurchase_rate": {"segment"},
    "nba_conversion": {"kind"},
}


class DrillRow(BaseModel):
    customer_id: int
    customer_no: str
    name: str
    segment: str
    owner: str
    aum: Decimal
    phone: str | None  # as the asker's role may see it (masked for most), None when hidden


class DrillPage(BaseModel):
    figure: str
    bar: str
    rows: list[DrillRow]
    total: int
    page: int
    pages: int


def _bar(figure: str, bar: Any) -> dict[str, str]:
    if not isinstance(bar, str) or not 0 < len(bar) <= 80:
        raise ValidationFailed([FieldError("bar", "metrics.unknown_bar")])
    out: dict[str, str] = {}
    for part in bar.split("|"):
        m = _PART.match(part)
        if m is None or m.group(1) in out or m.group(1) not in _ALLOWED.get(figure, ()):
            raise ValidationFailed([FieldError("bar", "metrics.unknown_bar")])
        out[m.group(1)] = m.group(2) or ""
    return out


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([FieldError("bar", "metrics.unknown_bar")]) from None


def _unit_id(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise ValidationFailed([FieldError("bar", "metrics.unknown_bar")])
    return int(value)


def _period(q: Query, parts: dict[str, str]) -> tuple[date, date]:
    """The days the bar covers: its day or month within the range, else the whole range."""
    if "day" in parts:
        d = _day(parts["day"])
        lo, hi = d, d
    elif "month" in parts:
        m = month_of(_day(parts["month"]))
        lo, hi = m, (m + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        return q.start, q.end
    return max(lo, q.start), min(hi, q.end)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.zone())


@requires(P.METRICS_VIEW)
def drilldown(*, uow: UnitOfWork, actor: Actor, figure: Any, bar: Any, filters: Any, page: Any = 1) -> DrillPage:
    if actor.kind != "user":
        raise NotPermitted(actor=actor, permission="metrics.drilldown")  # figures only for other systems
    if not isinstance(figure, str) or figure not in _ALLOWED:
        raise ValidationFailed([FieldError("figure", "metrics.unknown_bar")])
    parts = _bar(figure, bar)
    s = uow.session
    wanted = dict(filters) if isinstance(filters, dict) else filters
    if isinstance(wanted, dict):
        # A unit in the bar narrows the filters, and is checked against the asker's scope with them.
        for key, field in (("branch", "branch_id"), ("team", "team_id"), ("owner", "rm_id")):
            if key in parts:
                wanted[field] = _unit_id(parts[key])
    q = resolve(s, actor, wanted)
    page_no = page if isinstance(page, int) and not isinstance(page, bool) and 0 < page <= MAX_PAGE else 1
    mc = MetricCustomer
    where = []
    if q.branch_id:
        where.append(mc.branch_id == q.branch_id)
    if q.team_id:
        where.append(mc.team_id == q.team_id)
    if q.owner_id:
        where.append(mc.owner_id == q.owner_id)
    lo, hi = _period(q, parts)
    if figure in ("aum_trend", "aum_unit_trend", "aum_by_segment", "aum_by_unit", "rm_leaderboard"):
        where.append(mc.aum != 0)
        if "segment" in parts:
            where.append(mc.segment == parts["segment"])
    elif figure == "customers_new_lost":
        if "lost" in parts:
            where += [mc.lost_on.is_not(None), mc.lost_on >= lo, mc.lost_on <= hi]
        else:
            where += [mc.acquired_on >= lo, mc.acquired_on <= hi]
    elif figure == "channel_quality":
        where += [mc.acquired_on >= q.start, mc.acquired_on <= q.end, mc.channel == parts.get("channel", "")]
    elif figure == "repurchase_rate":
        where += [mc.first_sale_on >= q.start, mc.first_sale_on <= q.end, mc.sales > 0,
                  mc.segment == parts.get("segment", "")]
    elif figure == "pipeline_funnel":
        stage = parts.get("stage", "")
        mo = MetricOpportunity
        cond = [mo.day >= q.start, mo.day <= q.end]
        if stage == "lost":
            cond.append(mo.lost_reason != "")
        else:
            names = [x.value for x in FUNNEL]
            if stage not in names:
                raise ValidationFailed([FieldError("bar", "metrics.unknown_bar")])
            cond.append(mo.reached >= names.index(stage))
        if q.product_type:
            cond.append(mo.product_type == q.product_type)
        from services.opportunities.models import Opportunity

        where.append(mc.customer_id.in_(select(Opportunity.customer_id).join(
            mo, mo.opportunity_id == Opportunity.id).where(*cond)))
    elif figure in ("sales_by_type", "sales_by_risk"):
        cond = [Sale.signed_at >= _instant(lo), Sale.signed_at < _instant(hi + timedelta(days=1)),
                Sale.status.in_(COUNTED_SALES)]
        if "type" in parts:
            cond.append(Product.product_type == parts["type"])
        if "risk" in parts:
            cond.append(Product.risk_level == parts["risk"])
        if q.product_type:
            cond.append(Product.product_type == q.product_type)
        where.append(mc.customer_id.in_(select(Sale.customer_id).join(Product, Product.id == Sale.product_id)
                                        .where(*cond)))
    elif figure == "nba_conversion":
        nba = NextBestAction
        where.append(mc.customer_id.in_(select(nba.customer_id).where(
            nba.kind == parts.get("kind", ""), nba.created_at >= _instant(q.start),
            nba.created_at < _instant(q.end + timedelta(days=1)))))
    base = (select(mc.customer_id).join(Customer, Customer.id == mc.customer_id)
            .where(and_(*where), customer_scope_filter(actor, Customer)))
    total = s.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page_no = min(page_no, pages)
    phone = list_value(field_access(actor, "phone"), PHONE_CONTEXT)
    rows = s.execute(
        select(Customer.id, Customer.customer_no, Customer.name, Customer.segment, User.display_name, mc.aum,
               Customer.phone_masked, Customer.phone_enc)
        .join(mc, mc.customer_id == Customer.id).join(User, User.id == Customer.owner_id)
        .where(Customer.id.in_(base)).order_by(mc.aum.desc(), Customer.id)
        .limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE)).all()
    return DrillPage(figure=figure, bar=bar, total=total, page=page_no, pages=pages, rows=[
        DrillRow(customer_id=cid, customer_no=no, name=name, segment=segment, owner=owner or "", aum=aum,
                 phone=phone(masked, enc)) for cid, no, name, segment, owner, aum, masked, enc in rows])

