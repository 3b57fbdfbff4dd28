"""The demo seed on a real, migrated SQLite database: determinism, validity, users, scope, audit."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services import clock, migrations
from services.customers.models import Customer, Relationship
from services.db import make_engine
from services.demo import seed as demo_seed
from services.demo.seed import DEMO_PASSWORD, DemoDataExists, SeedResult, seed_demo
from services.portfolio.conventions import sign_problem
from services.portfolio.models import Account, AumSnapshot, Holding, Product, Transaction
from services.security.actor import Actor
from services.security.audit import verify
from services.security.keys import get_cipher
from services.security.models import AuditEvent, User
from services.security.passwords import verify_password
from services.settings import reset_settings
from services.validation.identity import (id_number_birth_date, id_number_gender, normalize_id_number,
                                          normalize_phone, normalize_uscc)

N_CUSTOMERS = 200
ANCHOR = date(2026, 11, 1)  # the snapshot's day for these tests (the seed's default is the clock's today)
DEMO_USERNAMES = ["admin", "manager", "rm", "compliance", "approver", "ops"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("seed-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        mp.delenv("FINCRM_ENCRYPTION_KEYS", raising=False)  # demo keys from the data dir
        reset_settings()
        yield data_dir
    reset_settings()


def _fresh_engine(directory, name):
    url = f"sqlite:///{directory / name}"
    migrations.upgrade(url)
    return make_engine(url)


@pytest.fixture(scope="module")
def seeded(env):
    engines = []
    results = []
    for name in ("a.db", "b.db"):
        engine = _fresh_engine(env, name)
        engines.append(engine)
        results.append(seed_demo(customers=N_CUSTOMERS, anchor=ANCHOR, engine=engine))
    yield engines, results
    for e in engines:
        e.dispose()


@pytest.fixture()
def session(seeded):
    engine = seeded[0][0]
    with Session(engine) as s:
        yield s


def test_result_counts_and_text(seeded):
    result = seeded[1][0]
    assert isinstance(result, SeedResult) and not result.skipped
    assert result.customers == N_CUSTOMERS
    assert result.institutions == round(N_CUSTOMERS * 0.08)
    assert result.individuals == N_CUSTOMERS - result.institutions
    assert result.branches == 5 and result.teams == 12
    assert result.households == N_CUSTOMERS // 5
    assert result.products >= 30
    # 40 transactions per customer on average (rounding and window edges allowed for)
    assert 0.9 * 40 * N_CUSTOMERS <= result.transactions <= 1.05 * 40 * N_CUSTOMERS
    assert result.elapsed_seconds > 0
    text = str(result)
    assert f"{N_CUSTOMERS} customers" in text and "transactions" in text


def test_counts_match_database(seeded, session):
    result = seeded[1][0]
    # Feature seeders add relationships of their own (guarantors), counted separately.
    relationships = result.relationships + result.features.get("guarantor_links", 0)
    # The AML demo onboards customers named like listed people and books a batch that trips every rule.
    for model, expected in ((Customer, result.customers + result.features.get("aml_variant_customers", 0)),
                            (Account, result.accounts + result.features.get("aml_variant_accounts", 0)),
                            (Holding, result.holdings),
                            (Transaction, result.transactions + result.features.get("tag_demo_deposits", 0)
                             + result.features.get("aml_demo_transactions", 0)),
                            (Relationship, relationships),
                            (User, result.users + result.features.get("demo_users_added", 0)),
                            # The suitability demo adds products of regimes the core catalogue lacks.
                            (Product, result.products + result.features.get("suitability_products_added", 0))):
        assert session.execute(select(func.count()).select_from(model)).scalar_one() == expected


def _fingerprint(engine):
    with Session(engine) as s:
        customers = s.execute(select(Customer.id, Customer.customer_no, Customer.name, Customer.name_pinyin,
                                     Customer.id_number_bidx, Customer.phone_bidx, Customer.segment,
                                     Customer.owner_id, Customer.birth_date).order_by(Customer.id)).all()
        tx = s.execute(select(Transaction.id, Transaction.account_id, Transaction.kind, Transaction.amount,
                              Transaction.booked_at, Transaction.description).order_by(Transaction.id)).all()
        accounts = s.execute(select(Account.id, Account.account_no_bidx, Account.balance, Account.kind)
                             .order_by(Account.id)).all()
        holdings = s.execute(select(Holding.id, Holding.product_id, Holding.quantity, Holding.market_value)
                             .order_by(Holding.id)).all()
    return customers, tx, accounts, holdings


def test_deterministic_for_a_seed(seeded):
    (a, b), _ = seeded
    fa, fb = _fingerprint(a), _fingerprint(b)
    for part_a, part_b in zip(fa, fb):
        assert part_a == part_b
    cipher = get_cipher()
    with Session(a) as sa, Session(b) as sb:
        ta = sa.execute(select(Customer.id_number_enc).order_by(Customer.id)).scalars().all()
        tb = sb.execute(select(Customer.id_number_enc).order_by(Customer.id)).scalars().all()
    assert ta != tb  # fresh nonces ...
    assert ([cipher.decrypt(t, context="customer.id_number") for t in ta]
            == [cipher.decrypt(t, context="customer.id_number") for t in tb])  # ... same plaintexts


def test_another_seed_gives_other_data(env, seeded):
    engine = _fresh_engine(env, "c.db")
    try:
        seed_demo(customers=50, seed=7, anchor=ANCHOR, engine=engine)
        with Session(engine) as s:
            names_other = s.execute(select(Customer.name).order_by(Customer.id)).scalars().all()
    finally:
        engine.dispose()
    names = [row.name for row in _fingerprint(seeded[0][0])[0][:50]]
    assert names_other != names


def test_identity_numbers_valid_unique_and_consistent(session):
    cipher = get_cipher()
    rows = session.execute(select(Customer)).scalars().all()
    numbers = []
    for c in rows:
        number = cipher.decrypt(c.id_number_enc, context="customer.id_number")
        numbers.append(number)
        assert c.id_last4 == number[-4:]
        assert c.id_number_bidx == cipher.blind_index(f"{c.id_type}:{number}", context="customer.id_number")
        if c.kind == "individual":
            assert c.id_type == "resident_id"
            assert normalize_id_number(number) == number
            assert id_number_birth_date(number) == c.birth_date
            assert id_number_gender(number) == c.gender
            age = (ANCHOR - c.birth_date).days / 365.25
            assert 18 <= age < 100
            assert c.segment in ("mass", "affluent", "hnw", "uhnw")
        else:
            assert c.id_type == "uscc" and c.segment == "corporate"
            assert normalize_uscc(number) == number
        if c.phone_enc is not None:
            phone = cipher.decrypt(c.phone_enc, context="customer.phone")
            assert normalize_phone(phone) == phone
            assert c.phone_last4 == phone[-4:]
            assert c.phone_bidx == cipher.blind_index(phone, context="customer.phone")
        assert c.customer_no == f"C{c.id:09d}"
        assert c.created_at.tzinfo is not None
    assert len(set(numbers)) == len(numbers)


def test_account_numbers(session):
    cipher = get_cipher()
    accounts = session.execute(select(Account)).scalars().all()
    kinds = Counter(a.kind for a in accounts)
    assert {"deposit", "wealth", "fund", "credit_card"} <= set(kinds)
    for a in accounts:
        number = cipher.decrypt(a.account_no_enc, context="account.no")
        assert number.isdigit() and 16 <= len(number) <= 19
        assert a.account_no_last4 == number[-4:]
        assert a.account_no_bidx == cipher.blind_index(number, context="account.no")
        assert a.balance >= 0
    individuals = session.execute(select(Customer.id).where(Customer.kind == "individual")).scalars().all()
    with_deposit = set(session.execute(select(Account.customer_id).where(Account.kind == "deposit")).scalars())
    assert set(individuals) <= with_deposit


def test_segment_matches_assets(session):
    assets = Counter()
    for cid, kind, balance in session.execute(select(Account.customer_id, Account.kind, Account.balance)):
        if kind not in ("loan", "credit_card", "insurance"):
            assets[cid] += balance
    for cid, mv in session.execute(select(Holding.customer_id, Holding.market_value)):
        assets[cid] += mv
    for cid, segment in session.execute(select(Customer.id, Customer.segment).where(Customer.kind == "individual")):
        a = assets[cid]
        expected = ("uhnw" if a >= 50_000_000 else "hnw" if a >= 6_000_000
                    else "affluent" if a >= 500_000 else "mass")
        assert segment == expected, (cid, a)
    segments = Counter(session.execute(select(Customer.segment)).scalars())
    assert segments["hnw"] + segments["uhnw"] >= 1


def test_transactions_in_window(session):
    lo, hi, n_naive = session.execute(select(func.min(Transaction.booked_at), func.max(Transaction.booked_at),
                                             func.count())).one()
    start = datetime(2024, 10, 31, 16, tzinfo=timezone.utc)  # 2024-11-01 00:00 Beijing time
    end = datetime(2026, 10, 31, 16, tzinfo=timezone.utc)
    assert start <= lo < hi <= end
    first = session.execute(select(Transaction).order_by(Transaction.id).limit(1)).scalar_one()
    assert first.booked_at.tzinfo is not None and isinstance(first.amount, Decimal)
    kinds = Counter(session.execute(select(Transaction.kind)).scalars())
    assert {"deposit", "withdrawal", "purchase", "card_spend", "interest"} <= set(kinds)
    channels = set(session.execute(select(Transaction.channel).distinct()).scalars())
    assert channels <= {"counter", "mobile", "online", "atm", "pos"}
    # Signed from the account's side, as the ingest requires (services/portfolio/conventions.py): a loan's
    # drawdown is money out of the loan account, a repayment money into it.
    signs = session.execute(select(Transaction.kind, Account.kind, func.min(Transaction.amount),
                                   func.max(Transaction.amount)).join(Account, Account.id == Transaction.account_id)
                            .group_by(Transaction.kind, Account.kind)).all()
    assert {(kind, account) for kind, account, _lo, _hi in signs} >= {("loan_drawdown", "loan"),
                                                                      ("loan_repayment", "loan")}
    for kind, account, lo_amt, hi_amt in signs:
        assert sign_problem(kind, account, lo_amt) is None and sign_problem(kind, account, hi_amt) is None, \
            (kind, account, lo_amt, hi_amt)


def test_the_aum_history_ends_at_the_balances_the_header_shows_and_never_goes_negative(session):
    """The 360 header (balances and holdings today) and the chart beside it (the AUM snapshots) agree: the
    newest month is today's position, every earlier month one the accounts really had (issue 9, point 7)."""
    aum, owed = Counter(), Counter()
    for cid, kind, balance in session.execute(select(Account.customer_id, Account.kind, Account.balance)):
        assert balance >= 0, (cid, kind, balance)  # nobody's account is overdrawn, no loan or card in credit
        if kind in ("loan", "credit_card"):
            owed[cid] += balance
        elif kind != "insurance":
            aum[cid] += balance
    for cid, value in session.execute(select(Holding.customer_id, Holding.market_value)):
        aum[cid] += value
    newest = session.execute(select(func.max(AumSnapshot.month))).scalar_one()
    assert newest == ANCHOR.replace(day=1)
    latest = {cid: (a, li) for cid, a, li in session.execute(
        select(AumSnapshot.customer_id, AumSnapshot.aum, AumSnapshot.liabilities).where(AumSnapshot.month == newest))}
    customers = session.execute(select(Customer.id)).scalars().all()
    assert set(latest) == set(customers)
    assert [cid for cid in customers if latest[cid] != (aum[cid], owed[cid])] == []
    lowest = session.execute(select(func.min(AumSnapshot.aum), func.min(AumSnapshot.liabilities))).one()
    assert lowest[0] >= 0 and lowest[1] >= 0
    months = Counter(session.execute(select(AumSnapshot.customer_id)).scalars())
    assert max(months.values()) == 24


