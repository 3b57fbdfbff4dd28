"""Demo data for the agenda (issue 14): the demo `rm` opens the app to a day with each kind of reminder.

Tasks due today and overdue come from services/demo/activities.py, assessments about to expire from
services/demo/suitability.py and customers overdue a follow-up from the core seed's interaction history; what no
other module guarantees is a birthday in the coming week whatever the anchor day. When none of rm's individual
customers has one, the seeder moves the birthday of one of them (not the walkthrough's 张三) to two days after
the anchor, keeping the year, with the ID number that goes with it (the ID number carries the birth date).
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
    made = jobs.run_rules(session, today)["made"]
    return {"agenda birthdays moved": moved, "reminders": made}


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
