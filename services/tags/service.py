"""Tag use cases: tags, versioned tag rules, previews, applying rules (all customers, or one).

Writes are for admins and leave an audit event in the caller's transaction; nothing here commits.
Applying a rule records, for every customer it tags, the rule id and version and the evidence (the operand
values that made it hold), removes the tag when the condition stops holding, keeps the history in
CustomerTagChange and announces each change as a `customer.tagged` outbox message.
"""
from __future__ import annotations

import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from services import clock, holds
from services.customers.models import Customer
from services.customers.models import CustomFieldDefinition as CustomerFieldDef
from services.customers.access import load_customer
from services import events
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.security import audit
from services.security.actor import SYSTEM, Actor
from services.security.policy import Permission, customer_scope_filter, requires
from services.tags import rules as R
from services.tags.events import CustomerTagged
from services.tags.models import CustomerTag, CustomerTagChange, Tag, TagRule
from services.validation.identity import InvalidValue
from services.validation.input import StrictInput, parse

log = logging.getLogger(__name__)

COLORS = ("blue", "green", "orange", "red", "purple", "gray", "gold", "teal")
SAMPLE_SIZE = 5
BATCH_CUSTOMERS = 5000  # nightly pass: customers per transaction


# ---------------------------------------------------------------- inputs

class _Input(StrictInput):
    """Tag and rule input: plain visible text (StrictInput), on one line."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, v: Any) -> Any:
        if isinstance(v, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise ValueError("control")
        return v


_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _code(value: Any) -> Any:
    """A tag code or rule key: says what it must look like rather than 'is not valid'."""
    if isinstance(value, str) and not _CODE.match(value.strip()):
        raise InvalidValue("value.code_format")
    return value


class TagCreate(_Input):
    code: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    color: Literal["blue", "green", "orange", "red", "purple", "gray", "gold", "teal"] = "blue"

    _code_format = field_validator("code")(_code)


class RuleSave(_Input):
    rule_key: str = Field(max_length=40)
    tag_code: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=100)
    definition: dict
    active: bool = True

    _code_format = field_validator("rule_key", "tag_code")(_code)


# ---------------------------------------------------------------- views

class TagView(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    color: str


class RuleView(BaseModel):
    id: int
    rule_key: str
    version: int
    name: str
    tag: TagView
    definition: dict
    active: bool
    match_count: int
    created_by: str | None
    created_at: datetime


class SampleCustomer(BaseModel):
    id: int
    customer_no: str
    name: str
    segment: str


class PreviewResult(BaseModel):
    count: int  # customers in the actor's scope that match now
    sample: list[SampleCustomer]


class CustomerTagView(BaseModel):
    code: str
    name: str
    name_en: str
    color: str
    rule_key: str | None  # None: set by hand
    rule_name: str | None
    rule_version: int | None
    evidence: dict
    applied_at: datetime


class TagChange(BaseModel):
    customer_id: int
    tag_code: str
    action: Literal["added", "removed"]
    rule_key: str
    rule_version: int
    evidence: dict


class RunResult(BaseModel):
    rule_key: str
    version: int
    matched: int
    added: int
    removed: int
    revised: int = 0  # kept the tag, now justified by this version (new evidence)


# ---------------------------------------------------------------- helpers

def _tag_view(t: Tag) -> TagView:
    return TagView(id=t.id, code=t.code, name=t.name, name_en=t.name_en, color=t.color)


def _ctx(session: Session, as_of: datetime | None) -> R.Ctx:
    return R.Ctx(as_of=as_of or R.default_as_of(), dialect=session.get_bind().dialect.name)


def _current_rule(session: Session, rule_key: Any) -> TagRule:
    if not isinstance(rule_key, str) or not rule_key or len(rule_key) > 40:
        raise ValidationFailed([FieldError("rule_key", "value.invalid")])
    rule = session.execute(select(TagRule).where(TagRule.rule_key == rule_key, TagRule.is_current.is_(True))
                           ).scalar_one_or_none()
    if rule is None:
        raise NotFound(what="tag_rule", id=rule_key)
    return rule


def _rule_view(session: Session, rule: TagRule, tag: Tag | None = None) -> RuleView:
    tag = tag or session.get(Tag, rule.tag_id)
    count = session.execute(select(func.count()).select_from(CustomerTag).where(
        CustomerTag.tag_id == rule.tag_id, CustomerTag.rule_id.is_not(None),
        holds.visible(CustomerTag.customer_id, R.C))).scalar_one()  # not customers of an unfinished import
    return RuleView(id=rule.id, rule_key=rule.rule_key, version=rule.version, name=rule.name, tag=_tag_view(tag),
                    definition=rule.definition, active=rule.active, match_count=count,
                    created_by=rule.created_by, created_at=rule.created_at)


def _validated(session: Session, definition: Any) -> R.Node:
    return R.validate(definition, R.custom_field_types(session))


# ---------------------------------------------------------------- tags and rules

@requires(Permission.TAG_RULE_MANAGE)
def create_tag(*, uow: UnitOfWork, actor: Actor, data: Any) -> TagView:
    req = parse(TagCreate, data)
    s = uow.session
    if s.execute(select(Tag.id).where(Tag.code == req.code)).first():
        raise ValidationFailed([FieldError("code", "value.taken")])
    tag = Tag(code=req.code, name=req.name, name_en=req.name_en, color=req.color, created_at=clock.now())
    s.add(tag)
    s.flush()
    audit.record(s, actor, "tag.create", entity_type="tag", entity_id=tag.id, changes=req.model_dump())
    return _tag_view(tag)


@requires(Permission.TAG_RULE_MANAGE)
def list_tags(*, uow: UnitOfWork, actor: Actor) -> list[TagView]:
    return [_tag_view(t) for t in uow.session.execute(select(Tag).order_by(Tag.code)).scalars()]


@requires(Permission.TAG_RULE_MANAGE)
def save_rule(*, uow: UnitOfWork, actor: Actor, data: Any) -> RuleView:
    """Create a rule (version 1) or edit it: a new version becomes current, the previous one stays on record."""
    s = uow.session
    try:
        req = parse(RuleSave, data)
    except ValidationFailed as exc:  # say what is wrong with the conditions too, not one thing after another
        definition = data.get("definition") if isinstance(data, dict) else None
        if isinstance(definition, dict) and not any(e.field == "definition" for e in exc.errors):
            try:
                _validated(s, definition)
            except ValidationFailed as more:
                raise ValidationFailed(exc.errors + more.errors) from None
        raise
    tag = s.execute(select(Tag).where(Tag.code == req.tag_code)).scalar_one_or_none()
    if tag is None:
        raise ValidationFailed([FieldError("tag_code", "value.invalid")])
    _validated(s, req.definition)
    previous = s.execute(select(TagRule).where(TagRule.rule_key == req.rule_key, TagRule.is_current.is_(True))
                         .with_for_update()).scalar_one_or_none()
    if previous is not None and previous.tag_id != tag.id:
        raise ValidationFailed([FieldError("tag_code", "tag_rule.tag_fixed")])
    other = s.execute(select(TagRule.rule_key).where(TagRule.tag_id == tag.id, TagRule.is_current.is_(True),
                                                     TagRule.rule_key != req.rule_key)).first()
    if other is not None:
        raise ValidationFailed([FieldError("tag_code", "tag_rule.tag_taken", {"rule_key": other[0]})])
    version = 1
    if previous is not None:
        version = previous.version + 1
        s.execute(update(TagRule).where(TagRule.id == previous.id).values(is_current=False))
    rule = TagRule(rule_key=req.rule_key, version=version, tag_id=tag.id, name=req.name, definition=req.definition,
                   is_current=True, active=req.active, created_by=actor.name, created_at=clock.now())
    s.add(rule)
    s.flush()
    audit.record(s, actor, "tag_rule.save", entity_type="tag_rule", entity_id=rule.id,
                 changes={"rule_key": rule.rule_key, "version": version, "tag": tag.code, "name": rule.name,
                          "definition": rule.definition, "active": rule.active})
    return _rule_view(s, rule, tag)


@requires(Permission.TAG_RULE_MANAGE)
def set_rule_active(*, uow: UnitOfWork, actor: Actor, rule_key: Any, active: Any) -> RuleView:
    """Activate or deactivate a rule. Deactivating takes away the tags it gave (recorded as removals)."""
    if not isinstance(active, bool):
        raise ValidationFailed([FieldError("active", "value.wrong_type")])
    s = uow.session
    rule = _current_rule(s, rule_key)
    if rule.active == active:
        return _rule_view(s, rule)
    s.execute(update(TagRule).where(TagRule.id == rule.id).values(active=active))
    s.expire(rule)
    removed = 0
    if not active:
        tag = s.get(Tag, rule.tag_id)
        tagged = s.execute(select(CustomerTag.customer_id, Customer.hold_id).join(Customer, Customer.id ==
                                                                                 CustomerTag.customer_id)
                           .where(CustomerTag.tag_id == tag.id, CustomerTag.rule_id.is_not(None))).all()
        by_hold: dict[int | None, list[int]] = {}
        open_hold: dict[int | None, bool] = {None: False}
        for cid, hold_id in tagged:  # an unfinished import's customers: announced when it publishes them
            if hold_id not in open_hold:
                open_hold[hold_id] = holds.is_open(s, hold_id)
            by_hold.setdefault(hold_id if open_hold[hold_id] else None, []).append(cid)
        for hold_id, ids in by_hold.items():
            with holds.writing_under(s, hold_id) if hold_id is not None else nullcontext():
                for i in range(0, len(ids), 1000):
                    _write_changes(s, rule, tag, adds={}, removes=ids[i:i + 1000], evidence_of_removed=None)
        removed = len(tagged)
    audit.record(s, actor, "tag_rule.activate" if active else "tag_rule.deactivate", entity_type="tag_rule",
                 entity_id=rule.id, changes={"rule_key": rule.rule_key, "version": rule.version, "removed": removed})
    return _rule_view(s, s.get(TagRule, rule.id))


@requires(Permission.TAG_RULE_MANAGE)
def list_rules(*, uow: UnitOfWork, actor: Actor) -> list[RuleView]:
    """Current versions of all rules, with how many customers carry each rule's tag."""
    s = uow.session
    rows = s.execute(select(TagRule, Tag).join(Tag, Tag.id == TagRule.tag_id)
                     .where(TagRule.is_current.is_(True)).order_by(TagRule.rule_key)).all()
    counts = dict(s.execute(select(CustomerTag.tag_id, func.count())
                            .where(CustomerTag.rule_id.is_not(None), holds.visible(CustomerTag.customer_id, R.C))
                            .group_by(CustomerTag.tag_id)).all())
    return [RuleView(id=r.id, rule_key=r.rule_key, version=r.version, name=r.name, tag=_tag_view(t),
                     definition=r.definition, active=r.active, match_count=counts.get(t.id, 0),
                     created_by=r.created_by, created_at=r.created_at) for r, t in rows]


