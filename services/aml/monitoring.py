"""Transaction monitoring: rules as data, evaluated over a customer's transactions.

A rule is a row (services/aml/models.MonitoringRule): its `kind` picks one of the evaluators below, its
`params` are the thresholds, so compliance changes a threshold without a release. The shipped rules
(DEFAULT_RULES, written by the migration that created the table) are:

- `pboc_large_value`: the large-value transaction reports of PBoC Order [2016] No. 3, Article 5. Per customer,
  per direction (in / out) and per local day, single or same-day cumulative:
  cash deposits and withdrawals >= RMB 50,000 or the equivalent of USD 10,000; transfers of non-natural
  persons >= RMB 2,000,000 or USD 200,000; domestic transfers of natural persons >= RMB 500,000 or
  USD 100,000; cross-border transfers of natural persons >= RMB 200,000 or USD 10,000. RMB amounts and
  foreign-currency amounts (converted to USD at the rule's rates) are summed separately.
- `structuring`: several cash deposits each just under the cash threshold within a few days.
- `rapid_movement`: a large inflow mostly paid out again within hours (rapid in-and-out).
- `dormant_reactivation`: an account without customer activity for months moves money again.

Evaluators are pure functions of plain tuples, so the same code runs on a batch just ingested and in the
benchmark over a million rows. Each finding carries a dedup key: evaluating the same transactions twice
raises one alert.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, NamedTuple
from zoneinfo import ZoneInfo


class Tx(NamedTuple):
    id: int
    customer_id: int
    booked_at: datetime  # aware
    amount: Decimal  # signed from the account's side: money in positive
    currency: str
    kind: str
    channel: str
    counterparty_country: str | None


@dataclass
class Finding:
    rule_code: str
    customer_id: int
    dedup_key: str
    facts: dict[str, Any]
    transaction_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    params: dict
    version: int = 1
    severity: str = "medium"
    sla_days: int = 5


LARGE_VALUE_LIMBS = [
    {"limb": "cash", "applies_to": "any", "category": "cash", "cny": 50_000, "usd": 10_000},
    {"limb": "institution_transfer", "applies_to": "institution", "category": "transfer",
     "cny": 2_000_000, "usd": 200_000},
    {"limb": "individual_domestic_transfer", "applies_to": "individual", "category": "domestic_transfer",
     "cny": 500_000, "usd": 100_000},
    {"limb": "individual_cross_border_transfer", "applies_to": "individual", "category": "cross_border_transfer",
     "cny": 200_000, "usd": 10_000},
]
CLASSIFICATION = {"cash_kinds": ["deposit", "withdrawal"], "cash_channels": ["counter", "atm", "cash"],
                  "transfer_kinds": ["transfer_in", "transfer_out"], "home_country": "cn"}
# USD per unit, for foreign-currency amounts (compliance keeps these current; a currency not listed is
# not converted and never counts towards a USD threshold, which the finding would say).
USD_RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "HKD": 0.128, "JPY": 0.0067, "SGD": 0.74, "AUD": 0.66,
             "CAD": 0.73, "CHF": 1.13}

DEFAULT_RULES: list[dict] = [
    {"code": "pboc_large_value", "kind": "large_value", "severity": "medium", "sla_days": 5,
     "name": "大额交易（人民银行令〔2016〕第3号第五条）",
     "name_en": "Large-value transaction (PBoC Order [2016] No. 3, Art. 5)",
     "params": {"limbs": LARGE_VALUE_LIMBS, **CLASSIFICATION, "usd_rates": USD_RATES}},
    {"code": "structuring", "kind": "structuring", "severity": "high", "sla_days": 5,
     "name": "拆分现金存款规避大额报告", "name_en": "Structuring: cash deposits just under the threshold",
     "params": {"window_days": 7, "min_count": 3, "threshold_cny": 50_000, "band_ratio": 0.8,
                "kinds": ["deposit"], "cash_channels": CLASSIFICATION["cash_channels"]}},
    {"code": "rapid_movement", "kind": "rapid_movement", "severity": "high", "sla_days": 5,
     "name": "资金快进快出", "name_en": "Rapid in-and-out",
     "params": {"window_hours": 48, "min_inflow_cny": 200_000, "outflow_ratio": 0.8,
                "in_kinds": ["deposit", "transfer_in", "redemption", "loan_drawdown"],
                "out_kinds": ["withdrawal", "transfer_out", "purchase"]}},
    {"code": "dormant_reactivation", "kind": "dormant_reactivation", "severity": "medium", "sla_days": 5,
     "name": "长期不动户重新启用", "name_en": "Dormant account reactivated",
     "params": {"dormant_days": 180, "min_amount_cny": 50_000,
                "passive_kinds": ["interest", "fee", "dividend"]}},
]


def default_rules() -> list[Rule]:
    return [Rule(code=r["code"], kind=r["kind"], params=r["params"], severity=r["severity"], sla_days=r["sla_days"])
            for r in DEFAULT_RULES]


def lookback(rules: Iterable[Rule]) -> timedelta:
    """How far before a new transaction the evaluators look (the dormant check asks separately)."""
    days = 1
    for r in rules:
        if r.kind == "structuring":
            days = max(days, int(r.params["window_days"]))
        if r.kind == "rapid_movement":
            days = max(days, int(r.params["window_hours"]) // 24 + 1)
    return timedelta(days=days + 1)


# ---------------------------------------------------------------- evaluators

def evaluate(rules: Iterable[Rule], customer_kind: str, txs: list[Tx], new_ids: set[int] | None,
             zone: ZoneInfo, *, last_active_before: datetime | None = None) -> list[Finding]:
    """Findings for one customer. `txs`: the customer's transactions in the window, sorted by booked_at;
    `new_ids`: the ones just booked (None: all of them are new); `last_active_before`: the customer's last
    customer-initiated transaction before the window (for the dormant check)."""
    out: list[Finding] = []
    for rule in rules:
        evaluator = EVALUATORS.get(rule.kind)
        if evaluator is not None:
            out += evaluator(rule, customer_kind, txs, new_ids, zone, last_active_before)
    return out


def _is_new(t: Tx, new_ids: set[int] | None) -> bool:
    return new_ids is None or t.id in new_ids


def _category(t: Tx, p: dict) -> str | None:
    if t.kind in p["cash_kinds"] and t.channel in p["cash_channels"]:
        return "cash"
    if t.kind in p["transfer_kinds"]:
        country = (t.counterparty_country or "").lower()
        return "cross_border_transfer" if country and country != p["home_country"] else "domestic_transfer"
    return None


def _large_value(rule: Rule, customer_kind: str, txs: list[Tx], new_ids, zone, _last) -> list[Finding]:
    p = rule.params
    rates = p.get("usd_rates", USD_RATES)
    # (day, direction, limb, bucket) -> [total, ids, any new]
    groups: dict[tuple, list] = {}
    limbs = [limb for limb in p["limbs"] if limb["applies_to"] in ("any", customer_kind)]
    for t in txs:
        cat = _category(t, p)
        if cat is None:
            continue
        direction = "in" if t.amount > 0 else "out"
        day = t.booked_at.astimezone(zone).date()
        if t.currency == "CNY":
            bucket, value = "CNY", abs(t.amount)
        else:
            rate = rates.get(t.currency)
            if rate is None:
                continue
            bucket, value = "USD", abs(t.amount) * Decimal(str(rate))
        for limb in limbs:
            if limb["category"] == cat or (limb["category"] == "transfer" and cat.endswith("transfer")):
                g = groups.setdefault((day, direction, limb["limb"], bucket), [Decimal(0), [], False, limb])
                g[0] += value
                g[1].append(t.id)
                g[2] = g[2] or _is_new(t, new_ids)
    out = []
    for (day, direction, limb_name, bucket), (total, ids, fresh, limb) in groups.items():
        threshold = Decimal(limb["cny"] if bucket == "CNY" else limb["usd"])
        if fresh and total >= threshold:
            out.append(Finding(rule.code, txs[0].customer_id,
                               f"{rule.code}:{txs[0].customer_id}:{day.isoformat()}:{direction}:{limb_name}:{bucket}",
                               {"limb": limb_name, "day": day.isoformat(), "direction": direction, "currency": bucket,
                                "total": str(total.quantize(Decimal("0.01"))), "threshold": str(threshold),
                                "count": len(ids)}, ids))
    return out


def _structuring(rule: Rule, customer_kind: str, txs: list[Tx], new_ids, zone, _last) -> list[Finding]:
    p = rule.params
    high = Decimal(p["threshold_cny"])
    low = high * Decimal(str(p["band_ratio"]))
    band = [t for t in txs if t.kind in p["kinds"] and t.channel in p["cash_channels"] and t.currency == "CNY"
            and low <= t.amount < high]
    if len(band) < p["min_count"]:
        return []
    window = timedelta(days=p["window_days"])
    times = [t.booked_at for t in band]
    out, used = [], set()
    for i, t in enumerate(band):
        if not _is_new(t, new_ids):
            continue
        start = bisect_left(times, t.booked_at - window)
        cluster = band[start:i + 1]
        if len(cluster) >= p["min_count"] and cluster[0].id not in used:
            used.add(cluster[0].id)
            total = sum((c.amount for c in cluster), Decimal(0))
            out.append(Finding(rule.code, t.customer_id, f"{rule.code}:{t.customer_id}:{cluster[0].id}",
                               {"count": len(cluster), "total": str(total), "band_low": str(low),
                                "threshold": str(high), "window_days": p["window_days"],
                                "from": cluster[0].booked_at.astimezone(zone).date().isoformat(),
                                "to": t.booked_at.astimezone(zone).date().isoformat()},
                               [c.id for c in cluster]))
    return out


def _rapid_movement(rule: Rule, customer_kind: str, txs: list[Tx], new_ids, zone, _last) -> list[Finding]:
    p = rule.params
    minimum = Decimal(p["min_inflow_cny"])
    ratio = Decimal(str(p["outflow_ratio"]))
    window = timedelta(hours=p["window_hours"])
    times = [t.booked_at for t in txs]
    out = []
    for i, t in enumerate(txs):
        if t.kind not in p["in_kinds"] or t.currency != "CNY" or t.amount < minimum:
            continue
        end = bisect_right(times, t.booked_at + window)
        outs = [o for o in txs[i + 1:end] if o.kind in p["out_kinds"] and o.currency == "CNY" and o.amount < 0]
        if not outs or not (_is_new(t, new_ids) or any(_is_new(o, new_ids) for o in outs)):
            continue
        paid = -sum((o.amount for o in outs), Decimal(0))
        if paid >= t.amount * ratio:
            out.append(Finding(rule.code, t.customer_id, f"{rule.code}:{t.customer_id}:{t.id}",
                               {"inflow": str(t.amount), "outflow": str(paid), "hours": p["window_hours"],
                                "ratio": str(round(paid / t.amount, 2))}, [t.id] + [o.id for o in outs]))
    return out


def _dormant(rule: Rule, customer_kind: str, txs: list[Tx], new_ids, zone, last_active: datetime | None
             ) -> list[Finding]:
    p = rule.params
    gap = timedelta(days=p["dormant_days"])
    minimum = Decimal(p["min_amount_cny"])
    passive = set(p["passive_kinds"])
    out = []
    last = last_active
    for t in txs:
        if t.kind in passive:
            continue
        if _is_new(t, new_ids) and last is not None and t.booked_at - last >= gap and \
                (t.currency != "CNY" or abs(t.amount) >= minimum):
            out.append(Finding(rule.code, t.customer_id, f"{rule.code}:{t.customer_id}:{t.id}",
                               {"idle_days": (t.booked_at - last).days, "amount": str(t.amount),
                                "currency": t.currency,
                                "last_active": last.astimezone(zone).date().isoformat()}, [t.id]))
        last = t.booked_at
    return out


EVALUATORS: dict[str, Callable[..., list[Finding]]] = {
    "large_value": _large_value,
    "structuring": _structuring,
    "rapid_movement": _rapid_movement,
    "dormant_reactivation": _dormant,
}
