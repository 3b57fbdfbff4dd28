"""Evidence of a tag ("why this tag") in words: the rule engine's operand keys made readable.

The keys come from services.tags.rules.Leaf.key, e.g. `tx_sum_deposit_30d`,
`product_view_premium_count_30d`, `interaction_all_count_90d`, `holdings_value_fund+bond_R3up`.
Unknown keys are shown as they are rather than guessed.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from services.i18n import format_money, format_number
from state.i18n import LABELS, label

_TX = re.compile(r"^(tx_sum|tx_count)_(?P<kinds>[a-z_+]+)_(?P<days>\d+)d$")
_EVENT = re.compile(r"^(?P<event>[a-z_]+?)(?P<premium>_premium)?_count_(?P<days>\d+)d$")
_INTERACTION = re.compile(r"^interaction_(?P<kinds>[a-z_+]+)_count_(?P<days>\d+)d$")
_MONEY = {"tx_sum", "aum", "liabilities", "holdings_value"}


def _first(locale: str, *keys: str, default: str) -> str:
    for key in keys:
        if key in LABELS:
            return label(key, locale)
    return default


def _kinds(kinds: str, prefix: str, locale: str) -> str:
    sep = "、" if locale == "zh_CN" else ", "
    return sep.join(_first(locale, f"{prefix}.{k}", default=k) for k in kinds.split("+"))


def describe(key: str, locale: str) -> tuple[str, bool]:
    """(words for the operand, whether its value is money)."""
    m = _TX.match(key)
    if m:
        which = "tags.ev.tx_sum" if key.startswith("tx_sum") else "tags.ev.tx_count"
        return label(which, locale, kinds=_kinds(m["kinds"], "tx", locale), days=m["days"]), which.endswith("sum")
    m = _INTERACTION.match(key)
    if m:
        kinds = (_first(locale, "tags.ev.all_interactions", default="all") if m["kinds"] == "all"
                 else _kinds(m["kinds"], "interaction", locale))
        return label("tags.ev.interaction_count", locale, kinds=kinds, days=m["days"]), False
    m = _EVENT.match(key)
    if m:
        event = _first(locale, f"c360.event.{m['event']}", default=m["event"])
        which = "tags.ev.event_count_premium" if m["premium"] else "tags.ev.event_count"
        return label(which, locale, event=event, days=m["days"]), False
    base = key.split("_", 2)[:2]
    field = "_".join(base) if "_".join(base) in ("holdings_value", "holdings_count") else key
    if field.startswith("custom."):
        return field, False
    words = _first(locale, f"tags.f.{field}", default=key)
    if field != key:  # holdings with filters: keep the filter part readable but short
        words = f"{words} ({key[len(field) + 1:].replace('+', ', ')})"
    return words, field in _MONEY


def evidence_lines(evidence: dict, locale: str, currency: str = "CNY") -> list[str]:
    out = []
    for key, value in list((evidence or {}).items())[:12]:
        words, money = describe(str(key)[:80], locale)
        if isinstance(value, bool) or value is None:
            shown = str(value)
        else:
            try:
                number = Decimal(str(value))
                shown = format_money(number, currency, locale) if money else format_number(number, locale)
            except (InvalidOperation, ValueError):
                shown = str(value)[:120]
        out.append(f"{words}: {shown}")
    return out
