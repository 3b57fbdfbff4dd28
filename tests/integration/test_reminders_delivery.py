"""Reminders engine, kinds and delivery (issue 14, point 3): product maturities and KYC reviews from the data, approval
SLA reminders for each person who may decide the task, all made by rules as data with lead times that an admin
changes (validated, audited; an RM is refused in services); new reminders announced once by e-mail through the
outbox (delivered to a real local SMTP server, aiosmtpd) and by Web Push to a local HTTP endpoint acting as the
push service (VAPID Authorization checked, the aes128gcm payload decrypted with the device's keys); nothing is
pushed without VAPID keys; the badge's count."""
from __future__ import annotations

import base64
import json
import os
import socket
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import insert, select, update

import services.db as db
from services import clock
from services.agenda import delivery, jobs, push, rules
from services.agenda import service as agenda
from services.agenda.models import PushMessage, PushSubscription, Reminder, ReminderRule
from services.agenda.views import ReminderKind
from services.analytics import mail
from services.analytics.models import EmailMessage
from services.customers.models import Customer
from services.errors import NotPermitted, ValidationFailed
from services.portfolio.models import Account, Holding, Product
from services.security.models import AuditEvent, User
from services.settings import reset_settings
from services.workflows import engine as wf_engine
from conftest import valid_id
from workflow_helpers import open_tasks, start_loan, wf_actors  # noqa: F401 - fixture

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _clock():
    wf_engine.forget_compiled()
    with clock.fixed(NOW):
        yield
    wf_engine.forget_compiled()


@pytest.fixture
def jobs_on_test_db(connection, monkeypatch):
    """The scheduled jobs' own units of work, on the test's transaction."""
    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)


def _holding(connection, customer_id: int, *, code: str, name: str, name_en: str, matures: date | None) -> int:
    pid = connection.execute(insert(Product).values(
        code=code, name=name, name_en=name_en, product_type="wealth", risk_level="R2", term_days=180,
        currency="CNY", is_active=True, is_premium=False).returning(Product.id)).scalar_one()
    aid = connection.execute(insert(Account).values(
        customer_id=customer_id, kind="wealth", account_no_enc="x", account_no_bidx=f"b{code}", account_no_last4="0001",
        currency="CNY", balance=Decimal("0"), branch_id=1, opened_on=date(2026, 5, 1), status="open")
        .returning(Account.id)).scalar_one()
    return connection.execute(insert(Holding).values(
        account_id=aid, customer_id=customer_id, product_id=pid, quantity=Decimal("100000"), cost=Decimal("100000"),
        market_value=Decimal("101200"), currency="CNY", as_of=TODAY, maturity_on=matures)
        .returning(Holding.id)).scalar_one()


@pytest.fixture
def book(connection, new_customer):
    """rm_a1: 王芳 holds a wealth product maturing in 9 days and another in 40 (outside the 14-day lead); 李雷's KYC
    review is due in 20 days, 韩梅's 60 days away."""
    wang = new_customer("rm_a1", name="王芳", id_number=valid_id(201, birth=date(1980, 3, 3)))
    li = new_customer("rm_a1", name="李雷", id_number=valid_id(202, birth=date(1981, 4, 4)))
    han = new_customer("rm_a1", name="韩梅", id_number=valid_id(203, birth=date(1982, 5, 5)))
    soon = _holding(connection, wang.id, code="WM180A", name="稳健理财180天", name_en="Steady Wealth 180d",
                    matures=TODAY + timedelta(days=9))
    _holding(connection, wang.id, code="WM365B", name="年年盈", name_en="Yearly Gain", matures=TODAY + timedelta(days=40))
    connection.execute(update(Customer).where(Customer.id == li.id).values(kyc_review_due=TODAY + timedelta(days=20)))
    connection.execute(update(Customer).where(Customer.id == han.id).values(kyc_review_due=TODAY + timedelta(days=60)))
    connection.execute(update(User).where(User.username == "rm_a1").values(email="rm.a1@bank.example", locale="en"))
    return {"wang": wang.id, "li": li.id, "han": han.id, "holding": soon}


def _pass(uow_factory) -> dict:
    with uow_factory() as uow:
        counts = jobs.run_rules(uow.session)
        uow.commit()
    return counts


def _notify(uow_factory) -> dict:
    with uow_factory() as uow:
        out = delivery.notify(uow.session)
        uow.commit()
    return out


