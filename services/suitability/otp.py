"""Sending a customer their one-time code: a pluggable sender.

The default sender ("outbox") sends nothing over the air: it keeps the message in `customer_message`, where
the customer's relationship manager can read it and pass the code on (a firm without an SMS gateway, and the
demo). A real installation names its own with FINCRM_CODE_SENDER=package.module:factory; the factory returns
an object with `name` and `send(session, message)`. Whatever the sender, the message is also kept in the
outbox (without the code when the sender delivered it), so staff can see that and when a code went out.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from services import clock
from services.settings import get_settings
from services.suitability.models import CustomerMessage


@dataclass(frozen=True)
class CodeMessage:
    customer_id: int
    phone: str  # in full: only the sender sees it
    recipient_masked: str
    code: str
    expires_at: datetime


class CodeSender(Protocol):
    name: str
    delivers: bool  # False: the outbox is the delivery (staff pass the code on)

    def send(self, session: Session, message: CodeMessage) -> None: ...


def _texts(code: str | None, minutes: int) -> tuple[str, str]:
    if code is None:
        return (f"验证码已发送（{minutes} 分钟内有效）。", f"A verification code was sent (valid for {minutes} minutes).")
    return (f"【FinCRM】您的风险测评验证码为 {code}，{minutes} 分钟内有效。请勿告诉他人。",
            f"[FinCRM] Your risk questionnaire code is {code}, valid for {minutes} minutes. Do not share it.")


class OutboxSender:
    """The default: the message waits in the outbox for staff."""

    name = "outbox"
    delivers = False

    def send(self, session: Session, message: CodeMessage) -> None:  # noqa: D401 - the outbox row is written below
        return None


_sender: CodeSender | None = None


def sender() -> CodeSender:
    global _sender
    if _sender is None:
        spec = get_settings().code_sender.strip() or "outbox"
        if spec == "outbox":
            _sender = OutboxSender()
        else:
            module, _, factory = spec.partition(":")
            _sender = getattr(importlib.import_module(module), factory or "sender")()
    return _sender


def use_sender(new: CodeSender | None) -> None:
    """Replace the sender (tests; an installation's start-up code). None: back to the configured one."""
    global _sender
    _sender = new


def send_code(session: Session, message: CodeMessage) -> CustomerMessage:
    """Send through the configured sender and keep the message in the outbox."""
    chosen = sender()
    chosen.send(session, message)
    minutes = max(1, round((message.expires_at - clock.now()).total_seconds() / 60))
    zh, en = _texts(None if chosen.delivers else message.code, minutes)
    row = CustomerMessage(customer_id=message.customer_id, channel="sms", recipient_masked=message.recipient_masked,
                          purpose="identity_code", body=zh, body_en=en, sender=chosen.name, created_at=clock.now(),
                          expires_at=message.expires_at)
    session.add(row)
    session.flush()
    return row