@requires(Permission.TAG_RULE_MANAGE)
def get_rule(*, uow: UnitOfWork, actor: Actor, rule_key: Any) -> RuleView:
    return _rule_view(uow.session, _current_rule(uow.session, rule_key))


@requires(Permission.TAG_RULE_MANAGE)
def preview(*, uow: UnitOfWork, actor: Actor, definition: Any, as_of: datetime | None = None) -> PreviewResult:
    """How many customers (in the actor's scope) a definition matches now, and a few of them."""
    s = uow.session
    tree = _validated(s, definition)
    ctx = _ctx(s, as_of)
    where = [R.condition_sql(ctx, tree), customer_scope_filter(actor, Customer)]
    count = s.execute(select(func.count()).select_from(R.C).where(*where)).scalar_one()
    rows = s.execute(select(R.C.c.id, R.C.c.customer_no, R.C.c.name, R.C.c.segment).where(*where)
                     .order_by(R.C.c.id).limit(SAMPLE_SIZE)).all()
    return PreviewResult(count=count, sample=[SampleCustomer(id=r[0], customer_no=r[1], name=r[2], segment=r[3])
                                              for r in rows])


@requires(Permission.CUSTOMER_READ)
def tags_for_customer(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list[CustomerTagView]:
    """The customer's tags with the reason each was given ("why this tag"), for anyone who may see the customer."""
    s = uow.session
    c = load_customer(s, actor, customer_id)
    rows = s.execute(
        select(CustomerTag, Tag, TagRule).join(Tag, Tag.id == CustomerTag.tag_id)
        .outerjoin(TagRule, TagRule.id == CustomerTag.rule_id)
        .where(CustomerTag.customer_id == c.id).order_by(CustomerTag.applied_at.desc(), Tag.code)
    ).all()
    return [CustomerTagView(code=t.code, name=t.name, name_en=t.name_en, color=t.color,
                            rule_key=r.rule_key if r else None, rule_name=r.name if r else None,
                            rule_version=ct.rule_version, evidence=ct.evidence or {}, applied_at=ct.applied_at)
            for ct, t, r in rows]


# ---------------------------------------------------------------- applying rules

def _write_changes(s: Session, rule: TagRule, tag: Tag, *, adds: dict[int, dict], removes: list[int],
                   evidence_of_removed: dict[int, dict] | None, announce: bool = True) -> list[TagChange]:
    """Insert and delete customer tags, record the history and (unless told not to) announce each change."""
    if not adds and not removes:
        return []
    now = clock.now()
    changes: list[TagChange] = []
    if removes:
        s.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id, CustomerTag.customer_id.in_(removes)))
    if adds:
        s.execute(insert(CustomerTag), [
            {"customer_id": cid, "tag_id": tag.id, "rule_id": rule.id, "rule_version": rule.version,
             "evidence": ev, "applied_at": now} for cid, ev in adds.items()])
    history = []
    for cid, ev in adds.items():
        history.append({"customer_id": cid, "tag_id": tag.id, "action": "added", "rule_id": rule.id,
                        "rule_version": rule.version, "evidence": ev, "at": now})
        changes.append(TagChange(customer_id=cid, tag_code=tag.code, action="added", rule_key=rule.rule_key,
                                 rule_version=rule.version, evidence=ev))
    for cid in removes:
        ev = (evidence_of_removed or {}).get(cid, {})
        history.append({"customer_id": cid, "tag_id": tag.id, "action": "removed", "rule_id": rule.id,
                        "rule_version": rule.version, "evidence": ev, "at": now})
        changes.append(TagChange(customer_id=cid, tag_code=tag.code, action="removed", rule_key=rule.rule_key,
                                 rule_version=rule.version, evidence=ev))
    s.execute(insert(CustomerTagChange), history)
    if not announce:
        return changes
    numbers = dict(s.execute(select(Customer.id, Customer.customer_no).where(
        Customer.id.in_([c.customer_id for c in changes]))).all())
    for ch in changes:
        events.publish(s, CustomerTagged(customer_id=ch.customer_id, customer_no=numbers.get(ch.customer_id),
                                         tag=ch.tag_code, action=ch.action, rule_key=ch.rule_key,
                                         rule_version=ch.rule_version, evidence=ch.evidence))
    return changes


