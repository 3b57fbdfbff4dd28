"""Next-best-actions: for each customer, a ranked and explained list of things the RM could do next.

Kinds (each with a message code saying why, and its parameters):
- reassess  the risk assessment has expired or expires within 30 days (no product may be sold on an expired one);
- reinvest  a product bought with a term matures within 30 days (a sale's signing day plus the product's term);
- review    a high-net-worth customer had no visit or meeting for 180 days;
- call      an active customer nobody has been in touch with for 90 days;
- offer     a product type the customer holds none of, at the highest risk level the suitability rules ALLOW for
            the customer as the facts are today (services/suitability/rules.decide: never a product that needs a
            warning or that would be refused, never one on an expired assessment).

`refresh(session, customer_ids)` computes them again (the nightly job for the whole book, the demo seed); a
suggestion keeps its key (kind and what it is about), so one marked done or dismissed is not suggested again, and an
open one that no longer applies expires. RMs mark suggestions done or dismissed (`decide`); the rollup counts
suggestions, done, dismissed and converted (an offer followed by a sale of that product: rollups.py) by kind, at the
day suggested, so the dashboards show how suggestions convert.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlmodel import Session

from services import clock, holds
from services.activities.models import Interaction
from services.analytics.facts import Deltas, apply, cell_of, each
from services.analytics.models import MetricCustomer, NextBestAction
from services.customers.access import load_customer
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.portfolio.models import Holding, Product
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission as P, customer_scope_filter, requires
from services.suitability import catalogue
from services.suitability import facts as suitability_facts
from services.suitability.models import Sale, Verdict
from services.suitability.rules import decide as suitability_decide

log = logging.getLogger(__name__)

REASSESS_AHEAD = 30
MATURITY_AHEAD = 30
REVIEW_AFTER = 180
CALL_AFTER = 90
OFFER_TYPES = ("wealth", "fund", "bond", "deposit")
HIGH_NET_WORTH = ("hnw", "uhnw")
ACTIVE = ("active", "dormant")


class ActionView(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    kind: str
    reason: str  # message code
    params: dict[str, Any]
    score: int
    due_on: date | None
    status: str


def _suggest(out: dict, key: str, kind: str, score: int, reason: str, params: dict, *, product_id=None,
             due_on=None) -> None:
    out[key] = {"kind": kind, "score": int(score), "reason": reason, "params": params, "product_id": product_id,
                "due_on": due_on}


def _aum_points(aum: Decimal) -> int:
    """Up to 20 points for a larger book (1 per 500k)."""
    return min(20, int(aum // Decimal(500_000)))


def candidates(s: Session, customer_ids: list[int]) -> dict[int, dict[str, dict]]:
    """What applies to each customer today: {customer: {key: suggestion}}."""
    today = clock.today()
    out: dict[int, dict[str, dict]] = {}
    products = [catalogue.product_by_id(s, pid) for pid in s.execute(
        select(Product.id).where(Product.is_active.is_(True), Product.product_type.in_(OFFER_TYPES))
        .order_by(Product.risk_level.desc(), Product.code)).scalars()]
    for chunk in each(customer_ids, 200):
        rows = s.execute(select(Customer).where(Customer.id.in_(chunk), holds.visible(Customer.id))).scalars().all()
        aum = dict(s.execute(select(MetricCustomer.customer_id, MetricCustomer.aum)
                             .where(MetricCustomer.customer_id.in_(chunk))).all())
        last_contact = dict(s.execute(select(Interaction.customer_id, func.max(Interaction.occurred_at))
                                      .where(Interaction.customer_id.in_(chunk))
                                      .group_by(Interaction.customer_id)).all())
        last_review = dict(s.execute(select(Interaction.customer_id, func.max(Interaction.occurred_at))
                                     .where(Interaction.customer_id.in_(chunk),
                                            Interaction.kind.in_(("visit", "meeting")))
                                     .group_by(Interaction.customer_id)).all())
        held = {}
        for cid, ptype in s.execute(select(Holding.customer_id, Product.product_type)
                                    .join(Product, Product.id == Holding.product_id)
                                    .where(Holding.customer_id.in_(chunk))):
            held.setdefault(cid, set()).add(ptype)
        maturing = s.execute(select(Sale.id, Sale.customer_id, Sale.signed_at, Product.code, Product.term_days)
                             .join(Product, Product.id == Sale.product_id)
                             .where(Sale.customer_id.in_(chunk), Sale.status == "effective",
                                    Product.term_days.is_not(None), Product.term_days >= 30)).all()
        matures: dict[int, list] = {}
        for sale_id, cid, signed, code, term in maturing:
            day = clock.local_date(signed) + timedelta(days=int(term))
            if today <= day <= today + timedelta(days=MATURITY_AHEAD):
                matures.setdefault(cid, []).append((sale_id, code, day))
        for c in rows:
            if c.status not in ACTIVE:
                continue
            mine: dict[str, dict] = {}
            points = _aum_points(Decimal(aum.get(c.id) or 0))
            until = c.risk_valid_until
            if c.risk_level and until is not None and until <= today + timedelta(days=REASSESS_AHEAD):
                expired = until < today
                _suggest(mine, f"reassess:{until.isoformat()}", "reassess", (90 if expired else 70) + points,
                         "nba.reason.reassess_expired" if expired else "nba.reason.reassess_due",
                         {"date": until.isoformat()}, due_on=max(today, until))
            for sale_id, code, day in matures.get(c.id, ()):
                _suggest(mine, f"reinvest:{sale_id}", "reinvest", 80 + points, "nba.reason.maturity",
                         {"product": code, "date": day.isoformat()}, due_on=day)
            seen = last_contact.get(c.id)
            seen_day = clock.local_date(seen) if seen is not None else None
            if c.segment in HIGH_NET_WORTH:
                met = last_review.get(c.id)
                met_day = clock.local_date(met) if met is not None else None
                if met_day is None or (today - met_day).days >= REVIEW_AFTER:
                    _suggest(mine, f"review:{today.year}-{(today.month - 1) // 6}", "review", 60 + points,
                             "nba.reason.review_due", {"days": (today - met_day).days if met_day else None})
            if c.status == "active" and (seen_day is None or (today - seen_day).days >= CALL_AFTER):
                _suggest(mine, f"call:{today.year}-{today.month:02d}", "call", 45 + points, "nba.reason.lapsed",
                         {"days": (today - seen_day).days if seen_day else None})
            if c.risk_level and until is not None and until >= today:
                cf = suitability_facts.customer_facts(s, c, today=today)
                owned = held.get(c.id, set())
                for p in products:  # highest risk first: the best the rules allow
                    if p.product_type in owned:
                        continue
                    if suitability_decide(cf, p).verdict == Verdict.ALLOWED:
                        _suggest(mine, f"offer:{p.code}", "offer", 40 + points, "nba.reason.offer",
                                 {"product": p.code, "product_type": p.product_type, "risk_level": p.risk_level},
                                 product_id=p.product_id)
                        break
            out[c.id] = mine
    return out


def refresh(s: Session, customer_ids) -> dict[str, int]:
    """Suggestions of these customers as they apply today: new ones open, open ones that no longer apply expire;
    done and dismissed ones stay as they are. Counted in the rollup ('nba': suggested)."""
    ids = sorted({int(i) for i in customer_ids})
    now = clock.now()
    made = expired = 0
    deltas = Deltas()
    for chunk in each(ids, 200):
        wanted = candidates(s, chunk)
        existing: dict[tuple[int, str], NextBestAction] = {(r.customer_id, r.key): r for r in s.execute(
            select(NextBestAction).where(NextBestAction.customer_id.in_(chunk))).scalars()}
        owners = dict(s.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(chunk))).all())
        cells = {r.customer_id: cell_of(r.branch_id, r.team_id, r.owner_id) for r in s.execute(
            select(MetricCustomer).where(MetricCustomer.customer_id.in_(chunk))).scalars()}
        for cid, suggestions in wanted.items():
            for key, v in suggestions.items():
                row = existing.get((cid, key))
                if row is None:
                    s.add(NextBestAction(customer_id=cid, owner_id=owners[cid], kind=v["kind"], key=key,
                                         product_id=v["product_id"], score=v["score"], reason=v["reason"],
                                         params=v["params"], status="open", created_at=now, due_on=v["due_on"]))
                    made += 1
                    if cid in cells:
                        deltas.add("nba", clock.local_date(now), cells[cid], v["kind"], "suggested", n=1)
                elif row.status == "open" and (row.score != v["score"] or row.params != v["params"]
                                               or row.owner_id != owners[cid]):
                    row.score, row.params, row.owner_id = v["score"], v["params"], owners[cid]
        for (cid, key), row in existing.items():
            if row.status == "open" and key not in wanted.get(cid, {}):
                row.status, row.decided_at = "expired", now
                expired += 1
    s.flush()
    apply(s, deltas)
    return {"suggested": made, "expired": expired}


def _view(row: NextBestAction, name: str) -> ActionView:
    return ActionView(id=row.id, customer_id=row.customer_id, customer_name=name, kind=row.kind, reason=row.reason,
                      params=row.params or {}, score=row.score, due_on=row.due_on, status=row.status)


@requires(P.CUSTOMER_READ)
def suggestions(*, uow: UnitOfWork, actor: Actor, customer_id: Any = None, limit: int = 10) -> list[ActionView]:
    """Open suggestions, best first: of one customer (the 360 page), or of the customers the actor works (an RM's
    home: his book; a team lead's: his team's), within the actor's data scope."""
    s = uow.session
    q = (select(NextBestAction, Customer.name).join(Customer, Customer.id == NextBestAction.customer_id)
         .where(NextBestAction.status == "open", customer_scope_filter(actor, Customer)))
    if customer_id is not None:
        c = load_customer(s, actor, customer_id)
        q = q.where(NextBestAction.customer_id == c.id)
    elif actor.kind == "user" and "rm" in actor.roles and actor.id is not None:
        q = q.where(NextBestAction.owner_id == actor.id)
    rows = s.execute(q.order_by(NextBestAction.score.desc(), NextBestAction.id).limit(max(1, min(50, limit)))).all()
    return [_view(r, name) for r, name in rows]


