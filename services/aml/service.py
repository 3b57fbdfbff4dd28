"""The AML domain's use cases: watchlists, screening, the review queue, cases, and the risk rating.

Every use case takes the acting `Actor` and a unit of work (keyword-only), states its permission, audits in
the same transaction and returns views (services/aml/views.py). The domain's own reactions — screening a
customer at onboarding or after an identity change, monitoring a batch of transactions, re-screening after a
list update — are not use cases: they run inside the publisher's transaction (services/aml/events.py) or as
a job (services/aml/jobs.py), as the AML domain's system actor.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, NamedTuple

from sqlalchemy import Integer, bindparam, delete, func, insert, select, update
from sqlmodel import Session

from services import clock, documents
from services.aml import monitoring, rating, screening
from services.aml.lists import ListRejected, parse_list
from services.aml.matching import verdict as verdict_of
from services.aml.models import (Alert, Case, CaseNote, CaseStatus, HitStatus, MonitoringRule, MonitorMark,
                                 RescreenRun, RiskAssessment, RunStatus, ScreeningHit, Watchlist, WatchlistEntry)
from services.aml.views import (AlertView, CaseDetail, CaseNoteView, CustomerAml, HitView, ListLoaded, QueueItem,
                                QueuePage, RunView, ScreenResult, WatchlistView)
from services.customers import changes
from services.customers.access import load_customer
from services.customers.export import neutralise
from services.customers.models import AmlRisk, Customer
from services.db import UnitOfWork
from services.prepared import Prepared
from services.errors import DomainError, FieldError, NotFound, OutOfScope, ValidationFailed
from services.events import bus
from services.portfolio.models import Transaction
from services.security import audit
from services.security.actor import Actor
from services.security.masking import mask_id_number
from services.security.models import Role, User
from services.security.policy import Permission, customer_scope_filter, permits, requires
from services.validation.text import text_problem

AML_ACTOR = screening.AML_ACTOR
INLINE_RATING_MAX = 20  # more customers than this at once (an import): ratings wait for the rating job
RESCREEN_CHUNK = 500
MAX_REASON = 1000
MAX_NOTE = 2000
PAGE_SIZE = 25
DISPOSITIONS = (HitStatus.TRUE_POSITIVE, HitStatus.FALSE_POSITIVE)


class AlreadyDecided(DomainError):
    code = "aml.already_decided"
    http_status = 409


class CaseClosed(DomainError):
    code = "aml.case_closed"
    http_status = 409


class ListWouldEmpty(DomainError):
    code = "aml.list_removes_all"
    http_status = 422


class _InTransaction:
    """The publisher's transaction as a unit of work, for the sanctioned writer called from a handler."""

    def __init__(self, session: Session):
        self.session = session

    def publish(self, event) -> None:
        bus.publish(self.session, event)


# ---------------------------------------------------------------- watchlists

LIST_NAMES = {"ofac_sdn": "OFAC SDN", "un_sc": "UN Security Council consolidated list", "internal": "Internal list"}


@requires(Permission.AML_LIST_MANAGE)
def load_list(*, uow: UnitOfWork, actor: Actor, content: Any, code: str | None = None, name: str | None = None,
              rescreen: bool = True) -> ListLoaded:
    """Replace one list by a new published file, whole or not at all: a malformed file, or one that would
    remove every entry of the list in force, is refused and the previous list stays in force. A list that
    changed queues the re-screening of every customer (progress in `rescreen_progress`)."""
    if not isinstance(content, (bytes, bytearray)):
        raise ValidationFailed([FieldError("file", "value.required")])
    parsed = parse_list(bytes(content))
    code = (code or parsed.format).strip().lower()
    if not code.replace("_", "").isalnum() or len(code) > 40 or text_problem(code):
        raise ValidationFailed([FieldError("code", "value.invalid")])
    s = uow.session
    current = s.execute(select(Watchlist).where(Watchlist.code == code)).scalar_one_or_none()
    if current is not None and current.source_sha256 == parsed.sha256:
        return ListLoaded(code=code, version=current.version, entries=current.entry_count, added=0, removed=0,
                          unchanged=True, run_id=None)
    old_ids: set[str] = set()
    if current is not None:
        old_ids = set(s.execute(select(WatchlistEntry.entry_id).where(WatchlistEntry.watchlist_id == current.id))
                      .scalars())
        new_ids = {e.entry_id for e in parsed.entries}
        if old_ids and not (old_ids & new_ids):
            raise ListWouldEmpty(list_code=code, count=len(old_ids))
    now = clock.now()
    if current is None:
        current = Watchlist(code=code, name=(name or LIST_NAMES.get(parsed.format, code))[:200], format=parsed.format,
                            version=0, source_sha256=parsed.sha256)
    else:
        s.execute(delete(WatchlistEntry).where(WatchlistEntry.watchlist_id == current.id))
    current.version += 1
    current.format, current.source_sha256, current.published = parsed.format, parsed.sha256, parsed.published
    current.entry_count, current.loaded_at, current.loaded_by = len(parsed.entries), now, actor.name
    if name:
        current.name = name[:200]
    s.add(current)
    s.flush()
    rows = [{"watchlist_id": current.id, "entry_id": e.entry_id, "kind": e.kind, "primary_name": e.primary_name[:500],
             "names": [[n.name, n.quality] for n in e.names], "birth_dates": e.birth_dates,
             "nationalities": e.nationalities, "programs": e.programs, "remarks": e.remarks}
            for e in parsed.entries]
    for i in range(0, len(rows), 2000):
        s.execute(insert(WatchlistEntry.__table__), rows[i:i + 2000])
    new_ids = {e.entry_id for e in parsed.entries}
    added, removed = len(new_ids - old_ids), len(old_ids - new_ids)
    run_id = None
    if rescreen:
        run = RescreenRun(reason=f"{code} v{current.version}", requested_by=actor.name, requested_at=now,
                          total=s.execute(select(func.count()).select_from(Customer)).scalar())
        s.add(run)
        s.flush()
        run_id = run.id
    audit.record(s, actor, "aml.list_load", entity_type="aml_watchlist", entity_id=current.id,
                 changes={"code": code, "format": parsed.format, "version": current.version,
                          "entries": len(parsed.entries), "added": added, "removed": removed,
                          "sha256": parsed.sha256, "rescreen_run": run_id})
    return ListLoaded(code=code, version=current.version, entries=len(parsed.entries), added=added,
                      removed=removed, unchanged=False, run_id=run_id)


