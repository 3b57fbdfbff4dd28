"""Who may see an import batch (and so its files: services.imports.files). Who may import at all is a
permission (Permission.IMPORT_RUN, services.security.policy)."""
from __future__ import annotations

from sqlmodel import Session

from services.imports.models import ImportBatch
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, Scope, permits, scope_of
from services.validation.input import whole_number


def who(actor: Actor) -> str:
    """How a batch records who created it (a user's id, else kind:name)."""
    return actor.audit_id if actor.audit_id is not None else f"{actor.kind}:{actor.name}"


def may_see_batch(s: Session, actor: Actor, batch: ImportBatch) -> bool:
    """Those who oversee imports (and the system) see every batch; importers their own, the inbox's, and
    (those whose data scope is their branch: operations, branch managers) those of people in their branch."""
    if permits(actor, Permission.IMPORT_OVERSEE):
        return True
    if not permits(actor, Permission.IMPORT_RUN):
        return False
    if batch.created_by == who(actor) or batch.source == "inbox":
        return True
    creator_id = whole_number(batch.created_by)
    if scope_of(actor) >= Scope.BRANCH and creator_id is not None:
        creator = s.get(User, creator_id)
        return creator is not None and creator.branch_id is not None and creator.branch_id == actor.branch_id
    return False