def test_maturities_and_kyc_reviews_come_from_the_data_by_lead_days(uow_factory, actors, book, connection):
    assert _pass(uow_factory)["made"] == 2
    with uow_factory() as uow:
        day = agenda.my_day(uow=uow, actor=actors["rm_a1"])
    got = [(r.kind, r.customer_id, r.days) for r in day.reminders]
    assert got == [(ReminderKind.PRODUCT_MATURITY, book["wang"], 9), (ReminderKind.KYC_REVIEW, book["li"], 20)]
    assert (day.reminders[0].product, day.reminders[0].product_en) == ("稳健理财180天", "Steady Wealth 180d")
    row = connection.execute(select(Reminder.subject_key, Reminder.holding_id).where(
        Reminder.kind == "product_maturity")).one()
    assert row == (f"holding:{book['holding']}", book["holding"])
    with uow_factory() as uow:
        assert agenda.open_reminders_count(uow=uow, actor=actors["rm_a1"]) == 2
        assert agenda.open_reminders_count(uow=uow, actor=actors["rm_a1b"]) == 0
    # An admin moves the maturity rule to 60 days ahead: the second holding is reminded on the next pass.
    with uow_factory() as uow:
        rules.update_rule(uow=uow, actor=actors["admin"], code="product_maturity_14d",
                          data={"lead_days": 60, "active": True, "channels": ["app", "email"]})
        uow.commit()
    assert _pass(uow_factory)["made"] == 1
    # The KYC review done (the date moves on a year): its reminder is resolved.
    connection.execute(update(Customer).where(Customer.id == book["li"]).values(kyc_review_due=date(2027, 11, 20)))
    assert _pass(uow_factory) == {"made": 0, "resolved": 1}
    with uow_factory() as uow:
        assert agenda.open_reminders_count(uow=uow, actor=actors["rm_a1"]) == 2  # two maturities


def test_rules_are_data_an_admin_edits_validated_and_audited_and_an_rm_is_refused(uow_factory, actors, connection):
    with uow_factory() as uow:
        listed = rules.list_rules(uow=uow, actor=actors["admin"])
    by_source = {r.source for r in listed}
    assert {"birthday", "assessment_expiry", "follow_up", "product_maturity", "kyc_review",
            "approval_sla"} <= by_source
    for who in ("rm_a1", "bm_a", "compliance"):
        with uow_factory() as uow, pytest.raises(NotPermitted):
            rules.list_rules(uow=uow, actor=actors[who])
        with uow_factory() as uow, pytest.raises(NotPermitted):
            rules.update_rule(uow=uow, actor=actors[who], code="birthday_week",
                              data={"lead_days": 3, "active": True, "channels": ["app"]})
    bad = [({"lead_days": -1, "active": True, "channels": ["app"]}, "lead_days"),
           ({"lead_days": 400, "active": True, "channels": ["app"]}, "lead_days"),
           ({"lead_days": 3, "active": True, "channels": ["app", "sms"]}, "channels"),
           ({"lead_days": 3, "active": True, "channels": "email"}, "channels"),
           ({"lead_days": 3, "active": True, "channels": ["app"], "source": "x"}, "source")]
    for data, field in bad:
        with uow_factory() as uow, pytest.raises(ValidationFailed) as err:
            rules.update_rule(uow=uow, actor=actors["admin"], code="birthday_week", data=data)
        assert field in {e.field for e in err.value.errors}, (data, err.value.errors)
    with uow_factory() as uow:
        view = rules.update_rule(uow=uow, actor=actors["admin"], code="birthday_week",
                                 data={"lead_days": 3, "active": False, "channels": ["email", "app"]})
        uow.commit()
    assert (view.lead_days, view.active, view.channels) == (3, False, ["app", "email"])
    row = connection.execute(select(ReminderRule.lead_days, ReminderRule.active, ReminderRule.channels).where(
        ReminderRule.code == "birthday_week")).one()
    assert (row.lead_days, row.active, list(row.channels)) == (3, False, ["app", "email"])
    [changes] = connection.execute(select(AuditEvent.changes).where(AuditEvent.action == "reminder_rule.update")).scalars()
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes["lead_days"] == [6, 3] and changes["active"] == [True, False]