@requires(Permission.AML_VIEW, Permission.AML_SCREEN)
def list_watchlists(*, uow: UnitOfWork, actor: Actor) -> list[WatchlistView]:
    rows = uow.session.execute(select(Watchlist).order_by(Watchlist.code)).scalars().all()
    return [WatchlistView(code=w.code, name=w.name, format=w.format, version=w.version, entries=w.entry_count,
                          published=w.published, loaded_at=w.loaded_at, loaded_by=w.loaded_by) for w in rows]


# ---------------------------------------------------------------- screening files (operations)

@requires(Permission.AML_SCREEN)
def screen_rows(*, uow: UnitOfWork, actor: Actor, rows: Iterable[dict], limit: int = 3) -> list[ScreenResult]:
    """Screen names from a file (`name`, optionally `birth_date`, `nationality`): the best hits of each row and
    a verdict. Nothing is recorded but the audit event (who screened how many names)."""
    s = uow.session
    m = screening.matcher(s)
    out: list[ScreenResult] = []
    for i, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        problem = text_problem(name) if name else "value.required"
        birth = screening.birth(row.get("birth_date"))
        nationality = (row.get("nationality") or "").strip().lower() or None
        if nationality and len(nationality) != 2:
            from services.aml.lists import country_code

            nationality = country_code(nationality)
        if problem or m is None:
            out.append(ScreenResult(row=i + 1, name=name, verdict="error" if problem else "clear",
                                    problem=problem or None, hits=[]))
            continue
        matches = m.screen(name, birth_date=birth, nationality=nationality, limit=limit)
        best = matches[0].verdict if matches else "clear"
        out.append(ScreenResult(row=i + 1, name=name, verdict=best, problem=None, hits=[
            {"list": x.entry.list_code, "entry_id": x.entry.entry_id, "matched_name": x.matched_name,
             "score": round(x.score, 3), "verdict": x.verdict} for x in matches]))
    audit.record(s, actor, "aml.screen_file", entity_type="aml", entity_id=None,
                 changes={"rows": len(out), "hits": sum(1 for r in out if r.verdict == "hit"),
                          "possible": sum(1 for r in out if r.verdict == "possible")})
    return out


# ---------------------------------------------------------------- the domain's reactions (handlers, jobs)

def screen_customers(session: Session, customer_ids: Iterable[int], *, rate_inline: bool | None = None) -> int:
    """Screen these customers against the lists in force and rate them; returns the new hits. With no list
    loaded nothing happens (the customers stay "not yet screened" until a list loads and re-screens all)."""
    ids = sorted(set(customer_ids))
    m = screening.matcher(session) if ids else None
    if m is None:
        return 0
    versions = screening.list_versions(session)
    inline = len(ids) <= INLINE_RATING_MAX if rate_inline is None else rate_inline
    new = 0
    for i in range(0, len(ids), 900):
        chunk = list(session.execute(select(Customer).where(Customer.id.in_(ids[i:i + 900]))).scalars())
        for c in chunk:
            new += screening.screen_customer(session, m, c, versions).new_hits
        if inline:
            for c in chunk:
                rate(session, c, inline=True)
        else:  # bulk (an import): assessed in a few statements; the rating job writes what changed
            rating.assess_many(session, chunk, pending=True)
    return new


def rate(session: Session, customer: Customer, *, inline: bool = True) -> str:
    """Assess the customer; write the rating through the sanctioned writer now (inline) or mark it for the
    rating job (bulk work: one write per customer would slow an import down)."""
    assessment = rating.assess(session, customer, pending=not inline)
    if inline and customer.aml_risk != assessment.rating:
        changes.set_aml_risk(uow=_InTransaction(session), actor=AML_ACTOR, customer_id=customer.id,
                             risk=assessment.rating, source="aml")
    return assessment.rating


