"""Property tests: on random rules and random data, the SQL evaluator (set-based, used for previews and the
nightly pass), the incremental evaluator (one customer's operands from SQL, logic in Python) and the
reference evaluator (pure Python over raw rows) select exactly the same customers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from services.activities.models import BehaviourEvent, Interaction
from services.customers.models import Customer, CustomFieldDefinition
from services.portfolio.models import Account, Holding, Product, Transaction
from services.tags import rules as R

AS_OF = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
N_CUSTOMERS = 5
PRODUCTS = {
    801: {"product_type": "wealth", "risk_level": "R5", "is_premium": True},
    802: {"product_type": "fund", "risk_level": "R3", "is_premium": True},
    803: {"product_type": "fund", "risk_level": "R1", "is_premium": False},
    804: {"product_type": "bond", "risk_level": "R2", "is_premium": False},
}
CUSTOM = {"lvl": ("choice", ("a", "b", "c")), "score": ("number", ()), "joined": ("date", ()),
          "hobbies": ("multi", ("golf", "art", "wine")), "note": ("text", ())}
AMOUNTS = [0, 100, 250, 500, 1000]
DAYS = [0, 1, 6, 7, 8, 29, 30, 31, 45]

# ------------------------------------------------------------------ random data

money = st.sampled_from(AMOUNTS).map(lambda v: Decimal(v).quantize(Decimal("0.01")))
offset = st.sampled_from(DAYS).map(lambda d: AS_OF - timedelta(days=d))
custom_values = st.fixed_dictionaries({}, optional={
    "lvl": st.sampled_from(["a", "b", "c", 3]),
    "score": st.one_of(st.sampled_from([0, 5, 10, -2]), st.sampled_from(["5", "7.5", "x"])),
    "joined": st.sampled_from(["2020-01-01", "2024-06-30", "2026-11-19"]),
    "hobbies": st.one_of(st.lists(st.sampled_from(["golf", "art", "wine"]), max_size=3), st.just("golf")),
    "note": st.sampled_from(["vip", "新客户", ""]),
})
customer = st.fixed_dictionaries({
    "segment": st.sampled_from(["mass", "affluent", "hnw"]),
    "gender": st.sampled_from(["male", "female", None]),
    "risk_level": st.sampled_from(["C1", "C3", "C5", None]),
    "branch_id": st.sampled_from([1, 2]),
    "birth_date": st.one_of(st.none(), st.sampled_from([date(1956, 11, 20), date(1956, 11, 21), date(1990, 2, 28),
                                                       date(2000, 2, 29), date(1986, 11, 19)])),
    "custom": custom_values,
    "transactions": st.lists(st.fixed_dictionaries({"kind": st.sampled_from(["deposit", "withdrawal", "interest"]),
                                                    "amount": money, "booked_at": offset}), max_size=4),
    "events": st.lists(st.fixed_dictionaries({"kind": st.sampled_from(["product_view", "search"]),
                                              "occurred_at": offset,
                                              "product_id": st.sampled_from([801, 802, 803, None])}), max_size=4),
    "interactions": st.lists(st.fixed_dictionaries({"kind": st.sampled_from(["call", "visit"]),
                                                    "occurred_at": offset}), max_size=2),
    "holdings": st.lists(st.fixed_dictionaries({"product_id": st.sampled_from(list(PRODUCTS)),
                                                "market_value": money}), max_size=3),
    "accounts": st.lists(st.fixed_dictionaries({"kind": st.sampled_from(["deposit", "loan", "insurance", "wealth"]),
                                                "balance": money}), max_size=3),
})

# ------------------------------------------------------------------ random rules

days = st.sampled_from([7, 30])
leaf = st.one_of(
    st.fixed_dictionaries({"field": st.just("segment"), "op": st.sampled_from(["==", "!="]),
                           "value": st.sampled_from(["mass", "hnw"])}),
    st.fixed_dictionaries({"field": st.just("segment"), "op": st.sampled_from(["in", "not_in"]),
                           "value": st.lists(st.sampled_from(["mass", "affluent", "hnw"]), min_size=1, max_size=2)}),
    st.fixed_dictionaries({"field": st.just("gender"), "op": st.sampled_from(["==", "!="]),
                           "value": st.sampled_from(["male", "female"])}),
    st.fixed_dictionaries({"field": st.just("risk_level"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from(["C1", "C3", "C5"])}),
    st.fixed_dictionaries({"field": st.just("branch_id"), "op": st.sampled_from(["==", "!=", "in", "not_in"]),
                           "value": st.just(1)}).map(lambda d: dict(d, value=[1] if d["op"] in ("in", "not_in")
                                                                    else 1)),
    st.fixed_dictionaries({"field": st.just("age"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from([26, 39, 40, 69, 70])}),
    st.fixed_dictionaries({"field": st.sampled_from(["aum", "liabilities"]), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from(AMOUNTS)}),
    st.fixed_dictionaries({"field": st.just("tx_sum"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from(AMOUNTS + [-100]), "days": days,
                           "kinds": st.sampled_from([["deposit"], ["deposit", "interest"], ["withdrawal"]])}),
    st.fixed_dictionaries({"field": st.just("tx_count"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.integers(0, 3), "days": days, "kinds": st.just(["deposit"])}),
    st.fixed_dictionaries({"field": st.just("event_count"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.integers(0, 3), "days": days,
                           "event_kind": st.sampled_from(["product_view", "search"]), "premium": st.booleans()}),
    st.fixed_dictionaries({"field": st.just("interaction_count"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.integers(0, 2), "days": st.sampled_from([7, 30, 90])}),
    st.fixed_dictionaries({"field": st.sampled_from(["holdings_value", "holdings_count"]),
                           "op": st.sampled_from([">=", ">", "=="]), "value": st.sampled_from([0, 1, 250])},
                          optional={"product_types": st.just(["fund"]), "min_risk": st.sampled_from(["R2", "R5"]),
                                    "premium": st.booleans()}),
    st.fixed_dictionaries({"field": st.just("custom.lvl"), "op": st.sampled_from(["==", "!="]),
                           "value": st.sampled_from(["a", "b"])}),
    st.fixed_dictionaries({"field": st.just("custom.score"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from([0, 5, "7.5"])}),
    st.fixed_dictionaries({"field": st.just("custom.joined"), "op": st.sampled_from(R.OPS[:6]),
                           "value": st.sampled_from(["2024-06-30", "2025-01-01"])}),
    st.fixed_dictionaries({"field": st.just("custom.hobbies"), "op": st.sampled_from(["in", "not_in"]),
                           "value": st.lists(st.sampled_from(["golf", "art", "wine"]), min_size=1, max_size=2)}),
    st.fixed_dictionaries({"field": st.just("custom.note"), "op": st.sampled_from(["==", "!=", "in"]),
                           "value": st.just("vip")}).map(lambda d: dict(d, value=["vip"]) if d["op"] == "in" else d),
)
tree = st.recursive(leaf, lambda kids: st.one_of(
    st.builds(lambda xs: {"all": xs}, st.lists(kids, min_size=1, max_size=3)),
    st.builds(lambda xs: {"any": xs}, st.lists(kids, min_size=1, max_size=3)),
    st.builds(lambda x: {"not": x}, kids)), max_leaves=6)


# ------------------------------------------------------------------ database set-up

@pytest.fixture
def base(connection, org):
    connection.execute(insert(Product), [
        {"id": pid, "code": f"P{pid}", "name": f"产品{pid}", "name_en": f"P{pid}", "currency": "CNY",
         "is_active": True, **p} for pid, p in PRODUCTS.items()])
    connection.execute(insert(CustomFieldDefinition), [
        {"key": key, "label": key, "label_en": key, "field_type": {"multi": "multi_choice"}.get(t, t),
         "applies_to": "both", "choices": list(ch), "required": False, "visible_to": [], "editable_by": [],
         "active": True, "position": i, "created_at": AS_OF} for i, (key, (t, ch)) in enumerate(CUSTOM.items())])
    return org


def _write(connection, org, people: list[dict]) -> list[R.RawCustomer]:
    raws = []
    for i, p in enumerate(people, start=1):
        cid = 70_000 + i
        connection.execute(insert(Customer).values(
            id=cid, customer_no=f"P{cid}", kind="individual", name=f"客户{i}", name_pinyin="kehu", name_initials="kh",
            gender=p["gender"], birth_date=p["birth_date"], id_type="resident_id", id_number_enc="x",
            id_number_bidx=f"prop{cid}", id_last4="0000", id_number_masked="x", segment=p["segment"], owner_id=org.users["rm_a1"],
            team_id=None, branch_id=p["branch_id"], source_channel="branch", status="active",
            risk_level=p["risk_level"], kyc_status="verified", aml_risk="low", custom=p["custom"], version=1,
            created_at=AS_OF, updated_at=AS_OF))
        accounts = [dict(a) for a in p["accounts"]]
        acc_id = None
        for j, a in enumerate(accounts or [{"kind": "deposit", "balance": Decimal("0.00")}]):
            acc_id = connection.execute(insert(Account).values(
                customer_id=cid, kind=a["kind"], account_no_enc="x", account_no_bidx=f"a{cid}-{j}",
                account_no_last4="0000", currency="CNY", balance=a["balance"], branch_id=1,
                opened_on=date(2020, 1, 1), status="open").returning(Account.id)).scalar_one()
        if not accounts:
            accounts = [{"kind": "deposit", "balance": Decimal("0.00")}]
        for j, t in enumerate(p["transactions"]):
            connection.execute(insert(Transaction).values(
                account_id=acc_id, customer_id=cid, kind=t["kind"], amount=t["amount"], currency="CNY",
                booked_at=t["booked_at"], channel="counter", source="prop", external_ref=f"{cid}-{j}",
                created_at=AS_OF))
        for j, e in enumerate(p["events"]):
            connection.execute(insert(BehaviourEvent).values(
                customer_id=cid, kind=e["kind"], occurred_at=e["occurred_at"], product_id=e["product_id"],
                attributes={}, source="prop", external_id=f"{cid}-{j}"))
        for it in p["interactions"]:
            connection.execute(insert(Interaction).values(
                customer_id=cid, user_id=org.users["rm_a1"], kind=it["kind"], occurred_at=it["occurred_at"],
                subject="s", created_at=AS_OF))
        for h in p["holdings"]:
            connection.execute(insert(Holding).values(
                account_id=acc_id, customer_id=cid, product_id=h["product_id"], quantity=Decimal("1"),
                cost=h["market_value"], market_value=h["market_value"], currency="CNY", as_of=date(2026, 11, 1)))
        raws.append(R.RawCustomer(
            row={"id": cid, "segment": p["segment"], "gender": p["gender"], "risk_level": p["risk_level"],
                 "branch_id": p["branch_id"], "birth_date": p["birth_date"], "custom": p["custom"]},
            transactions=p["transactions"], events=p["events"], interactions=p["interactions"],
            holdings=p["holdings"], accounts=accounts))
    return raws


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(people=st.lists(customer, min_size=N_CUSTOMERS, max_size=N_CUSTOMERS), definitions=st.lists(tree, min_size=3,
                                                                                                   max_size=3))
def test_sql_incremental_and_reference_evaluators_agree(connection, base, people, definitions):
    nested = connection.begin_nested()
    try:
        raws = _write(connection, base, people)
        ctx = R.Ctx(as_of=AS_OF, dialect=connection.dialect.name)
        ids = [r.row["id"] for r in raws]
        for definition in definitions:
            node = R.validate(definition, CUSTOM)
            by_sql = set(connection.execute(
                select(R.C.c.id).where(R.condition_sql(ctx, node), R.C.c.id.in_(ids))).scalars())
            by_reference = {r.row["id"] for r in raws if R.reference_holds(node, r, PRODUCTS, AS_OF)}
            ops = R.operands([node])
            leaves = list(ops.values())
            by_incremental = set()
            for cid in ids:
                row = connection.execute(R.operand_statement(ctx.dialect, ops),
                                         {"cid": cid, **R.window_params(ops, AS_OF)}).one()
                values = {leaf.key: R.normalise_operand(leaf, row[i], AS_OF) for i, leaf in enumerate(leaves)}
                if R.holds(node, values):
                    by_incremental.add(cid)
            assert by_sql == by_reference == by_incremental, definition
    finally:
        nested.rollback()


@given(tree)
@settings(max_examples=200)
def test_every_generated_rule_validates_and_round_trips_through_json(definition):
    import json

    node = R.validate(json.loads(json.dumps(definition)), CUSTOM)
    assert sum(1 for _ in R.leaves(node)) >= 1


@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                              st.dictionaries(st.sampled_from(["field", "op", "value", "days", "x"]),
                                              st.one_of(st.text(max_size=8), st.integers()), max_size=4)),
                    lambda kids: st.one_of(st.lists(kids, max_size=3),
                                           st.dictionaries(st.sampled_from(["all", "any", "not", "field"]), kids,
                                                           max_size=2)), max_leaves=8))
@settings(max_examples=300)
def test_arbitrary_input_is_either_valid_or_a_field_error(junk):
    from services.errors import ValidationFailed

    try:
        R.validate(junk, CUSTOM)
    except ValidationFailed as exc:
        assert exc.errors and all(e.field == "definition" and e.code.startswith("tag_rule.") for e in exc.errors)
        assert exc.message("en") and exc.message("zh_CN")