def test_relationships_are_two_way(session):
    rels = session.execute(select(Relationship.customer_id, Relationship.related_customer_id, Relationship.kind)
                           ).all()
    pairs = set(rels)
    mirror = {"spouse": {"spouse"}, "parent": {"child"}, "child": {"parent"},
              # a person's link to a company mirrors the company's named role for that person
              "related_party": {"related_party", "legal_representative", "controller", "beneficial_owner"},
              "legal_representative": {"related_party"}, "controller": {"related_party"},
              "beneficial_owner": {"related_party"}}
    for a, b, kind in rels:
        if kind == "guarantor":  # one-way: the borrower names a guarantor
            continue
        assert any((b, a, m) in pairs for m in mirror[kind]), (a, b, kind)
    owners = dict(session.execute(select(Customer.id, Customer.owner_id)).all())
    for a, b, kind in rels:
        if kind in ("spouse", "parent", "child"):
            assert owners[a] == owners[b]  # one household, one RM
    assert {"spouse", "parent", "child", "related_party", "legal_representative", "guarantor"} <= {
        k for *_, k in rels}


def test_demo_users_sign_in(session):
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    for name in DEMO_USERNAMES + ["auditor"]:
        assert name in users and users[name].is_demo and users[name].is_active
    assert users["admin"].roles == ["admin"]
    assert users["manager"].roles == ["branch_manager"] and users["manager"].branch_id is not None
    assert users["rm"].roles == ["rm"] and users["rm"].team_id is not None
    for name in DEMO_USERNAMES:
        assert verify_password(users[name].password_hash, DEMO_PASSWORD)
    assert not verify_password(users["admin"].password_hash, "wrong-password")
    rms = [u for u in users.values() if u.username.startswith("rm0")]
    assert len(rms) == 60 and all(u.is_demo and u.team_id and u.branch_id for u in rms)
    assert sum("team_lead" in u.roles for u in users.values()) == 12
    assert sum("branch_manager" in u.roles for u in users.values()) == 5