def _apply_batch(s: Session, rule: TagRule, tag: Tag, tree: R.Node, ctx: R.Ctx,
                 lo: int | None, hi: int | None, *, announce: bool = True) -> tuple[int, list[TagChange], int]:
    """Bring one rule's tag up to date for customers with lo <= id < hi (all when both are None).
    Returns (customers matched, tags added and removed, tags kept but now justified by this version);
    the caller audits all three."""
    ops = R.operands([tree])
    cols = R.operand_columns(ctx, ops)
    id_filter = []
    if lo is not None:
        id_filter.append(R.C.c.id >= lo)
    if hi is not None:
        id_filter.append(R.C.c.id < hi)
    # Customers of an import that has not finished are left alone: the import evaluated them itself, and
    # nothing about them may be announced before it publishes them (services/holds.py).
    rows = s.execute(select(R.C.c.id, *cols).where(R.condition_sql(ctx, tree), holds.visible(R.C.c.id),
                                                   *id_filter)).all()
    matched: dict[int, dict] = {}
    leaves = list(ops.values())
    for row in rows:
        values = {leaf.key: R.normalise_operand(leaf, row[i + 1], ctx.as_of) for i, leaf in enumerate(leaves)}
        matched[row[0]] = R.evidence(tree, values)
    ct_filter = [CustomerTag.tag_id == tag.id, holds.visible(CustomerTag.customer_id, R.C)]
    if lo is not None:
        ct_filter.append(CustomerTag.customer_id >= lo)
    if hi is not None:
        ct_filter.append(CustomerTag.customer_id < hi)
    existing = {r[0]: (r[1], r[2]) for r in s.execute(
        select(CustomerTag.customer_id, CustomerTag.rule_id, CustomerTag.evidence).where(*ct_filter)).all()}
    adds = {cid: ev for cid, ev in matched.items() if cid not in existing}
    removes = [cid for cid, (rid, _) in existing.items() if rid is not None and cid not in matched]
    removed_ev = {cid: existing[cid][1] for cid in removes}
    # Still matching under a newer version: record the version and evidence that holds now.
    stale = [cid for cid, (rid, _) in existing.items() if rid is not None and rid != rule.id and cid in matched]
    for cid in stale:
        s.execute(update(CustomerTag).where(CustomerTag.tag_id == tag.id, CustomerTag.customer_id == cid)
                  .values(rule_id=rule.id, rule_version=rule.version, evidence=matched[cid]))
    return len(matched), _write_changes(s, rule, tag, adds=adds, removes=removes, evidence_of_removed=removed_ev,
                                        announce=announce), len(stale)


