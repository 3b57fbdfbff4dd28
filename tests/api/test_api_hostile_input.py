"""Hostile input over raw HTTP (issue 7 findings 8 and 9, issue 8 "bad input"): every attack that made a
server error or wrote bad data gets a clear 4xx naming the field, in the caller's language, and writes
nothing. Bodies are sent as raw bytes, the way an attacker sends them (a lone surrogate as its JSON escape)."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from api_helpers import count, customer_body
from services.portfolio.conventions import AMOUNT_SIGN, CREDIT
from services.security.models import AuditEvent
from test_export_route import session_cookie

HUGE = 2100960357689305825655222435840  # from the review: OverflowError in SQLite's driver


def _raw(http, method: str, url: str, body: str | bytes, headers: dict, key: str | None = None):
    h = {**headers, "Content-Type": "application/json"}
    if key:
        h["Idempotency-Key"] = key
    return http.request(method, url, content=body.encode() if isinstance(body, str) else body, headers=h)


def _fields(r) -> set[tuple[str, str]]:
    return {(p["field"], p["code"]) for p in r.json()["fields"]}


def _zh(auth: dict) -> dict:
    return {**auth, "Accept-Language": "zh-CN"}


@pytest.fixture
def book(http, auth):
    """C-1 with a deposit account A-1 (balance 100.00) and a loan account L-1 (owed 5,000.00)."""
    r = http.put("/api/v1/customers/C-1", json=customer_body(1), headers=auth)
    assert r.status_code == 201, r.text
    for ext, kind, no, balance in (("A-1", "deposit", "6214850000000000001", "100.00"),
                                   ("L-1", "loan", "7000000000000000001", "5000.00")):
        r = http.put(f"/api/v1/customers/C-1/accounts/{ext}", headers=auth, json={
            "kind": kind, "account_no": no, "opened_on": "2020-01-02", "balance": balance})
        assert r.status_code == 201, r.text


def _tx(ref: str = "T1", account: str = "A-1", **kw) -> dict:
    row = {"external_ref": ref, "customer_external_id": "C-1", "account_external_id": account, "kind": "deposit",
           "amount": "10.00", "booked_at": "2026-01-05T10:00:00+08:00", "channel": "counter"}
    row.update(kw)
    return row


def _balance(app_db, kind: str = "deposit") -> Decimal:
    cents = app_db.execute(text("SELECT balance FROM account WHERE kind = :k"), {"k": kind}).scalar_one()
    return Decimal(cents) / 100


def _json_body_routes() -> list[tuple[str, str]]:
    """(method, path) of every API operation that takes a JSON body, with its path ids filled in."""
    from fincrm_app.api.v1 import router

    out = []
    for route in router.routes:
        body = (getattr(route, "openapi_extra", None) or {}).get("requestBody", {})
        if "application/json" in body.get("content", {}):
            path = route.path.replace("{external_id}", "C-1").replace("{account_external_id}", "A-1")
            out += [(m, path) for m in route.methods]
    return sorted(out)


BODY_ROUTES = _json_body_routes()


def test_the_body_routes_are_all_found():
    assert len(BODY_ROUTES) >= 6 and ("POST", "/api/v1/transactions") in BODY_ROUTES


# ---------------------------------------------------------------- finding 8: server errors

@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_deeply_nested_json_on_every_body_is_a_422_not_a_recursion_error(http, auth, app_db, book, method, path):
    for body in ("[" * 33 + "]" * 33, "[" * 5_000 + "]" * 5_000, '{"a":' * 10_000 + "1" + "}" * 10_000):
        r = _raw(http, method, path, body, auth, key="deep-1")
        assert r.status_code == 422, r.text
        assert _fields(r) == {("body", "value.too_deeply_nested")}
        assert r.json()["message"] == "Request body: nests arrays and objects more than 32 levels deep"
    zh = _raw(http, method, path, body, _zh(auth), key="deep-1")
    assert zh.status_code == 422 and zh.json()["message"] == "请求内容: 数组和对象的嵌套超过 32 层"
    assert count(app_db, "idempotency_record") == 0


def test_a_lone_surrogate_in_a_transaction_batch_is_named_by_row_and_field(http, auth, app_db, book):
    body = json.dumps({"rows": [_tx("T1"), _tx("T2", description="\ud800")]})  # ASCII: "\\ud800" escape
    assert "\\ud800" in body
    r = _raw(http, "POST", "/api/v1/transactions", body, auth, key="sur-1")
    assert r.status_code == 422, r.text
    assert _fields(r) == {("rows[1].description", "value.invalid_encoding")}
    assert "rows[1] Description" in r.json()["message"] and "broken character encoding" in r.json()["message"]
    zh = _raw(http, "POST", "/api/v1/transactions", body, _zh(auth), key="sur-1")
    assert zh.status_code == 422 and "字符编码错误" in zh.json()["message"]
    assert count(app_db, "transaction") == 0 and count(app_db, "idempotency_record") == 0
    assert _balance(app_db) == Decimal("100.00")


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_a_lone_surrogate_in_any_key_or_value_of_any_body_is_a_422(http, auth, app_db, book, method, path):
    for body in ('{"\\ud800": 1}', '{"rows": ["\\udc00"]}', '["\\udfff"]'):
        r = _raw(http, method, path, body, auth, key="sur-2")
        assert r.status_code == 422, (body, r.text)
        assert {code for _, code in _fields(r)} == {"value.invalid_encoding"}


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "0001-01-01T07:59:59+08:00",
                                  "9999-12-31T23:59:59-08:00", "1899-12-31T23:59:59Z"])
def test_dates_outside_the_business_range_are_refused_in_transactions_events_and_interactions(
        http, auth, app_db, book, product, when):
    r = http.post("/api/v1/transactions", json={"rows": [_tx(booked_at=when)]}, headers={**auth, "Idempotency-Key": "d-1"})
    assert r.status_code == 422, r.text
    assert _fields(r) == {("rows[0].booked_at", "value.date_out_of_range")}
    assert "rows[0] Booked at: must be between 1900-01-01 and 2200-12-31" in r.json()["message"]
    r = http.post("/api/v1/events", headers={**auth, "Idempotency-Key": "d-2"}, json={"rows": [{
        "external_id": "E1", "customer_external_id": "C-1", "kind": "search", "occurred_at": when}]})
    assert r.status_code == 422 and _fields(r) == {("rows[0].occurred_at", "value.date_out_of_range")}, r.text
    r = http.post("/api/v1/customers/C-1/interactions", headers=_zh(auth),
                  json={"kind": "call", "subject": "来电", "occurred_at": when})
    assert r.status_code == 422 and _fields(r) == {("occurred_at", "value.date_out_of_range")}, r.text
    assert "必须在 1900-01-01 至 2200-12-31 之间" in r.json()["message"]
    for table in ("transaction", "behaviour_event", "interaction"):
        assert count(app_db, table) == 0


def test_dates_at_the_edges_of_the_range_are_accepted(http, auth, app_db, book):
    r = http.post("/api/v1/transactions", headers={**auth, "Idempotency-Key": "edge"}, json={"rows": [
        _tx("T1", booked_at="1900-01-01T00:00:00Z"), _tx("T2", booked_at="1900-01-01T08:00:00+08:00")]})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- finding 9: data integrity

def test_a_negative_deposit_is_refused_and_the_balance_stays(http, auth, app_db, book):
    r = http.post("/api/v1/transactions", json={"rows": [_tx(amount="-5")]}, headers={**auth, "Idempotency-Key": "n-1"})
    assert r.status_code == 422, r.text
    assert _fields(r) == {("rows[0].amount", "transaction.amount_credit")}
    assert "rows[0] Amount: must be above zero for a deposit" in r.json()["message"]
    assert count(app_db, "transaction") == 0 and _balance(app_db) == Decimal("100.00")


@pytest.mark.parametrize("account, kind", [("A-1", "deposit"), ("L-1", "loan")])
def test_every_transaction_kind_takes_only_its_sign_and_moves_the_balance_its_way(http, auth, app_db, book,
                                                                                  account, kind):
    liability = kind == "loan"
    for i, tx_kind in enumerate(sorted(AMOUNT_SIGN)):
        sign = AMOUNT_SIGN[tx_kind][1 if liability else 0]
        wrong, right = ("-5.00", "5.00") if sign == CREDIT else ("5.00", "-5.00")
        before = _balance(app_db, kind)
        bad = http.post("/api/v1/transactions", json={"rows": [_tx(f"W{i}", kind=tx_kind, account=account,
                                                                   amount=wrong)]},
                        headers={**auth, "Idempotency-Key": f"s-{tx_kind}-bad"})
        assert bad.status_code == 422, bad.text
        assert [p["field"] for p in bad.json()["fields"]] == ["rows[0].amount"]
        ok = http.post("/api/v1/transactions", json={"rows": [_tx(f"R{i}", kind=tx_kind, account=account,
                                                                  amount=right)]},
                       headers={**auth, "Idempotency-Key": f"s-{tx_kind}-ok"})
        assert ok.status_code == 200, ok.text
        # Money into an account raises a deposit balance and lowers what is owed on a loan.
        moved = Decimal("5.00") if sign == CREDIT else Decimal("-5.00")
        assert _balance(app_db, kind) - before == (-moved if liability else moved), tx_kind


@pytest.mark.parametrize("field, value", [("name", "张三\u202e四"), ("name", "张\u200b三"), ("address", "北京\u2066路"),
                                          ("occupation", "\ufeff教师"), ("name", "王\x85五")])
def test_display_spoofing_characters_are_refused_in_customer_fields(http, auth, app_db, field, value):
    r = http.put("/api/v1/customers/C-9", json=customer_body(9, **{field: value}), headers=auth)
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["fields"]] == [field]
    assert r.json()["fields"][0]["code"] in ("value.invisible_characters", "value.control_characters")
    assert count(app_db, "customer") == 0


def test_display_spoofing_characters_are_refused_in_batch_rows_and_interactions(http, auth, app_db, book):
    r = http.post("/api/v1/transactions", headers={**auth, "Idempotency-Key": "rlo-1"},
                  json={"rows": [_tx(description="工资\u202e退款")]})
    assert r.status_code == 422 and _fields(r) == {("rows[0].description", "value.invisible_characters")}, r.text
    r = http.post("/api/v1/events", headers={**auth, "Idempotency-Key": "rlo-2"}, json={"rows": [{
        "external_id": "E1", "customer_external_id": "C-1", "kind": "search", "occurred_at": "2026-01-05T10:00:00Z",
        "attributes": {"q": "基金\u200d"}}]})
    assert r.status_code == 422 and _fields(r) == {("rows[0].attributes", "value.invisible_characters")}, r.text
    r = http.post("/api/v1/customers/C-1/interactions", headers=auth,
                  json={"kind": "call", "subject": "ok", "notes": "见附件\u2067"})
    assert r.status_code == 422 and _fields(r) == {("notes", "value.invisible_characters")}, r.text
    assert count(app_db, "transaction") == count(app_db, "behaviour_event") == count(app_db, "interaction") == 0


# ---------------------------------------------------------------- issue 8: integer ranges

def test_a_huge_owner_id_is_a_422_naming_the_field_on_create_and_update(http, auth, app_db, book):
    r = http.put("/api/v1/customers/C-9", json=customer_body(9, owner_id=HUGE), headers=auth)
    assert r.status_code == 422, r.text
    assert _fields(r) == {("owner_id", "value.above_max")}
    assert r.json()["message"] == "Relationship manager: must be at most 2147483647"
    r = http.put("/api/v1/customers/C-1", json=customer_body(1, owner_id=HUGE), headers=_zh(auth))
    assert r.status_code == 422 and _fields(r) == {("owner_id", "value.above_max")}, r.text
    assert r.json()["message"] == "客户经理: 不能大于 2147483647"
    for bad in (-HUGE, 0, -1):
        r = http.put("/api/v1/customers/C-1", json=customer_body(1, owner_id=bad), headers=auth)
        assert r.status_code == 422 and _fields(r) == {("owner_id", "value.below_min")}, r.text
    assert count(app_db, "customer") == 1


@pytest.mark.parametrize("value", [2**63, -(2**63), HUGE, 10**4000], ids=["2**63", "-2**63", "review", "10**4000"])
def test_huge_integers_in_event_attributes_are_refused(http, auth, app_db, book, value):
    body = json.dumps({"rows": [{"external_id": "E1", "customer_external_id": "C-1", "kind": "search",
                                 "occurred_at": "2026-01-05T10:00:00Z", "attributes": {"n": value}}]})
    r = _raw(http, "POST", "/api/v1/events", body, auth, key="int-1")
    assert r.status_code == 422, r.text
    assert count(app_db, "behaviour_event") == 0


@pytest.mark.parametrize("params", [{"page": str(HUGE)}, {"page_size": str(HUGE)}, {"page": "-1"}, {"page": "①"}])
def test_huge_or_odd_paging_numbers_in_the_search_are_a_4xx(http, auth, params):
    r = http.get(f"/api/v1/customers?{urlencode(params)}", headers=auth)
    assert 400 <= r.status_code < 500, r.text


# ---------------------------------------------------------------- the export route

def _export(http, cookie: str, locale: str = "en", **params):
    return http.get(f"/exports/customers.csv?{urlencode(params)}",
                    headers={"Cookie": f"{cookie}; fincrm_locale={locale}", "Accept": "application/json"})


def _exports(connection) -> int:
    return connection.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "customer.export")).scalar_one()


@pytest.mark.parametrize("filters, code", [
    ('[{"field": "\\ud800", "op": "eq", "value": "x"}]', "value.invalid_encoding"),
    ('[{"field": "segment", "op": "in", "value": ["\\udbff"]}]', "value.invalid_encoding"),
    ("[" * 40 + "]" * 40, "value.too_deeply_nested"),
    ("[" * 5_000 + "]" * 5_000, "value.too_deeply_nested"),
    ('[{"field": "segment\\u202e", "op": "eq", "value": "mass"}]', "value.invisible_characters"),
])
def test_hostile_export_filters_are_a_translated_422_and_nothing_is_exported(http, uow_factory, org, app_db,
                                                                             filters, code):
    cookie = session_cookie(uow_factory, "rm_a1")
    r = _export(http, cookie, filters=filters)
    assert r.status_code == 422, r.text
    assert [(f["field"], f["code"]) for f in r.json()["fields"]] == [("filters", code)]
    assert r.json()["message"].startswith("Filters: ")
    zh = _export(http, cookie, locale="zh_CN", filters=filters)
    assert zh.status_code == 422 and zh.json()["message"].startswith("筛选条件: ")
    assert _exports(app_db) == 0


def test_a_spoofing_search_query_in_the_export_is_refused(http, uow_factory, org, app_db):
    r = _export(http, session_cookie(uow_factory, "rm_a1"), q="张\u202e三")
    assert r.status_code == 422 and r.json()["fields"] == [{"field": "query", "code": "value.invisible_characters"}]
    assert _exports(app_db) == 0


def test_the_export_never_touches_the_database_on_the_event_loop(http, uow_factory, org, app_db, monkeypatch):
    """The session lookup and the export run in the threadpool: on the loop they would stall every request."""
    import fincrm_app.api.exports as route

    seen: list[tuple[str, bool]] = []

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
            return True
        except RuntimeError:
            return False

    def spy(name, fn):
        def wrapper(*args, **kwargs):
            seen.append((name, on_loop()))
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(route, "request_actor", spy("request_actor", route.request_actor))
    monkeypatch.setattr(route, "unit_of_work", spy("unit_of_work", route.unit_of_work))
    monkeypatch.setattr(route, "export_customers", spy("export_customers", route.export_customers))
    r = _export(http, session_cookie(uow_factory, "rm_a1"))
    assert r.status_code == 200, r.text
    assert [name for name, _ in seen] == ["request_actor", "unit_of_work", "export_customers"]
    assert not any(loop for _, loop in seen), seen


# ---------------------------------------------------------------- property: no body makes a server error

_hostile = st.one_of(
    st.integers(min_value=2**31, max_value=2**200), st.integers(min_value=-(2**200), max_value=-1),
    st.sampled_from(["\ud800", "a\udfffb", "\u202eevil", "x\u200by", "\x00", "\ufeff", "0001-01-01T00:00:00+08:00",
                     "9999-12-31T23:59:59-12:00", "1e999", "NaN"]),
    st.integers(min_value=33, max_value=3000).map(lambda d: {"__deep__": d}),
    st.floats(allow_nan=False), st.booleans(), st.none(), st.lists(st.integers(), max_size=3))


def _body_for(method: str, path: str) -> dict:
    if path.endswith("/transactions"):
        return {"rows": [_tx()]}
    if path.endswith("/events"):
        return {"rows": [{"external_id": "E1", "customer_external_id": "C-1", "kind": "search",
                          "occurred_at": "2026-01-05T10:00:00Z", "attributes": {"n": 1}}]}
    if path.endswith("/holdings"):
        return {"holdings": [{"product_code": "WM-PREMIUM-01", "quantity": "1", "cost": "1", "market_value": "1",
                              "as_of": "2026-01-05"}]}
    if path.endswith("/interactions"):
        return {"kind": "call", "subject": "来电", "occurred_at": "2026-01-05T10:00:00+08:00"}
    if "/accounts/" in path:
        return {"kind": "deposit", "account_no": "6214850000000000001", "opened_on": "2020-01-02", "balance": "1.00"}
    return customer_body(1, owner_id=None)


def _encode(value) -> str:
    """JSON text, with {"__deep__": n} as n levels of nesting (json.dumps itself would recurse too deep)."""
    if isinstance(value, dict) and set(value) == {"__deep__"}:
        return "[" * value["__deep__"] + "]" * value["__deep__"]
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(BODY_ROUTES), data=st.data())
def test_no_hostile_value_anywhere_in_an_api_body_makes_a_server_error(http, auth, app_db, book, product, route, data):
    method, path = route
    body = _body_for(method, path)
    target = body["rows"][0] if "rows" in body else body["holdings"][0] if "holdings" in body else body
    field = data.draw(st.sampled_from(sorted(target) + ["extra_key"]), label="field")
    target[field] = data.draw(_hostile, label="value")
    r = _raw(http, method, path, _encode(body), auth, key=f"prop-{abs(hash(_encode(body))) % 10**12}")
    assert r.status_code < 500, (field, r.text)
    if r.status_code == 422:
        problems = r.json()["fields"]
        assert problems and all(p["field"] and p["message"] for p in problems), r.text


@pytest.mark.parametrize("route, field", [
    (("PUT", "/api/v1/customers/C-1/accounts/A-1/holdings"), "product_code"),
    (("POST", "/api/v1/transactions"), "product_code"),
    (("POST", "/api/v1/transactions"), "external_ref"),
    (("POST", "/api/v1/transactions"), "customer_external_id"),
    (("POST", "/api/v1/events"), "customer_external_id"),
    (("POST", "/api/v1/events"), "external_id"),
])
def test_a_nul_byte_in_a_batch_row_is_refused_before_any_lookup(http, auth, app_db, book, product, route, field):
    """Found by the property above on PostgreSQL (its text cannot hold NUL): a holding's product code "\\x00" was
    looked up before the row's text check refused it, and the server answered 500. A row whose text is refused is
    now set aside like one that failed validation."""
    method, path = route
    if route not in BODY_ROUTES:
        pytest.skip(f"{method} {path} takes no JSON body here")
    body = _body_for(method, path)
    target = body["rows"][0] if "rows" in body else body["holdings"][0]
    target[field] = "A\x00B"
    r = _raw(http, method, path, _encode(body), auth, key=f"nul-{field}-{path.rsplit('/', 1)[-1]}")
    assert r.status_code == 422, r.text
    row = "rows[0]" if "rows" in body else "holdings[0]"
    assert any(p["field"] == f"{row}.{field}" for p in r.json()["fields"]), r.text