def test_approval_sla_reminders_reach_the_people_who_may_decide(uow_factory, wf_actors, connection, jobs_on_test_db):
    from services.workflows import jobs as wf_jobs

    t0 = clock.now()
    inst = start_loan(uow_factory, wf_actors["rm_a1"], amount=300_000)  # branch approval, 24 h SLA
    task_id = open_tasks(uow_factory, inst)["Task_BranchApproval"]
    with clock.fixed(t0 + timedelta(hours=18, minutes=1)):
        assert wf_jobs.run_sla()["reminded"] == 1
        connection.execute(update(User).where(User.username == "approver_a").values(email="approver@bank.example"))
        # The scheduled job of approval reminders (every five minutes, beside the SLA job): made and announced.
        assert any(j.id == "agenda.approval_reminders" for j in jobs.JOBS)
        jobs.remind_approvals()
        owners = list(connection.execute(select(Reminder.owner_id).where(Reminder.approval_task_id == task_id)).scalars())
        # Branch A's approvers (and not the RM who submitted it, nor branch B's approver), once each.
        expected = {uid for name, uid in ((n, a.id) for n, a in wf_actors.items())
                    if "approver" in wf_actors[name].roles and wf_actors[name].branch_id == 1}
        assert set(owners) == expected and len(owners) == len(expected)
        assert _pass(uow_factory)["made"] == 0
        assert wf_actors["rm_a1"].id not in owners
        with uow_factory() as uow:
            day = agenda.my_day(uow=uow, actor=wf_actors["approver_a"])
            [r] = [r for r in day.reminders if r.kind == ReminderKind.APPROVAL_SLA]
            assert r.customer_id is None and r.step and r.due_on == clock.local_date(t0 + timedelta(hours=24))
            assert agenda.open_reminders_count(uow=uow, actor=wf_actors["approver_a"]) >= 1
        # Announced like the others: an e-mail to the approver through the outbox (once: nothing left to announce).
        assert _notify(uow_factory)["reminders"] == 0
        [body] = connection.execute(select(EmailMessage.body).where(
            EmailMessage.to_addr == "approver@bank.example", EmailMessage.purpose == "reminder")).scalars()
        assert r.step in body
        # The approver dismisses it; another person's approval reminder is refused to them.
        with uow_factory() as uow:
            agenda.dismiss_reminder(uow=uow, actor=wf_actors["approver_a"], reminder_id=r.id)
            uow.commit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = _Inbox()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("FINCRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FINCRM_SMTP_PORT", str(port))
    monkeypatch.setenv("FINCRM_SMTP_FROM", "agenda@fincrm.example")
    reset_settings()
    try:
        yield inbox
    finally:
        controller.stop()
        reset_settings()


def test_new_reminders_are_mailed_once_through_the_outbox(uow_factory, actors, book, connection, smtp,
                                                          jobs_on_test_db):
    _pass(uow_factory)
    assert _notify(uow_factory) == {"reminders": 2, "emails": 1, "pushes": 0}
    assert _notify(uow_factory) == {"reminders": 0, "emails": 0, "pushes": 0}  # once
    assert mail.deliver() == {"sent": 1, "failed": 0}
    [(to, raw)] = smtp.messages
    assert to == ["rm.a1@bank.example"]
    msg = message_from_bytes(raw, policy=default_policy)
    assert str(msg["Subject"]) == "FinCRM: 2 new reminder(s)"  # in the RM's language (en)
    text = msg.get_content()
    assert "王芳: Steady Wealth 180d matures on" in text and "李雷: KYC review due on" in text
    assert "/agenda" in text
    # A rule without e-mail among its channels is not mailed; the next reminders are mailed when they are new.
    with uow_factory() as uow:
        rules.update_rule(uow=uow, actor=actors["admin"], code="product_maturity_14d",
                          data={"lead_days": 60, "active": True, "channels": ["app"]})
        uow.commit()
    _pass(uow_factory)
    assert _notify(uow_factory) == {"reminders": 1, "emails": 0, "pushes": 0}
    assert connection.execute(select(AuditEvent.id).where(AuditEvent.action == "reminder.notify")).all()


