"""The e-mail outbox (email_message) delivered over SMTP (FINCRM_SMTP_HOST, _PORT, _USER, _PASSWORD, _STARTTLS,
_FROM). A message is written in the transaction that decides to send it (services/analytics/report.py); this job
sends what is due, one message per transaction: sent, or the error kept and tried again later (after 1, 2, 4 ...
minutes, at most 6 hours apart), given up after MAX_ATTEMPTS. Without an SMTP host nothing is sent: messages wait.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select

from services import clock, documents
from services.analytics.models import EmailMessage
from services.db import unit_of_work
from services.security import audit
from services.security.actor import SYSTEM
from services.settings import get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH = 50


def enqueue(session, *, to_addr: str, subject: str, body: str, purpose: str) -> int:
    """Queue a plain-text message in the caller's transaction (sent by `deliver`); returns its id."""
    now = clock.now()
    row = EmailMessage(to_addr=to_addr, subject=subject[:200], body=body[:4000], purpose=purpose[:32],
                       created_at=now, next_attempt_at=now)
    session.add(row)
    session.flush()
    return row.id


def _mime(row: EmailMessage, sender: str) -> MimeMessage:
    msg = MimeMessage()
    msg["From"] = sender
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "fincrm")
    msg.set_content(row.body)
    if row.attachment_sha256:
        maintype, _, subtype = (row.attachment_type or "application/octet-stream").partition("/")
        msg.add_attachment(documents.read_blob(row.attachment_sha256), maintype=maintype, subtype=subtype,
                           filename=row.attachment_name or "attachment")
    return msg


def _send(msg: MimeMessage) -> None:
    st = get_settings()
    with smtplib.SMTP(st.smtp_host, st.smtp_port, timeout=15) as smtp:
        if st.smtp_starttls:
            smtp.starttls()
        if st.smtp_user:
            smtp.login(st.smtp_user, st.smtp_password or "")
        smtp.send_message(msg)


def deliver(limit: int = BATCH) -> dict[str, int]:
    """Send the messages that are due; returns {"sent": n, "failed": n}."""
    st = get_settings()
    out = {"sent": 0, "failed": 0}
    if not st.smtp_host:
        return out
    with unit_of_work(readonly=True) as uow:
        due = list(uow.session.execute(select(EmailMessage.id).where(
            EmailMessage.status == "pending", EmailMessage.next_attempt_at <= clock.now())
            .order_by(EmailMessage.next_attempt_at, EmailMessage.id).limit(limit)).scalars())
    for message_id in due:
        with unit_of_work() as uow:
            row = uow.session.get(EmailMessage, message_id)
            if row is None or row.status != "pending":
                continue
            try:
                _send(_mime(row, st.smtp_from))
            except (OSError, smtplib.SMTPException) as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:300]
                row.next_attempt_at = clock.now() + min(timedelta(hours=6), timedelta(minutes=2 ** (row.attempts - 1)))
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                out["failed"] += 1
                audit.record(uow.session, SYSTEM, "email.failed", entity_type="email", entity_id=row.id,
                             changes={"attempts": row.attempts, "purpose": row.purpose, "error": row.last_error})
            else:
                row.attempts += 1
                row.status, row.sent_at, row.last_error = "sent", clock.now(), None
                out["sent"] += 1
                audit.record(uow.session, SYSTEM, "email.sent", entity_type="email", entity_id=row.id,
                             changes={"purpose": row.purpose})
            uow.commit()
    if out["sent"] or out["failed"]:
        log.info("e-mail outbox: %s", out)
    return out
