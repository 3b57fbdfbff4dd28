"""What decision support says, in both languages (merged into services.i18n by services/bootstrap.py)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "metrics.range_backwards": {"en": "must not be before the start date", "zh_CN": "不能早于起始日期"},
    "metrics.range_too_long": {"en": "the range may span at most {days} days", "zh_CN": "时间范围最长 {days} 天"},
    "metrics.range_too_early": {"en": "must not be before {earliest}", "zh_CN": "不能早于 {earliest}"},
    "metrics.future": {"en": "must not be after today ({today})", "zh_CN": "不能晚于今天（{today}）"},
    "metrics.unknown_branch": {"en": "no branch has this id", "zh_CN": "不存在该分行"},
    "metrics.unknown_team": {"en": "no team has this id", "zh_CN": "不存在该团队"},
    "metrics.unknown_rm": {"en": "no relationship manager has this id", "zh_CN": "不存在该客户经理"},
    "metrics.team_not_in_branch": {"en": "is not a team of the chosen branch", "zh_CN": "不属于所选分行"},
    "metrics.rm_not_in_team": {"en": "is not in the chosen team or branch", "zh_CN": "不属于所选团队或分行"},
    "metrics.out_of_scope": {"en": "lies outside what you may see ({scope})", "zh_CN": "超出您可查看的范围（{scope}）"},
    "metrics.unknown_figure": {"en": "no figure is called {figure}; the figures are: {figures}",
                               "zh_CN": "没有名为 {figure} 的指标；可用指标：{figures}"},
    "metrics.unknown_bar": {"en": "this figure has no such bar", "zh_CN": "该图表没有这一项"},
    "metrics.no_grant": {"en": "this API client has no organisation granted for figures; an administrator grants "
                               "one with `fincrm metrics grant`",
                         "zh_CN": "该 API 客户端未被授予可读取指标的机构范围；请管理员使用 `fincrm metrics grant` 授权"},
    "metrics.scope.own": {"en": "your own customers", "zh_CN": "您本人的客户"},
    "metrics.scope.team": {"en": "your team", "zh_CN": "您的团队"},
    "metrics.scope.branch": {"en": "your branch", "zh_CN": "您的分行"},
    "metrics.scope.client": {"en": "the organisation granted to this client", "zh_CN": "该客户端被授权的机构"},
    "metrics.scope.none": {"en": "nothing", "zh_CN": "无"},
    "nba.already_decided": {"en": "was already marked {status}", "zh_CN": "已标记为{status}"},
    "field.branch_id": {"en": "Branch", "zh_CN": "分行"},
    "field.rm_id": {"en": "Relationship manager", "zh_CN": "客户经理"},
    "field.figure": {"en": "Figure", "zh_CN": "指标"},
    "field.bar": {"en": "Bar", "zh_CN": "图表项"},
    "field.action_id": {"en": "Suggestion", "zh_CN": "建议"},
}
