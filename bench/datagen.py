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
from services.customers.search import id_blind_index, phone_blind_index
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


def build(customers: int, *, seed: int = 7) -> str:
    path = bench_db_path(customers)
    url = f"sqlite:///{path}"
    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, done, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    migrations.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(seed)
    cipher = get_cipher()
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
                "birth_date": birth.isoformat(), "id_type": "resident_id",
                "id_number_enc": cipher.encrypt(number, context="customer.id_number"),
                "id_number_bidx": id_blind_index("resident_id", number), "id_last4": number[-4:],
                "phone_enc": cipher.encrypt(phone, context="customer.phone"),
                "phone_bidx": phone_blind_index(phone), "phone_last4": phone[-4:], "email": None,
                "address": None, "occupation": None, "segment": "mass", "owner_id": owner, "team_id": team,
                "branch_id": (team - 1) % 5 + 1, "source_channel": "branch", "status": "active", "version": 1,
                "created_at": "2026-11-01 00:00:00.000000", "updated_at": "2026-11-01 00:00:00.000000",
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
    done.write_text("ok")
    note(f"  bench database with {customers:,} customers built in {time.perf_counter() - t0:.0f} s")
    return url
