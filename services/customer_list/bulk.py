"""Bulk actions on a selection of the customer list: reassign, add a tag by hand, export.

Each is a use case of its own with its own permission, and each changes the customers through the use case of
the domain that owns the change (services/customers/reassign.py, services/tags/manual.py,
services/customers/export.py), which checks every customer's scope and audits every customer. The selection is
resolved first (listing.selected_ids): more than MAX_SELECTION customers, or one outside the actor's scope, and
nothing is done at all.
"""
from __future__ import annotations

from typing import Any

from services.customer_list.listing import selected_ids
from services.customer_list.views import BulkResult
from services.customers import export as customer_export
from services.customers import reassign
from services.customers.export import ExportFile
from services.db import UnitOfWork
from services.security.actor import Actor
from services.security.policy import Permission, requires
from services.tags import manual as manual_tags


@requires(Permission.CUSTOMER_REASSIGN)
def bulk_reassign(*, uow: UnitOfWork, actor: Actor, selection: Any, owner_id: Any) -> BulkResult:
    ids = selected_ids(uow.session, actor, selection)
    changed = reassign.reassign_customers(uow=uow, actor=actor, customer_ids=ids, owner_id=owner_id)
    return BulkResult(action="reassign", selected=len(ids), changed=changed)


@requires(Permission.CUSTOMER_EDIT)
def bulk_tag(*, uow: UnitOfWork, actor: Actor, selection: Any, tag_code: Any) -> BulkResult:
    ids = selected_ids(uow.session, actor, selection)
    changed = manual_tags.tag_customers(uow=uow, actor=actor, customer_ids=ids, tag_code=tag_code)
    return BulkResult(action="tag", selected=len(ids), changed=changed)


@requires(Permission.CUSTOMER_EXPORT)
def bulk_export(*, uow: UnitOfWork, actor: Actor, selection: Any, fmt: Any = "csv",
                locale: Any = None) -> ExportFile:
    ids = selected_ids(uow.session, actor, selection)
    return customer_export.export_selected(uow=uow, actor=actor, customer_ids=ids, fmt=fmt, locale=locale)
