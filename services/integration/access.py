"""An API client's data scope: the customers it holds under its own external ids (services/security/policy.py
asks through the hook services.bootstrap installs, so the platform does not import this domain)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement

from services.integration.models import ExternalRef


def client_customers(client_pk: Any, customer_id_column: Any) -> ColumnElement[bool]:
    """The customers an API client has linked to its own external ids (`client_pk` a value or a bind)."""
    return exists().where(ExternalRef.client_id == client_pk, ExternalRef.entity_type == "customer",
                          ExternalRef.entity_id == customer_id_column)


def customer_by_external_id(session: Any, actor: Any, external_id: str) -> int | None:
    """The customer an API client holds under its own external id, or None (other domains' API doors ask
    this through a hook services.bootstrap installs, e.g. the suitability check)."""
    from sqlalchemy import select

    if actor.kind != "api_client" or actor.id is None:
        return None
    return session.execute(select(ExternalRef.entity_id).where(
        ExternalRef.client_id == actor.id, ExternalRef.entity_type == "customer",
        ExternalRef.external_id == external_id)).scalar()