@requires(Permission.TAG_RULE_MANAGE)
def run_rule_now(*, uow: UnitOfWork, actor: Actor, rule_key: Any, as_of: datetime | None = None) -> RunResult:
    """Apply one rule to every customer now, in the caller's transaction."""
    s = uow.session
    rule = _current_rule(s, rule_key)
    if not rule.active:
        raise ValidationFailed([FieldError("rule_key", "tag_rule.inactive")])
    tag = s.get(Tag, rule.tag_id)
    tree = _validated(s, rule.definition)
    matched, changes, revised = _apply_batch(s, rule, tag, tree, _ctx(s, as_of), None, None)
    result = RunResult(rule_key=rule.rule_key, version=rule.version, matched=matched,
                       added=sum(c.action == "added" for c in changes),
                       removed=sum(c.action == "removed" for c in changes), revised=revised)
    audit.record(s, actor, "tag_rule.run", entity_type="tag_rule", entity_id=rule.id, changes=result.model_dump())
    return result


@dataclass
class NightlyReport:
    rules: int = 0
    matched: int = 0
    added: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)


def nightly_pass(uow_factory: Callable[[], UnitOfWork] = UnitOfWork, *, as_of: datetime | None = None,
                 batch: int = BATCH_CUSTOMERS) -> NightlyReport:
    """Re-evaluate every current active rule for all customers, `batch` customer ids per transaction.

    Each batch commits on its own, so PostgreSQL never holds one giant transaction; a failing rule is
    logged and the others still run.
    """
    report = NightlyReport()
    with uow_factory() as uow:
        s = uow.session
        as_of = as_of or R.default_as_of()
        rule_ids = list(s.execute(select(TagRule.id).where(TagRule.is_current.is_(True), TagRule.active.is_(True))
                                  .order_by(TagRule.rule_key)).scalars())
        max_id = s.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()
    for rule_id in rule_ids:
        try:
            added = removed = matched = 0
            for lo in range(1, max_id + 1, batch):
                with uow_factory() as uow:
                    s = uow.session
                    rule = s.get(TagRule, rule_id)
                    if not (rule.is_current and rule.active):
                        break  # edited or switched off meanwhile
                    tag = s.get(Tag, rule.tag_id)
                    tree = _validated(s, rule.definition)
                    n, changes, revised = _apply_batch(s, rule, tag, tree, _ctx(s, as_of), lo, lo + batch)
                    a = sum(c.action == "added" for c in changes)
                    r = len(changes) - a
                    if changes or revised:
                        audit.record(s, SYSTEM, "tag_rule.nightly", entity_type="tag_rule", entity_id=rule.id,
                                     changes={"rule_key": rule.rule_key, "version": rule.version, "from_id": lo,
                                              "to_id": lo + batch - 1, "added": a, "removed": r,
                                              "revised": revised})
                    uow.commit()
                    matched, added, removed = matched + n, added + a, removed + r
            report.rules += 1
            report.matched += matched
            report.added += added
            report.removed += removed
        except Exception:  # one rule's failure must not stop the others
            log.exception("nightly tag pass failed for rule %s", rule_id)
            report.failed.append(str(rule_id))
    log.info("nightly tag pass: %s", report)
    return report


