"""The RM's day (issue 14): today's and overdue tasks, reminders from the data (assessments about to expire,
birthdays in the coming week, customers due a follow-up by their segment's cadence) for the actor's own book,
and the call button's number going only to the dialler, audited, refused outside the scope and for customers who
asked not to be contacted."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from services import clock
from services.activities import service as interactions
from services.activities import tasks
from services.agenda import service as agenda
from services.agenda.views import ReminderKind
from services.customers import consent
from services.customers.models import Customer
from services.errors import NotPermitted, OutOfScope
from services.security.models import AuditEvent
from services.agenda import jobs
from services.agenda.models import Reminder
from conftest import valid_id

# 10:00 in Shanghai on 2026-11-20 (02:00 UTC).
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _clock():
    with clock.fixed(NOW):
        yield


def _set(connection, customer_id: int, **values) -> None:
    connection.execute(update(Customer).where(Customer.id == customer_id).values(**values))


@pytest.fixture
def book(connection, uow_factory, actors, new_customer):
    """rm_a1's customers: 王芳 (birthday in 3 days, assessment expiring in 10 days), 李雷 (high net worth, last
    contacted 40 days ago), 韩梅 (mass segment, never contacted: not chased), 周杰 (high net worth, asked not to be
    contacted); rm_a1b's 赵强 (birthday today: not rm_a1's day)."""
    with clock.fixed(NOW - timedelta(days=200)):
        wang = new_customer("rm_a1", name="王芳", id_number=valid_id(101, birth=date(1980, 11, 23)))
        li = new_customer("rm_a1", name="李雷", segment="hnw")
        han = new_customer("rm_a1", name="韩梅")
        zhou = new_customer("rm_a1", name="周杰", segment="hnw")
        zhao = new_customer("rm_a1b", name="赵强", id_number=valid_id(102, birth=date(1990, 11, 20)))
    _set(connection, wang.id, risk_level="C3", risk_valid_until=TODAY + timedelta(days=10))
    with uow_factory() as uow:
        interactions.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=li.id, data={
            "kind": "call", "subject": "季度回访", "occurred_at": (NOW - timedelta(days=40)).isoformat()})
        for c in (wang, han):
            interactions.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=c.id, data={
                "kind": "visit", "subject": "上门", "occurred_at": (NOW - timedelta(days=2)).isoformat()})
        consent.record_consent(uow=uow, actor=actors["rm_a1"], customer_id=zhou.id,
                               data={"purpose": "contact", "granted": False, "channel": "phone"})
        uow.commit()
    with clock.fixed(NOW - timedelta(days=2)):
        with uow_factory() as uow:
            overdue = tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=li.id,
                                     data={"title": "寄送资料", "due_at": (NOW - timedelta(days=1)).isoformat()})
            uow.commit()
    with uow_factory() as uow:
        today = tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=wang.id,
                               data={"title": "确认面谈时间", "due_at": (NOW + timedelta(hours=3)).isoformat()})
        tasks.add_task(uow=uow, actor=actors["rm_a1"], customer_id=han.id,
                       data={"title": "下周的事", "due_at": (NOW + timedelta(days=5)).isoformat()})
        uow.commit()
    _pass(uow_factory)
    return {"wang": wang.id, "li": li.id, "han": han.id, "zhou": zhou.id, "zhao": zhao.id,
            "overdue_task": overdue.id, "today_task": today.id}


def _pass(uow_factory) -> dict:
    """The reminders engine's scheduled pass (services/agenda/jobs.py), as the scheduler runs it."""
    with uow_factory() as uow:
        counts = jobs.run_rules(uow.session)
        uow.commit()
    return counts


def _day(uow_factory, actor):
    with uow_factory() as uow:
        return agenda.my_day(uow=uow, actor=actor)


def test_my_day(uow_factory, actors, book) -> None:
    day = _day(uow_factory, actors["rm_a1"])
    assert day.day == TODAY
    assert [t.id for t in day.tasks] == [book["overdue_task"], book["today_task"]]  # overdue first; not next week's
    assert day.overdue == 1 and day.tasks[0].overdue
    got = [(r.kind, r.customer_id, r.days) for r in day.reminders]
    # Soonest first: the birthday in 3 days, the assessment in 10, the follow-up that fell due 10 days ago (now).
    assert got == [(ReminderKind.FOLLOW_UP, book["li"], -10), (ReminderKind.BIRTHDAY, book["wang"], 3),
                   (ReminderKind.ASSESSMENT_EXPIRY, book["wang"], 10)]
    birthday = day.reminders[1]
    assert birthday.due_on == date(2026, 11, 23) and birthday.age == 46
    follow_up = day.reminders[0]
    assert follow_up.last_contact == date(2026, 10, 11) and follow_up.segment == "hnw"
    # Callable: a phone on file, shown as the RM sees it (masked); 周杰 asked not to be contacted and is not chased.
    assert set(day.callable) == {book["li"], book["wang"]}
    assert all("****" in phone for phone in day.callable.values())
    assert book["zhou"] not in {r.customer_id for r in day.reminders}


