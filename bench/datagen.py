"""A bank's book at benchmark scale, written with executemany straight into a migrated SQLite database.

What it looks like (so that plans, index selectivity and page contents are those of a real book):
36 branches in 14 cities with skewed sizes, about 300 teams, about 2,700 RMs whose book sizes are
log-normal (a few hundred customers typically, a few thousand for the largest); surnames drawn with
their real frequency (王 7.2 %, 李 7.0 %, 张 6.7 %, ... over 399 surnames, from Faker's zh_CN table);
3 % institutions (USCC, legal representative, sector); segments, statuses, source channels, risk
levels (some never assessed, some expired), KYC and AML states and custom fields spread as in a
retail bank; one in five individuals in a two-person household; 1-5 accounts per customer, holdings,
transactions skewed over customers (customers 1-5 have 10,000 each), behaviour events, interactions,
tickets, credit ratings, AUM snapshots; the 30 demo products and the shipped tag rules.

The databases are kept in the bench directory (FINCRM_BENCH_DIR, default ./data/bench) and reused
while the schema revision, the generator version and the sizes match, so only the first run pays
for generation. Each figure calls `build` / `build_history` itself: none relies on another having run.
"""
from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import time
from array import array
from bisect import bisect
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path

from services import migrations
from services.customers import pii
from services.customers.pinyin import search_keys
from services.customers.service import customer_number
from services.db import dispose_engines
from services.demo import names
from services.security.keys import get_cipher
from services.validation.identity import USCC_CHARSET, make_id_number, uscc_check_char

from bench.report import note

# Bump when what is generated changes: cached databases built by another version are rebuilt.
GENERATOR_VERSION = "3"
ANCHOR = datetime(2026, 11, 1, tzinfo=timezone.utc)
HEAVY_CUSTOMERS = 5  # customers 1..5: a long history (the 360 figures are measured on them)
HEAVY_ROWS = 10_000
TIME_FMT = "%Y-%m-%d %H:%M:%S.%f"
CREATED = "2026-11-01 00:00:00.000000"

# City, branches in it, relative size of the city's book.
CITIES = [("北京", 5, 1.6), ("上海", 5, 1.6), ("深圳", 4, 1.2), ("广州", 3, 1.0), ("杭州", 3, 0.8),
          ("南京", 2, 0.6), ("成都", 2, 0.6), ("武汉", 2, 0.5), ("西安", 2, 0.4), ("重庆", 2, 0.5),
          ("天津", 2, 0.4), ("苏州", 2, 0.5), ("长沙", 1, 0.3), ("郑州", 1, 0.3)]
CITY_EN = {"北京": "Beijing", "上海": "Shanghai", "深圳": "Shenzhen", "广州": "Guangzhou", "杭州": "Hangzhou",
           "南京": "Nanjing", "成都": "Chengdu", "武汉": "Wuhan", "西安": "Xi'an", "重庆": "Chongqing",
           "天津": "Tianjin", "苏州": "Suzhou", "长沙": "Changsha", "郑州": "Zhengzhou"}
TEAMS_TOTAL = 300

# Custom fields an admin of a retail bank would add; values are spread over the book below.
CUSTOM_FIELDS = [
    dict(key="preferred_contact", label="首选联系方式", label_en="Preferred contact", field_type="choice",
         applies_to="both", choices=[{"value": v, "label": zh, "label_en": en} for v, zh, en in (
             ("phone", "电话", "Phone"), ("wechat", "微信", "WeChat"), ("email", "邮件", "Email"),
             ("visit", "面谈", "Visit"))]),
    dict(key="investment_interests", label="投资偏好", label_en="Investment interests", field_type="multi_choice",
         applies_to="individual", choices=[{"value": v, "label": zh, "label_en": en} for v, zh, en in (
             ("fixed_income", "固收", "Fixed income"), ("equity", "权益", "Equity"), ("gold", "黄金", "Gold"),
             ("insurance", "保险", "Insurance"), ("overseas", "海外", "Overseas"),
             ("private_equity", "私募股权", "Private equity"))]),
    dict(key="annual_income", label="年收入", label_en="Annual income", field_type="money", applies_to="individual",
         choices=[]),
    dict(key="next_review", label="下次回顾日期", label_en="Next review", field_type="date", applies_to="both",
         choices=[]),
    dict(key="registered_capital", label="注册资本", label_en="Registered capital", field_type="money",
         applies_to="institution", choices=[]),
]