@dataclass(frozen=True)
class _RuleLite:
    """What applying a rule needs; a rule version never changes, so it is cached by id."""

    id: int
    rule_key: str
    version: int
    definition: dict
    uses_custom: bool

    @property
    def definition_text(self) -> str:
        return repr(self.definition)


@dataclass(frozen=True)
class _TagLite:
    id: int
    code: str


_rule_cache: dict[tuple, tuple[_RuleLite, _TagLite]] = {}
_tree_cache: dict[tuple, R.Node] = {}
_RT, _TT, _CTT = TagRule.__table__, Tag.__table__, CustomerTag.__table__


def _active_rules(session: Session) -> list[tuple[_RuleLite, _TagLite]]:
    """Current active rules. Cached by database, id and creation time (ids can be reused after a rollback)."""
    conn = session.connection()
    db = str(conn.engine.url)
    keys = [(db, rid, created) for rid, created in conn.execute(
        select(_RT.c.id, _RT.c.created_at).where(_RT.c.is_current.is_(True), _RT.c.active.is_(True))
        .order_by(_RT.c.rule_key))]
    missing = {k[1]: k for k in keys if k not in _rule_cache}
    if missing:
        if len(_rule_cache) > 1000:
            _rule_cache.clear()
        for rid, key, version, definition, created, tid, code in conn.execute(
                select(_RT.c.id, _RT.c.rule_key, _RT.c.version, _RT.c.definition, _RT.c.created_at, _TT.c.id,
                       _TT.c.code).join(_TT, _TT.c.id == _RT.c.tag_id).where(_RT.c.id.in_(list(missing)))):
            _rule_cache[(db, rid, created)] = (
                _RuleLite(rid, key, version, definition, "custom." in repr(definition)), _TagLite(tid, code))
    return [_rule_cache[k] for k in keys if k in _rule_cache]