def test_the_day_is_the_actors_own_book(uow_factory, actors, book) -> None:
    colleague = _day(uow_factory, actors["rm_a1b"])
    assert [(r.kind, r.customer_id, r.days) for r in colleague.reminders] == [
        (ReminderKind.BIRTHDAY, book["zhao"], 0)]
    assert colleague.tasks == []
    # A team lead sees the team's customers in lists, but the agenda is the lead's own book: empty here.
    assert _day(uow_factory, actors["lead_a1"]).reminders == []
    with pytest.raises(NotPermitted):
        with uow_factory() as uow:
            agenda.my_day(uow=uow, actor=dataclasses.replace(actors["rm_a1"], roles=frozenset()))


def test_reminders_resolve_when_their_reason_goes(connection, uow_factory, actors, book) -> None:
    """A renewed assessment, a customer contacted: the next pass resolves their reminders; a new due day of the
    follow-up comes when the new cadence runs out."""
    _set(connection, book["wang"], risk_valid_until=TODAY + timedelta(days=365))
    with uow_factory() as uow:
        interactions.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=book["li"],
                                     data={"kind": "call", "subject": "回访"})
        uow.commit()
    assert _pass(uow_factory) == {"made": 0, "resolved": 2}
    assert [(r.kind, r.customer_id) for r in _day(uow_factory, actors["rm_a1"]).reminders] == [
        (ReminderKind.BIRTHDAY, book["wang"])]
    assert _pass(uow_factory) == {"made": 0, "resolved": 0}  # nothing twice


def test_a_pass_makes_each_reminder_once(connection, uow_factory, book) -> None:
    assert _pass(uow_factory) == {"made": 0, "resolved": 0}
    rows = connection.execute(select(Reminder.rule_code, Reminder.customer_id, Reminder.due_on)).all()
    assert len(rows) == len(set(rows)) == 4  # li's follow-up, wang's birthday and assessment, zhao's birthday


def test_rules_are_data(connection, uow_factory, actors, book) -> None:
    """A rule switched off shows nothing; a longer lead time reminds earlier."""
    from services.agenda.models import ReminderRule

    connection.execute(update(ReminderRule).where(ReminderRule.code == "birthday_week").values(active=False))
    assert ReminderKind.BIRTHDAY not in {r.kind for r in _day(uow_factory, actors["rm_a1"]).reminders}
    connection.execute(update(ReminderRule).where(ReminderRule.code == "assessment_expiry_30d").values(lead_days=5))
    _set(connection, book["han"], risk_level="C2", risk_valid_until=TODAY + timedelta(days=4))
    assert _pass(uow_factory)["made"] == 1
    connection.execute(update(ReminderRule).where(ReminderRule.code == "follow_up_cadence")
                       .values(params={"cadence_days": {"mass": 1}}))
    # han and wang (mass, contacted two days ago) are now due, and rm_a1b's zhao (never contacted); li no longer
    assert _pass(uow_factory)["made"] == 3
    kinds = {(r.kind, r.customer_id) for r in _day(uow_factory, actors["rm_a1"]).reminders}
    assert (ReminderKind.FOLLOW_UP, book["han"]) in kinds and (ReminderKind.FOLLOW_UP, book["li"]) not in kinds


def test_dismiss(connection, uow_factory, actors, book) -> None:
    day = _day(uow_factory, actors["rm_a1"])
    birthday = next(r for r in day.reminders if r.kind == ReminderKind.BIRTHDAY)
    with pytest.raises(OutOfScope):  # not rm_a1b's customer
        with uow_factory() as uow:
            agenda.dismiss_reminder(uow=uow, actor=actors["rm_a1b"], reminder_id=birthday.id)
    with uow_factory() as uow:
        agenda.dismiss_reminder(uow=uow, actor=actors["rm_a1"], reminder_id=birthday.id)
        uow.commit()
    assert birthday.id not in {r.id for r in _day(uow_factory, actors["rm_a1"]).reminders}
    assert _pass(uow_factory) == {"made": 0, "resolved": 0}  # a dismissed reminder is not made again


