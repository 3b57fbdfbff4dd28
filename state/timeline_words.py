"""A behaviour event on the 360 timeline in words: which page or product the customer looked at, and the system
that reported it, in the user's language.

The source system names its pages by keys of its own ("wealth", "transfer"): the ones FinCRM knows have labels
(c360.page.<key>); any other key is shown as sent (it is the source's data, not a code of ours). A product
is named in the user's language; a search shows what the customer typed.
"""
from __future__ import annotations

from services.customers.views import TimelineItem
from state.i18n import LABELS, label


def event_title(item: TimelineItem, locale: str) -> str:
    if item.page:
        key = f"c360.page.{item.page}"
        return label(key, locale) if key in LABELS else item.page
    if locale == "en" and item.title_en:
        return item.title_en
    return item.title


def event_source(source: str | None, locale: str) -> str:
    """'Reported by the mobile app' / 'demo data' / 'Source: core-banking' for another system."""
    if not source:
        return ""
    key = f"c360.source.{source}"
    return label(key, locale) if key in LABELS else label("c360.source_other", locale, source=source)