def test_rm_book(session):
    rm = session.execute(select(User).where(User.username == "rm")).scalar_one()
    book = session.execute(select(Customer).where(Customer.owner_id == rm.id)).scalars().all()
    assert len(book) == 80
    assert all(c.kind == "individual" and c.team_id == rm.team_id and c.branch_id == rm.branch_id for c in book)
    zs = [c for c in book if c.name == "张三"]
    assert zs and zs[0].name_pinyin == "zhangsan" and zs[0].name_initials == "zs"
    ids = {c.id for c in book}
    spouses = session.execute(select(Relationship).where(Relationship.kind == "spouse",
                                                         Relationship.customer_id.in_(ids))).scalars().all()
    assert spouses  # a few families


def test_the_readmes_walkthrough_customer_has_tags_with_reasons_and_a_household(session):
    """README: sign in as rm, search `zs`: 张三's 360 page shows his tags, why he has them, and his family."""
    from services.tags.models import CustomerTag, Tag

    rm = session.execute(select(User).where(User.username == "rm")).scalar_one()
    zs = session.execute(select(Customer).where(Customer.owner_id == rm.id, Customer.name == "张三")).scalar_one()
    assert zs.household_id is not None
    family = session.execute(select(Customer.name).where(Customer.household_id == zs.household_id)).scalars().all()
    assert len(family) >= 2
    tags = session.execute(select(Tag.code, CustomerTag.rule_id, CustomerTag.evidence)
                           .join(Tag, Tag.id == CustomerTag.tag_id).where(CustomerTag.customer_id == zs.id)).all()
    assert "hnw_potential" in {code for code, _, _ in tags}
    assert all(rule_id is not None and evidence for _, rule_id, evidence in tags)  # each with its reason


