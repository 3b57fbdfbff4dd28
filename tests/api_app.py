"""Fixtures for tests of the mounted FastAPI app (`fincrm_app.app.api`), in-process, on the test's database
transaction: `http` (a test client), `api_client` / `make_client` (registered API clients), `auth` (a bearer
token's headers). A plugin of the root conftest, so tests/api and tests/security share it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import insert

PRODUCT_CODE = "WM-PREMIUM-01"


@dataclass
class ApiClientInfo:
    pk: int
    client_id: str
    secret: str


@pytest.fixture
def app_db(connection, monkeypatch):
    """Every unit of work the app opens joins the test's transaction (rolled back afterwards)."""
    import services.db as db

    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    return connection


@pytest.fixture
def http(app_db):
    from starlette.testclient import TestClient

    from fincrm_app.app import api

    with TestClient(api, base_url="http://localhost:3000") as client:
        yield client


@pytest.fixture
def product(connection) -> str:
    from services.portfolio.models import Product

    connection.execute(insert(Product).values(code=PRODUCT_CODE, name="尊享理财一号", name_en="Premium wealth 1",
                                              product_type="wealth", risk_level="R3", currency="CNY",
                                              is_active=True, is_premium=True))
    return PRODUCT_CODE


def _make_client(uow_factory, actors, org, client_id: str, scopes: list[str]) -> ApiClientInfo:
    from services.integration import clients

    with uow_factory() as uow:
        made = clients.create_client(uow=uow, actor=actors["admin"], data={
            "client_id": client_id, "name": "Core banking", "scopes": scopes,
            "default_owner_id": org.users["rm_a1"]})
        uow.commit()
    return ApiClientInfo(made.id, made.client_id, made.client_secret)


@pytest.fixture
def api_client(uow_factory, actors, org) -> ApiClientInfo:
    from services.integration.clients import SCOPES

    return _make_client(uow_factory, actors, org, "core-banking", sorted(SCOPES))


@pytest.fixture
def make_client(uow_factory, actors, org):
    return lambda client_id, scopes: _make_client(uow_factory, actors, org, client_id, scopes)


from api_helpers import get_token  # noqa: E402


@pytest.fixture
def auth(http, api_client) -> dict[str, str]:
    return {"Authorization": f"Bearer {get_token(http, api_client)}", "Accept-Language": "en"}