def on_customer_changed(session: Session, customer_id: int, *, reason: str,
                        as_of: datetime | None = None) -> list[TagChange]:
    """Re-evaluate every current active rule for one customer and apply the differences.

    Contract for callers (transaction and event ingestion, customer updates, imports):
    - Call it after the change is written (flushed) in the same session and transaction, once per affected
      customer (once per customer per batch, not per row). It does not commit; your commit makes the tag
      changes together with the data that caused them, or rolls both back.
    - `reason` says what happened ("transaction", "event", "customer.updated", ...); it goes into the audit
      event. Windows are measured from `as_of` (default: see rules.default_as_of).
    - Returns the changes made (added / removed, with rule version and evidence). Each change is recorded in
      CustomerTagChange and published as `customer.tagged`; one audit event covers them all. No change: no
      writes at all.
    - It does not check permissions: it is the system reacting to data the caller was allowed to write.
    Cost: one query for the rules, one for all their operands for this customer, one for the existing tags.
    """
    return on_customers_changed(session, [customer_id], reason=reason, as_of=as_of)


def on_customers_changed(session: Session, customer_ids: list[int], *, reason: str,
                         as_of: datetime | None = None) -> list[TagChange]:
    """`on_customer_changed` for several customers changed by one use case (a bulk creation, an ingested
    batch): the rules are read and prepared once, then each customer is evaluated as on its own."""
    if any(isinstance(c, bool) or not isinstance(c, int) for c in customer_ids):
        raise ValueError("customer_id must be an int")
    plan = _evaluation_plan(session)
    if plan is None:
        return []
    as_of = as_of or R.default_as_of()
    changes: list[TagChange] = []
    customer_ids = list(dict.fromkeys(customer_ids))  # once each: a second evaluation would change nothing
    if len(customer_ids) == 1:
        return _evaluate_customer(session, plan, customer_ids[0], reason=reason, as_of=as_of)
    # Many customers (an ingested batch, an import's chunk): their operands and current tags are read a few
    # hundred customers a statement (two statements per customer cost most of the time), then each customer
    # is evaluated and changed exactly as on its own, in the order given.
    ops = plan.ops
    leaves = list(ops.values())
    conn = session.connection()
    stmt = R.operand_statement_many(conn.dialect.name, ops)
    window = R.window_params(ops, as_of)
    for i in range(0, len(customer_ids), _EVALUATE_CHUNK):
        chunk = customer_ids[i:i + _EVALUATE_CHUNK]
        rows = {r[0]: r for r in conn.execute(stmt, {"cids": chunk, **window}).all()}
        existing: dict[int, dict] = {}
        for cid, tag_id, rule_id, evidence in conn.execute(
                select(_CTT.c.customer_id, _CTT.c.tag_id, _CTT.c.rule_id, _CTT.c.evidence)
                .where(_CTT.c.customer_id.in_(chunk))).all():
            existing.setdefault(cid, {})[tag_id] = (rule_id, evidence)
        for customer_id in chunk:
            row = rows.get(customer_id)
            if row is None:
                continue
            values = {leaf.key: R.normalise_operand(leaf, row[j + 1], as_of) for j, leaf in enumerate(leaves)}
            changes += _apply_evaluation(session, plan, customer_id, values, existing.get(customer_id, {}),
                                         reason=reason)
    return changes


