"""Pages register through one decorator (fincrm_app/pages/registry.py) that also builds the menu: every page
module declares its page, every page has a title of its own in both languages, and each role's menu holds
exactly the entries its permissions allow (no admin entry for an RM or an auditor)."""
from __future__ import annotations

import pkgutil

import pytest

import fincrm_app.pages as pages_package
from fincrm_app.pages import registry
from fincrm_app.pages.registry import Menu, page
from services.security.actor import Actor
from services.security.models import Role
from services.security.policy import Permission, permissions_of
from state.i18n import LABELS


def _menu_for(*roles: str) -> list[str]:
    held = {p.value for p in permissions_of(Actor(kind="user", id=1, name="u", roles=frozenset(roles)))}
    return [item.href for item in registry.menu() if not item.permissions or set(item.permissions) & held]


ADMINISTRATION = ["/admin/fields", "/admin/tags", "/admin/webhooks", "/admin/workflows", "/admin/reminders"]


def test_every_page_module_declares_its_pages_and_the_app_gets_them_all():
    declared = registry.discover()
    routes = [p.route for p in declared]
    assert routes == sorted(set(routes))
    assert {"/", "/login", "/customers", "/customers/[customer_id]", "/imports", *ADMINISTRATION} <= set(routes)
    modules = {m.name for m in pkgutil.iter_modules(pages_package.__path__)} - {"registry"}
    assert modules == {p.content.__module__.rsplit(".", 1)[-1] for p in declared}


def test_each_page_has_a_title_of_its_own_in_both_languages():
    declared = {p.route: p for p in registry.discover()}
    assert all(p.title != "app.name" for route, p in declared.items() if route != "/")
    mine = [declared[r] for r in ("/login", "/customers", "/customers/[customer_id]", "/imports", *ADMINISTRATION)]
    titles = [LABELS[p.title] for p in mine]
    assert len({zh for zh, _ in titles}) == len({en for _, en in titles}) == len(mine)
    assert all("FinCRM" not in zh + en for zh, en in titles)


def test_the_menu_is_in_its_order_and_names_the_permissions_that_show_each_entry():
    menu = registry.menu()
    hrefs = [m.href for m in menu]
    assert hrefs[0] == "/customers" and hrefs[-len(ADMINISTRATION):] == ADMINISTRATION
    assert hrefs.index("/imports") < hrefs.index("/admin/fields")
    assert {"nav-customers", "nav-imports", "nav-fields", "nav-tags", "nav-webhooks"} <= {m.id for m in menu}
    assert len({m.id for m in menu}) == len(menu)
    assert all(m.permissions for m in menu)


@pytest.mark.parametrize("role, shown, absent", [
    (Role.RM, ["/customers"], ["/imports", *ADMINISTRATION]),
    (Role.TEAM_LEAD, ["/customers", "/imports"], ADMINISTRATION),
    (Role.OPS, ["/customers", "/imports"], ADMINISTRATION),
    (Role.APPROVER, ["/customers"], ["/imports", *ADMINISTRATION]),
    (Role.AUDITOR, ["/customers", "/imports"], ADMINISTRATION),
    (Role.COMPLIANCE, ["/customers", "/imports", "/admin/webhooks"], ["/admin/fields", "/admin/tags",
                                                                      "/admin/workflows", "/admin/reminders"]),
    (Role.ADMIN, ["/customers", "/imports", *ADMINISTRATION], []),
])
def test_each_role_sees_the_menu_entries_its_permissions_allow(role, shown, absent):
    menu = _menu_for(role)
    assert [h for h in menu if h in shown] == shown
    assert not set(menu) & set(absent)


def test_a_menu_entry_needs_a_permission_and_known_labels(monkeypatch):
    monkeypatch.setattr(registry, "_PAGES", dict(registry._PAGES))  # nothing declared here reaches the app
    with pytest.raises(ValueError):
        page(route="/reports", title="customers.title", menu=Menu("chart", "nav.customers", 30))
    with pytest.raises(ValueError):
        page(route="/reports", title="no.such.label")
    declare = page(route="/reports", title="customers.title", permission=Permission.CUSTOMER_EXPORT,
                   menu=Menu("chart", "nav.customers", 30))
    declare(lambda: None)
    hrefs = [m.href for m in registry.menu()]
    assert hrefs[0] == "/customers" and hrefs.index("/reports") == hrefs.index("/imports") + 1
    with pytest.raises(ValueError):
        page(route="/reports", title="customers.title")(lambda: None)  # one route, one page
