"""UI labels of the app's own 404 page (fincrm_app/pages/not_found.py)."""

LABELS: dict[str, tuple[str, str]] = {
    "notfound.title": ("页面不存在", "Page not found"),
    "notfound.body": ("您打开的地址不存在，可能已被移动或输入有误。", "The address you opened does not exist: it may have moved "
                                                              "or been mistyped."),
    "notfound.home": ("返回客户列表", "Back to customers"),
}
