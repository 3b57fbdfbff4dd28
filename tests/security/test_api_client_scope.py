"""Finding 2 of the hostile review: API search ignored the client's scope. A client saw customers of every
branch by name, found another client's customer by full ID number, and a duplicate-ID error named the other
customer's number. A client now sees only the customers it holds under its own external ids, on every
read (search included), and errors never name a customer outside its scope."""
from __future__ import annotations

import pytest
from api_helpers import customer_body, get_token


@pytest.fixture
def two_clients(http, make_client, new_customer):
    """Client A holds one customer; client B another; a third customer belongs to an RM and no client."""
    from services.integration.clients import SCOPES

    a = make_client("core-a", sorted(SCOPES))
    b = make_client("core-b", sorted(SCOPES))
    auth_a = {"Authorization": f"Bearer {get_token(http, a)}", "Accept-Language": "en"}
    auth_b = {"Authorization": f"Bearer {get_token(http, b)}", "Accept-Language": "en"}
    body_a = customer_body(1, name="上海甲")
    assert http.put("/api/v1/customers/A-1", json=body_a, headers=auth_a).status_code == 201
    assert http.put("/api/v1/customers/B-1", json=customer_body(2, name="上海乙"), headers=auth_b).status_code == 201
    staff = new_customer(owner="rm_b1", name="上海丙")
    return auth_a, auth_b, body_a, staff


def _names(http, auth, q: str) -> set[str]:
    r = http.get("/api/v1/customers", params={"q": q}, headers=auth)
    assert r.status_code == 200, r.text
    return {item["name"] for item in r.json()["items"]}


def test_api_search_sees_only_the_clients_own_customers(http, two_clients):
    auth_a, auth_b, body_a, _staff = two_clients
    assert _names(http, auth_a, "上海") == {"上海甲"}
    assert _names(http, auth_b, "上海") == {"上海乙"}
    assert _names(http, auth_a, "") == {"上海甲"}
    # Client B cannot find client A's customer by its full ID number or its phone.
    assert _names(http, auth_b, body_a["id_number"]) == set()
    assert _names(http, auth_b, body_a["phone"]) == set()
    assert _names(http, auth_a, body_a["id_number"]) == {"上海甲"}


def test_duplicate_id_error_names_no_customer_outside_the_clients_scope(http, two_clients):
    auth_a, auth_b, body_a, _staff = two_clients
    r = http.put("/api/v1/customers/B-2", json=customer_body(1, name="冒名"), headers=auth_b)
    assert r.status_code == 422
    field = r.json()["fields"][0]
    assert field["field"] == "id_number" and field["code"] == "value.duplicate_elsewhere"
    assert "C0" not in r.text and "上海甲" not in r.text
    # The client that holds the customer is told which one it is.
    r = http.put("/api/v1/customers/A-2", json=customer_body(1, name="重复"), headers=auth_a)
    assert r.status_code == 422 and r.json()["fields"][0]["code"] == "value.duplicate"


def test_another_clients_external_id_is_simply_unknown(http, two_clients):
    _auth_a, auth_b, _body, _staff = two_clients
    r = http.get("/api/v1/customers/A-1", headers=auth_b)
    assert r.status_code == 404