def write_pending_ratings(session: Session, limit: int = 2000) -> int:
    """The rating job's work: write the ratings that bulk screening left pending."""
    pending = session.execute(select(RiskAssessment).where(RiskAssessment.pending.is_(True))
                              .order_by(RiskAssessment.customer_id).limit(limit)).scalars().all()
    written = 0
    for a in pending:
        c = session.get(Customer, a.customer_id)
        a.pending = False
        session.add(a)
        if c is not None and c.aml_risk != a.rating:
            changes.set_aml_risk(uow=_InTransaction(session), actor=AML_ACTOR, customer_id=c.id, risk=a.rating,
                                 source="aml")
            written += 1
    session.flush()
    if pending:  # the assessments themselves are written: on record even when no rating changed
        audit.record(session, AML_ACTOR, "aml.ratings", entity_type="aml", entity_id=None,
                     changes={"assessed": len(pending), "ratings_changed": written})
    return len(pending)


def screen_counterparties(session: Session, transaction_ids: list[int]) -> int:
    m = screening.matcher(session) if transaction_ids else None
    if m is None:
        return 0
    versions = screening.list_versions(session)
    new = 0
    seen: dict[str, list] = {}
    for i in range(0, len(transaction_ids), 900):
        for tid, cid, name in session.execute(select(Transaction.id, Transaction.customer_id,
                                                     Transaction.counterparty_name).where(
                Transaction.id.in_(transaction_ids[i:i + 900]), Transaction.counterparty_name.is_not(None))).all():
            if name not in seen:
                seen[name] = m.screen(name)
            if seen[name]:
                new += screening.record_hits(session, customer_id=cid, subject_type="counterparty", subject_name=name,
                                             matches=seen[name], versions=versions, transaction_id=tid)
    return new


def active_rules(session: Session) -> list[monitoring.Rule]:
    return [monitoring.Rule(code=r.code, kind=r.kind, params=r.params, version=r.version, severity=r.severity,
                            sla_days=r.sla_days)
            for r in session.execute(select(MonitoringRule).where(MonitoringRule.active.is_(True))
                                     .order_by(MonitoringRule.id)).scalars()]


def monitor_customers(session: Session, customer_ids: Iterable[int]) -> int:
    """Run the monitoring rules over the transactions these customers booked since they were last monitored
    (and the window before them); new findings become alerts, and alerts join the customer's open case or open
    a new one. Returns the number of new alerts. Also screens the counterparties of the new transactions.

    A batch touches thousands of customers: the reads go by chunks of customers (a handful of statements per
    chunk), never one customer at a time."""
    ids = sorted(set(customer_ids))
    rules = active_rules(session)
    if not ids or not rules:
        return 0
    zone = clock.zone()
    back = monitoring.lookback(rules)
    passive: set[str] = set()
    for r in rules:
        if r.kind == "dormant_reactivation":
            passive |= set(r.params.get("passive_kinds", ()))
    by_code = {r.code: r for r in rules}
    new_alerts = 0
    all_new: list[int] = []
    rated: set[int] = set()
    T = Transaction
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = dict(session.execute(select(MonitorMark.customer_id, MonitorMark.last_transaction_id)
                                     .where(MonitorMark.customer_id.in_(chunk))).all())
        floor = min((marks.get(c, 0) for c in chunk), default=0)
        fresh: dict[int, list] = {}
        for tid, cid, booked in session.execute(select(T.id, T.customer_id, T.booked_at).where(
                T.customer_id.in_(chunk), T.id > floor)).all():
            if tid > marks.get(cid, 0):
                fresh.setdefault(cid, []).append((tid, booked))
        if not fresh:
            continue
        first = min(b for rows in fresh.values() for _, b in rows) - back
        last = max(b for rows in fresh.values() for _, b in rows) + back
        touched = sorted(fresh)
        window: dict[int, list[monitoring.Tx]] = {}
        for row in session.execute(select(T.id, T.customer_id, T.booked_at, T.amount, T.currency, T.kind, T.channel,
                                          T.counterparty_country)
                                   .where(T.customer_id.in_(touched), T.booked_at >= first, T.booked_at <= last)
                                   .order_by(T.customer_id, T.booked_at, T.id)).all():
            window.setdefault(row[1], []).append(monitoring.Tx(*row))
        before = dict(session.execute(select(T.customer_id, func.max(T.booked_at)).where(
            T.customer_id.in_(touched), T.booked_at < first, T.kind.not_in(passive or {""})).group_by(T.customer_id)
        ).all())
        kinds = dict(session.execute(select(Customer.id, Customer.kind).where(Customer.id.in_(touched))).all())
        findings: list[monitoring.Finding] = []
        for cid in touched:
            new_ids = {tid for tid, _ in fresh[cid]}
            all_new += new_ids
            findings += monitoring.evaluate(rules, kinds.get(cid) or "individual", window.get(cid, []), new_ids,
                                            zone, last_active_before=before.get(cid))
        made = _raise_alerts(session, findings, by_code)
        new_alerts += made
        rated |= {f.customer_id for f in findings}
        tops = {cid: max(tid for tid, _ in rows) for cid, rows in fresh.items()}
        known = [c for c in tops if c in marks]
        if known:
            mark = MonitorMark.__table__
            session.connection().execute(
                update(mark).where(mark.c.customer_id == bindparam("c"), mark.c.last_transaction_id < bindparam("t"))
                .values(last_transaction_id=bindparam("t")), [{"c": c, "t": tops[c]} for c in known])
        unknown = [{"customer_id": c, "last_transaction_id": tops[c]} for c in tops if c not in marks]
        if unknown:
            session.execute(insert(MonitorMark.__table__), unknown)
    session.flush()
    screen_counterparties(session, sorted(all_new))
    rate_many(session, sorted(rated))
    return new_alerts