def test_29_february_birthdays_kept_on_the_28th() -> None:
    assert agenda.birthday_in(2027, date(1988, 2, 29)) == date(2027, 2, 28)
    assert agenda.birthday_in(2028, date(1988, 2, 29)) == date(2028, 2, 29)


def test_birthdays_across_the_new_year(connection, uow_factory, actors, new_customer) -> None:
    c = new_customer("rm_a1", name="元旦", id_number=valid_id(201, birth=date(1970, 1, 2)))
    with clock.fixed(datetime(2026, 12, 29, 2, 0, tzinfo=timezone.utc)):
        _pass(uow_factory)
        day = _day(uow_factory, actors["rm_a1"])
    birthday = next(r for r in day.reminders if r.kind == ReminderKind.BIRTHDAY)
    assert (birthday.customer_id, birthday.due_on, birthday.days, birthday.age) == (c.id, date(2027, 1, 2), 4, 57)


def test_dial(connection, uow_factory, actors, book) -> None:
    with uow_factory() as uow:
        uri = agenda.dial(uow=uow, actor=actors["rm_a1"], customer_id=book["li"])
        uow.commit()
    assert uri.startswith("tel:1380013") and len(uri) == len("tel:") + 11
    entity_id, changes = connection.execute(select(AuditEvent.entity_id, AuditEvent.changes)
                                            .where(AuditEvent.action == "customer.dial")).one()
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert entity_id == str(book["li"]) and "****" in changes["phone"]


def test_dial_refused(connection, uow_factory, actors, book) -> None:
    with pytest.raises(OutOfScope):  # another RM's customer
        with uow_factory() as uow:
            agenda.dial(uow=uow, actor=actors["rm_a1"], customer_id=book["zhao"])
    with pytest.raises(agenda.DoNotContact):
        with uow_factory() as uow:
            agenda.dial(uow=uow, actor=actors["rm_a1"], customer_id=book["zhou"])
    with pytest.raises(NotPermitted):  # auditors read, they do not call customers
        with uow_factory() as uow:
            agenda.dial(uow=uow, actor=actors["auditor"], customer_id=book["li"])
    assert connection.execute(select(AuditEvent).where(AuditEvent.action == "customer.dial")).first() is None


def test_dial_uri() -> None:
    assert agenda.dial_uri("+86 138-0013-8000") == "tel:+8613800138000"
    assert agenda.dial_uri("(010) 6552 1234") == "tel:01065521234"
    with pytest.raises(Exception):
        agenda.dial_uri("n/a")


# ---------------------------------------------------------------- the page's state


def _call(state, name: str, *args):
    import asyncio

    from state.agenda import AgendaState

    out = getattr(AgendaState, name).fn(state, *args)
    return asyncio.run(out) if asyncio.iscoroutine(out) else out


def test_agenda_page_state(page_state, actors, book) -> None:
    from state.agenda import AgendaState

    s = page_state(AgendaState, actors["rm_a1"])
    _call(s, "load")
    assert s.loaded and s.error == ""
    _call(s, "change_locale", "zh_CN")
    assert s.day == "2026年11月20日星期五"
    assert [t["id"] for t in s.tasks] == [str(book["overdue_task"]), str(book["today_task"])]
    assert s.overdue == "1 项已逾期"
    assert s.tasks[0]["call_href"] == f"/call/{book['li']}" and "****" in s.tasks[0]["call_label"]
    assert [(r["kind"], r["when"]) for r in s.reminders] == [
        ("follow_up", "已逾期 10 天"), ("birthday", "3 天后"), ("assessment_expiry", "10 天后")]
    assert s.reminders[1]["text"] == "2026年11月23日 生日，46 岁"
    assert "高净值每 30 天回访一次" in s.reminders[0]["text"]
    # No phone number in full anywhere in what the page holds.
    assert "13800130" not in repr(s.tasks) + repr(s.reminders)

    _call(s, "change_locale", "en")
    assert s.day == "Friday, November 20, 2026" and s.overdue == "1 overdue"
    assert [r["when"] for r in s.reminders] == ["10 days overdue", "In 3 days", "In 10 days"]

    # Done: only a task the page shows; the service completes it.
    _call(s, "complete", "999999")
    assert s.error != ""
    _call(s, "complete", str(book["today_task"]))
    assert [t["id"] for t in s.tasks] == [str(book["overdue_task"])] and s.error == ""
    # Dismiss: only a reminder the page shows.
    _call(s, "dismiss", "999999")
    assert s.error != ""
    _call(s, "dismiss", s.reminders[1]["reminder"])
    assert [r["kind"] for r in s.reminders] == ["follow_up", "assessment_expiry"] and s.error == ""


