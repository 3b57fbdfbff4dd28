"""Demo data for the customer list: every customer's sort keys (computed from the data the other seeders wrote),
saved views (the rm's own and one she shares with her team, the branch manager's) and recently viewed customers
(the rm's, with 张三 last, and the branch manager's). Runs last in the demo seed's transaction
(services/demo/seed.py, FEATURE_SEEDERS); deterministic for the seed's `rng` and `anchor`."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from services.customer_list import figures
from services.customer_list.models import RecentCustomer, SavedView
from services.customers.models import Customer
from services.security.models import User
from services.tags.models import CustomerTag, CustomerTagChange, Tag

# (owner, name, params, shared with the owner's team)
VIEWS = [
    ("rm", "高净值客户", {"q": "", "filters": [{"field": "segment", "op": "in", "value": ["hnw", "uhnw"]}],
                      "sort": "aum", "dir": "desc"}, False),
    ("rm", "风险评估即将到期", {"q": "", "filters": [], "sort": "risk_valid", "dir": "asc"}, True),
    ("rm", "最久未联系", {"q": "", "filters": [], "sort": "last_contact", "dir": "asc"}, False),
    ("manager", "分行 AUM 排名", {"q": "", "filters": [], "sort": "aum", "dir": "desc"}, False),
    ("manager", "KYC 待处理", {"q": "", "filters": [{"field": "kyc_status", "op": "in",
                                                   "value": ["expired", "rejected", "pending"]}],
                            "sort": "kyc", "dir": "asc"}, False),
]
RECENT = 6
# Tags no rule gives: people add them by hand (the customer list's bulk action).
MANUAL_TAGS = [("key_client", "重点维护客户", "Key client", "gold"), ("event_invitee", "活动邀约", "Event invitee", "teal")]


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    customers = figures.rebuild(session)
    users = {u.username: u for u in session.execute(
        select(User).where(User.username.in_(["rm", "manager"]))).scalars()}
    views = 0
    for owner, name, params, shared in VIEWS:
        user = users.get(owner)
        if user is None:
            continue
        session.add(SavedView(owner_id=user.id, team_id=user.team_id if shared else None, name=name,
                              params={**params, "filters": params["filters"]}, created_at=anchor, updated_at=anchor))
        views += 1
    recent = 0
    for username, user in sorted(users.items()):
        scope = Customer.owner_id == user.id if username == "rm" else Customer.branch_id == user.branch_id
        ids = [tuple(r) for r in session.execute(select(Customer.id, Customer.name).where(scope)
                                                  .order_by(Customer.id).limit(200))]
        if not ids:
            continue
        picked = [cid for cid, _ in rng.sample(ids, min(RECENT, len(ids)))]
        zhang = next((cid for cid, name in ids if name == "张三"), None)
        if zhang is not None:  # the walkthrough customer was looked at last
            picked = [cid for cid in picked if cid != zhang][:RECENT - 1] + [zhang]
        rows = [{"user_id": user.id, "customer_id": cid, "viewed_at": anchor - timedelta(hours=3 * (len(picked) - i))}
                for i, cid in enumerate(picked)]
        session.execute(insert(RecentCustomer), rows)
        recent += len(rows)
    tagged = _manual_tags(session, rng, users.get("rm"), anchor)
    session.flush()
    return {"customer_figures": customers, "saved_views": views, "recently_viewed": recent, "manual_tags": tagged}


def _manual_tags(session: Session, rng: random.Random, rm: User | None, anchor: datetime) -> int:
    """The tags people give by hand, and a few of the rm's customers holding the first (as if she tagged them)."""
    ids = {}
    for code, name, name_en, color in MANUAL_TAGS:
        if session.execute(select(Tag.id).where(Tag.code == code)).first() is None:
            tag = Tag(code=code, name=name, name_en=name_en, color=color, created_at=anchor)
            session.add(tag)
            session.flush()
            ids[code] = tag.id
    if rm is None or "key_client" not in ids:
        return 0
    mine = [cid for (cid,) in session.execute(select(Customer.id).where(Customer.owner_id == rm.id)
                                              .order_by(Customer.id).limit(40))]
    picked = rng.sample(mine, min(3, len(mine)))
    evidence = {"by": rm.username}
    for cid in picked:
        session.execute(insert(CustomerTag).values(customer_id=cid, tag_id=ids["key_client"], rule_id=None,
                                                   rule_version=None, evidence=evidence, applied_at=anchor))
        session.execute(insert(CustomerTagChange).values(customer_id=cid, tag_id=ids["key_client"], action="added",
                                                         rule_id=None, rule_version=None, evidence=evidence, at=anchor))
    return len(picked)