def rate_many(session: Session, customer_ids: list[int]) -> None:
    """`rate(inline=True)` for many customers (a batch's findings): assessed a few statements per 500 customers
    (one customer at a time cost four statements and a flush each, most of an ingested batch's time); ratings
    that changed are written through the sanctioned writer, one by one, as `rate` does."""
    for i in range(0, len(customer_ids), 500):
        chunk = list(session.execute(select(Customer).where(Customer.id.in_(customer_ids[i:i + 500]))
                                     .order_by(Customer.id)).scalars())
        ratings = rating.assess_many(session, chunk, pending=False)
        for c in chunk:
            if c.aml_risk != ratings[c.id]:
                changes.set_aml_risk(uow=_InTransaction(session), actor=AML_ACTOR, customer_id=c.id,
                                     risk=ratings[c.id], source="aml")


def _raise_alerts(session: Session, findings: list[monitoring.Finding], rules: dict[str, monitoring.Rule]) -> int:
    made = 0
    now = clock.now()
    keys = [f.dedup_key[:200] for f in findings]
    seen: set[str] = set()
    for i in range(0, len(keys), 900):
        seen.update(session.execute(select(Alert.dedup_key).where(Alert.dedup_key.in_(keys[i:i + 900]))).scalars())
    for f in findings:
        if f.dedup_key[:200] in seen:
            continue
        seen.add(f.dedup_key[:200])
        rule = rules[f.rule_code]
        case = session.execute(select(Case).where(Case.customer_id == f.customer_id, Case.status == CaseStatus.OPEN)
                               .order_by(Case.id).limit(1)).scalar_one_or_none()
        if case is None:
            case = Case(customer_id=f.customer_id, status=CaseStatus.OPEN, severity=rule.severity, opened_at=now,
                        due_at=now + timedelta(days=rule.sla_days))
            session.add(case)
            session.flush()
        elif _severity_rank(rule.severity) > _severity_rank(case.severity):
            case.severity = rule.severity
            session.add(case)
        session.add(Alert(rule_code=f.rule_code, rule_version=rule.version, customer_id=f.customer_id, case_id=case.id,
                          dedup_key=f.dedup_key[:200], severity=rule.severity, facts=f.facts,
                          transaction_ids=f.transaction_ids[:200], raised_at=now))
        audit.record(session, AML_ACTOR, "aml.alert", entity_type="customer", entity_id=f.customer_id,
                     changes={"rule": f.rule_code, "case_id": case.id, **{k: v for k, v in f.facts.items()
                                                                           if k in ("limb", "day", "total", "count")}})
        made += 1
    session.flush()
    return made


def _severity_rank(s: str) -> int:
    return {"low": 0, "medium": 1, "high": 2}.get(s, 1)


def rescreen_step(session: Session, run: RescreenRun, chunk: int = RESCREEN_CHUNK) -> bool:
    """Screen the next chunk of customers for a re-screening run; True when the run is done."""
    m = screening.matcher(session)
    run.status = RunStatus.RUNNING
    customers = session.execute(select(Customer).where(Customer.id > run.after_customer_id)
                                .order_by(Customer.id).limit(chunk)).scalars().all()
    if m is None or not customers:
        run.status, run.finished_at = RunStatus.DONE, clock.now()
        run.total = max(run.total, run.done)
        session.add(run)
        session.flush()
        audit.record(session, AML_ACTOR, "aml.rescreen_done", entity_type="aml_rescreen_run", entity_id=run.id,
                     changes={"done": run.done, "hits": run.hits})
        return True
    versions = screening.list_versions(session)
    for c in customers:
        run.hits += screening.screen_customer(session, m, c, versions).new_hits
        rate(session, c, inline=True)
    run.done += len(customers)
    run.total = max(run.total, run.done)
    run.after_customer_id = customers[-1].id
    session.add(run)
    session.flush()
    audit.record(session, AML_ACTOR, "aml.rescreen", entity_type="aml_rescreen_run", entity_id=run.id,
                 changes={"customers": len(customers), "done": run.done, "hits": run.hits,
                          "through_customer": run.after_customer_id})
    return False


