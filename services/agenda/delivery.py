"""Announcing new reminders beyond the agenda: one e-mail per person through the outbox (the rules whose channels hold
"email", to the address on the person's account) and one Web Push message per subscribed device (rules with "push",
when VAPID keys are configured: services/agenda/push.py sends them).

Announced once: the pass claims the reminders it announces (rows locked FOR UPDATE SKIP LOCKED, then `notified_at`
set by one UPDATE ... WHERE notified_at IS NULL), in the transaction that writes the messages, so two processes
running it at once never mail twice (on PostgreSQL the second skips the rows the first holds; SQLite serialises
writers).

The outbox for e-mail belongs to another domain (services/analytics/mail.py): services.bootstrap hands its `enqueue`
here (`set_mail_outbox`), as sibling domains never import each other.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services import clock
from services.agenda import push
from services.agenda.models import PushMessage, PushSubscription, Reminder, ReminderRule
from services.customers.models import Customer
from services.i18n import format_date, normalize_locale, translate
from services.portfolio.models import Holding, Product
from services.security import audit
from services.security.actor import SYSTEM
from services.security.models import User
from services.settings import get_settings
from services.workflows.models import ApprovalTask

log = logging.getLogger(__name__)
BATCH = 1000
CHANNELS = ("app", "email", "push")


class MailOutbox(Protocol):
    def __call__(self, session: Session, *, to_addr: str, subject: str, body: str, purpose: str) -> int: ...


_mail_outbox: MailOutbox | None = None


def set_mail_outbox(enqueue: MailOutbox | None) -> None:
    global _mail_outbox
    _mail_outbox = enqueue


def reminder_line(kind: str, locale: str, *, name: str, due: date, product: str = "", step: str = "") -> str:
    """One reminder in words (mail, push), in the reader's language."""
    return translate(f"reminder.line.{kind}", locale, name=name, date=format_date(due, locale), product=product,
                     step=step)


def _details(s: Session, ids: list[int]) -> list[tuple[Reminder, list[str], str, str, str]]:
    """(reminder, rule channels, customer name, product name, approval step) of these reminders."""
    rows = s.execute(
        select(Reminder, ReminderRule.channels, Customer.name, Product.name, Product.name_en, ApprovalTask.step_name)
        .join(ReminderRule, ReminderRule.code == Reminder.rule_code)
        .outerjoin(Customer, Customer.id == Reminder.customer_id)
        .outerjoin(Holding, Holding.id == Reminder.holding_id)
        .outerjoin(Product, Product.id == Holding.product_id)
        .outerjoin(ApprovalTask, ApprovalTask.id == Reminder.approval_task_id)
        .where(Reminder.id.in_(ids)).order_by(Reminder.owner_id, Reminder.due_on, Reminder.id)).all()
    return [(r, list(ch or []), name or "", (zh or "", en or ""), step or "") for r, ch, name, zh, en, step in rows]


def notify(s: Session, limit: int = BATCH) -> dict[str, int]:
    """Claim the reminders not yet announced and queue their e-mail and push messages; audited. Returns counts."""
    now = clock.now()
    candidates = list(s.execute(
        select(Reminder.id).join(ReminderRule, ReminderRule.code == Reminder.rule_code)
        .where(Reminder.notified_at.is_(None), Reminder.resolved_at.is_(None), Reminder.dismissed_at.is_(None),
               ReminderRule.active.is_(True))
        .order_by(Reminder.id).limit(limit).with_for_update(of=Reminder, skip_locked=True)).scalars())
    out = {"reminders": 0, "emails": 0, "pushes": 0}
    if not candidates:
        return out
    claimed = list(s.execute(update(Reminder).where(Reminder.id.in_(candidates), Reminder.notified_at.is_(None))
                             .values(notified_at=now).returning(Reminder.id)).scalars())
    if not claimed:
        audit.record(s, SYSTEM, "reminder.notify", entity_type="job", entity_id="agenda.notify", changes=dict(out))
        return out
    out["reminders"] = len(claimed)
    by_owner: dict[int, list] = defaultdict(list)
    for item in _details(s, claimed):
        by_owner[item[0].owner_id].append(item)
    users = {u.id: u for u in s.execute(select(User).where(User.id.in_(list(by_owner)))).scalars()}
    can_push = push.configured()
    subscriptions: dict[int, list[int]] = defaultdict(list)
    if can_push:
        for sid, uid in s.execute(select(PushSubscription.id, PushSubscription.user_id)
                                  .where(PushSubscription.user_id.in_(list(by_owner)))
                                  .order_by(PushSubscription.id)):
            subscriptions[uid].append(sid)
    for owner_id, items in by_owner.items():
        user = users.get(owner_id)
        if user is None or not user.is_active:
            continue
        loc = normalize_locale(user.locale or get_settings().locale)

        def lines(channel: str) -> list[str]:
            return [reminder_line(r.kind, loc, name=name, due=r.due_on, product=product[1 if loc == "en" else 0],
                                  step=step) for r, ch, name, product, step in items if channel in ch]

        mail = lines("email")
        if mail and user.email and _mail_outbox is not None:
            subject = translate("reminder.mail.subject", loc, n=len(mail))
            body = "\n".join([translate("reminder.mail.greeting", loc, name=user.display_name), ""]
                             + [f"- {line}" for line in mail]
                             + ["", translate("reminder.mail.footer", loc, url=get_settings().public_url + "/agenda")])
            _mail_outbox(s, to_addr=user.email, subject=subject[:200], body=body[:4000], purpose="reminder")
            out["emails"] += 1
        pushed = lines("push")
        if pushed and subscriptions.get(owner_id):
            payload = {"title": translate("reminder.push.title", loc, n=len(pushed)),
                       "body": "\n".join(pushed[:4]) + ("\n…" if len(pushed) > 4 else ""),
                       "url": "/agenda", "tag": "fincrm-reminders"}
            for sid in subscriptions[owner_id]:
                s.add(PushMessage(subscription_id=sid, payload=payload, created_at=now, next_attempt_at=now))
                out["pushes"] += 1
    s.flush()
    audit.record(s, SYSTEM, "reminder.notify", entity_type="job", entity_id="agenda.notify", changes=dict(out))
    return out


def channels_valid(value: object) -> list[str] | None:
    """The channels a rule may name, in their order, "app" always first; None when the value is not a list of them."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
        return None
    if any(c not in CHANNELS for c in value):
        return None
    return [c for c in CHANNELS if c in value or c == "app"]

