"""Deterministic demo data for a Chinese bank's wealth business.

``seed_demo()`` builds the whole data set in memory from ``random.Random(seed)`` and a
seeded ``Faker("zh_CN")`` (no wall-clock randomness; every date is relative to the anchor
day, the snapshot's "today": the clock's today unless given), then writes it with bulk
``INSERT ... executemany`` in one transaction, with ids assigned here. Any error rolls
everything back. While it writes, the clock is fixed at the start of the anchor day, so
what the feature seeders create through real use cases is stamped at the anchor too.

What it makes (for ``customers=5000``): 5 branches, 12 teams, 60 RMs plus team leads,
branch managers and the named demo users (password ``demo1234``), about 1,000 households
with spouse and parent/child relationships, institutions with their legal representatives,
30 products (R1-R5), accounts (deposit, wealth, fund, securities, insurance, loans, credit
cards), holdings, about 40 transactions per customer over the 24 months before the anchor,
interactions and tasks, and one ``demo.seed`` audit event.

Only the ciphertexts differ between runs (AES-GCM uses random nonces); the plaintexts,
blind indexes and everything else are identical for the same seed, anchor, time zone and keys.

Production code never imports this package: the `fincrm seed` command is its one door.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services import clock
from services.activities.models import Interaction, Task
from services.customers import pii
from services.customers import search as customer_search
from services.customers.models import Customer, Relationship
from services.customers.pinyin import search_keys
from services.customers.service import customer_number
from services.demo import names as N
from services.errors import DomainError
from services.org.models import Branch, Team
from services.portfolio.models import Account, Holding, Product, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from services.security.keys import get_cipher
from services.security.models import User
from services.security.passwords import hash_password
from services.validation.identity import USCC_CHARSET, make_id_number, normalize_phone, uscc_check_char

__all__ = ["seed_demo", "SeedResult", "DemoDataExists", "DEMO_PASSWORD", "DEFAULT_SEED"]

DEFAULT_SEED = 20261129
DEMO_PASSWORD = "demo1234"
TX_PER_CUSTOMER = 40
MAX_TX_PER_CUSTOMER = 600
INSTITUTION_SHARE = 0.08
CUSTOMERS_PER_HOUSEHOLD = 5  # 5,000 customers -> about 1,000 households
RM_BOOK = 80  # individuals owned by the demo `rm` user
TEAM_RMS = 5  # 12 teams x 5 = 60 RMs

ACCOUNT_CONTEXT = customer_search.ACCOUNT_NO_CONTEXT
HNW = 6_000_000
UHNW = 50_000_000
AFFLUENT = 500_000

# product type -> account kind it is held in
HOLDING_ACCOUNT = {"deposit": "deposit", "wealth": "wealth", "fund": "fund", "bond": "securities",
                   "equity": "securities", "insurance": "insurance"}


class DemoDataExists(DomainError):
    code = "demo.already_seeded"
    http_status = 409


@dataclass
class SeedResult:
    skipped: bool = False
    reason: str | None = None
    branches: int = 0
    teams: int = 0
    users: int = 0
    customers: int = 0
    individuals: int = 0
    institutions: int = 0
    households: int = 0
    relationships: int = 0
    products: int = 0
    accounts: int = 0
    holdings: int = 0
    transactions: int = 0
    interactions: int = 0
    tasks: int = 0
    elapsed_seconds: float = 0.0
    seed: int | None = None
    anchor: date | None = None  # the snapshot's day
    features: dict = field(default_factory=dict)  # counts from FEATURE_SEEDERS

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in (
            "branches", "teams", "users", "customers", "individuals", "institutions", "households",
            "relationships", "products", "accounts", "holdings", "transactions", "interactions", "tasks")}

    def __str__(self) -> str:
        if self.skipped:
            return f"demo data not seeded: {self.reason}"
        c = self.counts()
        return (
            f"demo data seeded in {self.elapsed_seconds:.1f} s (seed {self.seed}, as of {self.anchor}): "
            f"{c['branches']} branches, {c['teams']} teams, {c['users']} users, "
            f"{c['customers']:,} customers ({c['individuals']:,} individuals, {c['institutions']:,} institutions, "
            f"{c['households']:,} households), {c['relationships']:,} relationships, {c['products']} products, "
            f"{c['accounts']:,} accounts, {c['holdings']:,} holdings, {c['transactions']:,} transactions, "
            f"{c['interactions']:,} interactions, {c['tasks']:,} tasks"
            + "".join(f", {v:,} {k.replace('_', ' ')}" for k, v in self.features.items()) + ". "
            f"Demo users admin, manager, rm, compliance, approver, ops, auditor; password {DEMO_PASSWORD}"
        )


# ---------------------------------------------------------------- small helpers

def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _cents(yuan: float) -> int:
    return int(round(yuan * 100))


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February in a year that has none
        return d.replace(year=d.year - years, day=28)


def _luhn(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _scramble(n: int, digits: int) -> str:
    """A bijection of 0..10**digits-1 that makes sequential ids look unrelated."""
    return f"{(n * 7_919 + 104_729) % 10 ** digits:0{digits}d}"


def _org_code(body8: str) -> str:
    """GB 11714 organisation code: 8 body digits plus its check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c = 11 - sum(int(ch) * w for ch, w in zip(body8, weights)) % 11
    return body8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def _weighted(rng: random.Random, items: list[tuple[Any, float]]):
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


@dataclass
class _Person:
    """The plan for one individual before rows are made."""
    male: bool
    age: int
    role: str  # single | husband | wife | parent | child
    household: int | None = None
    surname: str | None = None
    wealth_shift: float = 0.0
    index: int = -1  # position in the customer list


@dataclass
class _Unit:
    people: list[_Person]
    household: int | None
    owner: dict | None = None


# ---------------------------------------------------------------- the seeder