@requires(Permission.AML_VIEW, Permission.AML_REVIEW, Permission.AML_LIST_MANAGE)
def rescreen_progress(*, uow: UnitOfWork, actor: Actor, limit: int = 3) -> list[RunView]:
    rows = uow.session.execute(select(RescreenRun).order_by(RescreenRun.id.desc()).limit(max(1, min(limit, 20))))
    return [RunView(id=r.id, reason=r.reason, status=r.status, total=r.total, done=r.done, hits=r.hits,
                    requested_at=r.requested_at, finished_at=r.finished_at) for r in rows.scalars()]


# ---------------------------------------------------------------- the review queue

def _users(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


@requires(Permission.AML_REVIEW, Permission.AML_VIEW)
def queue(*, uow: UnitOfWork, actor: Actor, kind: Any = "all", status: Any = "open", assignee: Any = "any",
          overdue: Any = False, page: Any = 1) -> QueuePage:
    """Screening hits and cases in one queue, oldest deadline first, with their SLA. Filters: `kind` all | hit
    | case; `status` open | decided; `assignee` any | me | unassigned; `overdue`."""
    errors = []
    if kind not in ("all", "hit", "case"):
        errors.append(FieldError("kind", "value.invalid"))
    if status not in ("open", "decided"):
        errors.append(FieldError("status", "value.invalid"))
    if assignee not in ("any", "me", "unassigned"):
        errors.append(FieldError("assignee", "value.invalid"))
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 10_000:
        errors.append(FieldError("page", "value.invalid"))
    if errors:
        raise ValidationFailed(errors)
    s = uow.session
    now = clock.now()
    items: list[QueueItem] = []
    scope = customer_scope_filter(actor, Customer)
    # Both kinds are read whatever `kind` shows: the counts speak of the whole queue.
    q = select(ScreeningHit, Customer.name, Customer.customer_no).join(Customer, Customer.id == ScreeningHit.customer_id)
    q = q.where(scope, ScreeningHit.status == HitStatus.OPEN if status == "open"
                else ScreeningHit.status.in_(DISPOSITIONS))
    q = _assignee_filter(q, ScreeningHit.assigned_to, assignee, actor)
    if overdue:
        q = q.where(ScreeningHit.due_at < now)
    for h, cname, cno in s.execute(q.order_by(ScreeningHit.due_at, ScreeningHit.id).limit(500)).all():
        items.append(QueueItem(kind="hit", id=h.id, customer_id=h.customer_id, customer_name=cname,
                               customer_no=cno, title=h.matched_name, detail=f"{h.list_code} {h.entry_id}",
                               score=h.score, verdict=h.verdict, severity="high" if h.verdict == "hit" else "medium",
                               status=h.status, due_at=h.due_at, overdue=h.due_at < now and h.status == HitStatus.OPEN,
                               assigned_to=h.assigned_to, assigned_name=None, subject=h.subject_type,
                               subject_name=h.subject_name))
    q = select(Case, Customer.name, Customer.customer_no).join(Customer, Customer.id == Case.customer_id)
    q = q.where(scope, Case.status == CaseStatus.OPEN if status == "open"
                else Case.status.in_((CaseStatus.CLOSED, CaseStatus.REPORTED)))
    q = _assignee_filter(q, Case.assigned_to, assignee, actor)
    if overdue:
        q = q.where(Case.due_at < now)
    cases = s.execute(q.order_by(Case.due_at, Case.id).limit(500)).all()
    rules = _alert_rules(s, [c.id for c, _, _ in cases])
    for c, cname, cno in cases:
        items.append(QueueItem(kind="case", id=c.id, customer_id=c.customer_id, customer_name=cname,
                               customer_no=cno, title=", ".join(rules.get(c.id, [])), detail=f"#{c.id}",
                               score=None, verdict=None, severity=c.severity, status=c.status, due_at=c.due_at,
                               overdue=c.due_at < now and c.status == CaseStatus.OPEN, assigned_to=c.assigned_to,
                               assigned_name=None, subject="customer", subject_name=cname))
    items.sort(key=lambda i: (i.due_at, i.kind, i.id))
    counts = {"hits": sum(1 for i in items if i.kind == "hit"), "cases": sum(1 for i in items if i.kind == "case"),
              "overdue": sum(1 for i in items if i.overdue)}
    if kind != "all":
        items = [i for i in items if i.kind == kind]
    names = _users(s, (i.assigned_to for i in items))
    for i in items:
        i.assigned_name = names.get(i.assigned_to) if i.assigned_to else None
    total = len(items)
    start = (page - 1) * PAGE_SIZE
    return QueuePage(items=items[start:start + PAGE_SIZE], total=total, page=page, page_size=PAGE_SIZE, counts=counts)


def _assignee_filter(q, column, assignee: str, actor: Actor):
    if assignee == "me":
        return q.where(column == actor.id)
    if assignee == "unassigned":
        return q.where(column.is_(None))
    return q


def _alert_rules(s: Session, case_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for i in range(0, len(case_ids), 900):
        for case_id, code in s.execute(select(Alert.case_id, Alert.rule_code).where(
                Alert.case_id.in_(case_ids[i:i + 900])).distinct().order_by(Alert.case_id, Alert.rule_code)).all():
            out.setdefault(case_id, []).append(code)
    return out


def _hit(s: Session, actor: Actor, hit_id: Any) -> ScreeningHit:
    if isinstance(hit_id, bool) or not isinstance(hit_id, int) or not 0 < hit_id < 2**31:
        raise ValidationFailed([FieldError("hit_id", "value.invalid")])
    h = s.get(ScreeningHit, hit_id)
    if h is None:
        raise NotFound(what="hit", id=hit_id)
    load_customer(s, actor, h.customer_id)  # scope: OutOfScope answers as "not found"
    return h


def _case(s: Session, actor: Actor, case_id: Any) -> Case:
    if isinstance(case_id, bool) or not isinstance(case_id, int) or not 0 < case_id < 2**31:
        raise ValidationFailed([FieldError("case_id", "value.invalid")])
    c = s.get(Case, case_id)
    if c is None:
        raise NotFound(what="case", id=case_id)
    load_customer(s, actor, c.customer_id)
    return c


def _reason(reason: Any, field: str = "reason", limit: int = MAX_REASON) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed([FieldError(field, "aml.reason_required")])
    reason = reason.strip()
    if len(reason) > limit:
        raise ValidationFailed([FieldError(field, "value.too_long", {"max": limit})])
    problem = text_problem(reason)
    if problem:
        raise ValidationFailed([FieldError(field, problem)])
    return reason


def _hit_view(s: Session, h: ScreeningHit) -> HitView:
    names = _users(s, [h.assigned_to, h.reviewed_by])
    return HitView(id=h.id, customer_id=h.customer_id, subject_type=h.subject_type, subject_name=h.subject_name,
                   list_code=h.list_code, list_version=h.list_version, entry_id=h.entry_id,
                   matched_name=h.matched_name, score=h.score, verdict=h.verdict, explanation=h.explanation,
                   status=h.status, reason=h.reason, found_at=h.found_at, due_at=h.due_at,
                   assigned_name=names.get(h.assigned_to), reviewed_name=names.get(h.reviewed_by),
                   reviewed_at=h.reviewed_at)


@requires(Permission.AML_REVIEW, Permission.AML_VIEW)
def hit_detail(*, uow: UnitOfWork, actor: Actor, hit_id: Any) -> HitView:
    return _hit_view(uow.session, _hit(uow.session, actor, hit_id))


@requires(Permission.AML_REVIEW)
def dispose_hit(*, uow: UnitOfWork, actor: Actor, hit_id: Any, disposition: Any, reason: Any) -> HitView:
    """A reviewer's decision on a hit: true or false positive, with the reason (required). A decided hit
    stays decided; the customer's rating follows."""
    s = uow.session
    h = _hit(s, actor, hit_id)
    if disposition not in {d.value for d in DISPOSITIONS}:
        raise ValidationFailed([FieldError("disposition", "value.invalid_choice",
                                           {"choices": ", ".join(d.value for d in DISPOSITIONS)})])
    why = _reason(reason)
    if h.status != HitStatus.OPEN:
        raise AlreadyDecided(id=h.id)
    h.status, h.reason, h.reviewed_by, h.reviewed_at = disposition, why, actor.id, clock.now()
    s.add(h)
    s.flush()
    audit.record(s, actor, "aml.hit_disposition", entity_type="customer", entity_id=h.customer_id,
                 changes={"hit_id": h.id, "list": h.list_code, "entry_id": h.entry_id, "disposition": disposition,
                          "reason": why})
    rate(s, s.get(Customer, h.customer_id), inline=True)
    return _hit_view(s, h)


@requires(Permission.AML_REVIEW)
def assign(*, uow: UnitOfWork, actor: Actor, item: Any, item_id: Any, assignee_id: Any) -> None:
    """Give a hit or a case to a reviewer (someone who may review), or take it back (None)."""
    s = uow.session
    if item not in ("hit", "case"):
        raise ValidationFailed([FieldError("item", "value.invalid")])
    row = _hit(s, actor, item_id) if item == "hit" else _case(s, actor, item_id)
    if assignee_id is not None:
        if isinstance(assignee_id, bool) or not isinstance(assignee_id, int) or not 0 < assignee_id < 2**31:
            raise ValidationFailed([FieldError("assignee_id", "value.invalid")])
        user = s.get(User, assignee_id)
        from services.security.auth import actor_for_user

        if user is None or not user.is_active or not permits(actor_for_user(user), Permission.AML_REVIEW):
            raise ValidationFailed([FieldError("assignee_id", "aml.not_a_reviewer")])
    old = row.assigned_to
    row.assigned_to = assignee_id
    s.add(row)
    s.flush()
    audit.record(s, actor, "aml.assign", entity_type="customer", entity_id=row.customer_id,
                 changes={item: row.id, "assigned_to": [old, assignee_id]})


@requires(Permission.AML_REVIEW, Permission.AML_VIEW)
def reviewers(*, uow: UnitOfWork, actor: Actor) -> list[tuple[int, str]]:
    """The people a hit or case may be given to."""
    from services.security.auth import actor_for_user

    users = uow.session.execute(select(User).where(User.is_active.is_(True)).order_by(User.display_name)).scalars()
    return [(u.id, u.display_name) for u in users if permits(actor_for_user(u), Permission.AML_REVIEW)]


# ---------------------------------------------------------------- cases

def _case_detail(s: Session, c: Case) -> CaseDetail:
    alerts = s.execute(select(Alert).where(Alert.case_id == c.id).order_by(Alert.raised_at, Alert.id)).scalars().all()
    notes = s.execute(select(CaseNote).where(CaseNote.case_id == c.id).order_by(CaseNote.created_at, CaseNote.id)
                      ).scalars().all()
    names = _users(s, [c.assigned_to, c.closed_by])
    customer = s.get(Customer, c.customer_id)
    return CaseDetail(id=c.id, customer_id=c.customer_id, customer_name=customer.name, customer_no=customer.customer_no,
                      status=c.status, severity=c.severity, opened_at=c.opened_at, due_at=c.due_at,
                      overdue=c.status == CaseStatus.OPEN and c.due_at < clock.now(),
                      assigned_name=names.get(c.assigned_to), closed_at=c.closed_at,
                      closed_name=names.get(c.closed_by), disposition_reason=c.disposition_reason,
                      report_filename=c.report_filename,
                      alerts=[AlertView(id=a.id, rule_code=a.rule_code, severity=a.severity, facts=a.facts,
                                        transaction_ids=list(a.transaction_ids), raised_at=a.raised_at) for a in alerts],
                      notes=[CaseNoteView(author=n.author_name, text=n.text, created_at=n.created_at) for n in notes])


@requires(Permission.AML_REVIEW, Permission.AML_VIEW)
def case_detail(*, uow: UnitOfWork, actor: Actor, case_id: Any) -> CaseDetail:
    return _case_detail(uow.session, _case(uow.session, actor, case_id))


@requires(Permission.AML_REVIEW)
def add_case_note(*, uow: UnitOfWork, actor: Actor, case_id: Any, text: Any) -> CaseDetail:
    s = uow.session
    c = _case(s, actor, case_id)
    body = _reason(text, "text", MAX_NOTE)
    if c.status != CaseStatus.OPEN:
        raise CaseClosed(id=c.id)
    s.add(CaseNote(case_id=c.id, author_id=actor.id, author_name=actor.name[:100], text=body, created_at=clock.now()))
    s.flush()
    audit.record(s, actor, "aml.case_note", entity_type="customer", entity_id=c.customer_id,
                 changes={"case_id": c.id, "length": len(body)})
    return _case_detail(s, c)


@requires(Permission.AML_REVIEW)
def close_case(*, uow: UnitOfWork, actor: Actor, case_id: Any, reason: Any) -> CaseDetail:
    """Close a case as not suspicious, with the reason. A case is decided once."""
    return _decide(uow, actor, case_id, reason, CaseStatus.CLOSED)


@requires(Permission.AML_REVIEW)
def report_case(*, uow: UnitOfWork, actor: Actor, case_id: Any, reason: Any) -> CaseDetail:
    """Report a case as suspicious: the case closes as reported and an export of it (the customer, the
    alerts, their transactions, the notes and the reason) is produced for the filing."""
    return _decide(uow, actor, case_id, reason, CaseStatus.REPORTED)


def _decide(uow: UnitOfWork, actor: Actor, case_id: Any, reason: Any, outcome: CaseStatus) -> CaseDetail:
    s = uow.session
    c = _case(s, actor, case_id)
    why = _reason(reason)
    if c.status != CaseStatus.OPEN:
        raise CaseClosed(id=c.id)
    now = clock.now()
    c.status, c.closed_at, c.closed_by, c.disposition_reason = outcome, now, actor.id, why
    if outcome == CaseStatus.REPORTED:
        data = _report_csv(s, c, actor, why, now)
        c.report_sha256 = documents.write_blob(data)
        c.report_filename = f"STR-{c.id:06d}-{clock.local_now():%Y%m%d}.csv"
    s.add(c)
    s.flush()
    audit.record(s, actor, f"aml.case_{outcome.value}", entity_type="customer", entity_id=c.customer_id,
                 changes={"case_id": c.id, "reason": why, "report": c.report_sha256})
    rate(s, s.get(Customer, c.customer_id), inline=True)
    return _case_detail(s, c)


def _report_csv(s: Session, c: Case, actor: Actor, reason: str, now: datetime) -> bytes:
    customer = s.get(Customer, c.customer_id)
    alerts = s.execute(select(Alert).where(Alert.case_id == c.id).order_by(Alert.id)).scalars().all()
    tx_ids = sorted({t for a in alerts for t in a.transaction_ids})
    txs = s.execute(select(Transaction).where(Transaction.id.in_(tx_ids or [0])).order_by(Transaction.booked_at)
                    ).scalars().all()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "field", "value"])
    for field, value in (("case_id", c.id), ("reported_at", now.isoformat()), ("reported_by", actor.name),
                         ("reason", reason), ("customer_no", customer.customer_no), ("customer_name", customer.name),
                         ("customer_kind", customer.kind), ("id_type", customer.id_type),
                         ("id_number", customer.id_number_masked or mask_id_number(None))):
        w.writerow(["case", field, neutralise(value)])
    for a in alerts:
        w.writerow(["alert", a.rule_code, neutralise(json.dumps(a.facts, ensure_ascii=False, sort_keys=True))])
    w.writerow([])
    w.writerow(["transaction_id", "booked_at", "kind", "amount", "currency", "channel", "counterparty",
                "counterparty_country"])
    for t in txs:
        w.writerow([t.id, t.booked_at.isoformat(), t.kind, str(t.amount), t.currency, t.channel,
                    neutralise(t.counterparty_name or ""), t.counterparty_country or ""])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@requires(Permission.AML_REVIEW)
