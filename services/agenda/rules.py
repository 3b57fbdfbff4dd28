"""The reminder rules as an administrator keeps them (reminder_rule.manage): each rule's lead days, whether it is on,
and its channels (the agenda always; e-mail, Web Push). What a rule reads (its source) and its parameters stay as the
migration shipped them. Every change is validated here and audited with its before and after."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import select

from services import clock
from services.agenda.delivery import CHANNELS, channels_valid
from services.agenda.models import ReminderRule
from services.agenda.sources import MAX_LEAD_DAYS, SOURCES
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.validation.input import StrictInput, parse


@dataclass(slots=True)
class RuleView:
    code: str
    source: str
    name: str
    name_en: str
    lead_days: int
    active: bool
    channels: list[str]
    params: dict


def _view(r: ReminderRule) -> RuleView:
    return RuleView(code=r.code, source=r.source, name=r.name, name_en=r.name_en, lead_days=r.lead_days,
                    active=r.active, channels=list(r.channels or ["app"]), params=dict(r.params or {}))


@requires(Permission.REMINDER_RULE_MANAGE)
def list_rules(*, uow: UnitOfWork, actor: Actor) -> list[RuleView]:
    return [_view(r) for r in uow.session.execute(select(ReminderRule).order_by(ReminderRule.code)).scalars()]


class RuleIn(StrictInput):
    lead_days: int = Field(ge=0, le=MAX_LEAD_DAYS)
    active: bool
    channels: list[str] = Field(max_length=len(CHANNELS))


@requires(Permission.REMINDER_RULE_MANAGE)
def update_rule(*, uow: UnitOfWork, actor: Actor, code: Any, data: Any) -> RuleView:
    """Change one rule's lead days, on/off and channels; refused whole when any value is wrong. Audited."""
    if not isinstance(code, str) or not 0 < len(code) <= 40:
        raise ValidationFailed([FieldError("code", "value.invalid")])
    req = parse(RuleIn, data)
    channels = channels_valid(req.channels)
    if channels is None:
        raise ValidationFailed([FieldError("channels", "reminder_rule.channels")])
    s = uow.session
    row = s.execute(select(ReminderRule).where(ReminderRule.code == code).with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(what="reminder_rule", id=code)
    if row.source not in SOURCES:
        raise ValidationFailed([FieldError("code", "reminder_rule.unknown_source")])
    before = asdict(_view(row))
    row.lead_days, row.active, row.channels, row.updated_at = req.lead_days, req.active, channels, clock.now()
    s.flush()
    after = _view(row)
    changed = {k: [before[k], v] for k, v in asdict(after).items() if before[k] != v}
    if changed:
        audit.record(s, actor, "reminder_rule.update", entity_type="reminder_rule", entity_id=row.code,
                     changes=changed)
    return after
