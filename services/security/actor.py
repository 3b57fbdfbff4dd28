"""Who is acting. Built only from server-side data (a session row, an API token)."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.security.models import Role


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "api_client" | "system"
    id: int | None
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    branch_id: int | None = None
    team_id: int | None = None
    locale: str = "zh_CN"
    session_id: str | None = None
    # An API client's granted OAuth2 scopes (its token's); None for people and the system, whom scopes do
    # not concern. Services check what they permit (policy.permissions_of), not only the HTTP door.
    scopes: frozenset[str] | None = None
    # What people call a user ("李娜"); `name` stays the login name the audit trail records.
    display_name: str | None = None

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(r) in self.roles for r in roles)

    @property
    def audit_id(self) -> str | None:
        return None if self.id is None else str(self.id)


SYSTEM = Actor(kind="system", id=None, name="system", roles=frozenset({Role.ADMIN.value}))
