"""Each role's home page after signing in (issue 13, point 7): managers and RMs the dashboard of their scope (an RM's
reads 'My book'), everybody else the customer list."""
from __future__ import annotations

import pytest

from services.security.actor import Actor
from state.home import home_of


@pytest.mark.parametrize("roles, home", [
    (["rm"], "/dashboard"), (["team_lead"], "/dashboard"), (["branch_manager"], "/dashboard"),
    (["ops"], "/customers"), (["admin"], "/customers"), (["approver"], "/customers"),
    (["compliance"], "/customers"), (["auditor"], "/customers"), (["ops", "rm"], "/dashboard"), ([], "/customers"),
])
def test_each_role_lands_on_its_home(roles, home):
    actor = Actor(kind="user", id=1, name="x", roles=frozenset(roles), branch_id=1, team_id=1)
    assert home_of(actor) == home
