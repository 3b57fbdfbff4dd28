"""Helpers shared by the API tests."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text


def get_token(http, info: "ApiClientInfo", scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    r = http.post("/api/v1/oauth/token", data=data, auth=(info.client_id, info.secret))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def customer_body(seq: int = 1, **extra) -> dict:
    from services.validation.identity import make_id_number

    body = {"name": "李四", "id_type": "resident_id", "id_number": make_id_number("110105", date(1980, 3, 4), seq),
            "phone": f"1390000{seq:04d}", "email": f"li{seq}@example.com", "segment": "affluent"}
    body.update(extra)
    return body


def count(connection, table: str) -> int:
    return connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
