"""UI labels per feature area: each module exposes LABELS = {key: (zh_CN, en)}; state.i18n merges them."""