def bench_dir() -> Path:
    return Path(os.environ.get("FINCRM_BENCH_DIR", "data/bench"))


def bench_db_path(customers: int) -> Path:
    return bench_dir() / f"customers-{customers}.db"


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrations.alembic_config()).get_current_head() or ""


def _key() -> str:
    return f"{schema_head()} generator-{GENERATOR_VERSION}"


def fresh_database(name: str) -> str:
    """A new, migrated SQLite database in the bench directory (any old one of that name removed)."""
    path = bench_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in path.parent.glob(f"{path.name}*"):
        p.unlink()
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    dispose_engines()  # Alembic ran on a pooled engine: let the bulk loader have the file to itself
    return url


def install_catalog(url: str) -> None:
    """The demo products and the shipped tag rules (active) in a freshly migrated database."""
    db = _Loader(Path(url.split("///", 1)[1]))
    db.db.execute("BEGIN")
    _products_and_rules(db)
    db.db.execute("COMMIT")
    db.close()


# ---------------------------------------------------------------- drawing helpers

class _Pick:
    """Weighted choice by one uniform draw (bisect over cumulative weights): fast enough for 20M rows."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, r: float):
        return self.items[bisect(self.cum, r * self.total)]


def _pick(pairs) -> _Pick:
    return _Pick([p for p, _ in pairs], [w for _, w in pairs])


def _org(rng: random.Random):
    """Branches, teams and RMs, each RM with a book weight (log-normal, and larger branches have larger books)."""
    branches, teams, users, rm_weights = [], [], [], []
    bid = 0
    for city, count, size in CITIES:
        for k in range(count):
            bid += 1
            weight = size / count * rng.lognormvariate(0, 0.35)
            branches.append({"id": bid, "code": f"{CITY_EN[city].replace(chr(39), '')[:3].upper()}{k + 1:02d}",
                             "name": f"{city}{'第一第二第三第四第五'[2 * k:2 * k + 2]}分行",
                             "name_en": f"{CITY_EN[city]} Branch {k + 1}", "city": city, "w": weight})
    total_w = sum(b["w"] for b in branches)
    surname = _pick(list(_surnames()))
    given = names_given()
    tid = uid = 0
    for b in branches:
        n_teams = max(3, round(TEAMS_TOTAL * b["w"] / total_w))
        for t in range(n_teams):
            tid += 1
            teams.append({"id": tid, "branch_id": b["id"], "name": f"{b['name']}财富{t + 1}组",
                          "name_en": f"{b['name_en']} Wealth Team {t + 1}"})
            for r in range(rng.randint(4, 14)):
                uid += 1
                users.append({"id": uid, "username": f"bench_rm{uid}",
                              "display_name": surname(rng.random()) + given(rng), "roles": '["rm"]',
                              "team_id": tid, "branch_id": b["id"]})
                rm_weights.append(b["w"] / n_teams * rng.lognormvariate(0, 0.8))
    for b in branches:
        del b["w"]
    return branches, teams, users, rm_weights


def _surnames():
    """(surname, frequency %) for the 399 commonest Chinese surnames, as Faker's zh_CN provider ships them."""
    from faker.providers.person.zh_CN import Provider

    return Provider.last_names.items()


def names_given():
    from faker.providers.person.zh_CN import Provider

    chars = list(dict.fromkeys("".join(Provider.first_names)))

    def given(rng: random.Random) -> str:
        return chars[int(rng.random() * len(chars))] + (chars[int(rng.random() * len(chars))]
                                                          if rng.random() < 0.72 else "")
    return given


def _days(start: date, n: int) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range(n)]


def _uscc(cid: int) -> str:
    digits, n = [], cid
    for _ in range(9):
        digits.append(USCC_CHARSET[n % 31])
        n //= 31
    first17 = "91" + f"{110000 + cid % 90000:06d}" + "".join(reversed(digits))
    return first17 + uscc_check_char(first17)


