"""UI labels of the search box in every page's header."""
from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "hs.placeholder": ("搜索客户（按 / 键）", "Search customers (press /)"),
    "hs.label": ("搜索客户：姓名、拼音、首字母、手机或证件尾号", "Search customers by name, pinyin, initials, phone or ID last 4"),
    "hs.recent": ("最近查看", "Recently viewed"),
    "hs.no_recent": ("还没有最近查看的客户。", "No recently viewed customers yet."),
    "hs.results": ("搜索结果", "Customers found"),
    "hs.none": ("没有找到客户。", "No customers found."),
    "hs.all": ("在客户列表中查看全部结果", "See all results in the customer list"),
    "hs.hint": ("姓名、拼音、首字母、手机或证件尾号 · 按 / 或 Ctrl+K 随时搜索",
                "Name, pinyin, initials, phone or ID last 4 · press / or Ctrl+K anywhere"),
}
