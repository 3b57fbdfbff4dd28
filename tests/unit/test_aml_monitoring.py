"""Monitoring rules as data: the PBoC Order [2016] No. 3 Art. 5 thresholds exactly (at and just under), per
customer, direction and local day, single or cumulative; structuring; rapid in-and-out; dormant reactivation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aml.monitoring import Tx, default_rules, evaluate

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
RULES = {r.code: r for r in default_rules()}


def tx(i, amount, kind="deposit", channel="counter", hours=0, currency="CNY", country=None, customer=1):
    return Tx(i, customer, T0 + timedelta(hours=hours), Decimal(str(amount)), currency, kind, channel, country)


def large(txs, kind="individual"):
    return evaluate([RULES["pboc_large_value"]], kind, sorted(txs, key=lambda t: t.booked_at), None, ZONE)


@pytest.mark.parametrize("amount, currency, alerts", [
    ("50000", "CNY", 1), ("49999.99", "CNY", 0), ("-50000", "CNY", 1), ("10000", "USD", 1), ("9999.99", "USD", 0),
    ("9300", "EUR", 1), ("9200", "EUR", 0), ("1000000", "XXX", 0),
])
def test_cash_threshold_rmb_50000_or_usd_10000(amount, currency, alerts):
    kind = "deposit" if not amount.startswith("-") else "withdrawal"
    found = large([tx(1, amount, kind=kind, currency=currency)])
    assert len(found) == alerts
    if alerts:
        assert found[0].facts["limb"] == "cash"


def test_cash_is_cumulative_per_day_and_direction_and_only_cash():
    assert len(large([tx(1, 30000), tx(2, 20000, hours=5)])) == 1  # same local day, same direction
    assert large([tx(1, 30000), tx(2, -20000, kind="withdrawal", hours=5)]) == []  # different directions
    assert large([tx(1, 30000), tx(2, 20000, hours=24)]) == []  # different days
    assert large([tx(1, 30000), tx(2, 20000, channel="online")]) == []  # not cash
    # 23:30 and 00:30 Shanghai time are two days, though the same UTC date
    late = Tx(1, 1, datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc), Decimal(30000), "CNY", "deposit", "atm", None)
    early = Tx(2, 1, datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc), Decimal(30000), "CNY", "deposit", "atm", None)
    assert large([late, early]) == []
    # RMB and foreign currency are summed separately
    assert large([tx(1, 40000), tx(2, 5000, currency="USD")]) == []


@pytest.mark.parametrize("who, amount, country, currency, alerts", [
    ("institution", "2000000", None, "CNY", 1), ("institution", "1999999.99", "us", "CNY", 0),
    ("institution", "200000", "hk", "USD", 1), ("institution", "199999", None, "USD", 0),
    ("individual", "500000", None, "CNY", 1), ("individual", "499999.99", None, "CNY", 0),
    ("individual", "100000", "cn", "USD", 1), ("individual", "99999", None, "USD", 0),
    ("individual", "200000", "hk", "CNY", 1), ("individual", "199999.99", "hk", "CNY", 0),
    ("individual", "10000", "us", "USD", 1), ("individual", "9999", "us", "USD", 0),
])
def test_transfer_thresholds_by_customer_kind_and_border(who, amount, country, currency, alerts):
    found = large([tx(1, "-" + amount, kind="transfer_out", channel="online", country=country, currency=currency)],
                  kind=who)
    assert len(found) == alerts
    if alerts:
        expected = ("institution_transfer" if who == "institution" else
                    "individual_cross_border_transfer" if country not in (None, "cn") else
                    "individual_domestic_transfer")
        assert found[0].facts["limb"] == expected and found[0].facts["direction"] == "out"


def test_structuring_several_deposits_just_under_the_threshold():
    rule = [RULES["structuring"]]
    band = [tx(1, 45000), tx(2, 48000, hours=30), tx(3, 49900, hours=80)]
    found = evaluate(rule, "individual", band, None, ZONE)
    assert len(found) == 1 and found[0].facts["count"] == 3 and found[0].transaction_ids == [1, 2, 3]
    assert evaluate(rule, "individual", band[:2], None, ZONE) == []  # two are not several
    spread = [tx(1, 45000), tx(2, 48000, hours=24 * 5), tx(3, 49900, hours=24 * 10)]
    assert evaluate(rule, "individual", spread, None, ZONE) == []  # not within 7 days
    assert evaluate(rule, "individual", [tx(1, 39000), tx(2, 39000, hours=1), tx(3, 39000, hours=2)], None,
                    ZONE) == []  # below the band


def test_rapid_in_and_out():
    rule = [RULES["rapid_movement"]]
    moved = [tx(1, 300000, kind="transfer_in", channel="online"),
             tx(2, -250000, kind="transfer_out", channel="online", hours=20)]
    found = evaluate(rule, "individual", moved, None, ZONE)
    assert len(found) == 1 and found[0].facts["outflow"] == "250000"
    kept = [moved[0], tx(2, -100000, kind="transfer_out", channel="online", hours=20)]
    assert evaluate(rule, "individual", kept, None, ZONE) == []
    later = [moved[0], tx(2, -250000, kind="transfer_out", channel="online", hours=60)]
    assert evaluate(rule, "individual", later, None, ZONE) == []


def test_dormant_account_reactivation():
    rule = [RULES["dormant_reactivation"]]
    woke = [tx(1, 80000, kind="transfer_in", channel="online")]
    found = evaluate(rule, "individual", woke, None, ZONE, last_active_before=T0 - timedelta(days=200))
    assert len(found) == 1 and found[0].facts["idle_days"] == 200
    assert evaluate(rule, "individual", woke, None, ZONE, last_active_before=T0 - timedelta(days=100)) == []
    assert evaluate(rule, "individual", woke, None, ZONE, last_active_before=None) == []  # a new account
    small = [tx(1, 800, kind="transfer_in", channel="online")]
    assert evaluate(rule, "individual", small, None, ZONE, last_active_before=T0 - timedelta(days=200)) == []
    # interest credited meanwhile is not the customer being active
    with_interest = [tx(1, 3, kind="interest", channel="online", hours=-24 * 30), woke[0]]
    assert len(evaluate(rule, "individual", with_interest, None, ZONE,
                        last_active_before=T0 - timedelta(days=200))) == 1


def test_only_new_transactions_raise_findings():
    old, new = tx(1, 30000), tx(2, 20000, hours=1)
    assert large([old]) == []
    assert len(evaluate([RULES["pboc_large_value"]], "individual", [old, new], {2}, ZONE)) == 1
    assert evaluate([RULES["pboc_large_value"]], "individual", [old, new], set(), ZONE) == []


amounts = st.decimals(min_value=Decimal("-900000"), max_value=Decimal("900000"), places=2).filter(lambda d: d != 0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(amounts, st.sampled_from(["deposit", "withdrawal", "transfer_in", "transfer_out"]),
                          st.sampled_from(["counter", "atm", "online"]), st.integers(0, 24 * 20),
                          st.sampled_from([None, "cn", "hk"])), max_size=30))
def test_findings_are_deterministic_and_each_key_once(rows):
    txs = sorted((tx(i + 1, a, kind=k, channel=c, hours=h, country=cc) for i, (a, k, c, h, cc) in enumerate(rows)),
                 key=lambda t: (t.booked_at, t.id))
    first = evaluate(default_rules(), "individual", txs, None, ZONE, last_active_before=T0 - timedelta(days=400))
    again = evaluate(default_rules(), "individual", txs, None, ZONE, last_active_before=T0 - timedelta(days=400))
    keys = [f.dedup_key for f in first]
    assert keys == [f.dedup_key for f in again] and len(keys) == len(set(keys))
    ids = {t.id for t in txs}
    assert all(set(f.transaction_ids) <= ids for f in first)
    # a large-value finding's total always reaches its threshold
    for f in first:
        if f.rule_code == "pboc_large_value":
            assert Decimal(f.facts["total"]) >= Decimal(f.facts["threshold"])