def test_agenda_page_state_for_someone_without_a_book(page_state, actors, book) -> None:
    from state.agenda import AgendaState

    s = page_state(AgendaState, actors["admin"])
    _call(s, "load")
    assert s.tasks == [] and s.reminders == [] and s.loaded


def test_agenda_reschedule_and_log_a_visit(connection, page_state, actors, book) -> None:
    from services.activities.models import Interaction, Task
    from state.agenda import AgendaState

    s = page_state(AgendaState, actors["rm_a1"])
    _call(s, "load")
    # Reschedule: only a task the page shows, into the future.
    _call(s, "open_reschedule", "999999")
    assert s.dialog == "" and s.error != ""
    _call(s, "open_reschedule", str(book["today_task"]))
    assert s.dialog == "reschedule" and s.dialog_due == "2026-11-20T13:00"
    _call(s, "reschedule", {"due_at": "2026-11-19T09:00"})
    assert s.dialog == "reschedule" and s.dialog_error != ""  # the past is refused, the dialog stays
    _call(s, "reschedule", {"due_at": "2026-11-23T09:30"})
    assert s.dialog == "" and str(book["today_task"]) not in {t["id"] for t in s.tasks}
    due = connection.execute(select(Task.due_at).where(Task.id == book["today_task"])).scalar_one()
    assert clock.local_date(due) == date(2026, 11, 23)

    # Log a visit with a customer the page shows; notes are required; another RM's customer is not offered.
    _call(s, "open_visit", str(book["zhao"]))
    assert s.dialog == ""
    _call(s, "open_visit", str(book["li"]))
    assert s.dialog == "visit" and s.dialog_title == "李雷"
    _call(s, "log_visit", {"kind": "visit", "notes": "  "})
    assert s.dialog_error != ""
    _call(s, "log_visit", {"kind": "visit", "notes": "上门讲解理财到期安排"})
    assert s.dialog == "" and s.dialog_error == ""
    kind, subject, notes = connection.execute(select(Interaction.kind, Interaction.subject, Interaction.notes)
                                              .where(Interaction.customer_id == book["li"])
                                              .order_by(Interaction.id.desc()).limit(1)).one()
    assert (kind, subject, notes) == ("visit", "Customer visit", "上门讲解理财到期安排")


def test_agenda_visit_with_a_location_check_in(connection, page_state, actors, book) -> None:
    """The visit dialog's check-in: what the page's script reports is validated (anything else counts as no fix),
    said to the RM, and stored with the visit; a report while no visit dialog is open is ignored."""
    from services.activities.models import Interaction
    from services.agenda.offline_models import VisitCheckIn
    from state.agenda import AgendaState

    s = page_state(AgendaState, actors["rm_a1"])
    _call(s, "load")
    _call(s, "visit_location", {"status": "fix", "latitude": 31.23, "longitude": 121.47, "accuracy_m": 12})
    assert s.visit_checkin == "" and s._visit_location is None  # no dialog open
    _call(s, "open_visit", str(book["li"]))
    _call(s, "visit_location", {"status": "fix", "latitude": 999, "longitude": 121.47, "accuracy_m": 12})
    assert s._visit_location == {"status": "unavailable"} and "No location fix" in s.visit_checkin
    _call(s, "visit_location", {"status": "fix", "latitude": 31.23, "longitude": 121.47, "accuracy_m": 12.4})
    assert s.visit_checkin == "Location recorded (within about 12 m)."
    _call(s, "log_visit", {"kind": "visit", "notes": "在客户家中签到"})
    assert s.dialog == "" and s.visit_checkin == "" and s._visit_location is None
    iid = connection.execute(select(Interaction.id).where(Interaction.notes == "在客户家中签到")).scalar_one()
    assert connection.execute(select(VisitCheckIn.status, VisitCheckIn.latitude)
                              .where(VisitCheckIn.interaction_id == iid)).one() == ("fix", 31.23)
