"""The weekly report (services/analytics/report.py) and the e-mail outbox (services/analytics/mail.py): a
subscriber's report of last week in his own scope and language, a PDF kept in the document store and queued once a
week; delivered over SMTP to a real local server (aiosmtpd) with the PDF attached; an SMTP server that is down
delays the message (kept, tried again later), never loses it."""
from __future__ import annotations

import socket
import subprocess
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from services import clock
from services.analytics import figures, mail, report
from services.analytics.models import EmailMessage
from services.errors import ValidationFailed
from services.security.actor import SYSTEM
from services.settings import reset_settings
from metrics_helpers import make_world

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def world(uow_factory, actors, org, connection, make_client):
    return make_world(uow_factory, actors, org, connection, make_client)


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
    monkeypatch.setenv("FINCRM_SMTP_FROM", "reports@fincrm.example")
    reset_settings()
    try:
        yield inbox
    finally:
        controller.stop()
        monkeypatch.delenv("FINCRM_SMTP_HOST")
        reset_settings()


def _subscribe(uow_factory, username, email, locale="zh_CN"):
    with uow_factory() as uow:
        report.subscribe(uow=uow, actor=SYSTEM, username=username, email=email, locale=locale)
        uow.commit()


def _queue(uow_factory):
    with uow_factory() as uow:
        made = report.weekly(uow.session, SYSTEM)
        uow.commit()
    return made


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_subscribers_get_last_weeks_report_in_their_scope_once(uow_factory, connection, world, org, monkeypatch):
    _subscribe(uow_factory, "bm_a", "bm.a@bank.example")
    _subscribe(uow_factory, "lead_a1", "lead@bank.example", locale="en")
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        report.subscribe(uow=uow, actor=SYSTEM, username="ops_a", email="ops@bank.example")  # reads no figures
    with uow_factory() as uow, pytest.raises(ValidationFailed):
        report.subscribe(uow=uow, actor=SYSTEM, username="bm_a", email="not an address\r\nBcc: x@y.z")
    assert _queue(uow_factory) == 2
    assert _queue(uow_factory) == 0  # once a week
    rows = {r.to_addr: r for r in connection.execute(select(EmailMessage.__table__)).all()}
    week = report.week_of(clock.today()) - timedelta(days=7)
    zh = rows["bm.a@bank.example"]
    assert zh.status == "pending" and zh.attachment_name == f"weekly-report-{week.isoformat()}.pdf"
    from services import documents

    text = _pdf_text(documents.read_blob(zh.attachment_sha256))
    assert "经营周报" in text and "本分行" in text and "关键指标" in text
    en = _pdf_text(documents.read_blob(rows["lead@bank.example"].attachment_sha256))
    assert "Weekly report" in en and "Your team" in en and "RM_B1" not in en  # another branch's RM


def test_the_outbox_is_delivered_over_smtp_and_waits_when_it_is_down(uow_factory, connection, world, smtp, monkeypatch):
    _subscribe(uow_factory, "bm_a", "bm.a@bank.example")
    _queue(uow_factory)
    import services.db as db

    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    out = mail.deliver()
    assert out == {"sent": 1, "failed": 0}
    [(to, raw)] = smtp.messages
    assert to == ["bm.a@bank.example"]
    msg = message_from_bytes(raw, policy=default_policy)
    assert "经营周报" in str(msg["Subject"]) and msg["From"] == "reports@fincrm.example"
    [pdf] = [p for p in msg.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    row = connection.execute(select(EmailMessage.__table__)).one()
    assert row.status == "sent" and row.sent_at is not None
    # The server goes away: a new message waits, its error kept, tried again later.
    connection.execute(EmailMessage.__table__.insert().values(
        to_addr="x@bank.example", subject="s", body="b", purpose="test", status="pending", attempts=0,
        created_at=clock.now(), next_attempt_at=clock.now()))
    monkeypatch.setenv("FINCRM_SMTP_PORT", str(_free_port()))
    reset_settings()
    out = mail.deliver()
    assert out == {"sent": 0, "failed": 1}
    waiting = connection.execute(select(EmailMessage.__table__).where(EmailMessage.to_addr == "x@bank.example")).one()
    assert waiting.status == "pending" and waiting.attempts == 1 and waiting.last_error
    assert waiting.next_attempt_at > clock.now()
