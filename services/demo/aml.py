"""Demo data for AML, so that `compliance` finds a working queue right after `make run`.

Through the real use cases and handlers, in the seed's transaction: the shipped lists (OFAC SDN as of
2024-05-03, the UN consolidated list of 2018; services/demo/watchlists) and a small internal list are loaded;
every demo customer is screened and rated; customers whose names are variants of listed names are onboarded
(and screened at onboarding: a reordered Arabic name with its birth date, a Chinese name written in characters
against its pinyin listing, a transliteration, an initial); monitoring starts from the seeded history, then
a batch of transactions that trips each rule arrives (large cash, a cross-border transfer, structuring, rapid
in-and-out, a dormant account waking up, a payment to a listed counterparty) and becomes alerts and cases.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, update

from services.aml import service as aml
from services.aml.models import Case, MonitorMark, ScreeningHit
from services.customers import service as customers
from services.customers.models import Customer
from services.demo.unit_of_work import SeedUnitOfWork
from services.portfolio.events import TransactionsIngested
from services.portfolio.models import Account, Holding, Transaction
from services.security import audit
from services.security.actor import SYSTEM
from services.security.models import User
from services.validation.identity import make_id_number

WATCHLISTS = Path(__file__).resolve().parent / "watchlists"
LISTS = ("ofac_sdn_2024-05-03.csv", "un_consolidated_2018-08-24.xml")
INTERNAL = ("entry_id,name,aliases,kind,birth_date,nationality,program,remarks\n"
            "FIRM-001,周永康,Zhou Yongkang,person,,cn,internal,前客户：涉嫌洗钱，禁止开户\n"
            "FIRM-002,金莲贸易有限公司,Golden Lotus Trading Co Ltd,entity,,hk,internal,空壳公司 shell company\n"
            "FIRM-003,Ivan Petrovich Sidorov,Ivan Sidorov,person,1970-03-02,ru,internal,fraud ring\n")

# (name as the customer gives it, birth date, what it is a variant of)
VARIANTS = [
    ("Musa Mohamed Abu Marzuk", date(1951, 2, 9), "OFAC 3754 ABU MARZOOK, Mousa Mohammed: reordered, transliterated"),
    ("李方伟", date(1965, 5, 1), "OFAC 11447 LI, Fangwei: Chinese characters against the pinyin listing"),
    ("Kim Sok Chol", date(1955, 5, 8), "UN 6908568 KIM SOK CHOL, with the listed birth date"),
    ("A. Al-Zawahiri", date(1951, 6, 19), "OFAC AL ZAWAHIRI, Dr. Ayman: an initial"),
    ("Ivan Sidorov", date(1970, 3, 2), "the firm's own list"),
    ("张伟", date(1988, 11, 2), "OFAC ZHANG, Wei: a common name (a likely false positive for review)"),
]


def _individual_id(birth: date, seq: int) -> str:
    return make_id_number("110105", birth, 900 + seq)


def seed(session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    uow = SeedUnitOfWork(session)
    for name in LISTS:
        aml.load_list(uow=uow, actor=SYSTEM, content=(WATCHLISTS / name).read_bytes(), rescreen=False)
    aml.load_list(uow=uow, actor=SYSTEM, content=INTERNAL.encode(), code="internal", name="本行内部名单 Internal list",
                  rescreen=False)
    # Every demo customer screened and rated, as the re-screening after a list load does.
    ids = list(session.execute(select(Customer.id).order_by(Customer.id)).scalars())
    for i in range(0, len(ids), 500):
        aml.screen_customers(session, ids[i:i + 500], rate_inline=True)

    # Onboarded by a colleague of the demo `rm` (whose book stays the 80 customers the demo promises).
    rm_team = session.execute(select(User.team_id).where(User.username == "rm")).scalar()
    rm = next((u.id for u in session.execute(select(User).where(User.team_id == rm_team, User.username != "rm")
                                             .order_by(User.id)).scalars() if "rm" in (u.roles or [])), None)
    if rm is None:
        rm = session.execute(select(User.id).where(User.username == "rm")).scalar()
    made = []
    for seq, (name, birth, _why) in enumerate(VARIANTS, start=1):
        profile = customers.create_customer(uow=uow, actor=SYSTEM, source="demo", data={
            "name": name, "id_type": "resident_id", "id_number": _individual_id(birth, seq), "owner_id": rm,
            "phone": f"1390000{seq:04d}"})
        made.append(profile.id)
    _open_deposit_accounts(session, made, anchor, rng)

    # Monitoring starts from here: the seeded history counts as already looked at.
    marks = session.execute(select(Transaction.customer_id, func.max(Transaction.id)).group_by(Transaction.customer_id)
                            ).all()
    if marks:
        session.execute(insert(MonitorMark.__table__), [{"customer_id": c, "last_transaction_id": t} for c, t in marks])
    alerts, booked = _trip_every_rule(session, uow, rng, anchor, made)
    _assign_some(session, rng)
    return {"aml_lists": 3, "aml_variant_customers": len(made), "aml_variant_accounts": len(made),
            "aml_demo_transactions": booked, "aml_cases": alerts,
            "aml_open_hits": session.execute(select(func.count()).select_from(ScreeningHit)
                                             .where(ScreeningHit.status == "open")).scalar()}


def _open_deposit_accounts(session, customer_ids: list[int], anchor: datetime, rng: random.Random) -> None:
    """Every demo individual banks with us: a debit account each (19 digits, Luhn-checked, like the seed's)."""
    from services.customers.search import ACCOUNT_NO_CONTEXT
    from services.security.keys import get_cipher

    cipher = get_cipher()
    rows = []
    for cid in customer_ids:
        branch = session.execute(select(Customer.branch_id).where(Customer.id == cid)).scalar()
        body = "621485" + f"{rng.randrange(10**12):012d}"
        digits = [int(d) for d in body][::-1]
        check = (10 - sum(d if i % 2 else sum(divmod(2 * d, 10)) for i, d in enumerate(digits)) % 10) % 10
        number = body + str(check)
        rows.append({"customer_id": cid, "kind": "deposit", "currency": "CNY", "branch_id": branch,
                     "account_no_enc": cipher.encrypt(number, context=ACCOUNT_NO_CONTEXT),
                     "account_no_bidx": cipher.blind_index(number, context=ACCOUNT_NO_CONTEXT),
                     "account_no_last4": number[-4:], "balance": Decimal(rng.randrange(2_000, 60_000)),
                     "opened_on": (anchor - timedelta(days=rng.randrange(30, 900))).date(), "status": "open"})
    if rows:
        session.execute(insert(Account.__table__), rows)


def _deposit_account(session, customer_id: int) -> int | None:
    return session.execute(select(Account.id).where(Account.customer_id == customer_id, Account.kind == "deposit",
                                                    Account.currency == "CNY").order_by(Account.id).limit(1)).scalar()


def _same_band(session, customer_id: int, extra: Decimal) -> bool:
    """Adding `extra` to the customer's assets keeps him in his segment's band (500k / 6M / 50M)."""
    assets = sum(session.execute(select(Account.balance).where(
        Account.customer_id == customer_id, Account.kind.notin_(("loan", "credit_card", "insurance")))).scalars(),
        Decimal(0))
    assets += sum(session.execute(select(Holding.market_value).where(Holding.customer_id == customer_id)).scalars(),
                  Decimal(0))
    return all((assets >= band) == (assets + extra >= band) for band in (500_000, 6_000_000, 50_000_000))


def _trip_every_rule(session, uow, rng: random.Random, anchor: datetime, made: list[int]) -> tuple[int, int]:
    """Book a batch that trips every rule; returns (cases opened, transactions booked)."""
    individuals = list(session.execute(
        select(Customer.id).join(Account, Account.customer_id == Customer.id)
        .where(Customer.kind == "individual", Customer.status == "active", Account.kind == "deposit")
        .distinct().order_by(Customer.id).limit(400)).scalars())
    rng.shuffle(individuals)
    # Money sent out comes from a balance that holds it: the demo's accounts never go below zero.
    balance = dict(session.execute(select(Account.customer_id, func.min(Account.balance)).where(
        Account.customer_id.in_(individuals), Account.kind == "deposit").group_by(Account.customer_id)).all())
    cutoff = anchor - timedelta(days=200)
    # A dormant customer the reactivating transfer leaves in his segment (the demo's segments follow assets).
    asleep = session.execute(
        select(Transaction.customer_id).group_by(Transaction.customer_id)
        .having(func.max(Transaction.booked_at) < cutoff).order_by(Transaction.customer_id).limit(50)).scalars().all()
    dormant = next((cid for cid in asleep if _same_band(session, cid, Decimal("120000.00"))), None)
    rows: list[dict] = []
    ext = iter(range(1, 10_000))

    def book(cid, kind, amount, hours_ago, channel, counterparty=None, country=None):
        acc = _deposit_account(session, cid)
        if acc is None:
            return
        at = anchor - timedelta(hours=hours_ago)
        rows.append({"account_id": acc, "customer_id": cid, "product_id": None, "kind": kind,
                     "amount": Decimal(amount), "currency": "CNY", "booked_at": at, "channel": channel,
                     "description": None, "counterparty_name": counterparty, "counterparty_country": country,
                     "source": "demo", "external_ref": f"amldemo-{next(ext)}", "created_at": at})

    def covering(amount: int, taken: list[int]) -> int | None:
        return next((i for i in individuals if i not in taken and balance.get(i, 0) >= amount), None)

    a, c, d = individuals[0], individuals[2], individuals[3]
    b = covering(300_000, [a, c, d])  # sends 260,000 abroad
    e = covering(10_000, [a, b, c, d])  # pays 3,000 to a listed bank
    book(a, "deposit", "68000.00", 30, "counter")  # large cash deposit (PBoC Art. 5)
    book(b, "transfer_in", "300000.00", 130, "online", "北京某投资有限公司", "cn")  # the money it sends on
    book(b, "transfer_out", "-260000.00", 50, "online", "Hong Kong Pearl Trading Ltd", "hk")  # cross-border
    for day, amount in ((4, "45000.00"), (3, "48500.00"), (1, "49800.00")):  # structuring
        book(c, "deposit", amount, day * 24 + 2, "counter")
    book(d, "transfer_in", "900000.00", 40, "online", "深圳某科技有限公司", "cn")  # rapid in-and-out
    book(d, "transfer_out", "-420000.00", 30, "online", "Golden Lotus Trading Co Ltd", "hk")
    book(d, "transfer_out", "-400000.00", 26, "online", "Golden Lotus Trading Co Ltd", "hk")
    book(e, "transfer_in", "5000.00", 30, "mobile", "张某", "cn")
    book(e, "transfer_out", "-3000.00", 10, "mobile", "Banco Nacional de Cuba", "cu")  # listed counterparty
    if dormant is not None:
        book(dormant, "transfer_in", "120000.00", 20, "online", "王某", "cn")  # dormant reactivation
    book(made[0], "deposit", "52000.00", 6, "counter")
    if not rows:
        return 0, 0
    session.execute(insert(Transaction.__table__), rows)
    for r in rows:
        session.execute(update(Account).where(Account.id == r["account_id"])
                        .values(balance=Account.balance + r["amount"]))
    touched = tuple(sorted({r["customer_id"] for r in rows}))
    audit.record(session, SYSTEM, "transaction.ingest", entity_type="demo", entity_id=None,
                 changes={"accepted": len(rows), "customers": len(touched), "source": "demo.aml"})
    before = session.execute(select(func.count()).select_from(Case)).scalar()
    uow.publish(TransactionsIngested(customer_ids=touched, count=len(rows), source="demo"))
    return session.execute(select(func.count()).select_from(Case)).scalar() - before, len(rows)


def _assign_some(session, rng: random.Random) -> None:
    """Half the open work assigned to `compliance`, the rest waiting for someone to take it."""
    officer = session.execute(select(User.id).where(User.username == "compliance")).scalar()
    if officer is None:
        return
    hits = list(session.execute(select(ScreeningHit).where(ScreeningHit.status == "open")
                                .order_by(ScreeningHit.id)).scalars())
    cases = list(session.execute(select(Case).where(Case.status == "open").order_by(Case.id)).scalars())
    for row in hits[::2] + cases[::2]:
        row.assigned_to = officer
        session.add(row)
    session.flush()
    audit.record(session, SYSTEM, "aml.assign", entity_type="demo", entity_id=None,
                 changes={"hits": len(hits[::2]), "cases": len(cases[::2]), "to": "compliance"})
