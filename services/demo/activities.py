"""Demo tickets, tasks and do-not-contact requests (run by services/demo/c360.py in the seed's transaction).

Tickets in every state of their lifecycle — new, assigned, in progress, waiting for the customer, resolved,
closed, reopened — with their categories, SLA deadlines, complaint fields and full step history; open tickets past
their SLA are flagged and escalated to the team lead (with the escalation task) as the scheduler would have done.
The demo `rm` gets a book that shows each of them, and tasks overdue, due today (at office hours), upcoming, done
and cancelled; 张三 has an open complaint and a task today. A few customers asked not to be contacted.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select, text
from sqlmodel import Session

from services import clock
from services.activities.models import Task, Ticket, TicketCategory, TicketEvent
from services.customers.models import ConsentRecord, Customer
from services.security.models import User

# (subject, category, complaint reason)
COMPLAINTS = [
    ("理财产品收益未达预期", "complaint_wealth", "disclosure"),
    ("代销基金风险提示不充分", "complaint_wealth", "sales_practice"),
    ("手机银行转账延迟到账", "complaint_digital", "process"),
    ("短信通知未及时发送", "complaint_digital", "service_quality"),
    ("信用卡年费争议", "complaint_card", "pricing_fees"),
    ("信用卡盗刷后处理缓慢", "complaint_card", "funds_loss"),
    ("贷款提前还款违约金争议", "complaint_loan", "contract_terms"),
    ("催收电话过于频繁", "complaint_loan", "debt_collection"),
    ("柜台排队时间过长", "complaint_deposit", "service_quality"),
    ("跨行汇款手续费不透明", "complaint_payment", "pricing_fees"),
    ("个人信息疑似泄露", "complaint_other", "information_security"),
]
SERVICES = [
    ("申请修改预留手机号", "service_profile"), ("更新身份证有效期", "service_profile"),
    ("办理定期存款提前支取", "service_deposit"), ("补打对账单", "service_statement"),
    ("开具存款证明", "service_statement"), ("申请提高信用卡额度", "service_card"),
    ("挂失补办借记卡", "service_card"), ("咨询养老理财产品", "service_inquiry"),
]
RESOLUTION_NOTES = {
    "upheld": "核实情况属实，已向客户致歉并退还相关费用。",
    "partially_upheld": "部分诉求合理，已按规定予以处理，其余已向客户解释。",
    "not_upheld": "经核实业务办理符合规定及合同约定，已向客户说明。",
    "withdrawn": "客户表示理解，撤回投诉。",
    "fulfilled": "已按客户申请办理完毕。",
    "declined": "不符合办理条件，已向客户说明原因。",
}
STATUS_WEIGHTS = [("closed", 34), ("resolved", 24), ("in_progress", 12), ("assigned", 10), ("new", 8),
                  ("waiting_customer", 8), ("reopened", 4)]


class _Book:
    """What the seeder writes, with the ids it will get (the tables are new to the seed: max(id) + n)."""

    def __init__(self, session: Session):
        self.session = session
        self.tickets: list[dict] = []
        self.events: list[dict] = []
        self.tasks: list[dict] = []
        self._next_ticket = (session.execute(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)).scalar() or 0) + 1

    def event(self, t: dict, step: str, at: datetime, before: str | None, after: str, actor: int | None,
              assignee: int | None = None, note: str | None = None) -> None:
        self.events.append(dict(ticket_id=t["id"], customer_id=t["customer_id"], at=at, step=step, from_status=before,
                                to_status=after, actor_id=actor, assignee_id=assignee if assignee else t["assignee_id"],
                                note=note))


def _sla(cat: dict, priority: str) -> timedelta:
    return timedelta(hours=cat[f"sla_hours_{priority}"])


def _ticket(book: _Book, rng: random.Random, cats: dict, lead_of, *, customer, kind: str, subject: str, category: str,
            reason: str | None, status: str, opened: datetime, priority: str, now: datetime, channel: str) -> dict:
    """One ticket in `status` (or "reopened"), with the steps that led there, all before `now`."""
    cat = cats[category]
    cid, owner = customer
    due = opened + _sla(cat, priority)
    t = dict(id=book._next_ticket, customer_id=cid, kind=kind, subject=subject, description=None, channel=channel,
             priority=priority, status="new", opened_at=opened, sla_due_at=due, resolved_at=None, assignee_id=None,
             opened_by_id=owner, category=category, complaint_reason=reason, resolution=None, resolution_note=None,
             days_to_resolve=None, closed_at=None, breached_at=None, escalated_to_id=None, reopened=0)
    book._next_ticket += 1
    book.tickets.append(t)
    book.event(t, "open", opened, None, "new", owner, assignee=None)
    if status == "new":
        return _maybe_breach(book, t, lead_of, now)
    span = max(timedelta(minutes=30), min(now - opened, due - opened))
    at = opened + span * rng.uniform(0.02, 0.1)
    t["assignee_id"], t["status"] = owner, "assigned"
    book.event(t, "assign", at, "new", "assigned", lead_of(cid) or owner)
    if status == "assigned":
        return _maybe_breach(book, t, lead_of, now)
    at += span * rng.uniform(0.05, 0.2)
    book.event(t, "start", at, "assigned", "in_progress", owner)
    t["status"] = "in_progress"
    if status == "waiting_customer":
        at += span * rng.uniform(0.05, 0.2)
        book.event(t, "wait", at, "in_progress", "waiting_customer", owner, note="已请客户补充材料")
        t["status"] = "waiting_customer"
    if status in ("in_progress", "waiting_customer"):
        return _maybe_breach(book, t, lead_of, now)
    # resolved, closed, reopened: resolved at some point around the SLA (a few late)
    resolved = min(now - timedelta(minutes=5), opened + (due - opened) * rng.uniform(0.3, 1.25))
    resolved = max(resolved, at + timedelta(minutes=10))
    choices = (["upheld", "partially_upheld", "not_upheld", "withdrawn"] if kind == "complaint"
               else ["fulfilled", "fulfilled", "fulfilled", "declined", "withdrawn"])
    resolution = rng.choice(choices)
    t.update(status="resolved", resolved_at=resolved, resolution=resolution, resolution_note=RESOLUTION_NOTES[resolution],
             days_to_resolve=(clock.local_date(resolved) - clock.local_date(opened)).days)
    book.event(t, "resolve", resolved, "in_progress", "resolved", owner, note=RESOLUTION_NOTES[resolution])
    if status in ("closed", "reopened"):
        closed = min(now - timedelta(minutes=1), resolved + timedelta(hours=rng.randint(2, 72)))
        t.update(status="closed", closed_at=closed)
        book.event(t, "close", closed, "resolved", "closed", owner)
        if status == "reopened":
            again = min(now - timedelta(seconds=30), closed + timedelta(days=rng.randint(1, 5)))
            book.event(t, "reopen", again, "closed", "in_progress", owner, note="客户对处理结果仍有异议")
            t.update(status="in_progress", reopened=1, resolution=None, resolution_note=None, resolved_at=None,
                     closed_at=None, days_to_resolve=None)
            return _maybe_breach(book, t, lead_of, now)
    return t


def _maybe_breach(book: _Book, t: dict, lead_of, now: datetime) -> dict:
    """An open ticket past its SLA, as the scheduler's escalation leaves it: flagged, escalated, a task."""
    if t["sla_due_at"] >= now:
        return t
    at = t["sla_due_at"] + timedelta(minutes=1)
    lead = lead_of(t["customer_id"])
    t.update(breached_at=at, escalated_to_id=lead)
    book.event(t, "breach", at, t["status"], t["status"], None, assignee=lead)
    if lead is not None:
        book.tasks.append(dict(customer_id=t["customer_id"], assignee_id=lead, created_by_id=lead, title=t["subject"],
                               due_at=at, status="open", priority="high", kind="escalation", ticket_id=t["id"],
                               created_at=at))
    return t


