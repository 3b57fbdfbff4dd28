"""Demo data for the customer 360: households, risk/KYC/AML profile, related parties,
credit ratings, tickets and tasks (services/demo/activities.py).

Runs inside seed_demo's transaction (FEATURE_SEEDERS), after the core data, and derives
everything from it: households are the families the core seeder linked.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import insert, select, update
from sqlmodel import Session

from services import clock
from services.customers.models import CreditRating, Customer, Household, Relationship
from services.portfolio.models import Account
from services.demo import activities as demo_activities

LIABILITY = {"loan", "credit_card"}
RATINGS = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC"]


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    fake = Faker("zh_CN")
    fake.seed_instance(rng.randrange(1 << 30))
    today = clock.local_date(anchor)  # the anchor day in the firm's zone (its UTC date is the day before)
    customers = session.execute(select(Customer.id, Customer.kind, Customer.name, Customer.owner_id,
                                       Customer.created_at)).all()
    kind_of = {c.id: c.kind for c in customers}
    name_of = {c.id: c.name for c in customers}
    counts: dict[str, int] = {}

    # Households: connected components of the family links.
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rels = session.execute(select(Relationship.id, Relationship.customer_id, Relationship.related_customer_id,
                                  Relationship.kind, Relationship.note)).all()
    for r in rels:
        if r.kind in ("spouse", "parent", "child"):
            parent[find(r.customer_id)] = find(r.related_customer_id)
    groups: dict[int, list[int]] = defaultdict(list)
    for cid in list(parent):
        groups[find(cid)].append(cid)
    households = [sorted(m) for m in groups.values() if len(m) > 1]
    next_hh = (session.execute(select(Household.id).order_by(Household.id.desc()).limit(1)).scalar() or 0) + 1
    hh_rows, member_updates = [], []
    for i, members in enumerate(sorted(households), start=next_hh):
        head = members[0]
        hh_rows.append({"id": i, "name": f"{name_of[head][0]}氏家庭", "created_at": anchor})
        member_updates += [{"id": m, "household_id": i} for m in members]
    if hh_rows:
        session.execute(insert(Household), hh_rows)
        session.execute(update(Customer), member_updates)
    counts["households"] = len(hh_rows)

    # Related parties of institutions: the core seeder's notes name the role.
    role_kind = {"法定代表人": "legal_representative", "实际控制人": "controller", "股东": "beneficial_owner"}
    rel_updates, inst_updates = [], []
    for r in rels:
        if r.kind == "related_party" and kind_of.get(r.customer_id) == "institution" and r.note in role_kind:
            kind = role_kind[r.note]
            row = {"id": r.id, "kind": kind}
            if kind == "beneficial_owner":
                row["share_pct"] = Decimal(rng.choice([25, 30, 35, 40, 51, 60]))
            rel_updates.append(row)
            if kind == "legal_representative":
                inst_updates.append({"id": r.customer_id, "legal_representative": name_of[r.related_customer_id]})
    if rel_updates:
        session.execute(update(Relationship), rel_updates)
    # Institutions without a named representative get one (a person outside our book).
    named = {u["id"] for u in inst_updates}
    inst_updates += [{"id": c.id, "legal_representative": fake.name()} for c in customers
                     if c.kind == "institution" and c.id not in named]

    # Guarantors: a borrower's spouse guarantees the loan.
    loan_holders = set(session.execute(select(Account.customer_id).where(Account.kind == "loan")).scalars())
    spouse_of = {r.customer_id: r.related_customer_id for r in rels if r.kind == "spouse"}
    guarantor_rows = [{"customer_id": cid, "related_customer_id": spouse_of[cid], "kind": "guarantor",
                       "note": "个人住房贷款连带责任保证", "created_at": anchor}
                      for cid in sorted(loan_holders) if cid in spouse_of and rng.random() < 0.6]
    if guarantor_rows:
        session.execute(insert(Relationship), guarantor_rows)
    counts["guarantor_links"] = len(guarantor_rows)

    # Risk profile, KYC and AML.
    profile_updates = []
    for c in customers:
        row = {"id": c.id}
        if c.kind == "individual":
            level = rng.choices(["C1", "C2", "C3", "C4", "C5"], [10, 25, 35, 20, 10])[0]
            assessed = today - timedelta(days=rng.randrange(0, 500))
            row.update(risk_level=level, risk_valid_until=assessed + timedelta(days=365))
        else:
            row.update(risk_level=rng.choice(["C3", "C4"]), risk_valid_until=today + timedelta(days=rng.randrange(30, 365)))
        row["kyc_status"] = rng.choices(["verified", "expired", "pending"], [90, 6, 4])[0]
        row["aml_risk"] = rng.choices(["low", "medium", "high"], [90, 8, 2])[0]
        profile_updates.append(row)
    by_id = {r["id"]: r for r in profile_updates}
    for u in inst_updates:
        by_id[u["id"]]["legal_representative"] = u["legal_representative"]
    session.execute(update(Customer), profile_updates)

    # Credit ratings for borrowers and card holders, a history of up to three.
    borrowers = sorted(set(session.execute(select(Account.customer_id).where(Account.kind.in_(LIABILITY))).scalars()))
    rating_rows = []
    for cid in borrowers:
        idx = rng.randrange(1, 5)
        for n in range(rng.randint(1, 3)):
            rated = today - timedelta(days=365 * n + rng.randrange(0, 120))
            idx = max(0, min(len(RATINGS) - 1, idx + rng.choice([-1, 0, 0, 1])))
            rating_rows.append({"customer_id": cid, "rating": RATINGS[idx],
                                "source": rng.choice(["内部评分卡", "人行征信报告"]), "rated_on": rated,
                                "valid_until": rated + timedelta(days=365), "note": None})
    if rating_rows:
        session.execute(insert(CreditRating), rating_rows)
    counts["credit_ratings"] = len(rating_rows)

    # Tickets, tasks and do-not-contact requests (services/demo/activities.py), from a random stream of their own.
    counts.update(demo_activities.seed(session, rng=random.Random(rng.randrange(1 << 30)), anchor=anchor))

    # The AUM history is seeded last (services/demo/aum_history.py), once every balance is final.
    return counts
