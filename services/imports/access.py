"""Who may import, and who may see an import batch (and so its files: services.imports.files)."""
from __future__ import annotations

from sqlmodel import Session

from services.errors import NotPermitted
from services.imports.models import ImportBatch
from services.security.actor import Actor
from services.security.models import Role, User
from services.security.policy import API_ROLE
from services.validation.input import whole_number

IMPORT_ROLES = (Role.OPS, Role.BRANCH_MANAGER, Role.TEAM_LEAD, API_ROLE)
OVERSIGHT_ROLES = (Role.COMPLIANCE, Role.ADMIN, Role.AUDITOR)


def who(actor: Actor) -> str:
    """How a batch records who created it (a user's id, else kind:name)."""
    return actor.audit_id if actor.audit_id is not None else f"{actor.kind}:{actor.name}"


def require_importer(actor: Actor) -> None:
    if not actor.has_role(*IMPORT_ROLES):
        raise NotPermitted(actor=actor)


def may_see_batch(s: Session, actor: Actor, batch: ImportBatch) -> bool:
    """Oversight roles and systems see every batch; importers their own, the inbox's, and (operations and
    branch managers) those of people in their branch."""
    if actor.kind == "system" or actor.has_role(*OVERSIGHT_ROLES, API_ROLE):
        return True
    if not actor.has_role(*IMPORT_ROLES):
        return False
    if batch.created_by == who(actor) or batch.source == "inbox":
        return True
    creator_id = whole_number(batch.created_by)
    if actor.has_role(Role.OPS, Role.BRANCH_MANAGER) and creator_id is not None:
        creator = s.get(User, creator_id)
        return creator is not None and creator.branch_id is not None and creator.branch_id == actor.branch_id
    return False