def test_rm_finds_zhang_san_by_pinyin(seeded, session):
    from services.customers.service import search_customers
    from services.db import unit_of_work

    rm = session.execute(select(User).where(User.username == "rm")).scalar_one()
    actor = Actor(kind="user", id=rm.id, name=rm.display_name, roles=frozenset(rm.roles), branch_id=rm.branch_id,
                  team_id=rm.team_id)
    with unit_of_work(seeded[0][0]) as uow:
        for q in ("zs", "zhangs", "张三"):
            page = search_customers(uow=uow, actor=actor, query=q, page=1, page_size=50)
            assert "张三" in [item.name for item in page.items], q


def test_audit_chain(session):
    # Feature seeders go through real use cases (API client, webhook, import), which audit as usual;
    # the seed's own summary event closes the chain.
    events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    assert events[-1].action == "demo.seed" and [e.action for e in events].count("demo.seed") == 1
    assert '"customers":200' in events[-1].changes
    result = verify(session)
    assert result.ok and result.checked == len(events)


def test_if_empty_skips_and_second_seed_refused(seeded):
    engine = seeded[0][0]
    before = _fingerprint(engine)
    skipped = seed_demo(customers=N_CUSTOMERS, anchor=ANCHOR, if_empty=True, engine=engine)
    assert skipped.skipped and "not seeded" in str(skipped)
    with pytest.raises(DemoDataExists):
        seed_demo(customers=10, anchor=ANCHOR, engine=engine)
    assert _fingerprint(engine) == before
    with Session(engine) as s:
        assert verify(s).ok


