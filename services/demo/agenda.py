"""Demo data for the agenda (issue 14): the demo `rm` opens the app to a day with each kind of reminder.

Tasks due today and overdue come from services/demo/activities.py, assessments about to expire from
services/demo/suitability.py and customers overdue a follow-up from the core seed's interaction history; what no
other module guarantees is a birthday in the coming week whatever the anchor day. When none of rm's individual
customers has one, the seeder moves the birthday of one of them (not the walkthrough's 张三) to two days after
the anchor, keeping the year, with the ID number that goes with it (the ID number carries the birth date).

Product maturities and KYC reviews: every holding of a fixed-term product gets the day it matures (within its term
from the anchor) and every customer whose KYC is verified the day of the next periodic review (sooner for a higher
AML risk); two of rm's fixed-term holdings mature within the maturity rule's lead days and two of rm's customers are
due a KYC review within its lead days (one of them a few days overdue), so the agenda shows both kinds and the menu's
badge counts them. The demo users get e-mail addresses (<username>@demo.fincrm.local) for the reminders' mail.
Then the reminders engine's pass runs once, as the scheduler would on the anchor day, so the reminders are there
before the app first starts."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from services import clock
from services.agenda import jobs
from services.customers import pii
from services.customers.search import ID_CONTEXT
from services.customers.models import Customer
from services.portfolio.models import Holding, Product
from services.security.keys import get_cipher
from services.security.models import User
from services.validation.identity import make_id_number

BIRTHDAY_IN_DAYS = 2


def _birthday(year: int, born: date) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def _upcoming(born: date, today: date) -> int:
    days = (_birthday(today.year, born) - today).days
    return days if days >= 0 else (_birthday(today.year + 1, born) - today).days


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict:
    today = clock.local_date(anchor)
    rm = session.execute(select(User.id).where(User.username == "rm")).scalar()
    book = [] if rm is None else session.execute(
        select(Customer.id, Customer.name, Customer.birth_date, Customer.id_number_enc, Customer.id_type)
        .where(Customer.owner_id == rm, Customer.kind == "individual", Customer.birth_date.is_not(None),
               Customer.id_type == "resident_id")
        .order_by(Customer.id)).all()
    moved = 0
    if book and not any(_upcoming(born, today) < 7 for _, _, born, _, _ in book):
        moved = _move_a_birthday(session, rng, book, today)
    maturities = _maturities(session, rng, today, rm)
    reviews = _kyc_reviews(session, rng, today, rm)
    for uid, username in session.execute(select(User.id, User.username).where(User.is_demo.is_(True))).all():
        session.execute(update(User).where(User.id == uid, User.email.is_(None))
                        .values(email=f"{username}@demo.fincrm.local"))
    made = jobs.run_rules(session, today)["made"]
    return {"agenda birthdays moved": moved, "holdings with a maturity": maturities, "KYC reviews dated": reviews,
            "reminders": made}


MATURING_SOON = (5, 12)  # days from the anchor: inside the shipped maturity rule's 14 days
KYC_SOON = (-3, 18)  # days from the anchor: one overdue, one inside the shipped KYC rule's 30 days
KYC_YEARS = {"high": 1, "medium": 2, "low": 3}


def _maturities(session: Session, rng: random.Random, today: date, rm: int | None) -> int:
    rows = session.execute(select(Holding.id, Holding.customer_id, Product.term_days)
                           .join(Product, Product.id == Holding.product_id)
                           .where(Product.term_days.is_not(None), Product.product_type != "loan")
                           .order_by(Holding.id)).all()
    days = {hid: rng.randint(1, max(2, min(term, 720))) for hid, _cid, term in rows}
    if rm is not None:
        mine = [hid for hid, cid in session.execute(
            select(Holding.id, Holding.customer_id).join(Customer, Customer.id == Holding.customer_id)
            .where(Customer.owner_id == rm, Holding.id.in_(list(days))).order_by(Holding.id)).all()]
        for hid, soon in zip(rng.sample(mine, min(len(mine), len(MATURING_SOON))), MATURING_SOON):
            days[hid] = soon
    for hid, n in days.items():
        session.execute(update(Holding).where(Holding.id == hid).values(maturity_on=today + timedelta(days=n)))
    return len(days)


def _kyc_reviews(session: Session, rng: random.Random, today: date, rm: int | None) -> int:
    rows = session.execute(select(Customer.id, Customer.owner_id, Customer.aml_risk, Customer.name)
                           .where(Customer.kyc_status == "verified").order_by(Customer.id)).all()
    due = {cid: today + timedelta(days=rng.randint(35, 365 * KYC_YEARS.get(risk or "low", 3)))
           for cid, _owner, risk, _name in rows}
    mine = [cid for cid, owner, _risk, name in rows if owner == rm and name != "张三"]
    for cid, soon in zip(rng.sample(mine, min(len(mine), len(KYC_SOON))), KYC_SOON):
        due[cid] = today + timedelta(days=soon)
    for cid, day in due.items():
        session.execute(update(Customer).where(Customer.id == cid).values(kyc_review_due=day))
    return len(due)


def _move_a_birthday(session: Session, rng: random.Random, book: list, today: date) -> int:
    candidates = [row for row in book if row[1] != "张三"] or book
    cid, _name, born, token, id_type = candidates[rng.randrange(len(candidates))]
    target = today + timedelta(days=BIRTHDAY_IN_DAYS)
    new_birth = _birthday(born.year, target)  # 29 February to the 28th in a common birth year: still this week
    old = get_cipher().decrypt(token, context=ID_CONTEXT)
    new_number = make_id_number(old[:6], new_birth, int(old[14:17]))
    session.execute(update(Customer).where(Customer.id == cid).values(
        birth_date=new_birth, **pii.id_number_columns(id_type, new_number)))
    return 1
