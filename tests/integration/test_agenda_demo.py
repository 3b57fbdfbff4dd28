"""The agenda's demo data (issue 14): whatever day the demo is seeded on, the demo `rm` opens the app to tasks
due today and overdue and to each kind of reminder (a birthday this week, an assessment about to expire, a
customer due a follow-up), and a birthday moved for it keeps the customer's ID number in step."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlmodel import Session

from services import clock, migrations
from services.agenda import service as agenda
from services.customers.models import Customer
from services.customers.pii import stored_id_number
from services.db import UnitOfWork, make_engine
from services.demo.seed import seed_demo
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings
from services.validation.identity import id_number_birth_date

# A day on which no customer of rm's has a birthday in the coming week in this seed would need the move; any day
# works for the assertions.
ANCHOR = date(2026, 7, 14)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("agenda-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        seed_demo(customers=150, anchor=ANCHOR, engine=engine)
        yield engine
        engine.dispose()
    reset_settings()


def test_the_demo_rms_day(demo_engine):
    with clock.fixed(datetime(2026, 7, 14, 2, 0, tzinfo=timezone.utc)), demo_engine.connect() as conn:
        with Session(conn) as s:
            rm = actor_for_user(s.execute(select(User).where(User.username == "rm")).scalar_one())
        with UnitOfWork(conn) as uow:
            day = agenda.my_day(uow=uow, actor=rm)
    assert day.tasks and any(not t.overdue for t in day.tasks) and day.overdue > 0
    kinds = {r.kind for r in day.reminders}
    assert {"birthday", "assessment_expiry", "follow_up", "product_maturity", "kyc_review"} <= kinds
    maturities = [r for r in day.reminders if r.kind == "product_maturity"]
    assert len(maturities) >= 2 and all(0 < r.days <= 14 and r.product for r in maturities)
    reviews = sorted(r.days for r in day.reminders if r.kind == "kyc_review")
    assert len(reviews) >= 2 and reviews[0] < 0 and all(d <= 30 for d in reviews)
    with demo_engine.connect() as conn, UnitOfWork(conn) as uow:
        assert agenda.open_reminders_count(uow=uow, actor=rm) >= len(day.reminders) > 0  # the menu's badge
    assert day.callable


def test_birthdays_agree_with_id_numbers(demo_engine):
    with Session(demo_engine) as s:
        rm = s.execute(select(User.id).where(User.username == "rm")).scalar_one()
        for c in s.execute(select(Customer).where(Customer.owner_id == rm, Customer.id_type == "resident_id")).scalars():
            assert id_number_birth_date(stored_id_number(c)) == c.birth_date, c.name