OUTCOMES = ("done", "dismissed")


@requires(P.OPPORTUNITY_WRITE)
def decide(*, uow: UnitOfWork, actor: Actor, action_id: Any, outcome: Any, note: Any = None) -> ActionView:
    """Mark a suggestion done or dismissed (once), audited and counted."""
    if isinstance(action_id, bool) or not isinstance(action_id, int) or not 0 < action_id < 2**31:
        raise ValidationFailed([FieldError("action_id", "value.invalid")])
    if outcome not in OUTCOMES:
        raise ValidationFailed([FieldError("outcome", "value.invalid")])
    if note is not None and (not isinstance(note, str) or len(note) > 300):
        raise ValidationFailed([FieldError("note", "value.invalid")])
    s = uow.session
    row = s.get(NextBestAction, action_id)
    if row is None:
        raise NotFound(what="action", id=action_id)
    c = load_customer(s, actor, row.customer_id)  # out of scope answers as not found, audited
    if row.status != "open":
        raise ValidationFailed([FieldError("action_id", "nba.already_decided", {"status": row.status})])
    now = clock.now()
    changed = s.execute(update(NextBestAction).where(NextBestAction.id == row.id, NextBestAction.status == "open")
                        .values(status=outcome, decided_at=now, decided_by=actor.id if actor.kind == "user" else None,
                                note=note)).rowcount
    if changed != 1:
        raise ValidationFailed([FieldError("action_id", "nba.already_decided", {"status": "?"})])
    s.refresh(row)
    counted = s.get(MetricCustomer, c.id)
    if counted is not None:
        d = Deltas()
        d.add("nba", clock.local_date(row.created_at), cell_of(counted.branch_id, counted.team_id, counted.owner_id),
              row.kind, outcome, n=1)
        apply(s, d)
    audit.record(s, actor, f"nba.{outcome}", entity_type="customer", entity_id=c.id,
                 changes={"action_id": row.id, "kind": row.kind, "key": row.key})
    return _view(row, c.name)


def refresh_all(session: Session, *, batch: int = 2000) -> dict[str, int]:
    """Every published customer's suggestions (the nightly job)."""
    total = {"suggested": 0, "expired": 0}
    ids = list(session.execute(select(Customer.id).where(holds.visible(Customer.id)).order_by(Customer.id)).scalars())
    for chunk in each(ids, batch):
        for k, v in refresh(session, chunk).items():
            total[k] += v
    return total
