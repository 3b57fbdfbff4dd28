"""Saved views of the customer list: a name for a search (query, filters, sort), kept per user and, when shared,
visible to the owner's team. Opening one is opening the list with its parameters; only the owner changes it."""
from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import func, or_, select
from sqlmodel import Session

from services import clock
from services.customer_list.listing import ListParams, filter_list
from services.customer_list.models import SavedView
from services.customer_list.views import SavedViewView
from services.customers import filters as customer_filters
from services.db import UnitOfWork
from services.errors import FieldError, NotFound, NotPermitted, OutOfScope, ValidationFailed
from services.security import audit
from services.security.actor import Actor
from services.security.models import User
from services.security.policy import Permission, requires
from services.validation.input import StrictInput, parse

MAX_VIEWS = 50  # per user


class ViewSave(StrictInput):
    name: str = Field(min_length=1, max_length=60)
    params: ListParams = Field(default_factory=ListParams)  # the list's parameters (the page is not kept)
    shared: bool = False  # with the owner's team


def _person(actor: Actor) -> int:
    """Saved views belong to people (not to API clients or the system)."""
    if actor.kind != "user" or actor.id is None:
        raise NotPermitted(actor=actor, permission=Permission.CUSTOMER_READ,
                           audit_details={"operation": "saved views need a signed-in person"})
    return actor.id


def _visible(actor: Actor):
    mine = SavedView.owner_id == actor.id
    return or_(mine, SavedView.team_id == actor.team_id) if actor.team_id is not None else mine


def _view(actor: Actor, v: SavedView, owner_name: str) -> SavedViewView:
    return SavedViewView(id=v.id, name=v.name, params=dict(v.params or {}), shared=v.team_id is not None,
                         mine=v.owner_id == actor.id, owner_name=owner_name)


@requires(Permission.CUSTOMER_READ)
def list_saved_views(*, uow: UnitOfWork, actor: Actor) -> list[SavedViewView]:
    """The actor's own views, then those his team shares, by name."""
    _person(actor)
    rows = uow.session.execute(
        select(SavedView, User.display_name).join(User, User.id == SavedView.owner_id).where(_visible(actor))
        .order_by((SavedView.owner_id != actor.id), SavedView.name).limit(2 * MAX_VIEWS + 100)).all()
    return [_view(actor, v, name) for v, name in rows]


@requires(Permission.CUSTOMER_READ)
def get_saved_view(*, uow: UnitOfWork, actor: Actor, view_id: Any) -> SavedViewView:
    """One view the actor may open (his own or his team's); any other is answered as not found."""
    _person(actor)
    v = _load(uow.session, actor, view_id)
    owner = uow.session.get(User, v.owner_id)
    return _view(actor, v, owner.display_name if owner else "")


def _load(s: Session, actor: Actor, view_id: Any, *, own: bool = False) -> SavedView:
    if isinstance(view_id, bool) or not isinstance(view_id, int) or not 0 < view_id < 2**31:
        raise ValidationFailed([FieldError("view_id", "value.invalid")])
    v = s.get(SavedView, view_id)
    if v is None:
        raise NotFound(what="saved_view", id=view_id)
    visible = v.owner_id == actor.id or (actor.team_id is not None and v.team_id == actor.team_id)
    if not visible or (own and v.owner_id != actor.id):
        raise OutOfScope(actor=actor, entity_type="saved_view", entity_id=view_id, what="saved_view", id=view_id)
    return v


@requires(Permission.CUSTOMER_READ)
def save_view(*, uow: UnitOfWork, actor: Actor, data: Any) -> SavedViewView:
    """Save the list's parameters under a name (the actor's view of that name is replaced), private or shared
    with the actor's team. The filters must be valid for the actor now."""
    owner_id = _person(actor)
    req = parse(ViewSave, data)
    params = req.params
    s = uow.session
    customer_filters.filter_condition(s, actor, filter_list(params) or None)  # refuses filters he may not use
    if req.shared and actor.team_id is None:
        raise ValidationFailed([FieldError("shared", "saved_view.no_team")])
    stored = params.model_dump(exclude={"page"})
    now = clock.now()
    v = s.execute(select(SavedView).where(SavedView.owner_id == owner_id, SavedView.name == req.name)
                  ).scalar_one_or_none()
    if v is None:
        count = s.execute(select(func.count()).select_from(SavedView).where(SavedView.owner_id == owner_id)
                          ).scalar_one()
        if count >= MAX_VIEWS:
            raise ValidationFailed([FieldError("name", "saved_view.too_many", {"max": MAX_VIEWS})])
        v = SavedView(owner_id=owner_id, name=req.name, created_at=now)
    v.params = stored
    v.team_id = actor.team_id if req.shared else None
    v.updated_at = now
    s.add(v)
    s.flush()
    audit.record(s, actor, "saved_view.save", entity_type="saved_view", entity_id=v.id,
                 changes={"name": v.name, "params": stored, "shared": req.shared})
    owner = s.get(User, owner_id)
    return _view(actor, v, owner.display_name if owner else "")


@requires(Permission.CUSTOMER_READ)
def delete_view(*, uow: UnitOfWork, actor: Actor, view_id: Any) -> None:
    """Delete one of the actor's own views (a team's shared view only its owner deletes)."""
    _person(actor)
    s = uow.session
    v = _load(s, actor, view_id, own=True)
    audit.record(s, actor, "saved_view.delete", entity_type="saved_view", entity_id=v.id, changes={"name": v.name})
    s.delete(v)
    s.flush()
