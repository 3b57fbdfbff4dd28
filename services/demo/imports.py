"""Demo data for imports: one real batch in the history, run through the real import code.

The `ops` demo user uploads a small core-banking CSV (UTF-8 with BOM, as Excel saves it) about the
`rm` demo user's customers: four occupation updates, two look-alikes (same name and birth date,
another ID number) that land in the review queue, and one row with a wrong ID check digit. The
valid rows are imported ("import valid rows"), so /imports shows a finished batch, a review
queue and a downloadable error report, and the demo's customer count stays what the seed says.
It runs inside the seed's transaction (SeedUnitOfWork flushes where a real unit of work commits).
"""
from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from services import clock
from services.customers import search
from services.customers.models import Customer
from services.demo.unit_of_work import SeedUnitOfWork
from services.imports import service
from services.security.keys import get_cipher
from services.security.auth import actor_for_user
from services.security.models import User
from services.validation.identity import make_id_number

OCCUPATIONS = ("教师", "工程师", "医生", "会计", "律师", "企业主", "公务员", "设计师")


def demo_file(session: Session, rm: User, rng: random.Random) -> bytes:
    """Rows about the rm's own customers: occupation updates, two look-alikes for review, one bad row."""
    cipher = get_cipher()
    known = session.execute(
        select(Customer).where(Customer.owner_id == rm.id, Customer.id_type == "resident_id",
                               Customer.birth_date.is_not(None)).order_by(Customer.id).limit(6)).scalars().all()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["姓名", "证件号码", "手机号", "出生日期", "职业", "客户经理"])
    for i, c in enumerate(known):
        if i < 4:  # the same person, a new occupation from the core system: an update
            number = cipher.decrypt(c.id_number_enc, context=search.ID_CONTEXT)
            w.writerow([c.name, number, "", c.birth_date.isoformat(), OCCUPATIONS[rng.randrange(len(OCCUPATIONS))],
                        rm.username])
        else:  # same name and birth date, another ID number: a person must decide
            number = make_id_number("440305", c.birth_date, 900 + i)
            w.writerow([c.name, number, f"1779{rng.randrange(10**7):07d}", c.birth_date.isoformat(), "",
                        rm.username])
    bad = make_id_number("440305", date(1990, 5, 17), 950)
    w.writerow(["错误示例", bad[:-1] + ("0" if bad[-1] != "0" else "1"), "13312345678", "1990-05-17", "", rm.username])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    ops = session.execute(select(User).where(User.username == "ops")).scalar_one_or_none()
    rm = session.execute(select(User).where(User.username == "rm")).scalar_one_or_none()
    if ops is None or rm is None:
        return {}
    actor = actor_for_user(ops)
    uow = SeedUnitOfWork(session)  # the import's commits flush into the seed's transaction
    batch = service.upload(uow=uow, actor=actor, data=demo_file(session, rm, rng),
                           filename=f"core-banking-{clock.local_date(anchor):%Y%m%d}.csv")
    view = service.run_import(uow_factory=lambda: uow, actor=actor, batch_id=batch.id, apply_valid_rows=True)
    return {"import_batches": 1, "import_rows_for_review": view.review_count}
