"""Generated data at benchmark scale, written with executemany straight into a migrated database.

The bench database is kept in ./data/bench/ and reused while its size and schema
revision match, so only the first `make bench` pays for generation.
"""
from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from services import migrations
from services.customers.pinyin import search_keys
from services.customers import pii
from services.customers.service import customer_number
from services.db import make_engine
from services.customers.models import Customer
from services.org.models import Branch, Team
from services.security.keys import get_cipher
from services.security.models import User
from services.validation.identity import make_id_number

from bench.report import note

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力国春晓燕鹏宇浩然思雨欣怡子涵梓轩"
         "一诺晨阳佳琪博文嘉怡俊杰雅婷志强海燕丹丹文静立新永刚建平淑珍凤兰秀兰金凤德明")
ANCHOR = datetime(2026, 11, 1, tzinfo=timezone.utc)


def bench_db_path(customers: int) -> Path:
    return Path("data/bench") / f"customers-{customers}.db"


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrations.alembic_config()).get_current_head() or ""


def build(customers: int, *, seed: int = 7) -> str:
    path = bench_db_path(customers)
    url = f"sqlite:///{path}"
    done = path.with_suffix(".done")
    # Reuse the generated database only while it was built by the current schema.
    if path.exists() and done.exists() and done.read_text() == schema_head():
        return url
    for stale in path.parent.glob(f"{path.stem}.tx-*.done"):
        stale.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, done, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    migrations.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(seed)
    now = ANCHOR
    with engine.begin() as conn:
        conn.execute(insert(Branch), [{"id": b, "code": f"B{b}", "name": f"分行{b}", "name_en": f"Branch {b}",
                                       "city": "北京"} for b in range(1, 6)])
        conn.execute(insert(Team), [{"id": t, "branch_id": (t - 1) % 5 + 1, "name": f"团队{t}",
                                     "name_en": f"Team {t}"} for t in range(1, 13)])
        conn.execute(insert(User), [{
            "id": u, "username": f"bench_rm{u}", "display_name": f"客户经理{u}", "password_hash": "!",
            "roles": ["rm"], "team_id": (u - 1) % 12 + 1, "branch_id": ((u - 1) % 12) % 5 + 1,
            "is_active": True, "is_demo": False, "created_at": now} for u in range(1, 601)])
    cols = [c.name for c in Customer.__table__.columns]
    placeholders = ",".join("?" for _ in cols)
    sql = f"INSERT INTO customer ({','.join(cols)}) VALUES ({placeholders})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        batch = []
        for cid in range(1, customers + 1):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            full, initials = search_keys(name)
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
            # Unique by construction: one region code per block of 1,000 ids, the sequence within it.
            number = make_id_number(f"{110000 + cid // 1000 % 90000:06d}", birth, cid % 1000)
            phone = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
            owner = rng.randrange(1, 601)
            team = (owner - 1) % 12 + 1
            row = {
                "id": cid, "customer_no": customer_number(cid), "kind": "individual", "name": name,
                "name_pinyin": full, "name_initials": initials, "gender": "male" if int(number[16]) % 2 else "female",
                "birth_date": birth.isoformat(), **pii.id_number_columns("resident_id", number),
                **pii.phone_columns(phone), "email": None,
                "address": None, "occupation": None, "segment": "mass", "owner_id": owner, "team_id": team,
                "branch_id": (team - 1) % 5 + 1, "source_channel": "branch", "status": "active", "version": 1,
                "created_at": "2026-11-01 00:00:00.000000", "updated_at": "2026-11-01 00:00:00.000000",
                "household_id": None, "legal_representative": None, "risk_level": "C3",
                "risk_valid_until": "2027-06-30", "kyc_status": "verified", "aml_risk": "low", "custom": "{}",
            }
            batch.append(tuple(row[c] for c in cols))
            if len(batch) == 20000:
                cur.executemany(sql, batch)
                batch.clear()
                if cid % 200000 == 0:
                    note(f"  generated {cid:,} customers ({time.perf_counter() - t0:.0f} s)")
        if batch:
            cur.executemany(sql, batch)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    engine.dispose()
    done.write_text(schema_head())
    note(f"  bench database with {customers:,} customers built in {time.perf_counter() - t0:.0f} s")
    return url