def test_error_writes_nothing(env, monkeypatch):
    engine = _fresh_engine(env, "fail.db")

    def boom(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(demo_seed.audit, "record", boom)
    try:
        with pytest.raises(RuntimeError):
            seed_demo(customers=30, anchor=ANCHOR, engine=engine)
        with Session(engine) as s:
            for model in (User, Customer, Transaction, Account):
                assert s.execute(select(func.count()).select_from(model)).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_snapshot_is_of_the_clocks_today_unless_an_anchor_is_given(env):
    """A fresh demo is current: its anchor day is today in the firm's time zone (here a leap day, which
    has no twin two years earlier), everything in it lies before that day, and what feature seeders write
    through real use cases is stamped at the anchor, however long the seed takes."""
    from services.imports.models import ImportBatch
    from services.tags.models import CustomerTag

    engine = _fresh_engine(env, "today.db")
    leap_day = date(2028, 2, 29)
    try:
        with clock.fixed(datetime(2028, 2, 29, 1, 30, tzinfo=timezone.utc)):  # 09:30 in Shanghai
            result = seed_demo(customers=40, engine=engine)
        start = clock.start_of_day(leap_day)
        assert result.anchor == leap_day and "as of 2028-02-29" in str(result)
        with Session(engine) as s:
            lo, hi = s.execute(select(func.min(Transaction.booked_at), func.max(Transaction.booked_at))).one()
            assert clock.start_of_day(date(2026, 2, 28)) <= lo < hi < start
            # The core book lies before the day; the AML demo onboards its customers through the use case, at
            # the anchor.
            assert s.execute(select(func.max(Customer.created_at)).where(
                Customer.id <= result.customers)).scalar_one() < start
            assert s.execute(select(func.max(Customer.created_at))).scalar_one() == start
            assert {h for (h,) in s.execute(select(Holding.as_of).distinct())} == {leap_day}
            assert s.execute(select(ImportBatch.created_at)).scalar_one() == start
            assert set(s.execute(select(CustomerTag.applied_at).distinct()).scalars()) <= {start}
            seed_event = s.execute(select(AuditEvent).where(AuditEvent.action == "demo.seed")).scalar_one()
            assert seed_event.occurred_at == start and '"anchor":"2028-02-29"' in seed_event.changes
            assert verify(s).ok
        assert abs(clock.now() - datetime.now(timezone.utc)).total_seconds() < 60  # the fix ended with the seed
    finally:
        engine.dispose()


def test_the_anchor_moves_the_whole_snapshot(seeded, env):
    engine = _fresh_engine(env, "later.db")
    later = date(2027, 6, 15)
    try:
        seed_demo(customers=N_CUSTOMERS, anchor=later, engine=engine)
        with Session(engine) as s:
            lo, hi = s.execute(select(func.min(Transaction.booked_at), func.max(Transaction.booked_at))).one()
            births = s.execute(select(Customer.birth_date).where(Customer.kind == "individual")).scalars().all()
        assert clock.start_of_day(date(2025, 6, 15)) <= lo < hi < clock.start_of_day(later)
        assert all(18 <= (later - b).days / 365.25 < 100 for b in births)
        # the same people as the snapshot of 2026-11-01, a little older
        same = _fingerprint(seeded[0][0])[0]
        assert [c.name for c in same[:20]] == [c.name for c in _fingerprint(engine)[0][:20]]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_seed_on_postgresql(env):
    """Same seed on PostgreSQL; the id sequences must move past the ids the seeder assigned."""
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    pg_url = os.environ.get("FINCRM_TEST_DATABASE_URL")
    if not pg_url:
        pytest.skip("PostgreSQL not configured: set FINCRM_TEST_DATABASE_URL")
    base = make_url(pg_url)
    name = f"fincrm_seed_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        migrations.upgrade(url)
        engine = make_engine(url)
        result = seed_demo(customers=60, anchor=ANCHOR, engine=engine)
        sqlite_engine = _fresh_engine(env, "pg-compare.db")
        try:
            seed_demo(customers=60, anchor=ANCHOR, engine=sqlite_engine)
            assert _fingerprint(engine)[0] == _fingerprint(sqlite_engine)[0]
        finally:
            sqlite_engine.dispose()
        with Session(engine) as s:
            assert s.execute(select(func.count()).select_from(Transaction)).scalar_one() == (
                result.transactions + result.features.get("tag_demo_deposits", 0)
                + result.features.get("aml_demo_transactions", 0))
            assert verify(s).ok
            u = User(username="after_seed", display_name="x", password_hash="x", roles=["ops"])
            s.add(u)
            s.flush()
            assert u.id > result.users
            s.rollback()
        assert seed_demo(customers=60, anchor=ANCHOR, if_empty=True, engine=engine).skipped
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