_EVALUATE_CHUNK = 500


@dataclass(frozen=True)
class _Plan:
    trees: list  # (rule, tag, validated tree) for every current active rule that still validates
    ops: dict  # the operands all of them read, by key


def _evaluation_plan(session: Session) -> _Plan | None:
    rules_tags = _active_rules(session)
    if not rules_tags:
        return None
    custom = R.custom_field_types(session) if any(r.uses_custom for r, _ in rules_tags) else {}
    signature = tuple(sorted(custom.items()))
    trees = []
    for rule, tag in rules_tags:
        key = (rule.definition_text, signature if rule.uses_custom else ())  # a tree depends on these only
        tree = _tree_cache.get(key)
        if tree is None:
            try:
                tree = R.validate(rule.definition, custom)
            except ValidationFailed:
                log.warning("tag rule %s v%s no longer validates; skipped", rule.rule_key, rule.version)
                continue
            if len(_tree_cache) > 1000:
                _tree_cache.clear()
            _tree_cache[key] = tree
        trees.append((rule, tag, tree))
    return _Plan(trees, R.operands(t for _, _, t in trees))


def _evaluate_customer(session: Session, plan: _Plan, customer_id: int, *, reason: str,
                       as_of: datetime) -> list[TagChange]:
    ops = plan.ops
    leaves = list(ops.values())
    conn = session.connection()
    row = conn.execute(R.operand_statement(conn.dialect.name, ops),
                       {"cid": customer_id, **R.window_params(ops, as_of)}).first()
    if row is None:
        return []
    values = {leaf.key: R.normalise_operand(leaf, row[i], as_of) for i, leaf in enumerate(leaves)}
    existing = {r[0]: (r[1], r[2]) for r in conn.execute(
        select(_CTT.c.tag_id, _CTT.c.rule_id, _CTT.c.evidence).where(_CTT.c.customer_id == customer_id)).all()}
    return _apply_evaluation(session, plan, customer_id, values, existing, reason=reason)


def _apply_evaluation(session: Session, plan: _Plan, customer_id: int, values: dict, existing: dict, *,
                      reason: str) -> list[TagChange]:
    """Apply the rules' verdicts on one customer's operand `values` against his current tags (`existing`:
    tag id -> (rule id, evidence))."""
    changes: list[TagChange] = []
    revised: list[dict] = []  # tags kept, now justified by a newer rule version
    for rule, tag, tree in plan.trees:
        has = existing.get(tag.id)
        if R.holds(tree, values):
            if has is None:
                changes += _write_changes(session, rule, tag, adds={customer_id: R.evidence(tree, values)},
                                          removes=[], evidence_of_removed=None)
            elif has[0] is not None and has[0] != rule.id:
                session.execute(update(CustomerTag).where(CustomerTag.tag_id == tag.id,
                                                          CustomerTag.customer_id == customer_id)
                                .values(rule_id=rule.id, rule_version=rule.version,
                                        evidence=R.evidence(tree, values)))
                revised.append({"tag": tag.code, "action": "revised", "rule_key": rule.rule_key,
                                "version": rule.version})
        elif has is not None and has[0] is not None:
            changes += _write_changes(session, rule, tag, adds={}, removes=[customer_id],
                                      evidence_of_removed={customer_id: R.evidence(tree, values)})
    if changes or revised:
        audit.record(session, SYSTEM, "customer.tags_changed", entity_type="customer", entity_id=customer_id,
                     changes={"reason": str(reason)[:60],
                              "changes": [{"tag": c.tag_code, "action": c.action, "rule_key": c.rule_key,
                                           "version": c.rule_version} for c in changes] + revised})
    return changes


