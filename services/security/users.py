"""Creating staff users (CLI, admin screens, demo seed)."""
from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select

from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.org.models import Branch, Team
from services.security import audit
from services.security.actor import Actor
from services.security.models import Role, User
from services.security.passwords import MIN_LENGTH, hash_password
from services.security.policy import Permission, requires
from services.validation.input import RowId, parse
from services.validation.input import StrictInput as _Strict

_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")


class UserCreate(_Strict):
    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=MIN_LENGTH, max_length=256)
    roles: list[Role] = Field(min_length=1)
    branch_code: str | None = Field(default=None, max_length=16)
    team_id: RowId | None = None
    locale: str | None = Field(default=None, max_length=10)
    is_demo: bool = False

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        v = v.lower()
        if not _USERNAME.match(v):
            raise ValueError("username")
        return v


@requires(Permission.USER_MANAGE)
def create_user(*, uow: UnitOfWork, actor: Actor, data: Any) -> User:
    req = parse(UserCreate, data)
    s = uow.session
    errors: list[FieldError] = []
    if s.execute(select(User.id).where(User.username == req.username)).first():
        errors.append(FieldError("username", "value.taken"))
    branch_id = None
    if req.branch_code:
        branch = s.execute(select(Branch).where(Branch.code == req.branch_code)).scalar_one_or_none()
        if branch is None:
            errors.append(FieldError("branch_code", "value.invalid"))
        else:
            branch_id = branch.id
    if req.team_id is not None:
        team = s.get(Team, req.team_id)
        if team is None or (branch_id is not None and team.branch_id != branch_id):
            errors.append(FieldError("team_id", "value.invalid"))
        elif branch_id is None:
            branch_id = team.branch_id
    if Role.RM in req.roles and req.team_id is None:
        errors.append(FieldError("team_id", "value.required"))
    if errors:
        raise ValidationFailed(errors)
    user = User(username=req.username, display_name=req.display_name, password_hash=hash_password(req.password),
                roles=[r.value for r in req.roles], branch_id=branch_id, team_id=req.team_id,
                locale=req.locale, is_demo=req.is_demo)
    s.add(user)
    s.flush()
    audit.record(s, actor, "user.create", entity_type="user", entity_id=user.id,
                 changes={"username": user.username, "roles": user.roles, "branch_id": branch_id,
                          "team_id": req.team_id})
    return user