class _Loader:
    """A plain sqlite3 connection for bulk loading: big cache, no journal, a table's indexes dropped while
    it loads and rebuilt after (sorting once is far cheaper than 20M random index inserts)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-1000000")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.dropped: list[str] = []

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.db.execute(f'PRAGMA table_info("{table}")')]

    def drop_indexes(self, *tables: str) -> None:
        for table in tables:
            for name, sql in self.db.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                    (table,)).fetchall():
                self.db.execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)

    def insert(self, table: str, rows: list[dict] | list[tuple], cols: list[str] | None = None) -> None:
        if not rows:
            return
        if cols is None:
            cols = list(rows[0])
            rows = [tuple(r[c] for c in cols) for r in rows]
        self.db.executemany(f'INSERT INTO "{table}" ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})',
                            rows)

    def close(self) -> None:
        for sql in self.dropped:
            self.db.execute(sql)
        self.dropped.clear()
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.close()


# ---------------------------------------------------------------- customers

def build(customers: int, *, seed: int = 7) -> str:
    """The customer database: organisation, customers (with households), products, custom fields, tag rules."""
    path = bench_db_path(customers)
    url = f"sqlite:///{path}"
    done = path.with_suffix(".done")
    if path.exists() and done.exists() and done.read_text() == _key():
        return url
    for stale in path.parent.glob(f"{path.stem}.*.done"):
        stale.unlink()
    done.unlink(missing_ok=True)
    url = fresh_database(path.name)
    t0 = time.perf_counter()
    rng = random.Random(seed)
    branches, teams, users, rm_weights = _org(rng)
    db = _Loader(path)
    db.db.execute("BEGIN")
    db.insert("branch", branches)
    db.insert("team", teams)
    db.insert("app_user", [{**u, "password_hash": "!", "is_active": 1, "is_demo": 0, "created_at": CREATED}
                           for u in users])
    db.insert("custom_field_definition", [
        {**{k: v for k, v in d.items() if k != "choices"}, "choices": json.dumps(d["choices"], ensure_ascii=False),
         "required": 0, "visible_to": "[]", "editable_by": "[]", "active": 1, "position": i, "created_at": CREATED}
        for i, d in enumerate(CUSTOM_FIELDS)])
    _products_and_rules(db)
    db.drop_indexes("customer", "household", "relationship")
    _customers(db, customers, rng, users, rm_weights, t0)
    db.db.execute("COMMIT")
    db.close()
    done.write_text(_key())
    note(f"  bench database with {customers:,} customers built in {time.perf_counter() - t0:.0f} s")
    return url


def _products_and_rules(db: _Loader) -> None:
    from services.demo.tags import PREMIUM_CODES, RULES

    db.insert("product", [
        {"id": i, "code": code, "name": name, "name_en": name_en, "product_type": ptype, "risk_level": risk,
         "term_days": term, "currency": "CNY", "is_active": 1, "is_premium": int(code in PREMIUM_CODES)}
        for i, (code, name, name_en, ptype, risk, term, _price) in enumerate(names.PRODUCTS, start=1)])
    # The shipped tag rules, active, as a fresh installation with the demo rules has them.
    for i, spec in enumerate(RULES, start=1):
        db.insert("tag", [{"id": i, "code": spec["code"], "name": spec["name"], "name_en": spec["name_en"],
                           "color": spec["color"], "created_at": CREATED}])
        db.insert("tag_rule", [{"id": i, "rule_key": spec["code"], "version": 1, "tag_id": i,
                                "name": spec["rule_name"], "definition": json.dumps(spec["definition"]),
                                "is_current": 1, "active": 1, "created_by": "bench", "created_at": CREATED}])


def _customers(db: _Loader, customers: int, rng: random.Random, users: list[dict], rm_weights: list[float],
               t0: float) -> None:
    table_columns = db.columns("customer")
    cols: list[str] = []  # the generated columns the table has (set from the first row); others keep defaults
    sql = ""
    owner_pick = _Pick(range(len(users)), rm_weights)
    surname = _pick(list(_surnames()))
    given = names_given()
    occupation = _pick(names.OCCUPATIONS)
    segment = _pick([("mass", 78), ("affluent", 16), ("hnw", 5), ("uhnw", 1)])
    status = _pick([("active", 86), ("dormant", 9), ("prospect", 3), ("closed", 2)])
    channel = _pick([("branch", 55), ("referral", 12), ("online", 18), ("event", 4), ("campaign", 7),
                          ("partner", 4)])
    risk = _pick([(None, 5), ("C1", 12), ("C2", 30), ("C3", 33), ("C4", 15), ("C5", 5)])
    kyc = _pick([("verified", 86), ("pending", 5), ("expired", 7), ("rejected", 2)])
    aml = _pick([("low", 90), ("medium", 8), ("high", 2)])
    contact = _pick([("phone", 40), ("wechat", 45), ("email", 5), ("visit", 10)])
    interests = [c["value"] for c in CUSTOM_FIELDS[1]["choices"]]
    industry = names.COMPANY_INDUSTRIES
    suffix = _pick(names.COMPANY_SUFFIXES)
    created_days = _days(date(2016, 11, 1), 3652)
    review_days = _days(date(2026, 6, 1), 540)
    city_of_branch = {}
    bid = 0
    for city, count, _size in CITIES:
        for _ in range(count):
            bid += 1
            city_of_branch[bid] = city
    streets = names.STREETS
    districts = names.CITY_DISTRICTS
    households, relationships = [], []
    batch = []
    keys_cache: dict[tuple[str, bool], tuple[str, str]] = {}
    household_next: tuple[int, str] | None = None  # (household id, surname) for the partner of the last one
    hh_id = rel_id = 0
    anchor = ANCHOR.date()
    for cid in range(1, customers + 1):
        owner = users[owner_pick(rng.random())]
        city = city_of_branch[owner["branch_id"]]
        custom: dict = {}
        r = rng.random()
        institution = household_next is None and cid > HEAVY_CUSTOMERS and r < 0.03
        household_id = None
        if institution:
            name = (city + names.COMPANY_WORDS[int(rng.random() * len(names.COMPANY_WORDS))]
                    + industry[int(rng.random() * len(industry))][0] + suffix(rng.random()))
            sector = next(s for w, s in industry if w in name)
            number, id_type, birth, gender, seg = _uscc(cid), "uscc", None, None, "corporate"
            legal = surname(rng.random()) + given(rng)
            occ = sector
            if rng.random() < 0.7:
                custom["registered_capital"] = f"{int(10 ** rng.uniform(5, 9))}.00"
        else:
            if household_next is not None:
                household_id, sname = household_next
                household_next = None
            else:
                sname = surname(rng.random())
                if cid < customers and rng.random() < 0.2 or cid <= HEAVY_CUSTOMERS:
                    hh_id += 1
                    households.append((hh_id, f"{sname}家", CREATED))
                    household_id = hh_id
                    household_next = (hh_id, surname(rng.random()))  # the spouse keeps their own surname
                    rel_id += 2
                    relationships += [(rel_id - 1, cid, cid + 1, "spouse", CREATED),
                                      (rel_id, cid + 1, cid, "spouse", CREATED)]
            name = sname + given(rng)
            age = 20 + int(65 * rng.betavariate(2.2, 3.0))
            birth = date(anchor.year - age, 1, 1) + timedelta(days=int(rng.random() * 365))
            # Unique by construction: one region code per block of 1,000 ids, the sequence within it.
            number = make_id_number(f"{110000 + cid // 1000 % 90000:06d}", birth, cid % 1000)
            id_type, gender, legal = "resident_id", ("male" if int(number[16]) % 2 else "female"), None
            occ = occupation(rng.random()) if rng.random() < 0.8 else None
            seg = "hnw" if cid <= HEAVY_CUSTOMERS else segment(rng.random())
            if rng.random() < 0.3:
                custom["investment_interests"] = [v for v in interests if rng.random() < 0.35] or [interests[0]]
            if rng.random() < 0.4:
                scale = {"mass": 1.5e5, "affluent": 6e5, "hnw": 2e6, "uhnw": 8e6}[seg]
                custom["annual_income"] = f"{int(scale * rng.lognormvariate(0, 0.5))}.00"
        if rng.random() < 0.65:
            custom["preferred_contact"] = contact(rng.random())
        if rng.random() < 0.25:
            custom["next_review"] = review_days[int(rng.random() * len(review_days))]
        key = (name, not institution)
        full, initials = keys_cache.get(key) or keys_cache.setdefault(key, search_keys(name, surname=not institution))
        phone = None
        if institution or rng.random() < 0.92:
            phone = names.PHONE_PREFIXES[int(rng.random() * len(names.PHONE_PREFIXES))] + f"{int(rng.random() * 1e8):08d}"
        rl = risk(rng.random())
        assessed = anchor - timedelta(days=int(rng.random() * 700))
        district = districts.get(city)
        address = None
        if district and rng.random() < 0.6:
            d = district[1][int(rng.random() * len(district[1]))]
            address = (f"{district[0]}{d[1]}{streets[city][int(rng.random() * len(streets[city]))]}"
                       f"{int(rng.random() * 300) + 1}号")
        row = {
            "id": cid, "customer_no": customer_number(cid), "kind": "institution" if institution else "individual",
            "name": name, "name_pinyin": full, "name_initials": initials, "gender": gender,
            "birth_date": birth.isoformat() if birth else None, **pii.id_number_columns(id_type, number),
            **pii.phone_columns(phone),
            "email": f"c{cid}@{names.EMAIL_DOMAINS[cid % len(names.EMAIL_DOMAINS)]}" if rng.random() < 0.35 else None,
            "address": address, "occupation": occ, "segment": seg, "owner_id": owner["id"],
            "team_id": owner["team_id"], "branch_id": owner["branch_id"], "source_channel": channel(rng.random()),
            "status": "active" if cid <= HEAVY_CUSTOMERS else status(rng.random()), "version": 1,
            "created_at": created_days[int(rng.random() * len(created_days))] + " 09:00:00.000000",
            "updated_at": CREATED, "household_id": household_id, "legal_representative": legal,
            "risk_level": rl,
            "risk_valid_until": None if rl is None else (assessed + timedelta(days=365 * (2 if rl in ("C1", "C2") else 1)))
            .isoformat(),
            "kyc_status": kyc(rng.random()), "aml_risk": aml(rng.random()),
            "custom": json.dumps(custom, ensure_ascii=False),
        }
        if not cols:
            cols = [c for c in table_columns if c in row]
            sql = f"INSERT INTO customer ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        batch.append(tuple(row[c] for c in cols))
        if len(batch) == 20000:
            if households:
                db.insert("household", households, ["id", "name", "created_at"])
                households.clear()
            db.db.executemany(sql, batch)
            batch.clear()
            if cid % 200000 == 0:
                note(f"  generated {cid:,} customers ({time.perf_counter() - t0:.0f} s)")
    if households:
        db.insert("household", households, ["id", "name", "created_at"])
    if batch:
        db.db.executemany(sql, batch)
    db.insert("relationship", relationships, ["id", "customer_id", "related_customer_id", "kind", "created_at"])


# ---------------------------------------------------------------- history

ACCOUNT_KINDS = [("deposit", 40), ("wealth", 16), ("fund", 14), ("credit_card", 14), ("loan", 6),
                 ("securities", 5), ("insurance", 5)]
HOLDING_TYPES = {"wealth": ("wealth",), "fund": ("fund",), "securities": ("equity", "bond"),
                 "insurance": ("insurance",)}
SEGMENT_SCALE = {"mass": 3e4, "affluent": 3e5, "hnw": 2e6, "uhnw": 1.2e7, "corporate": 5e6}
TX_KINDS = [("card_spend", 30), ("transfer_out", 14), ("transfer_in", 12), ("deposit", 10), ("withdrawal", 6),
            ("purchase", 7), ("redemption", 5), ("interest", 6), ("fee", 3), ("dividend", 2),
            ("card_repayment", 3), ("loan_repayment", 2)]
INFLOWS = {"transfer_in", "deposit", "redemption", "interest", "dividend"}
TX_TEXTS = {"deposit": names.DEPOSIT_TEXTS, "withdrawal": names.WITHDRAWAL_TEXTS,
            "transfer_in": names.TRANSFER_IN_TEXTS, "transfer_out": names.TRANSFER_OUT_TEXTS,
            "fee": names.FEE_TEXTS, "card_spend": names.MERCHANTS}
CHANNELS = ["mobile", "mobile", "mobile", "online", "counter", "atm", "pos"]


def build_history(customers: int, transactions: int, *, seed: int = 11) -> str:
    """Accounts, holdings, transactions, behaviour events, interactions, tickets, ratings and AUM snapshots
    on top of `build(customers)`.

    Customers 1..5 (hnw, in households) get 10,000 transactions each, the rest are spread with a skew
    (most customers have few, some many), so the 360 figures are measured on customers with a long history
    inside a large table.
    """
    url = build(customers)
    path = bench_db_path(customers)
    done = path.with_suffix(f".tx-{transactions}.done")
    if done.exists() and done.read_text() == _key():
        return url
    for stale in path.parent.glob(f"{path.stem}.tx-*.done"):
        stale.unlink()
    t0 = time.perf_counter()
    rng = random.Random(seed)
    db = _Loader(path)
    for table in ("transaction", "holding", "account", "aum_snapshot", "behaviour_event", "interaction", "ticket",
                  "credit_rating", "customer_tag_change", "customer_tag", "outbox_message", "audit_event"):
        db.db.execute(f'DELETE FROM "{table}"')
    db.db.execute("BEGIN")
    db.drop_indexes("account", "holding", "transaction", "behaviour_event", "interaction")
    segs = db.db.execute("SELECT id, segment, owner_id FROM customer ORDER BY id").fetchall()
    first_account = _accounts_and_holdings(db, segs, rng)
    note(f"  accounts and holdings in {time.perf_counter() - t0:.0f} s")
    _transactions(db, customers, transactions, first_account, rng, t0)
    _activity(db, segs, rng)
    db.db.execute("COMMIT")
    db.close()
    done.write_text(_key())
    note(f"  {transactions:,} transactions and the rest of the history added in {time.perf_counter() - t0:.0f} s")
    return url


def _accounts_and_holdings(db: _Loader, segs, rng: random.Random) -> array:
    token = get_cipher().encrypt("6222020000000000000", context="account.no")  # same ciphertext: size, not secrecy
    kind = _pick(ACCOUNT_KINDS)
    n_accounts = _pick([(1, 25), (2, 35), (3, 22), (4, 12), (5, 6)])
    products_by_type: dict[str, list[tuple[int, str]]] = {}
    for i, p in enumerate(names.PRODUCTS, start=1):
        products_by_type.setdefault(p[3], []).append((i, p[2]))
    opened = _days(date(2012, 1, 1), 5000)
    first_account = array("q", [0]) * (len(segs) + 1)
    accounts, holdings = [], []
    aid = hid = 0
    branch_of = dict(db.db.execute("SELECT id, branch_id FROM customer").fetchall())
    for cid, segment, _owner in segs:
        scale = SEGMENT_SCALE[segment]
        k = 5 if cid <= HEAVY_CUSTOMERS else n_accounts(rng.random())
        for j in range(k):
            aid += 1
            ak = "deposit" if j == 0 else ("deposit", "wealth", "fund", "loan", "credit_card")[j - 1] \
                if cid <= HEAVY_CUSTOMERS else kind(rng.random())
            if segment == "corporate" and ak not in ("deposit", "loan"):
                ak = "deposit"
            if j == 0:
                first_account[cid] = aid
            balance = int(scale * rng.lognormvariate(0, 1.0) * 100) // (5 if ak in ("loan", "credit_card") else 1)
            accounts.append((aid, cid, ak, token, f"{aid:032x}", f"{aid % 10000:04d}", "CNY", balance,
                             branch_of[cid], opened[int(rng.random() * len(opened))],
                             "open" if rng.random() < 0.95 else "dormant"))
            for ptype in HOLDING_TYPES.get(ak, ()):
                for _ in range(1 + int(rng.random() * 3)):
                    pid, _risk = products_by_type[ptype][int(rng.random() * len(products_by_type[ptype]))]
                    hid += 1
                    value = int(scale * rng.lognormvariate(-0.5, 1.0) * 100)
                    holdings.append((hid, aid, cid, pid, value * 100 // 137, value * 97 // 100, value, "CNY",
                                     "2026-10-31"))
        if len(accounts) >= 50_000:
            db.insert("account", accounts, ["id", "customer_id", "kind", "account_no_enc", "account_no_bidx",
                                            "account_no_last4", "currency", "balance", "branch_id", "opened_on",
                                            "status"])
            accounts.clear()
            db.insert("holding", holdings, ["id", "account_id", "customer_id", "product_id", "quantity", "cost",
                                            "market_value", "currency", "as_of"])
            holdings.clear()
    db.insert("account", accounts, ["id", "customer_id", "kind", "account_no_enc", "account_no_bidx",
                                    "account_no_last4", "currency", "balance", "branch_id", "opened_on", "status"])
    db.insert("holding", holdings, ["id", "account_id", "customer_id", "product_id", "quantity", "cost",
                                    "market_value", "currency", "as_of"])
    return first_account


def _transactions(db: _Loader, customers: int, transactions: int, first_account: array, rng: random.Random,
                  t0: float) -> None:
    cols = ["account_id", "customer_id", "product_id", "kind", "amount", "currency", "booked_at", "channel",
            "description", "source", "external_ref", "created_at"]
    sql = f'INSERT INTO "transaction" ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})'
    # Precomputed tables: one uniform draw indexes each, so 20M rows take minutes, not tens of minutes.
    kind_table = [_Pick([k for k, _ in TX_KINDS], [w for _, w in TX_KINDS])(i / 1024) for i in range(1024)]
    amount_table = [max(100, int(math.exp(rng.gauss(7.0, 1.8)) * 100)) for _ in range(8192)]
    texts = {k: TX_TEXTS.get(k, [k]) for k, _ in TX_KINDS}
    days = _days((ANCHOR - timedelta(days=730)).date(), 730)
    secs = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(0, 86400, 7)]
    fund_products = [i for i, p in enumerate(names.PRODUCTS, start=1) if p[3] in ("fund", "wealth")]
    # A fixed shuffle of the ordinary customers, drawn with a square: a few are busy, most are quiet,
    # and which ones does not follow the id.
    perm = array("q", range(HEAVY_CUSTOMERS + 1, customers + 1)) if customers > HEAVY_CUSTOMERS else array("q", [1])
    random.Random(3).shuffle(perm)
    heavy_total = HEAVY_CUSTOMERS * HEAVY_ROWS if customers >= HEAVY_CUSTOMERS else 0
    rnd = rng.random
    batch = []
    n_perm = len(perm)
    for n in range(transactions):
        if n < heavy_total:
            cid = n % HEAVY_CUSTOMERS + 1
        else:
            r = rnd()
            cid = perm[int(n_perm * r * r)]
        kind = kind_table[int(rnd() * 1024)]
        amount = amount_table[int(rnd() * 8192)]
        if kind not in INFLOWS:
            amount = -amount
        tx_texts = texts[kind]
        batch.append((first_account[cid], cid, fund_products[n % len(fund_products)]
                      if kind in ("purchase", "redemption", "dividend") else None, kind, amount, "CNY",
                      days[int(rnd() * 730)] + secs[int(rnd() * len(secs))], CHANNELS[n % 7],
                      tx_texts[n % len(tx_texts)], "core", None, CREATED))
        if len(batch) == 100_000:
            db.db.executemany(sql, batch)
            batch.clear()
            if (n + 1) % 2_000_000 == 0:
                note(f"  generated {n + 1:,} transactions ({time.perf_counter() - t0:.0f} s)")
    if batch:
        db.db.executemany(sql, batch)


def _activity(db: _Loader, segs, rng: random.Random) -> None:
    """Behaviour events (the last 90 days), interactions, tickets, credit ratings and AUM snapshots."""
    premium = [i for i, p in enumerate(names.PRODUCTS, start=1) if p[0] in _premium_codes()]
    n_products = len(names.PRODUCTS)
    start = ANCHOR - timedelta(days=90)
    ev_days = _days(start.date(), 90)
    secs = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(0, 86400, 11)]
    ev_kinds = ("page_view", "product_view", "product_view", "search")
    events, inters, tickets, ratings, snaps = [], [], [], [], []
    en = 0
    evsql_cols = ["customer_id", "kind", "occurred_at", "product_id", "attributes", "source", "external_id"]
    subjects = [(k, s, t) for k, items in names.INTERACTION_TEXTS.items() for s, t in items]
    int_days = _days((ANCHOR - timedelta(days=540)).date(), 540)
    for cid, segment, owner in segs:
        heavy = cid <= HEAVY_CUSTOMERS
        r = rng.random()
        # Digital activity: 40 % of customers use the app; those that do, a lot or a little.
        n_ev = 40 if heavy else (int(30 * rng.random() ** 2) if r < 0.4 else 0)
        for _ in range(n_ev):
            en += 1
            kind = ev_kinds[int(rng.random() * 4)]
            pid = (premium[en % len(premium)] if rng.random() < 0.2 else 1 + int(rng.random() * n_products)) \
                if kind == "product_view" else None
            attrs = '{"query": "理财"}' if kind == "search" else ('{"page": "wealth"}' if kind == "page_view" else "{}")
            events.append((cid, kind, ev_days[int(rng.random() * 90)] + secs[int(rng.random() * len(secs))], pid,
                           attrs, "bench", f"e{en}"))
        n_int = 12 if heavy else (1 + int(rng.random() * 3) if rng.random() < (0.3 if segment == "mass" else 0.8)
                                  else 0)
        for _ in range(n_int):
            kind, subject, notes = subjects[int(rng.random() * len(subjects))]
            inters.append((cid, owner, kind, int_days[int(rng.random() * 540)] + " 10:30:00.000000", subject, notes,
                           CREATED))
        if heavy or rng.random() < 0.02:
            for i in range(3 if heavy else 1):
                opened = ANCHOR - timedelta(days=int(rng.random() * 200))
                status = ("assigned", "in_progress", "resolved")[i % 3] if heavy else (
                    "resolved" if rng.random() < 0.8 else "new")
                kind, category = (("complaint", "complaint_digital"), ("service", "service_card"),
                                  ("service", "service_inquiry"))[i % 3]
                tickets.append((cid, kind, category, "手机银行登录异常", None, "phone", "normal", status,
                                opened.strftime(TIME_FMT), (opened + timedelta(days=3)).strftime(TIME_FMT),
                                (opened + timedelta(days=2)).strftime(TIME_FMT) if status == "resolved" else None,
                                None, None))
        if heavy or segment == "corporate" or rng.random() < 0.01:
            for i in range(3):
                ratings.append((cid, ("AA", "A", "BBB")[i], "internal", (ANCHOR.date() - timedelta(days=365 * i))
                                .isoformat(), None, None))
        if heavy or cid % 100 == 0:
            base = SEGMENT_SCALE[segment] * 100
            for m in range(24):
                month = date(2024 + (m + 10) // 12, (m + 10) % 12 + 1, 1).isoformat()
                snaps.append((cid, month, int(base * (0.8 + 0.4 * rng.random())), int(base * 0.05 * rng.random())))
        if len(events) >= 100_000:
            db.insert("behaviour_event", events, evsql_cols)
            events.clear()
    db.insert("behaviour_event", events, evsql_cols)
    db.insert("interaction", inters, ["customer_id", "user_id", "kind", "occurred_at", "subject", "notes",
                                      "created_at"])
    db.insert("ticket", tickets, ["customer_id", "kind", "category", "subject", "description", "channel", "priority",
                                  "status", "opened_at", "sla_due_at", "resolved_at", "assignee_id", "opened_by_id"])
    db.insert("credit_rating", ratings, ["customer_id", "rating", "source", "rated_on", "valid_until", "note"])
    db.insert("aum_snapshot", snaps, ["customer_id", "month", "aum", "liabilities"])


def _premium_codes() -> tuple[str, ...]:
    from services.demo.tags import PREMIUM_CODES

    return PREMIUM_CODES