# --------------------------------------------------------------------------- Web Push against a local push service

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _PushService:
    """A push service on 127.0.0.1: keeps each request (path, headers, body); answers 201, or 410 for /gone."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(410 if self.path.endswith("/gone") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vapid(monkeypatch, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    v = Vapid()
    v.generate_keys()
    pem = tmp_path / "vapid.pem"
    v.save_key(str(pem))
    raw_public = v.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    monkeypatch.setenv("FINCRM_VAPID_PRIVATE_KEY", str(pem))
    monkeypatch.setenv("FINCRM_VAPID_PUBLIC_KEY", _b64(raw_public))
    monkeypatch.setenv("FINCRM_VAPID_SUBJECT", "mailto:ops@bank.example")
    reset_settings()
    yield v
    reset_settings()


def _device():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return key, _b64(public), os.urandom(16)


def _verify_vapid(header: str, endpoint_origin: str, public_b64: str) -> dict:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    assert header.startswith("vapid ")
    parts = dict(p.strip().split("=", 1) for p in header[len("vapid "):].split(","))
    assert parts["k"] == public_b64
    head, claims, sig = parts["t"].split(".")
    raw = _unb64(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(parts["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when the signature is wrong
    claims = json.loads(_unb64(claims))
    assert claims["aud"] == endpoint_origin and claims["sub"] == "mailto:ops@bank.example"
    return claims


def test_reminders_are_pushed_to_subscribed_devices_with_vapid(uow_factory, actors, book, connection, vapid,
                                                               jobs_on_test_db):
    import http_ece

    key, p256dh, auth = _device()
    with _PushService() as service:
        with uow_factory() as uow:
            push.subscribe(uow=uow, actor=actors["rm_a1"], user_agent="test phone", subscription={
                "endpoint": f"{service.url}/push/device-1", "keys": {"p256dh": p256dh, "auth": _b64(auth)}})
            push.subscribe(uow=uow, actor=actors["rm_a1"], subscription={
                "endpoint": f"{service.url}/push/gone", "keys": {"p256dh": p256dh, "auth": _b64(auth)}})
            uow.commit()
        _pass(uow_factory)
        assert _notify(uow_factory) == {"reminders": 2, "emails": 1, "pushes": 2}
        assert push.deliver() == {"sent": 1, "failed": 0, "gone": 1}
        assert push.deliver() == {"sent": 0, "failed": 0, "gone": 0}  # once
        delivered = [r for r in service.requests if r[0] == "/push/device-1"]
        assert len(delivered) == 1
        _path, headers, body = delivered[0]
        assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
        _verify_vapid(headers["authorization"], service.url, os.environ["FINCRM_VAPID_PUBLIC_KEY"])
        payload = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))
        # Only the rules with "push" among their channels: the maturity, not the KYC review (app and e-mail).
        assert payload["url"] == "/agenda" and payload["title"] == "1 new reminder(s)"
        assert "王芳: Steady Wealth 180d matures on" in payload["body"] and "KYC" not in payload["body"]
    # The push service said the second device is gone: its subscription went with it.
    endpoints = set(connection.execute(select(PushSubscription.endpoint)).scalars())
    assert endpoints == {f"{service.url}/push/device-1"}
    assert connection.execute(select(PushMessage.status)).scalars().all() == ["sent"]


def test_without_vapid_keys_nothing_is_pushed(uow_factory, actors, book, connection, monkeypatch, jobs_on_test_db):
    monkeypatch.delenv("FINCRM_VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("FINCRM_VAPID_PUBLIC_KEY", raising=False)
    reset_settings()
    assert not push.configured() and push.public_key() == ""
    key, p256dh, auth = _device()
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        push.subscribe(uow=uow, actor=actors["rm_a1"], subscription={
            "endpoint": "https://push.example/x", "keys": {"p256dh": p256dh, "auth": _b64(auth)}})
    _pass(uow_factory)
    assert _notify(uow_factory)["pushes"] == 0
    assert push.deliver() == {"sent": 0, "failed": 0, "gone": 0}


def test_bad_subscriptions_are_refused(uow_factory, actors, vapid):
    key, p256dh, auth = _device()
    for sub in ({"endpoint": "javascript:alert(1)", "keys": {"p256dh": p256dh, "auth": _b64(auth)}},
                {"endpoint": "http://push.example/x", "keys": {"p256dh": p256dh, "auth": _b64(auth)}},
                {"endpoint": "https://push.example/x", "keys": {"p256dh": "short", "auth": _b64(auth)}},
                {"endpoint": "https://push.example/x"}, "not a dict"):
        with uow_factory() as uow, pytest.raises(ValidationFailed):
            push.subscribe(uow=uow, actor=actors["rm_a1"], subscription=sub)


def test_two_notification_passes_at_once_announce_each_reminder_once(backend, empty_database_url, password_hash):
    """PostgreSQL: two processes announce at once (overlapping transactions); the second waits on the first's claim
    and queues nothing, so nobody gets the e-mail twice."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers on its database lock; concurrent passes matter on PostgreSQL")
    from sqlmodel import Session

    from services import bootstrap, migrations
    from services.customers import service as customers
    from services.db import UnitOfWork, make_engine
    from services.org.models import Branch, Team
    from services.security.auth import actor_for_user
    from services.types import utcnow

    bootstrap.configure()
    migrations.upgrade(empty_database_url)
    eng = make_engine(empty_database_url)
    try:
        with eng.begin() as c:
            c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
            c.execute(insert(Team).values(id=1, branch_id=1, name="财富一组", name_en="Wealth 1"))
            c.execute(insert(User).values(id=1, username="rm", display_name="RM", password_hash=password_hash,
                                          roles=["rm"], branch_id=1, team_id=1, is_active=True, is_demo=False,
                                          email="rm@bank.example", created_at=utcnow()))
        with Session(eng) as s:
            rm = actor_for_user(s.get(User, 1))
        for i in range(3):
            with UnitOfWork(eng) as uow:
                c = customers.create_customer(uow=uow, actor=rm, data={
                    "name": f"客户{i}", "id_type": "resident_id", "id_number": valid_id(i + 1, birth=date(1980, 1, 1 + i)),
                    "phone": f"1380013{i:04d}"})
                uow.session.execute(update(Customer).where(Customer.id == c.id).values(
                    kyc_review_due=TODAY + timedelta(days=5 + i)))
                uow.commit()
        with UnitOfWork(eng) as uow:
            assert jobs.run_rules(uow.session)["made"] == 3
            uow.commit()
        first_claimed = threading.Event()
        results, errors = {}, []

        def second():
            try:
                first_claimed.wait(10)
                with clock.fixed(NOW), UnitOfWork(eng) as uow:
                    results["second"] = delivery.notify(uow.session)
                    uow.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        with UnitOfWork(eng) as uow:
            results["first"] = delivery.notify(uow.session)
            first_claimed.set()
            worker.join(1.0)  # the second is now waiting on our claim
            uow.commit()
        worker.join(30)
        assert not errors, errors
        assert results["first"] == {"reminders": 3, "emails": 1, "pushes": 0}
        assert results["second"]["emails"] == 0 and results["second"]["reminders"] == 0
        with Session(eng) as s:
            assert len(s.execute(select(EmailMessage.id)).all()) == 1
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- the pages' states (thin doors)