def download_report(*, uow: UnitOfWork, actor: Actor, case_id: Any) -> tuple[str, bytes]:
    s = uow.session
    c = _case(s, actor, case_id)
    if not c.report_sha256:
        raise NotFound(what="report", id=case_id)
    data = documents.read_blob(c.report_sha256)
    audit.record(s, actor, "aml.report_download", entity_type="customer", entity_id=c.customer_id,
                 changes={"case_id": c.id, "sha256": c.report_sha256})
    return c.report_filename or f"STR-{c.id}.csv", data


# ---------------------------------------------------------------- the customer's AML picture (360 header)

@requires(Permission.CUSTOMER_READ)
def customer_aml(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> CustomerAml:
    """The customer's AML risk for anyone who may see the customer; why, and the open hits and cases, only for
    those who work AML (an RM is never told of an investigation: no tipping-off)."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    insider = permits(actor, Permission.AML_VIEW) or permits(actor, Permission.AML_REVIEW)
    if not insider:
        return CustomerAml(risk=c.aml_risk, shown=False, factors=[], open_hits=0, open_cases=0, overdue=0)
    now = clock.now()
    open_hits, hits_overdue = s.execute(select(func.count(), func.count().filter(ScreeningHit.due_at < now)).where(
        ScreeningHit.customer_id == c.id, ScreeningHit.status == HitStatus.OPEN)).one()
    open_cases, cases_overdue = s.execute(select(func.count(), func.count().filter(Case.due_at < now)).where(
        Case.customer_id == c.id, Case.status == CaseStatus.OPEN)).one()
    assessment = s.get(RiskAssessment, c.id)
    return CustomerAml(risk=c.aml_risk, shown=True, factors=list(assessment.factors) if assessment else [],
                       open_hits=open_hits, open_cases=open_cases, overdue=hits_overdue + cases_overdue)


# The 360 header's AML reads, built once (a statement built per call cost more than the indexed count).
# The 360 header's AML facts in one read: open screening hits, open cases, the latest assessment's factors.
_CID = bindparam("cid", type_=Integer)
_HEADER_FACTS = Prepared(select(
    select(func.count()).select_from(ScreeningHit).where(ScreeningHit.customer_id == _CID,
                                                         ScreeningHit.status == HitStatus.OPEN).scalar_subquery(),
    select(func.count()).select_from(Case).where(Case.customer_id == _CID,
                                                 Case.status == CaseStatus.OPEN).scalar_subquery(),
    select(RiskAssessment.factors).where(RiskAssessment.customer_id == _CID).scalar_subquery()))


class HeaderFacts(NamedTuple):
    open_hits: int
    open_cases: int
    factors: list[dict]


def header_facts(conn, customer_id: int) -> HeaderFacts:
    """The customer's open screening hits and cases and the factors of the latest AML assessment (empty when
    never assessed), in one statement: for read models (the 360 header) that have already decided the actor
    may know."""
    hits, cases, factors = _HEADER_FACTS.first(conn, {"cid": customer_id})
    return HeaderFacts(hits or 0, cases or 0, list(factors or []))


@requires(Permission.AML_LIST_MANAGE)
def request_rescreen(*, uow: UnitOfWork, actor: Actor) -> RunView:
    """Queue the re-screening of every customer against the lists in force (one run at a time: a run already
    queued or working is the answer)."""
    s = uow.session
    run = s.execute(select(RescreenRun).where(RescreenRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))
                    .order_by(RescreenRun.id).limit(1)).scalar_one_or_none()
    if run is None:
        run = RescreenRun(reason="manual", requested_by=actor.name, requested_at=clock.now(),
                          total=s.execute(select(func.count()).select_from(Customer)).scalar())
        s.add(run)
        s.flush()
        audit.record(s, actor, "aml.rescreen_requested", entity_type="aml_rescreen_run", entity_id=run.id,
                     changes={"total": run.total})
    return RunView(id=run.id, reason=run.reason, status=run.status, total=run.total, done=run.done, hits=run.hits,
                   requested_at=run.requested_at, finished_at=run.finished_at)