def build_history(customers: int, transactions: int, *, heavy_customers: int = 5, heavy_rows: int = 10_000,
                  seed: int = 11) -> str:
    """Add accounts, transactions and AUM snapshots to the customer bench database.

    `heavy_customers` customers (ids 1..n) get `heavy_rows` transactions each, the rest are
    spread at random, so the 360 figures are measured on customers with a long history inside
    a large table.
    """
    url = build(customers)
    path = bench_db_path(customers)
    done = path.with_suffix(f".tx-{transactions}.done")
    if done.exists():
        return url
    from services.portfolio.models import Account, AumSnapshot, Transaction

    t0 = time.perf_counter()
    engine = make_engine(url)
    rng = random.Random(seed)
    cipher = get_cipher()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("DELETE FROM \"transaction\"")
        cur.execute("DELETE FROM aum_snapshot")
        cur.execute("DELETE FROM account")
        cur.execute("BEGIN")
        acols = [c.name for c in Account.__table__.columns]
        asql = f"INSERT INTO account ({','.join(acols)}) VALUES ({','.join('?' for _ in acols)})"
        token = cipher.encrypt("6222020000000000000", context="account.no")  # same ciphertext: size, not secrecy
        batch = []
        for cid in range(1, customers + 1):
            batch.append(tuple({
                "id": cid, "customer_id": cid, "kind": "deposit", "account_no_enc": token,
                "account_no_bidx": f"{cid:032x}", "account_no_last4": f"{cid % 10000:04d}", "currency": "CNY",
                "balance": rng.randrange(0, 10**9), "branch_id": (cid % 5) + 1, "opened_on": "2020-01-01",
                "status": "open"}[c] for c in acols))
            if len(batch) == 50_000:
                cur.executemany(asql, batch)
                batch.clear()
        if batch:
            cur.executemany(asql, batch)
            batch.clear()
        tcols = [c.name for c in Transaction.__table__.columns if c.name != "id"]
        tsql = f"INSERT INTO \"transaction\" ({','.join(tcols)}) VALUES ({','.join('?' for _ in tcols)})"
        kinds = ("deposit", "withdrawal", "purchase", "redemption", "interest", "card_spend")
        start = ANCHOR - timedelta(days=730)
        heavy_total = heavy_customers * heavy_rows
        for n in range(transactions):
            cid = (n % heavy_customers) + 1 if n < heavy_total else rng.randrange(heavy_customers + 1, customers + 1)
            kind = kinds[n % len(kinds)]
            amount = rng.randrange(100, 20_000_000) * (1 if kind in ("deposit", "redemption", "interest") else -1)
            booked = start + timedelta(seconds=rng.randrange(0, 730 * 86400))
            batch.append((cid, cid, None, kind, amount, "CNY", booked.strftime("%Y-%m-%d %H:%M:%S.%f"), "mobile",
                          kind, None, None, "2026-11-01 00:00:00.000000"))
            if len(batch) == 100_000:
                cur.executemany(tsql, batch)
                batch.clear()
                if (n + 1) % 2_000_000 == 0:
                    note(f"  generated {n + 1:,} transactions ({time.perf_counter() - t0:.0f} s)")
        if batch:
            cur.executemany(tsql, batch)
        snaps = [(cid, date(2024 + (m + 11) // 12, (m + 11) % 12 + 1, 1).isoformat(), rng.randrange(10**8), 0)
                 for cid in range(1, heavy_customers + 1) for m in range(24)]
        cur.executemany("INSERT INTO aum_snapshot (customer_id, month, aum, liabilities) VALUES (?,?,?,?)", snaps)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    engine.dispose()
    done.write_text("ok")
    note(f"  {transactions:,} transactions added in {time.perf_counter() - t0:.0f} s")
    return url