def test_agenda_state_shows_maturities_kyc_and_the_badge_in_both_languages(page_state, actors, book, uow_factory,
                                                                           monkeypatch):
    from state.agenda import AgendaState, ReminderBadgeState
    from state_helpers import call_handler

    monkeypatch.delenv("FINCRM_VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("FINCRM_VAPID_PUBLIC_KEY", raising=False)
    reset_settings()
    _pass(uow_factory)
    s = page_state(AgendaState, actors["rm_a1"])
    s.locale = "zh_CN"
    assert call_handler(s, "load") is None  # the menu's badge: the frame's on_mount (components/shell.py), once
    kinds = [(r["kind"], r["customer"], r["text"]) for r in s.reminders]
    assert kinds[0][0] == "product_maturity" and kinds[0][1] == "王芳" and "稳健理财180天" in kinds[0][2]
    assert kinds[1][0] == "kyc_review" and "KYC" in kinds[1][2]
    assert s.push_key == ""  # no VAPID keys: the page says push is not configured
    call_handler(s, "change_locale", "en")
    assert "Steady Wealth 180d matures on" in s.reminders[0]["text"]
    badge = page_state(ReminderBadgeState, actors["rm_a1"])
    call_handler(badge, "refresh")
    assert badge.open_reminders == 2
    # Dismissing one lowers the count the menu shows.
    call_handler(s, "dismiss", s.reminders[0]["reminder"])
    call_handler(badge, "refresh")
    assert badge.open_reminders == 1
    nobody = page_state(ReminderBadgeState, actors["admin"])
    call_handler(nobody, "refresh")
    assert nobody.open_reminders == 0


def test_reminder_rules_page_state_saves_for_an_admin_and_refuses_an_rm(page_state, actors, connection):
    from state.reminder_rules import ReminderRulesState
    from state_helpers import call_handler

    rm = page_state(ReminderRulesState, actors["rm_a1"])
    call_handler(rm, "load")
    assert rm.rules == [] and rm.error  # refused by the service, in words
    call_handler(rm, "save", {"code": "birthday_week", "lead_days": "2", "active": "on"})
    assert connection.execute(select(ReminderRule.lead_days).where(ReminderRule.code == "birthday_week")).scalar() == 6
    admin = page_state(ReminderRulesState, actors["admin"])
    admin.locale = "en"
    call_handler(admin, "load")
    names = {r["code"]: r for r in admin.rules}
    assert names["kyc_review_30d"]["name"] == "KYC reviews due (30 days ahead)"
    assert names["kyc_review_30d"]["email"] == "1" and names["kyc_review_30d"]["push"] == ""
    call_handler(admin, "save", {"code": "kyc_review_30d", "lead_days": "45", "active": "on", "push": "on"})
    assert admin.saved == "kyc_review_30d" and admin.error == ""
    row = connection.execute(select(ReminderRule.lead_days, ReminderRule.channels).where(
        ReminderRule.code == "kyc_review_30d")).one()
    assert row.lead_days == 45 and list(row.channels) == ["app", "push"]
    call_handler(admin, "change_locale", "zh_CN")
    assert {r["code"]: r for r in admin.rules}["kyc_review_30d"]["name"] == "KYC 定期复核（提前 30 天）"
    call_handler(admin, "save", {"code": "kyc_review_30d", "lead_days": "-3", "active": "on"})
    assert admin.error and admin.saved == ""
    assert connection.execute(select(ReminderRule.lead_days).where(ReminderRule.code == "kyc_review_30d")).scalar() == 45


def test_two_workers_running_the_whole_job_at_once_make_and_mail_each_reminder_once(backend, empty_database_url,
                                                                                      password_hash):
    """SQLite and PostgreSQL: two threads, each with its own connection, start the reminders job (pass, then
    announcements) at the same moment; each maturity and KYC reminder exists once and the RM gets one e-mail."""
    from sqlmodel import Session

    from services import bootstrap, migrations
    from services.customers import service as customers
    from services.db import UnitOfWork, make_engine
    from services.org.models import Branch, Team
    from services.security.auth import actor_for_user
    from services.types import utcnow

    bootstrap.configure()
    migrations.upgrade(empty_database_url)
    eng = make_engine(empty_database_url)
    try:
        with eng.begin() as c:
            c.execute(insert(Branch).values(id=1, code="BJ", name="北京分行", name_en="Beijing", city="北京"))
            c.execute(insert(Team).values(id=1, branch_id=1, name="财富一组", name_en="Wealth 1"))
            c.execute(insert(User).values(id=1, username="rm", display_name="RM", password_hash=password_hash,
                                          roles=["rm"], branch_id=1, team_id=1, is_active=True, is_demo=False,
                                          email="rm@bank.example", created_at=utcnow()))
        with Session(eng) as s:
            rm = actor_for_user(s.get(User, 1))
        for i in range(4):
            with UnitOfWork(eng) as uow:
                c = customers.create_customer(uow=uow, actor=rm, data={
                    "name": f"客户{i}", "id_type": "resident_id", "id_number": valid_id(i + 11, birth=date(1970, 1, 1 + i)),
                    "phone": f"1390013{i:04d}"})
                uow.session.execute(update(Customer).where(Customer.id == c.id).values(
                    kyc_review_due=TODAY + timedelta(days=3 + i)))
                uow.commit()
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                barrier.wait(10)
                with clock.fixed(NOW):
                    with UnitOfWork(eng) as uow:
                        made = jobs.run_rules(uow.session)["made"]
                        uow.commit()
                    with UnitOfWork(eng) as uow:
                        mailed = delivery.notify(uow.session)["emails"]
                        uow.commit()
                results.append((made, mailed))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert sorted(m for m, _ in results) == [0, 4]  # one made all four, the other none
        assert sum(e for _, e in results) == 1
        with Session(eng) as s:
            assert len(s.execute(select(Reminder.id)).all()) == 4
            assert len(s.execute(select(EmailMessage.id)).all()) == 1
    finally:
        eng.dispose()