def _at_local(day, hour: int, minute: int = 0) -> datetime:
    return clock.start_of_day(day) + timedelta(hours=hour, minutes=minute)


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    now = anchor
    today = clock.local_date(anchor)
    cats = {c.code: {"sla_hours_high": c.sla_hours_high, "sla_hours_normal": c.sla_hours_normal,
                     "sla_hours_low": c.sla_hours_low} for c in session.execute(select(TicketCategory)).scalars()}
    customers = session.execute(select(Customer.id, Customer.owner_id, Customer.team_id, Customer.branch_id,
                                       Customer.name, Customer.kind).order_by(Customer.id)).all()
    leads = {}
    managers = {}
    for uid, roles, team_id, branch_id in session.execute(
            select(User.id, User.roles, User.team_id, User.branch_id).order_by(User.id)):
        if "team_lead" in (roles or []) and team_id is not None:
            leads.setdefault(team_id, uid)
        if "branch_manager" in (roles or []) and branch_id is not None:
            managers.setdefault(branch_id, uid)
    team_of = {c.id: (c.team_id, c.branch_id) for c in customers}

    def lead_of(cid: int) -> int | None:
        team, branch = team_of[cid]
        return leads.get(team) or managers.get(branch)

    book = _Book(session)
    ids = [(c.id, c.owner_id) for c in customers]
    for _ in range(max(20, len(ids) // 10)):
        customer = rng.choice(ids)
        kind = rng.choices(["complaint", "service"], [40, 60])[0]
        if kind == "complaint":
            subject, category, reason = rng.choice(COMPLAINTS)
        else:
            (subject, category), reason = rng.choice(SERVICES), None
        status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
        if status in ("closed", "resolved"):
            opened = now - timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 600))
        else:  # still being worked: received in the last few days, some of them past their SLA already
            opened = now - timedelta(hours=rng.randrange(1, 120), minutes=rng.randrange(0, 60))
        _ticket(book, rng, cats, lead_of, customer=customer, kind=kind, subject=subject, category=category,
                reason=reason, status=status, opened=opened, now=now,
                priority=rng.choices(["high", "normal", "low"], [15, 65, 20])[0],
                channel=rng.choices(["branch", "phone", "app", "online", "letter", "regulator"],
                                    [30, 30, 20, 12, 4, 4])[0])

    # The demo rm's book shows every state; 张三 has an open complaint.
    rm = session.execute(select(User.id).where(User.username == "rm")).scalar_one_or_none()
    dnc = dnc_records = 0
    if rm is not None:
        mine = [c for c in customers if c.owner_id == rm]
        zhang = next((c for c in mine if c.name == "张三"), None)
        others = [c for c in mine if c is not zhang and c.kind == "individual"]
        showcase = [
            ("in_progress", "complaint", COMPLAINTS[0], now - timedelta(hours=20), "normal"),
            ("in_progress", "complaint", COMPLAINTS[2], now - timedelta(days=4), "high"),  # past its SLA
            ("new", "service", SERVICES[3], now - timedelta(hours=3), "normal"),
            ("waiting_customer", "service", SERVICES[0], now - timedelta(days=1), "normal"),
            ("resolved", "complaint", COMPLAINTS[4], now - timedelta(days=3), "normal"),
            ("closed", "service", SERVICES[7], now - timedelta(days=40), "low"),
            ("reopened", "complaint", COMPLAINTS[6], now - timedelta(days=9), "normal"),
            ("assigned", "service", SERVICES[5], now - timedelta(hours=6), "high"),
        ]
        targets = ([zhang] if zhang else []) + others
        for i, (status, kind, spec, opened, priority) in enumerate(showcase):
            if not targets:
                break
            c = targets[i % len(targets)]
            subject, category = spec[0], spec[1]
            _ticket(book, rng, cats, lead_of, customer=(c.id, c.owner_id), kind=kind, subject=subject,
                    category=category, reason=spec[2] if kind == "complaint" else None, status=status, opened=opened,
                    now=now, priority=priority, channel="branch" if i % 2 else "phone")
        # Tasks of the day, at office hours, and some on either side of it.
        plan = [(zhang, "回访投诉处理进展", 0, (10, 0), "open", "high"),
                (None, "准备季度资产配置报告", 0, (14, 30), "open", "normal"),
                (None, "邀请客户参加财富沙龙", 0, (17, 0), "open", "low"),
                (None, "提醒客户完成风险测评", -2, (11, 0), "open", "high"),
                (None, "核实客户KYC信息", -5, (15, 0), "open", "normal"),
                (None, "跟进客户大额存单购买", 1, (9, 30), "open", "normal"),
                (None, "客户生日礼品寄送", 3, (10, 0), "open", "low"),
                (None, "预约客户网点面谈", 7, (16, 0), "open", "normal"),
                (None, "回访理财到期续作意向", -1, (10, 30), "done", "normal"),
                (None, "整理客户家庭资产负债表", -3, (16, 0), "done", "low"),
                (None, "确认客户信用卡额度调整需求", -4, (9, 0), "cancelled", "low")]
        for i, (who, title, days, (h, m), status, priority) in enumerate(plan):
            c = who or (others[i % len(others)] if others else zhang)
            if c is None:
                break
            due = _at_local(today + timedelta(days=days), h, m)
            book.tasks.append(dict(customer_id=c.id, assignee_id=rm, created_by_id=rm, title=title, due_at=due,
                                   status=status, priority=priority, kind="follow_up", ticket_id=None,
                                   created_at=due - timedelta(days=7),
                                   completed_at=due - timedelta(hours=1) if status == "done" else None,
                                   completed_by_id=rm if status == "done" else None))
        # One of the rm's customers asked not to be contacted (and withdrew marketing consent with it).
        if len(others) > 1:
            c = others[1]
            asked = now - timedelta(days=30, hours=3)
            session.execute(insert(ConsentRecord.__table__), [
                dict(customer_id=c.id, purpose=p, granted=False, channel="phone", recorded_at=asked,
                     recorded_by="demo", evidence=f"DEMO-DNC-{c.id}") for p in ("contact", "marketing")])
            dnc += 1
            dnc_records += 2
    # A few more across the bank.
    extra = [c.id for c in customers if rng.random() < 0.02]
    if extra:
        session.execute(insert(ConsentRecord.__table__), [
            dict(customer_id=cid, purpose="contact", granted=False, channel=rng.choice(["phone", "branch", "app"]),
                 recorded_at=now - timedelta(days=rng.randint(5, 400)), recorded_by="demo", evidence=None)
            for cid in extra])
        dnc += len(extra)
        dnc_records += len(extra)

    session.execute(insert(Ticket.__table__), book.tickets)
    if session.get_bind().dialect.name == "postgresql":  # the ids were given here: move the sequence past them
        session.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                             "(SELECT COALESCE(MAX(id), 1) FROM ticket))"))
    session.execute(insert(TicketEvent.__table__), book.events)
    tasks = [dict({"completed_at": None, "completed_by_id": None}, **t) for t in book.tasks]
    if tasks:
        session.execute(insert(Task.__table__), tasks)
    return {"tickets": len(book.tickets), "ticket_events": len(book.events), "escalation_and_demo_tasks": len(tasks),
            "do_not_contact": dnc, "do_not_contact_consent_records": dnc_records}
