"""What the customer list's services say, in both languages (merged into services.i18n by services/bootstrap.py)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "bulk.too_many": {"en": "more than {max} customers are selected; a bulk action takes at most {max}, so narrow "
                            "the list first (nothing was changed)",
                      "zh_CN": "所选客户超过 {max} 位；批量操作一次最多 {max} 位，请先缩小范围（未做任何更改）"},
    "bulk.empty": {"en": "no customers are selected", "zh_CN": "未选择任何客户"},
    "tag.rule_owned": {"en": "is given by a tag rule, which decides who holds it; it cannot be added by hand",
                       "zh_CN": "由标签规则自动授予，不能手动添加"},
    "saved_view.no_team": {"en": "you are in no team to share it with", "zh_CN": "您不属于任何团队，无法共享"},
    "saved_view.too_many": {"en": "at most {max} saved views per person; delete one first",
                            "zh_CN": "每人最多保存 {max} 个视图，请先删除一个"},
    "field.selection": {"en": "Selected customers", "zh_CN": "所选客户"},
    "field.customer_ids": {"en": "Customers", "zh_CN": "客户"},
    "field.ids": {"en": "Selected customers", "zh_CN": "所选客户"},
    "field.matching": {"en": "Customers matching the list", "zh_CN": "列表中符合条件的客户"},
    "field.dir": {"en": "Sort order", "zh_CN": "排序方向"},
    "field.view_id": {"en": "Saved view", "zh_CN": "已保存视图"},
    "field.shared": {"en": "Share with my team", "zh_CN": "与团队共享"},
    "field.params": {"en": "List settings", "zh_CN": "列表条件"},
    "field.q": {"en": "Search", "zh_CN": "搜索"},
    "field.sort": {"en": "Sort", "zh_CN": "排序"},
    "entity.saved_view": {"en": "saved view", "zh_CN": "已保存视图"},
}