# ---------------------------------------------------------------- what rules may use

class ChoiceOption(BaseModel):
    """One value a condition may take, with the words people know it by (a branch, a team, an RM, a custom
    field's option); built-in codes (segments, kinds ...) are named by the UI's own labels instead."""

    value: str
    label: str
    label_en: str


class FieldInfo(BaseModel):
    field: str  # "aum", "tx_sum", "custom.annual_income" ...
    type: str  # the operand's type (choice, ordered, id, integer, number, money, text, date, multi)
    ops: list[str]
    choices: list[str]
    params: list[str]  # parameters it takes (days, kinds, event_kind, premium, product_types, min_risk)
    required: list[str]
    label: str | None = None  # custom fields: their admin-given labels
    label_en: str | None = None
    options: list[ChoiceOption] = []  # id fields and custom choice fields: the values to pick from, by name
    param_choices: dict[str, list[str]] = {}  # kinds / event_kind / product_types / min_risk: the codes allowed


@requires(Permission.TAG_RULE_MANAGE)
def field_catalogue(*, uow: UnitOfWork, actor: Actor) -> list[FieldInfo]:
    """Every operand a rule may use, with its operators, parameters and the values to choose from: what the rule
    editor offers, so nobody types an internal code or a numeric id."""
    session = uow.session
    id_options = _id_options(session)
    out = [FieldInfo(field=name, type=spec.type, ops=[o for o in R.OPS if o in R.TYPE_OPS[spec.type]],
                     choices=list(spec.choices), params=sorted(spec.params), required=sorted(spec.required),
                     options=id_options.get(name, []),
                     param_choices={p: list(R.param_choices(name, p)) for p in spec.params if p != "days"
                                    and p != "premium"})
           for name, spec in R.FIELDS.items()]
    defs = {d.key: d for d in session.execute(select(CustomerFieldDef)).scalars()}
    for key, (ftype, choices) in sorted(R.custom_field_types(session).items()):
        d = defs.get(key)
        lab, lab_en = (d.label, d.label_en) if d is not None else (key, key)
        options = [ChoiceOption(value=str(c["value"]), label=str(c.get("label") or c["value"]),
                                label_en=str(c.get("label_en") or c.get("label") or c["value"]))
                   for c in (d.choices or []) if isinstance(c, dict) and "value" in c] if d is not None else []
        out.append(FieldInfo(field=f"custom.{key}", type=ftype, ops=[o for o in R.OPS if o in R.TYPE_OPS[ftype]],
                             choices=list(choices), params=[], required=[], label=lab, label_en=lab_en,
                             options=options))
    return out


def _id_options(session: Session) -> dict[str, list[ChoiceOption]]:
    """Branches, teams and relationship managers by name, for conditions on branch_id / team_id / owner_id."""
    from services.org.models import Branch, Team
    from services.security.models import Role, User

    branches = session.execute(select(Branch.id, Branch.name, Branch.name_en).order_by(Branch.code)).all()
    branch_name = {b.id: (b.name, b.name_en) for b in branches}
    teams = session.execute(select(Team.id, Team.name, Team.name_en, Team.branch_id)
                            .order_by(Team.branch_id, Team.id)).all()
    # Customers are owned by relationship managers (imports and reassignment accept no one else); one who has
    # left still owns customers until they are reassigned, so a rule may name him too.
    users = session.execute(select(User.id, User.display_name, User.username, User.roles)
                            .order_by(User.display_name, User.id)).all()

    def team_label(t, en: bool) -> str:
        branch = branch_name.get(t.branch_id)
        name = t.name_en if en else t.name
        return f"{name} · {branch[1] if en else branch[0]}" if branch else name

    return {
        "branch_id": [ChoiceOption(value=str(b.id), label=b.name, label_en=b.name_en) for b in branches],
        "team_id": [ChoiceOption(value=str(t.id), label=team_label(t, False), label_en=team_label(t, True))
                    for t in teams],
        # The display name, and the login name where two people share one.
        "owner_id": [ChoiceOption(value=str(u.id), label=f"{u.display_name} ({u.username})",
                                  label_en=f"{u.display_name} ({u.username})")
                     for u in users if Role.RM.value in (u.roles or [])],
    }
