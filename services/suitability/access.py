"""The permissions suitability's use cases need, and the actors of its customer-facing door.

Staff and API clients act under the one permission vocabulary (services.security.policy.Permission); the
customer answering a questionnaire is not staff at all: the customer door (services.suitability.links)
identifies them by their own credential and acts for them with `customer_actor`, which holds no permission.
What the customer's answers decide (the risk level) is then written by suitability itself, as `ASSESSOR`.
"""
from __future__ import annotations

from services.security.actor import Actor
from services.security.models import Role

# The firm's own assessing process: it writes the level the customer's answers gave, through the sanctioned
# writer (services.customers.changes.set_risk_level); audited as system "suitability".
ASSESSOR = Actor(kind="system", id=None, name="suitability", roles=frozenset({Role.ADMIN.value}))


def customer_actor(customer_id: int) -> Actor:
    """The customer acting through their questionnaire link: audited under their customer id, permitted
    nothing by the permission matrix (the link's checks are their only authority)."""
    return Actor(kind="customer", id=customer_id, name="customer")
