"""Customer import of a 100,000-row CSV: the whole `run_import` (read, validate, match, create through
the customer service with audit and outbox, in one transaction) against a raw bulk insert of the
same rows (the canonical values already computed: encryption, blind indexes and pinyin done in the
baseline too, then one executemany), both into a fresh migrated SQLite database. The shipped tag rules
are active in the service's database (every imported customer is evaluated against them, as on an
installation that uses them).
"""
from __future__ import annotations

import csv
import io
import os
import time
from datetime import date, timedelta

from sqlalchemy import insert

from bench.datagen import fresh_database, install_catalog
from bench.report import emit, note
from services.customers.models import Customer
from services.customers.pinyin import search_keys
from services.customers import pii
from services.db import UnitOfWork, make_engine
from services.imports import service as imports
from services.org.models import Branch, Team
from services.security.auth import actor_for_user
from services.security.models import User
from services.types import utcnow
from services.validation.identity import make_id_number

HEADER = ["姓名", "证件号码", "手机号", "出生日期", "电子邮箱"]


def make_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        birth = date(1950, 1, 1) + timedelta(days=i // 1000)  # (birth, seq) is unique per row
        number = make_id_number("110105", birth, i % 1000)
        rows.append([f"导入{i}", number, f"13{i:09d}", birth.isoformat(), f"c{i}@example.com"])
    return rows


def fresh_book(tag: str) -> tuple[str, object]:
    """A fresh database with one branch, team, RM (id 1) and ops user (id 2), the products and the shipped rules."""
    url = fresh_database(f"imports-{tag}.db")
    install_catalog(url)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
        c.execute(insert(Team).values(id=1, branch_id=1, name="一组", name_en="Team 1"))
        for uid, name, roles, team in ((1, "rm", ["rm"], 1), (2, "ops", ["ops"], None)):
            c.execute(insert(User).values(id=uid, username=name, display_name=name, password_hash="x", roles=roles,
                                          branch_id=1, team_id=team, is_active=True, is_demo=False,
                                          created_at=utcnow()))
    return url, engine


def _baseline(engine, rows: list[list[str]]) -> float:
    t0 = time.perf_counter()
    now = utcnow()
    values = []
    for i, (name, number, phone, birth, email) in enumerate(rows, start=1):
        full, initials = search_keys(name, surname=True)
        values.append(dict(
            customer_no=f"C{i:09d}", kind="individual", name=name, name_pinyin=full, name_initials=initials,
            birth_date=date.fromisoformat(birth), **pii.id_number_columns("resident_id", number),
            **pii.phone_columns(phone), email=email, segment="mass", owner_id=1, team_id=1, branch_id=1,
            source_channel="branch", status="active", custom={}, version=1, created_at=now, updated_at=now))
    with engine.begin() as c:
        for i in range(0, len(values), 5000):
            c.execute(insert(Customer.__table__), values[i:i + 5000])
    return time.perf_counter() - t0


def csv_file(data_rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(data_rows)
    return buf.getvalue().encode("utf-8")


def run(rows: int | None = None) -> None:
    n = rows or int(os.environ.get("FINCRM_BENCH_IMPORT_ROWS", "100000"))
    data_rows = make_rows(n)
    data = csv_file(data_rows)

    _, base_engine = fresh_book("baseline")
    base_s = _baseline(base_engine, data_rows)
    base_engine.dispose()
    note(f"imports: raw bulk insert of {n:,} rows in {base_s:.1f} s")

    _, engine = fresh_book("service")
    with engine.connect() as c:
        rules = c.exec_driver_sql("SELECT count(*) FROM tag_rule WHERE active = 1 AND is_current = 1").scalar()
    with UnitOfWork(engine) as uow:
        ops = actor_for_user(uow.session.get(User, 2))
    t0, c0 = time.perf_counter(), time.process_time()
    with UnitOfWork(engine) as uow:
        batch = imports.upload(uow=uow, actor=ops, data=data, filename="bench.csv")
        uow.commit()
    view = imports.run_import(uow_factory=lambda: UnitOfWork(engine), actor=ops, batch_id=batch.id,
                              default_owner_id=1)
    took, cpu = time.perf_counter() - t0, max(time.process_time() - c0, 1e-6)
    assert view.status == "done" and view.created_count == n, view
    engine.dispose()
    # Also per second of this process's CPU (SQLite runs in-process): the machine is shared, and the wall-clock
    # rate counts the time other people's processes had the cores, and the import's own pauses for waiting writers.
    emit("import_rows_per_second", rows=n, seconds=round(took, 2), rows_per_s=round(n / took, 1),
         cpu_seconds=round(cpu, 2), cpu_rows_per_s=round(n / cpu, 1),
         baseline_rows_per_s=round(n / base_s, 1), ratio_to_raw_bulk_insert=round(base_s / took, 4),
         active_tag_rules=rules, database="sqlite")
    note("imports done")
