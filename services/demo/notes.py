"""Demo data for revised notes (issue 14, a note edited on two devices): the latest visit note of the demo rm's 张三
was written on the day, revised by the rm from the phone while offline, then completed by the branch manager on the
web, so a new user sees a note marked "edited" on the 360 timeline with its earlier versions
(services/activities/revisions.py keeps them the same way). Runs after the customer list's seeder: its last contact
is refreshed here."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from services.activities.models import Interaction, InteractionRevision, RevisionChannel
from services.customer_list import figures
from services.customers.models import Customer
from services.security.models import User

FIRST = "拜访张三先生，了解其子女教育金规划需求；客户对稳健型产品感兴趣。"
BY_PHONE = "拜访张三先生，了解其子女教育金规划需求；客户对稳健型产品感兴趣，希望下周收到两款产品的对比材料。"
BY_MANAGER = (BY_PHONE + "\n（支行补充）客户风险测评将于下月到期，送材料时请一并提醒重新测评。")


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    rm = session.execute(select(User.id).where(User.username == "rm")).scalar_one_or_none()
    manager = session.execute(select(User.id).where(User.username == "manager")).scalar_one_or_none()
    if rm is None or manager is None:
        return {}
    zhang = session.execute(select(Customer.id).where(Customer.owner_id == rm, Customer.name == "张三")
                            .order_by(Customer.id).limit(1)).scalar_one_or_none()
    if zhang is None:
        return {}
    written = anchor - timedelta(days=2) + timedelta(hours=10)  # two days before the anchor day, in office hours
    note = Interaction(customer_id=zhang, user_id=rm, kind="visit", occurred_at=written, subject="上门拜访：教育金规划",
                       notes=BY_MANAGER, created_at=written, revision=3)
    session.add(note)  # through the ORM: the rollups and the customer list notice an interaction written this way
    session.flush()
    iid = note.id
    session.execute(insert(InteractionRevision), [
        dict(interaction_id=iid, revision=2, previous_notes=FIRST, user_id=rm, at=written + timedelta(hours=3),
             written_at=written + timedelta(hours=1), channel=RevisionChannel.OFFLINE.value),
        dict(interaction_id=iid, revision=3, previous_notes=BY_PHONE, user_id=manager,
             at=written + timedelta(days=1), written_at=None, channel=RevisionChannel.WEB.value),
    ])
    figures.refresh(session, [zhang])  # his last contact, for the customer list (seeded before this)
    return {"revised_notes": 1}
