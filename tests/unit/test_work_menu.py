"""The tasks and tickets pages are declared with their menu entries, each shown to the roles that work them."""
from __future__ import annotations

import pytest

from fincrm_app.pages import registry
from services.security.actor import Actor
from services.security.models import Role
from services.security.policy import permissions_of
from state.i18n import LABELS


def _menu_for(role: str) -> list[str]:
    held = {p.value for p in permissions_of(Actor(kind="user", id=1, name="u", roles=frozenset({role})))}
    return [m.href for m in registry.menu() if set(m.permissions) & held]


def test_the_pages_are_declared_with_titles_of_their_own():
    declared = {p.route: p for p in registry.discover()}
    titles = [LABELS[declared[r].title] for r in ("/tasks", "/tickets", "/tickets/[ticket_id]")]
    assert len({zh for zh, _ in titles}) == len({en for _, en in titles}) == 3
    hrefs = [m.href for m in registry.menu()]
    assert hrefs.index("/customers") < hrefs.index("/tasks") < hrefs.index("/tickets") < hrefs.index("/imports")
    assert "/tickets/[ticket_id]" not in hrefs


@pytest.mark.parametrize("role, tasks, tickets", [
    (Role.RM, True, True), (Role.TEAM_LEAD, True, True), (Role.BRANCH_MANAGER, True, True), (Role.OPS, True, True),
    (Role.COMPLIANCE, True, True), (Role.APPROVER, True, False), (Role.AUDITOR, False, True),
    (Role.ADMIN, False, False),
])
def test_each_role_gets_the_work_it_does(role, tasks, tickets):
    menu = _menu_for(role)
    assert ("/tasks" in menu, "/tickets" in menu) == (tasks, tickets)
