"""Tags given by hand (the customer list's bulk action "add a tag").

A tag that a current rule gives belongs to that rule: the rule decides who holds it (and takes it away), so only
tags no rule gives may be given by hand. A tag given by hand has no rule (CustomerTag.rule_id is None); rules
never take it away. Each customer tagged gets its history row (the 360 timeline shows it), its own audit event
and its `customer.tagged` announcement. All or nothing: one customer outside the actor's scope refuses all.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from services import clock, events
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import FieldError, OutOfScope, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, customer_scope_filter, requires
from services.tags.events import CustomerTagged
from services.tags.models import CustomerTag, CustomerTagChange, Tag, TagRule
from services.tags.service import TagView

MAX_CUSTOMERS = 10_000
CHUNK = 500


def _rule_tag_ids(s) -> set[int]:
    return set(s.execute(select(TagRule.tag_id).where(TagRule.is_current.is_(True), TagRule.active.is_(True)))
               .scalars())


@requires(Permission.CUSTOMER_EDIT)
def manual_tags(*, uow: UnitOfWork, actor: Actor) -> list[TagView]:
    """The tags the actor may give by hand: those no active rule gives."""
    s = uow.session
    ruled = _rule_tag_ids(s)
    return [TagView(id=t.id, code=t.code, name=t.name, name_en=t.name_en, color=t.color)
            for t in s.execute(select(Tag).order_by(Tag.code)).scalars() if t.id not in ruled]


@requires(Permission.CUSTOMER_EDIT)
def tag_customers(*, uow: UnitOfWork, actor: Actor, customer_ids: Any, tag_code: Any) -> int:
    """Give the tag `tag_code` to these customers by hand; returns how many gained it (those who hold it
    already keep it as it is)."""
    ids = _ids(customer_ids)
    s = uow.session
    tag = s.execute(select(Tag).where(Tag.code == tag_code)).scalar_one_or_none() \
        if isinstance(tag_code, str) and len(tag_code) <= 40 else None
    if tag is None:
        raise ValidationFailed([FieldError("tag_code", "value.invalid_choice", {"choices": "—"})])
    if tag.id in _rule_tag_ids(s):
        raise ValidationFailed([FieldError("tag_code", "tag.rule_owned")])
    numbers: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        numbers.update((cid, no) for cid, no in s.execute(select(Customer.id, Customer.customer_no).where(
            Customer.id.in_(chunk), customer_scope_filter(actor, Customer))))
    unknown = [i for i in ids if i not in numbers]
    if unknown:
        raise OutOfScope(actor=actor, entity_type="customer", entity_id=unknown[0], what="customer", id=unknown[0],
                         audit_details={"customers": len(ids), "outside_scope": len(unknown)})
    holding: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        holding.update(s.execute(select(CustomerTag.customer_id).where(
            CustomerTag.tag_id == tag.id, CustomerTag.customer_id.in_(ids[start:start + CHUNK]))).scalars())
    new = [i for i in ids if i not in holding]
    if not new:
        return 0
    now = clock.now()
    evidence = {"by": actor.name}
    s.execute(insert(CustomerTag), [{"customer_id": cid, "tag_id": tag.id, "rule_id": None, "rule_version": None,
                                     "evidence": evidence, "applied_at": now} for cid in new])
    s.execute(insert(CustomerTagChange), [{"customer_id": cid, "tag_id": tag.id, "action": "added", "rule_id": None,
                                           "rule_version": None, "evidence": evidence, "at": now} for cid in new])
    audit.record_many(s, actor, [("customer.tag_added", "customer", cid, {"tag": tag.code, "by_hand": True})
                                 for cid in new])
    for cid in new:
        events.publish(s, CustomerTagged(customer_id=cid, customer_no=numbers[cid], tag=tag.code, action="added",
                                         rule_key=None, rule_version=None, evidence=evidence))
    return len(new)


def _ids(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationFailed([FieldError("customer_ids", "value.required")])
    if len(value) > MAX_CUSTOMERS:
        raise ValidationFailed([FieldError("selection", "bulk.too_many", {"max": f"{MAX_CUSTOMERS:,}"})])
    if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in value):
        raise ValidationFailed([FieldError("customer_ids", "value.invalid")])
    return sorted(set(value))
