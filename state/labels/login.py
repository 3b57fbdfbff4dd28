"""Labels of the login page beyond the basic ones in state/i18n.py."""

LABELS = {
    # Unticked, the session cookie ends with the browser session; ticked, it lasts as long as the session.
    "login.stay_signed_in": ("保持登录", "Stay signed in"),
}
