"""Demo data for custom fields and consent: four fields an admin would plausibly add, values for
most individuals (every customer of the demo `rm` user among them), and PIPL consent records.

Runs inside the demo seed's transaction (services/demo/seed.py, FEATURE_SEEDERS), after the core
data; deterministic for the seed's `rng` and `anchor`.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from services.customers.models import ConsentRecord, Customer, CustomFieldDefinition
from services.security.models import User

FIELDS = [
    dict(key="private_banking", label="是否私行客户", label_en="Private banking client", field_type="choice",
         applies_to="individual", position=1, required=False,
         choices=[{"value": "yes", "label": "是", "label_en": "Yes"},
                  {"value": "no", "label": "否", "label_en": "No"},
                  {"value": "candidate", "label": "潜在私行客户", "label_en": "Candidate"}]),
    dict(key="annual_income", label="年收入", label_en="Annual income", field_type="money",
         applies_to="individual", position=2, min_value=Decimal("0"), max_value=Decimal("1000000000"),
         visible_to=["rm", "team_lead", "branch_manager", "compliance", "auditor"],
         editable_by=["rm", "team_lead", "branch_manager"]),
    dict(key="risk_note", label="风险偏好备注", label_en="Risk preference note", field_type="text",
         applies_to="both", position=3, max_length=200),
    dict(key="interests", label="兴趣爱好", label_en="Interests", field_type="multi_choice",
         applies_to="individual", position=4,
         choices=[{"value": "golf", "label": "高尔夫", "label_en": "Golf"},
                  {"value": "travel", "label": "旅行", "label_en": "Travel"},
                  {"value": "art", "label": "艺术收藏", "label_en": "Art collecting"},
                  {"value": "wine", "label": "红酒", "label_en": "Wine"},
                  {"value": "education", "label": "子女教育", "label_en": "Children's education"},
                  {"value": "health", "label": "健康养生", "label_en": "Health"}]),
]
NOTES = ["稳健型，偏好保本理财", "可接受中等波动，关注基金定投", "偏好短期高流动性产品", "关注养老与保险规划",
         "愿意尝试权益类产品，但单笔不超过 20 万", "对汇率敏感，有海外资产配置需求", "不接受电话营销，请用微信联系"]
INSTITUTION_NOTES = ["资金以结算为主，偏好现金管理", "有票据融资需求", "关注供应链金融"]
PURPOSES = ("marketing", "data_sharing", "credit_inquiry", "profiling")
CHANNELS = ("branch", "app", "online", "phone")


def _income(rng: random.Random, segment: str) -> str:
    base = {"mass": (60_000, 300_000), "affluent": (200_000, 1_200_000), "hnw": (800_000, 6_000_000),
            "uhnw": (3_000_000, 30_000_000)}.get(segment, (100_000, 500_000))
    return f"{rng.randrange(base[0] // 1000, base[1] // 1000) * 1000}.00"


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    now = anchor
    for i, f in enumerate(FIELDS):
        session.add(CustomFieldDefinition(
            key=f["key"], label=f["label"], label_en=f["label_en"], field_type=f["field_type"],
            applies_to=f["applies_to"], choices=f.get("choices", []), required=f.get("required", False),
            min_value=f.get("min_value"), max_value=f.get("max_value"), max_length=f.get("max_length"),
            visible_to=f.get("visible_to", []), editable_by=f.get("editable_by", []), active=True,
            position=f["position"], created_at=now - timedelta(days=400 - i)))
    session.flush()

    rm_id = session.execute(select(User.id).where(User.username == "rm")).scalar_one_or_none()
    customers = session.execute(
        select(Customer.id, Customer.kind, Customer.segment, Customer.owner_id, Customer.custom).order_by(Customer.id)
    ).all()
    updates, consents = [], []
    interests = [c["value"] for c in FIELDS[3]["choices"]]
    for cid, kind, segment, owner_id, current in customers:
        mine = owner_id == rm_id
        if not mine and rng.random() > 0.6:
            continue
        values = dict(current or {})
        if kind == "individual":
            pb = "yes" if segment in ("hnw", "uhnw") else ("candidate" if segment == "affluent" else "no")
            values["private_banking"] = pb
            if mine or rng.random() < 0.7:
                values["annual_income"] = _income(rng, segment)
            picked = set(rng.sample(interests, rng.randint(1, 3)))
            values["interests"] = [v for v in interests if v in picked]
            if mine or rng.random() < 0.4:
                values["risk_note"] = rng.choice(NOTES)
        elif rng.random() < 0.5:
            values["risk_note"] = rng.choice(INSTITUTION_NOTES)
        if values != (current or {}):
            updates.append({"b_id": cid, "b_custom": values})
        # consent: most customers were asked at onboarding; some withdrew marketing later
        start = now - timedelta(days=rng.randint(60, 700), minutes=rng.randint(0, 600))
        for purpose in PURPOSES:
            if not mine and rng.random() < 0.25:
                continue
            granted = rng.random() < (0.85 if purpose != "marketing" else 0.7)
            channel = rng.choice(CHANNELS)
            consents.append(dict(customer_id=cid, purpose=purpose, granted=granted, channel=channel,
                                 recorded_at=start, recorded_by="demo", evidence=f"DEMO-{cid}-{purpose}"))
            if granted and purpose == "marketing" and rng.random() < 0.15:
                consents.append(dict(customer_id=cid, purpose=purpose, granted=False, channel="app",
                                     recorded_at=start + timedelta(days=rng.randint(10, 50)), recorded_by="demo",
                                     evidence=None))
    table = Customer.__table__
    if updates:
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(custom=bindparam("b_custom")),
                        updates)
    for i in range(0, len(consents), 2000):
        session.execute(insert(ConsentRecord.__table__), consents[i:i + 2000])
    return {"custom_fields": len(FIELDS), "customers_with_custom_values": len(updates),
            "consent_records": len(consents)}