class _Seeder:
    def __init__(self, n_customers: int, seed: int, offsets: dict[str, int], anchor: date):
        self.n = max(0, int(n_customers))
        self.seed = seed
        # The snapshot's day and the instants derived from it, in the firm's time zone.
        self.anchor = anchor
        self.anchor_dt = clock.start_of_day(anchor)
        self.tx_start = _years_before(anchor, 2)  # transactions: the 24 months before the anchor
        self.tx_start_dt = clock.start_of_day(self.tx_start)
        self.tx_days = (anchor - self.tx_start).days
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.cipher = get_cipher()
        self.off = offsets
        self.rows: dict[str, list[dict]] = {k: [] for k in (
            "branch", "team", "app_user", "product", "customer", "relationship", "account", "holding",
            "transaction", "interaction", "task")}
        self._keys: dict[tuple[str, bool], tuple[str, str]] = {}
        self._ids_used: set[str] = set()
        self._phones_used: set[str] = set()
        self._company_names: set[str] = set()
        self.households = 0

    # ids ----------------------------------------------------------------
    def _next_id(self, table: str) -> int:
        return self.off[table] + len(self.rows[table]) + 1

    def _keys_for(self, name: str, person: bool) -> tuple[str, str]:
        k = (name, person)
        v = self._keys.get(k)
        if v is None:
            v = self._keys[k] = search_keys(name, surname=person)
        return v

    # organisation -------------------------------------------------------
    def build_org(self) -> None:
        rng, fake = self.rng, self.fake
        pw = hash_password(DEMO_PASSWORD)  # once: argon2 is deliberately slow
        self.branch_by_code: dict[str, dict] = {}
        for code, name, name_en, city in N.BRANCHES:
            row = dict(id=self._next_id("branch"), code=code, name=name, name_en=name_en, city=city)
            self.rows["branch"].append(row)
            self.branch_by_code[code] = row
        self.teams: list[dict] = []
        for code, name, name_en in N.TEAMS:
            row = dict(id=self._next_id("team"), branch_id=self.branch_by_code[code]["id"], name=name,
                       name_en=name_en)
            row["_city"] = self.branch_by_code[code]["city"]
            self.rows["team"].append(row)
            self.teams.append(row)
        created = self.anchor_dt - timedelta(days=1000)

        def user(username, display, roles, branch_id, team_id):
            row = dict(id=self._next_id("app_user"), username=username, display_name=display, password_hash=pw,
                       roles=roles, branch_id=branch_id, team_id=team_id, is_active=True, is_demo=True,
                       locale=None, locked_until=None, created_at=created)
            self.rows["app_user"].append(row)
            return row

        self.demo_users: dict[str, dict] = {}
        for username, display, roles, bcode, team_idx in N.DEMO_USERS:
            team = self.teams[team_idx] if team_idx is not None else None
            branch_id = self.branch_by_code[bcode]["id"] if bcode else None
            self.demo_users[username] = user(username, display, roles, branch_id,
                                             team["id"] if team else None)
        self.demo_rm = self.demo_users["rm"]
        self.demo_rm["_city"] = self.teams[0]["_city"]
        # One branch manager per branch: the demo `manager` runs Beijing.
        for code, *_ in N.BRANCHES[1:]:
            user(f"bm_{code.lower()}", fake.name(), ["branch_manager"], self.branch_by_code[code]["id"], None)
        self.team_leads: dict[int, dict] = {}
        for i, team in enumerate(self.teams, start=1):
            self.team_leads[team["id"]] = user(f"lead{i:02d}", fake.name(), ["team_lead"], team["branch_id"],
                                               team["id"])
        self.rms: list[dict] = []
        for i in range(len(self.teams) * TEAM_RMS):
            team = self.teams[i // TEAM_RMS]
            row = user(f"rm{i + 1:03d}", fake.name(), ["rm"], team["branch_id"], team["id"])
            row["_city"] = team["_city"]
            row["_weight"] = rng.lognormvariate(0, 0.45)  # some books are bigger than others
            self.rms.append(row)
        for row in self.rows["app_user"]:
            row.setdefault("_city", None)

    # products -----------------------------------------------------------
    def build_products(self) -> None:
        self.products: list[dict] = []
        self.loan_products: list[dict] = []
        for spec, target in ((N.PRODUCTS, self.products), (N.LOAN_PRODUCTS, self.loan_products)):
            for code, name, name_en, ptype, risk, term, price in spec:
                row = dict(id=self._next_id("product"), code=code, name=name, name_en=name_en, product_type=ptype,
                           risk_level=risk, term_days=term, currency="CNY", is_active=True)
                self.rows["product"].append(row)
                target.append(dict(row, _price=price, _risk=int(risk[1])))
        self.investments = [p for p in self.products if p["product_type"] != "insurance"]
        self.insurances = [p for p in self.products if p["product_type"] == "insurance"]

    # people plan --------------------------------------------------------
    def plan_units(self) -> tuple[list[_Unit], int]:
        rng = self.rng
        n_inst = round(self.n * INSTITUTION_SHARE) if self.n >= 10 else 0
        n_ind = self.n - n_inst
        units: list[_Unit] = []
        total = 0
        for h in range(self.n // CUSTOMERS_PER_HOUSEHOLD):
            shape = _weighted(rng, [("couple", 40), ("couple1", 35), ("couple2", 10), ("single_parent", 15)])
            shift = rng.gauss(0, 0.8)
            people: list[_Person] = []
            if shape == "single_parent":
                page = rng.randint(46, 80)
                people.append(_Person(male=rng.random() < 0.45, age=page, role="parent"))
                n_kids = 1
            else:
                kids = {"couple": 0, "couple1": 1, "couple2": 2}[shape]
                hage = rng.randint(46, 78) if kids else rng.randint(26, 80)
                wage = max(22, hage + rng.randint(-8, 3))
                people.append(_Person(male=True, age=hage, role="husband"))
                people.append(_Person(male=False, age=wage, role="wife"))
                n_kids = kids
                page = min(hage, wage)
            for _ in range(n_kids):
                kage = page - rng.randint(22, 34)
                if kage >= 18:
                    people.append(_Person(male=rng.random() < 0.5, age=kage, role="child"))
            if total + len(people) > n_ind:
                break
            hid = h + 1
            for p in people:
                p.household = hid
                p.wealth_shift = shift
            units.append(_Unit(people, hid))
            total += len(people)
        self.households = len(units)
        while total < n_ind:
            age = int(rng.triangular(18, 88, 42))
            units.append(_Unit([_Person(male=rng.random() < 0.5, age=age, role="single",
                                        wealth_shift=rng.gauss(0, 0.5))], None))
            total += 1
        rng.shuffle(units)
        return units, n_inst

    def assign_owners(self, units: list[_Unit]) -> None:
        rng = self.rng
        n_ind = sum(len(u.people) for u in units)
        target = min(RM_BOOK, n_ind)
        taken = 0
        rm_households = 0
        # The demo `rm` gets a few households and then singles, exactly `target` people.
        for u in units:
            if u.household is not None and rm_households < 5 and taken + len(u.people) <= target - 20:
                u.owner = self.demo_rm
                taken += len(u.people)
                rm_households += 1
        for u in units:
            if taken >= target:
                break
            if u.owner is None and u.household is None:
                u.owner = self.demo_rm
                taken += 1
        for u in units:  # tiny data sets: whatever still fits
            if taken >= target:
                break
            if u.owner is None and taken + len(u.people) <= target:
                u.owner = self.demo_rm
                taken += len(u.people)
        weights = [r["_weight"] for r in self.rms]
        cum = list(_accumulate(weights))
        for u in units:
            if u.owner is None:
                u.owner = rng.choices(self.rms, cum_weights=cum)[0]

    # customers ----------------------------------------------------------
    def _unique_phone(self) -> str:
        rng = self.rng
        while True:
            p = rng.choice(N.PHONE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            if p not in self._phones_used:
                self._phones_used.add(p)
                return normalize_phone(p)

    def _address(self, city: str) -> tuple[str, str]:
        """(address, district region code) in the city."""
        rng = self.rng
        prov, districts = N.CITY_DISTRICTS[city]
        code, district = rng.choice(districts)
        street = rng.choice(N.STREETS[city])
        addr = (f"{prov}{district}{street}{rng.randint(1, 999)}号{rng.choice(N.COMMUNITIES)}"
                f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 8):02d}室")
        return addr, code

    def _customer_row(self, *, owner: dict, kind: str, name: str, id_type: str, number: str, phone: str | None,
                      email: str | None, address: str, occupation: str, gender: str | None, birth: date | None,
                      status: str, source: str, since: datetime) -> dict:
        cid = self._next_id("customer")
        full, initials = self._keys_for(name, kind == "individual")
        row = dict(
            id=cid, customer_no=customer_number(cid), kind=kind, name=name, name_pinyin=full,
            name_initials=initials, gender=gender, birth_date=birth, **pii.id_number_columns(id_type, number),
            **pii.phone_columns(phone), email=email, address=address, occupation=occupation,
            segment="mass", owner_id=owner["id"], team_id=owner["team_id"], branch_id=owner["branch_id"],
            source_channel=source, status=status, version=1, created_at=since, updated_at=since,
        )
        self.rows["customer"].append(row)
        return row

    def _status_and_since(self, age: int) -> tuple[str, datetime]:
        rng = self.rng
        status = _weighted(rng, [("active", 88), ("dormant", 8), ("prospect", 4)])
        if status == "prospect":
            days = rng.randint(7, 90)
        else:
            max_days = max(60, min(3650 * 2, (age - 18) * 365))
            days = rng.randint(60 if status == "active" else 800, max(800, max_days) if status == "dormant"
                               else max_days)
        since = self.anchor_dt - timedelta(days=days, seconds=rng.randrange(9 * 3600, 18 * 3600))
        return status, since

    def build_individuals(self, units: list[_Unit]) -> list[dict]:
        rng, fake = self.rng, self.fake
        customers: list[dict] = []
        zhangsan_done = False
        for u in units:
            owner = u.owner
            city = owner["_city"]
            home_addr, _ = self._address(city)
            father_surname = None  # set by the first parent, who comes first in the list
            for p in u.people:
                surname = fake.last_name()
                if p.role == "child" and father_surname:
                    surname = father_surname
                given = fake.first_name_male() if p.male else fake.first_name_female()
                name = surname + given
                if p.role in ("husband",) or (p.role == "parent" and p.male):
                    father_surname = surname
                elif p.role == "parent" and not p.male:
                    father_surname = surname  # single mother: the child takes her surname
                if not zhangsan_done and owner is self.demo_rm and p.role == "husband":
                    # The README's walkthrough customer: a husband and father, so his 360 page shows a
                    # household; his children take his name.
                    name, zhangsan_done, father_surname = "张三", True, "张"
                birth = date(self.anchor.year - p.age, 1, 1) + timedelta(days=rng.randrange(365))
                if birth >= _years_before(self.anchor, p.age - 1):
                    birth = birth - timedelta(days=365)
                if rng.random() < 0.65:
                    region = rng.choice(N.CITY_DISTRICTS[city][1])[0]
                else:
                    region = rng.choice(N.OTHER_REGIONS)
                while True:
                    seq = rng.randrange(500) * 2 + (1 if p.male else 0)
                    number = make_id_number(region, birth, seq)
                    if number not in self._ids_used:
                        self._ids_used.add(number)
                        break
                # 张三 is the walkthrough customer: he always has a phone to show masked.
                phone = self._unique_phone() if (rng.random() < 0.97 or name == "张三") else None
                full, _ = self._keys_for(name, True)
                email = None
                if rng.random() < 0.8:
                    dom = rng.choice(N.EMAIL_DOMAINS)
                    local = (str(rng.randint(10_000_000, 2_999_999_999)) if dom == "qq.com" and rng.random() < 0.6
                             else f"{full}{rng.randint(1, 9999)}")
                    email = f"{local}@{dom}"
                if p.age >= 62 and rng.random() < 0.8:
                    occupation = "退休人员"
                elif p.age <= 22 and rng.random() < 0.7:
                    occupation = "学生"
                else:
                    occupation = _weighted(rng, N.OCCUPATIONS)
                    if occupation == "退休人员" and p.age < 50:
                        occupation = "企业职员"
                address = home_addr if p.household else self._address(city)[0]
                status, since = self._status_and_since(p.age)
                if name == "张三":  # the walkthrough customer: active, and with us long enough for a 24-month chart
                    status, since = "active", min(since, self.anchor_dt - timedelta(days=5 * 365 + 10 * 3600))
                source = _weighted(rng, [("branch", 35), ("referral", 20), ("online", 15), ("event", 10),
                                         ("campaign", 10), ("partner", 10)])
                if p.household and p.role in ("wife", "child") and rng.random() < 0.6:
                    source = "referral"
                row = self._customer_row(
                    owner=owner, kind="individual", name=name, id_type="resident_id", number=number,
                    phone=phone, email=email, address=address, occupation=occupation,
                    gender="male" if p.male else "female", birth=birth, status=status, source=source,
                    since=since)
                row["_person"] = p
                row["_owner"] = owner
                p.index = len(customers)
                customers.append(row)
        if not zhangsan_done:  # no male single in the rm's book: rename one of his male customers
            for row in customers:
                if row["_owner"] is self.demo_rm and row["gender"] == "male":
                    row["name"] = "张三"
                    row["name_pinyin"], row["name_initials"] = self._keys_for("张三", True)
                    break
        self._relate_households(units, customers)
        return customers

    def _relationship(self, a: dict, b: dict, kind: str, note: str | None = None) -> None:
        since = max(a["created_at"], b["created_at"])
        self.rows["relationship"].append(dict(
            id=self._next_id("relationship"), customer_id=a["id"], related_customer_id=b["id"], kind=kind,
            note=note, created_at=since))

    def _relate_households(self, units: list[_Unit], customers: list[dict]) -> None:
        for u in units:
            if u.household is None:
                continue
            rows = [customers[p.index] for p in u.people]
            parents = [r for r, p in zip(rows, u.people) if p.role in ("husband", "wife", "parent")]
            children = [r for r, p in zip(rows, u.people) if p.role == "child"]
            if len(parents) == 2:
                self._relationship(parents[0], parents[1], "spouse")
                self._relationship(parents[1], parents[0], "spouse")
            for c in children:
                for par in parents:
                    # "c has par as its parent" and "par has c as its child"
                    self._relationship(c, par, "parent")
                    self._relationship(par, c, "child")

    def build_institutions(self, n_inst: int, individuals: list[dict]) -> list[dict]:
        rng = self.rng
        out: list[dict] = []
        candidates = [r for r in individuals if r["_owner"] is not self.demo_rm and r["_person"].age >= 28
                      and r["_person"].age <= 70]
        entrepreneurs = [r for r in candidates if r["occupation"] in ("私营企业主", "企业高管", "个体工商户")]
        used_reps: set[int] = set()
        for _ in range(n_inst):
            rep = None
            if rng.random() < 0.75:
                pool = entrepreneurs if entrepreneurs and rng.random() < 0.7 else candidates
                for _try in range(5):
                    if not pool:
                        break
                    cand = rng.choice(pool)
                    if cand["id"] not in used_reps:
                        rep = cand
                        used_reps.add(cand["id"])
                        break
            owner = rep["_owner"] if rep else rng.choice(self.rms)
            city = owner["_city"]
            while True:
                suffix = _weighted(rng, N.COMPANY_SUFFIXES)
                word = rng.choice(N.COMPANY_WORDS)
                industry, sector = rng.choice(N.COMPANY_INDUSTRIES)
                name = f"{city}{word}{industry}{suffix}"
                if name not in self._company_names:
                    self._company_names.add(name)
                    break
            address, region = self._address(city)
            while True:
                first17 = "91" + region + _org_code(f"{rng.randrange(10 ** 8):08d}")
                number = first17 + uscc_check_char(first17)
                if number not in self._ids_used:
                    self._ids_used.add(number)
                    break
            assert all(ch in USCC_CHARSET for ch in number)
            status = _weighted(rng, [("active", 92), ("dormant", 6), ("prospect", 2)])
            since = self.anchor_dt - timedelta(days=rng.randint(30 if status == "prospect" else 120,
                                                           90 if status == "prospect" else 3650),
                                          seconds=rng.randrange(9 * 3600, 18 * 3600))
            row = self._customer_row(
                owner=owner, kind="institution", name=name, id_type="uscc", number=number,
                phone=self._unique_phone(),
                email=f"finance@{self._keys_for(word, False)[0]}{self._keys_for(industry, False)[1]}.com.cn",
                address=address, occupation=sector, gender=None, birth=None,
                status=status, source=_weighted(rng, [("branch", 40), ("referral", 30), ("partner", 20),
                                                      ("event", 10)]), since=since)
            row["segment"] = "corporate"
            row["_owner"] = owner
            row["_person"] = None
            out.append(row)
            if rep is not None:
                role = _weighted(rng, [("法定代表人", 70), ("实际控制人", 20), ("股东", 10)])
                self._relationship(row, rep, "related_party", role)
                self._relationship(rep, row, "related_party", f"任该企业{role}")
                if rep["occupation"] not in ("私营企业主", "企业高管"):
                    rep["occupation"] = "私营企业主"
        return out

    # accounts, holdings, transactions ------------------------------------
    def _account(self, cust: dict, kind: str, opened: date, balance_cents: int, status: str = "open") -> dict:
        aid = self._next_id("account")
        bidx = self.branch_index[cust["branch_id"]]
        if kind == "deposit":
            body = ("621485" if cust["kind"] == "individual" else "621799") + _scramble(aid, 12)
            number = body + _luhn(body)  # 19 digits, like a debit card
        elif kind == "credit_card":
            body = "625912" + _scramble(aid, 9)
            number = body + _luhn(body)  # 16 digits
        else:
            prefix = {"wealth": "31", "fund": "32", "securities": "33", "insurance": "34", "loan": "41"}[kind]
            number = f"{prefix}{bidx:02d}{_scramble(aid, 13)}"
            number += _luhn(number)  # 18 digits
        row = dict(id=aid, customer_id=cust["id"], kind=kind,
                   account_no_enc=self.cipher.encrypt(number, context=ACCOUNT_CONTEXT),
                   account_no_bidx=self.cipher.blind_index(number, context=ACCOUNT_CONTEXT),
                   account_no_last4=number[-4:], currency="CNY", balance=balance_cents,
                   branch_id=cust["branch_id"], opened_on=opened, status=status)
        self.rows["account"].append(row)
        return row

    def _target_aum(self, cust: dict) -> float:
        rng = self.rng
        p: _Person | None = cust["_person"]
        if p is None:
            return rng.lognormvariate(math.log(1_500_000), 1.3)
        if cust["status"] == "prospect":
            return rng.uniform(0, 20_000)
        mu = math.log(150_000) + p.wealth_shift
        if p.role == "child":
            mu -= 1.2
        if p.age >= 55:
            mu += 0.4
        if cust["occupation"] in ("私营企业主", "企业高管"):
            mu += 0.8
        if cust["occupation"] == "学生":
            mu -= 1.5
        return rng.lognormvariate(mu, 1.45)

    def build_portfolios(self, customers: list[dict]) -> None:
        rng = self.rng
        self.branch_index = {b["id"]: i + 1 for i, b in enumerate(self.rows["branch"])}
        # Transaction counts: 40 per customer on average, skewed (log-normal weights).
        weights = []
        for c in customers:
            w = rng.lognormvariate(0, 0.9)
            w *= {"active": 1.0, "dormant": 0.25, "prospect": 0.1}[c["status"]]
            if c["kind"] == "institution":
                w *= 2.0
            weights.append(w)
        total_w = sum(weights) or 1.0
        target_total = TX_PER_CUSTOMER * len(customers)
        # Force a few wealthy customers into the demo RM's book so the HNW screens have data there.
        rm_rich = [c for c in customers if c["_owner"] is self.demo_rm]
        rng.shuffle(rm_rich)
        # 张三 among them (the second: high net worth, not ultra): a customer the tag rules have something to say
        # about (services/demo/tags.py).
        zhang = next((c for c in rm_rich if c["name"] == "张三"), None)
        if zhang is not None:
            rm_rich.remove(zhang)
            rm_rich.insert(1, zhang)
        boost = {id(c): amt for c, amt in zip(rm_rich[:4], (62_000_000, 12_000_000, 8_500_000, 6_800_000))}
        for c, w in zip(customers, weights):
            aum = boost.get(id(c)) or self._target_aum(c)
            n_tx = min(MAX_TX_PER_CUSTOMER, int(round(target_total * w / total_w)))
            self._portfolio(c, aum, n_tx, forced=id(c) in boost)

    def _portfolio(self, cust: dict, aum: float, n_tx: int, forced: bool) -> None:
        rng = self.rng
        person: _Person | None = cust["_person"]
        individual = person is not None
        since = clock.local_date(cust["created_at"])
        dormant = cust["status"] == "dormant"
        # -- how the money is split: cash on deposit vs. products held
        if aum < 30_000 or cust["status"] == "prospect":
            cash_share = 1.0
        elif individual:
            cash_share = rng.uniform(0.1, 0.7) if aum > AFFLUENT else rng.uniform(0.3, 0.95)
        else:
            cash_share = rng.uniform(0.4, 0.9)
        if individual:
            appetite = 1 + (person.age < 60) + (person.age < 45) + (rng.random() < 0.6) + (rng.random() < 0.35)
            if aum > HNW:
                appetite = max(appetite, 3)
        else:
            appetite = rng.choice((1, 2, 2, 3))
        n_hold = 0 if cash_share >= 1.0 else min(8, 1 + int(math.log10(max(aum, 30_000) / 30_000) * 1.6)
                                                 + (rng.random() < 0.5))
        eligible = [p for p in self.investments if p["_risk"] <= appetite
                    and (p["product_type"] != "equity" or individual)]
        chosen = rng.sample(eligible, min(n_hold, len(eligible)))
        insurance = None
        if individual and cust["status"] != "prospect" and 25 <= person.age <= 65 and \
                rng.random() < (0.45 if aum > AFFLUENT else 0.18):
            insurance = rng.choice(self.insurances)
        # -- accounts
        opened_dep = since
        dep_status = "dormant" if dormant else "open"
        invest = aum * (1 - cash_share)
        parts = [rng.expovariate(1.0) for _ in chosen]
        psum = sum(parts) or 1.0
        holdings_plan: list[tuple[dict, float]] = [(p, invest * w / psum) for p, w in zip(chosen, parts)]
        cash = aum - sum(v for _, v in holdings_plan)
        deposit = self._account(cust, "deposit", opened_dep, _cents(max(cash, 0.0)), dep_status)
        accounts_by_kind: dict[str, dict] = {"deposit": deposit}

        def account_for(kind: str) -> dict:
            acc = accounts_by_kind.get(kind)
            if acc is None:
                opened = since + timedelta(days=rng.randint(0, max(0, (self.anchor - since).days - 30)))
                acc = self._account(cust, kind, opened, 0, dep_status if kind != "insurance" else "open")
                accounts_by_kind[kind] = acc
            return acc

        held: list[tuple[dict, dict, int]] = []  # (account, product, market value cents)
        for product, value in holdings_plan:
            acc = account_for(HOLDING_ACCOUNT[product["product_type"]])
            held.append((acc, product, self._holding(cust, acc, product, value)))
        premium = 0
        if insurance is not None:
            premium = int(rng.choice((6_000, 12_000, 20_000, 36_000, 50_000, 100_000)) * (2 if aum > HNW else 1))
            years = rng.randint(1, 8)
            acc = account_for("insurance")
            value = premium * years * rng.uniform(0.55, 1.05)
            held.append((acc, insurance, self._holding(cust, acc, insurance, value, cost=premium * years)))
        card = loan = None
        loan_product = None
        loan_principal = 0
        if individual and cust["status"] != "prospect" and person.age <= 70:
            if rng.random() < (0.45 if 25 <= person.age <= 55 else 0.2):
                card = account_for("credit_card")
            if 25 <= person.age <= 60 and rng.random() < 0.14:
                loan_product = self.loan_products[0] if rng.random() < 0.6 else self.loan_products[1]
                loan_principal = (rng.randint(30, 400) * 10_000 if loan_product is self.loan_products[0]
                                  else rng.randint(5, 30) * 10_000)
                loan = account_for("loan")
        elif not individual and rng.random() < 0.25:
            loan_product = self.loan_products[2]
            loan_principal = rng.randint(50, 2000) * 10_000
            loan = account_for("loan")
        # -- transactions
        self._transactions(cust, aum, n_tx, dormant, deposit, held, card, loan, loan_product, loan_principal,
                           insurance, premium)
        # -- segment follows what the customer actually holds
        if individual:
            total = sum(a["balance"] for a in accounts_by_kind.values()
                        if a["kind"] not in ("loan", "credit_card", "insurance"))
            total += sum(v for _, _, v in held)
            total /= 100
            cust["segment"] = ("uhnw" if total >= UHNW else "hnw" if total >= HNW
                               else "affluent" if total >= AFFLUENT else "mass")

    def _holding(self, cust: dict, acc: dict, product: dict, value: float, cost: float | None = None) -> int:
        rng = self.rng
        price = product["_price"]
        ptype = product["product_type"]
        risk = product["_risk"]
        if ptype == "equity":
            qty = max(100, int(value / price / 100) * 100)
            mv = _cents(qty * price)
            quantity = Decimal(qty)
        elif ptype in ("deposit", "insurance"):
            principal = max(1000, int(value / 1000) * 1000)
            mv = _cents(principal * (1 + rng.uniform(0.0, 0.03)) if ptype == "deposit" else value)
            quantity = Decimal(principal if ptype == "deposit" else 1)
        else:
            units = max(1000.0, value) / price
            quantity = Decimal(f"{units:.2f}")
            mv = _cents(float(quantity) * price)
        if cost is None:
            ret = {1: rng.uniform(0.005, 0.03), 2: rng.uniform(0.0, 0.05), 3: rng.uniform(-0.05, 0.10),
                   4: rng.uniform(-0.20, 0.25), 5: rng.uniform(-0.35, 0.60)}[risk]
            cost_cents = _cents((mv / 100) / (1 + ret)) if ptype != "deposit" else _cents(float(quantity))
        else:
            cost_cents = _cents(cost)
        self.rows["holding"].append(dict(
            id=self._next_id("holding"), account_id=acc["id"], customer_id=cust["id"], product_id=product["id"],
            quantity=quantity, cost=cost_cents, market_value=mv, currency="CNY", as_of=self.anchor))
        return mv

    def _transactions(self, cust, aum, n_tx, dormant, deposit, held, card, loan, loan_product, loan_principal,
                      insurance, premium) -> None:
        rng = self.rng
        rows = self.rows["transaction"]
        individual = cust["kind"] == "individual"
        income = min(max(aum * 0.012, 4_000), 400_000 if individual else 3_000_000) * rng.uniform(0.7, 1.3)
        menu: list[tuple[str, dict, dict | None, float]] = [
            ("deposit", deposit, None, 3.0), ("withdrawal", deposit, None, 1.2 if individual else 0.2),
            ("transfer_in", deposit, None, 2.0), ("transfer_out", deposit, None, 3.0),
            ("interest", deposit, None, 0.5), ("fee", deposit, None, 0.3)]
        mv_by_product: dict[int, int] = {}
        for acc, product, mv in held:
            mv_by_product[product["id"]] = mv
            if product["product_type"] == "insurance":
                menu.append(("premium", acc, product, 0.4))
                continue
            menu.append(("purchase", acc, product, 0.7))
            menu.append(("redemption", acc, product, 0.3))
            if product["product_type"] in ("fund", "equity", "bond"):
                menu.append(("dividend", acc, product, 0.2))
        if card is not None:
            menu.append(("card_spend", card, None, 5.0))
            menu.append(("card_repayment", card, None, 1.0))
        if loan is not None:
            menu.append(("loan_repayment", loan, loan_product, 1.2))
        cum = list(_accumulate(w for *_, w in menu))
        # Window: the 24 months before the anchor, from the account's opening; dormant customers stopped a year ago.
        last_day = self.tx_days - (365 if dormant else 0)
        out: list[dict] = []

        def add(kind, acc, product, cents, desc, channel, lo=None):
            start = max(0, (acc["opened_on"] - self.tx_start).days)
            if lo is not None:
                start = max(start, lo)
            if start >= last_day:
                return None
            day = rng.randrange(start, last_day)
            secs = rng.randrange(8 * 3600, 22 * 3600)
            booked = self.tx_start_dt + timedelta(days=day, seconds=secs)
            row = dict(account_id=acc["id"], customer_id=cust["id"], product_id=product["id"] if product else None,
                       kind=kind, amount=cents, currency="CNY", booked_at=booked, channel=channel,
                       description=desc, created_at=booked)
            out.append(row)
            return row

        if loan is not None:  # the drawdown, if it falls inside the window
            lo_day = (loan["opened_on"] - self.tx_start).days
            if 0 <= lo_day < last_day:
                # Signed from the account's side (services/portfolio/conventions.py): a drawdown is money out of
                # the loan account (what is owed grows), a repayment money into it.
                row = add("loan_drawdown", loan, loan_product, -_cents(loan_principal),
                          f"{loan_product['name']}放款", "counter", lo=lo_day)
                if row is not None:
                    row["booked_at"] = self.tx_start_dt + timedelta(days=lo_day, hours=10)
        inst_in = ("货款收入", "服务费收入", "投资收益划入", "往来款转入")
        inst_out = ("支付供应商货款", "代发工资", "税费缴纳", "房租水电", "往来款转出")
        for _ in range(n_tx):
            kind, acc, product, _w = menu[rng.choices(range(len(menu)), cum_weights=cum)[0]]
            if kind == "deposit":
                amt = income * rng.uniform(0.6, 1.4)
                desc = rng.choice(N.DEPOSIT_TEXTS) if individual else rng.choice(inst_in)
                ch = _weighted(rng, [("online", 5), ("counter", 2), ("mobile", 3)])
            elif kind == "withdrawal":
                amt = -rng.choice((500, 1000, 2000, 3000, 5000, 10000))
                desc, ch = rng.choice(N.WITHDRAWAL_TEXTS), ("atm" if rng.random() < 0.75 else "counter")
                if ch == "counter":
                    desc = "柜面取现"
            elif kind == "transfer_in":
                amt = income * rng.uniform(0.1, 2.0)
                desc = rng.choice(N.TRANSFER_IN_TEXTS) if individual else rng.choice(inst_in)
                ch = _weighted(rng, [("mobile", 6), ("online", 3), ("counter", 1)])
            elif kind == "transfer_out":
                amt = -income * rng.uniform(0.05, 1.3)
                desc = rng.choice(N.TRANSFER_OUT_TEXTS) if individual else rng.choice(inst_out)
                ch = _weighted(rng, [("mobile", 6), ("online", 3), ("counter", 1)])
            elif kind == "interest":
                amt = max(0.01, deposit["balance"] / 100 * 0.0035 / 4 * rng.uniform(0.5, 1.5))
                desc, ch = "活期结息", "online"
            elif kind == "fee":
                amt = -rng.choice((2, 5, 10, 20))
                desc, ch = rng.choice(N.FEE_TEXTS), "online"
            elif kind == "purchase":
                amt = -max(1000, round(mv_by_product[product["id"]] / 100 * rng.uniform(0.05, 0.4), -2))
                desc = f"申购{product['name']}"
                ch = _weighted(rng, [("mobile", 6), ("online", 2), ("counter", 2)])
            elif kind == "redemption":
                amt = max(1000, round(mv_by_product[product["id"]] / 100 * rng.uniform(0.05, 0.3), -2))
                desc = f"赎回{product['name']}"
                ch = _weighted(rng, [("mobile", 6), ("online", 2), ("counter", 2)])
            elif kind == "dividend":
                amt = max(1.0, mv_by_product[product["id"]] / 100 * rng.uniform(0.002, 0.015))
                desc, ch = f"{product['name']}分红", "online"
            elif kind == "premium":
                amt = -premium
                desc = f"{product['name']}保费"
                ch = _weighted(rng, [("counter", 4), ("mobile", 3), ("online", 3)])
            elif kind == "card_spend":
                amt = -min(30_000.0, rng.lognormvariate(math.log(260), 1.0))
                desc = f"消费-{rng.choice(N.MERCHANTS)}"
                ch = _weighted(rng, [("pos", 55), ("online", 30), ("mobile", 15)])
            elif kind == "card_repayment":
                amt = max(100.0, round(income * rng.uniform(0.05, 0.4), -1))
                desc = "信用卡还款"
                ch = _weighted(rng, [("mobile", 6), ("online", 3), ("counter", 1)])
            else:  # loan_repayment: instalments; a working-capital loan pays interest monthly
                if loan_product["term_days"] and loan_product["term_days"] <= 365:
                    amt = max(100.0, loan_principal * 0.045 / 12)
                else:
                    amt = max(500.0, loan_principal / (loan_product["term_days"] / 30) * 1.25)
                desc, ch = f"{loan_product['name']}还款", "online"
            add(kind, acc, product, _cents(amt), desc, ch)
        out.sort(key=lambda r: r["booked_at"])
        if card is not None:
            rng.uniform(0, 60_000)  # drawn as before, so the rest of the demo stays what it was
        out = self._settle(out, deposit, card, loan, loan_principal, loan_product)
        base = self._next_id("transaction")
        for i, r in enumerate(out):
            r["id"] = base + i
        rows.extend(out)

    def _settle(self, out: list[dict], deposit: dict, card: dict | None, loan: dict | None, loan_principal: float,
                loan_product: dict | None) -> list[dict]:
        """Balances that agree with the booked transactions, so every month of the 24-month history (walked back
        from today through them: services/demo/aum_history.py) is a balance the account really had.

        - A loan owes its principal after the drawdown (or, drawn before the window, what is left of it then),
          and each repayment lowers that; a card owes what was spent. A repayment never exceeds what is owed
          (it is cut to it, or dropped when nothing is owed), and the balance today is what is left.
        - The deposit account never went below zero: today's balance is raised by what the flows of the window
          would otherwise have taken it below.
        Transactions in booking order; amounts in cents, signed as services/portfolio/conventions.py says."""
        keep: list[dict] = []
        owed = {}
        if card is not None:
            owed[card["id"]] = 0
        if loan is not None:
            before = max(0, (self.tx_start - loan["opened_on"]).days // 30)  # months repaid before the window
            term_months = max(1, (loan_product["term_days"] or 1095) // 30)
            left = _cents(loan_principal * max(0.05, 1 - before / term_months * 0.9))
            owed[loan["id"]] = 0 if any(r["kind"] == "loan_drawdown" for r in out) else left
        flow = 0  # net flow of the deposit account so far
        lowest = 0
        for r in out:
            acc = r["account_id"]
            if acc in owed:
                if r["amount"] < 0:  # a drawdown or a card spend: more is owed
                    owed[acc] -= r["amount"]
                else:  # a repayment: never more than is owed
                    r["amount"] = min(r["amount"], owed[acc])
                    if r["amount"] <= 0:
                        continue
                    owed[acc] -= r["amount"]
            elif acc == deposit["id"]:
                flow += r["amount"]
                lowest = min(lowest, flow)
            keep.append(r)
        for acc in (card, loan):
            if acc is not None:
                acc["balance"] = owed[acc["id"]]
        # The balance at the window's start is today's minus the flows; its lowest point must not be below zero.
        start = deposit["balance"] - flow
        if start + lowest < 0:
            deposit["balance"] += -(start + lowest)
        return keep

    # activities ---------------------------------------------------------
    def build_activities(self, customers: list[dict]) -> None:
        rng = self.rng
        kinds = [("call", 45), ("visit", 15), ("meeting", 15), ("note", 25)]
        for c in customers:
            owner = c["_owner"]
            n = rng.choice((0, 1, 2, 3, 3, 4, 4, 5, 6)) if c["status"] != "prospect" else rng.choice((1, 2))
            since_day = max(0, (self.anchor_dt - c["created_at"]).days)
            span = min(365, since_day)
            for _ in range(n):
                if span <= 0:
                    break
                kind = _weighted(rng, kinds)
                subject, notes = rng.choice(N.INTERACTION_TEXTS[kind])
                at = self.anchor_dt - timedelta(days=rng.randrange(span), seconds=rng.randrange(6 * 3600, 16 * 3600))
                self.rows["interaction"].append(dict(
                    id=self._next_id("interaction"), customer_id=c["id"], user_id=owner["id"], kind=kind,
                    occurred_at=at, subject=subject, notes=notes, created_at=at))
            if rng.random() < 0.6:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    # anchor_dt is already the local midnight (as a UTC instant): add local office hours as they
                    # are (subtracting the zone's offset again put every task between 01:00 and 10:00).
                    due = self.anchor_dt + timedelta(days=rng.randint(-60, 45), hours=rng.randint(9, 18))
                    if due < self.anchor_dt:
                        status = _weighted(rng, [("done", 80), ("open", 15), ("cancelled", 5)])
                    else:
                        status = _weighted(rng, [("open", 95), ("done", 5)])
                    creator = owner
                    if owner["team_id"] in self.team_leads and rng.random() < 0.2:
                        creator = self.team_leads[owner["team_id"]]
                    self.rows["task"].append(dict(
                        id=self._next_id("task"), customer_id=c["id"], assignee_id=owner["id"],
                        created_by_id=creator["id"], title=rng.choice(N.TASK_TITLES), due_at=due, status=status,
                        priority=_weighted(rng, [("low", 20), ("normal", 60), ("high", 20)]),
                        created_at=due - timedelta(days=rng.randint(3, 30)),
                        completed_at=due if status == "done" else None))

    # all ----------------------------------------------------------------
    def build(self) -> None:
        self.build_org()
        self.build_products()
        units, n_inst = self.plan_units()
        self.assign_owners(units)
        individuals = self.build_individuals(units)
        institutions = self.build_institutions(n_inst, individuals)
        customers = individuals + institutions
        self.build_portfolios(customers)
        self.build_activities(customers)
        self.n_individuals = len(individuals)
        self.n_institutions = len(institutions)


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


# ---------------------------------------------------------------- writing

_TABLES = [("branch", Branch), ("team", Team), ("app_user", User), ("product", Product), ("customer", Customer),
           ("relationship", Relationship), ("account", Account), ("holding", Holding),
           ("transaction", Transaction), ("interaction", Interaction), ("task", Task)]
_MONEY = {"account": ("balance",), "holding": ("cost", "market_value"), "transaction": ("amount",)}
_CHUNK = 20_000


def _clean_rows(table: str, rows: list[dict]) -> list[dict]:
    money = _MONEY.get(table, ())
    out = []
    for r in rows:
        d = {k: v for k, v in r.items() if not k.startswith("_")}
        for m in money:
            d[m] = _money(d[m])
        out.append(d)
    return out


def _has_data(session: Session) -> bool:
    return (session.execute(select(Customer.id).limit(1)).first() is not None
            or session.execute(select(User.id).limit(1)).first() is not None)


# Later features extend the demo data from their own module in this package (never from the domain's:
# production code does not import demo code): `seed(session, *, rng, anchor) -> dict` of counts, `anchor`
# the start of the anchor day (UTC), run in the same transaction after the core data, in this order.
FEATURE_SEEDERS = ("services.demo.c360", "services.demo.customers", "services.demo.tags", "services.demo.integration",
                   "services.demo.imports", "services.demo.aml", "services.demo.suitability",
                   "services.demo.aum_history", "services.demo.agenda", "services.demo.approvals",
                   "services.demo.analytics",  # a year of opportunities and sales, then the dashboards' rollup
                   "services.demo.customer_list",  # customer_list reads all (the notes seeder refreshes its one)
                   "services.demo.notes")  # a visit note of 张三's with two revisions (appended: the others' rngs stay)


def _seed_features(session: Session, seed: int, anchor: datetime) -> dict:
    import importlib
    import importlib.util

    counts: dict = {}
    for i, name in enumerate(FEATURE_SEEDERS, start=1):
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        counts.update(module.seed(session, rng=random.Random(seed * 100 + i), anchor=anchor) or {})
        session.flush()
    return counts


def seed_demo(*, customers: int = 5000, seed: int = DEFAULT_SEED, anchor: date | None = None,
              if_empty: bool = False, engine: Engine | None = None) -> SeedResult:
    """Seed the deterministic demo data set in one transaction and return what was written.

    `anchor` is the snapshot's day (default: the clock's today, so a fresh demo is current); the data set
    is the same for the same seed and anchor."""
    from services.db import get_engine

    started = time.perf_counter()
    anchor = anchor or clock.today()
    engine = engine or get_engine()
    with Session(engine) as session:
        if if_empty and _has_data(session):
            return SeedResult(skipped=True, reason="the database already has customers or users", seed=seed,
                              anchor=anchor, elapsed_seconds=time.perf_counter() - started)
        usernames = [u[0] for u in N.DEMO_USERS]
        clash = session.execute(select(User.username).where(User.username.in_(usernames)).limit(1)).first()
        clash = clash or session.execute(
            select(Branch.code).where(Branch.code.in_([b[0] for b in N.BRANCHES])).limit(1)).first()
        if clash:
            raise DemoDataExists(name=clash[0])
        offsets = {name: session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()
                   for name, model in _TABLES}

    seeder = _Seeder(customers, seed, offsets, anchor)
    seeder.build()

    with clock.fixed(seeder.anchor_dt), Session(engine) as session:
        try:
            for name, model in _TABLES:
                rows = _clean_rows(name, seeder.rows[name])
                for i in range(0, len(rows), _CHUNK):
                    session.execute(insert(model.__table__), rows[i:i + _CHUNK])
            if session.get_bind().dialect.name == "postgresql":
                for name, model in _TABLES:
                    table = model.__table__.name
                    session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"))
            result = SeedResult(
                branches=len(seeder.rows["branch"]), teams=len(seeder.rows["team"]),
                users=len(seeder.rows["app_user"]), customers=len(seeder.rows["customer"]),
                individuals=seeder.n_individuals, institutions=seeder.n_institutions,
                households=seeder.households, relationships=len(seeder.rows["relationship"]),
                products=len(seeder.rows["product"]), accounts=len(seeder.rows["account"]),
                holdings=len(seeder.rows["holding"]), transactions=len(seeder.rows["transaction"]),
                interactions=len(seeder.rows["interaction"]), tasks=len(seeder.rows["task"]), seed=seed,
                anchor=anchor)
            feature_counts = _seed_features(session, seed, seeder.anchor_dt)
            result.features = feature_counts
            audit.record(session, SYSTEM, "demo.seed", entity_type="demo", entity_id=seed,
                         changes={"seed": seed, "anchor": anchor.isoformat(), **result.counts(),
                                  **feature_counts})
            session.commit()
        except BaseException:
            session.rollback()
            raise
    result.elapsed_seconds = time.perf_counter() - started
    return result
