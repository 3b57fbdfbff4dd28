"""The login page's state: which error to show and where to go next.

The form itself posts to /auth/login (an HTTP route), never through a handler here.
"""
from __future__ import annotations

from typing import Any

import reflex as rx

from services.i18n import translate
from services.validation.input import whole_number
from state.session import AppState, resolve_cookie_header

MAX_LOCK_MINUTES = 24 * 60


def _safe_next(value: Any) -> str:
    """A same-site relative path (the /auth/login route checks it again)."""
    if (isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value
            and len(value) <= 300 and not value.startswith(("/login", "/auth/"))
            and all(0x20 <= ord(ch) != 0x7F for ch in value)):
        return value
    return "/"  # the home page of whoever signs in (state/home.py)


class LoginState(AppState):
    error_code: str = ""  # "", "invalid" or "throttled"
    lock_minutes: int = 0  # how long the throttled sign-in must wait
    next_path: str = "/"

    @rx.var
    def error_message(self) -> str:
        lang = self.lang
        if self.error_code == "invalid":
            return translate("auth.invalid_credentials", lang)
        if self.error_code == "throttled":
            return translate("auth.throttled", lang, minutes=self.lock_minutes)
        if self.error_code == "expired":
            return translate("auth.session_invalid", lang)
        return ""

    @rx.event
    def load(self):
        """on_load: read ?error=&minutes=&next= (all validated); a signed-in user goes straight on."""
        params = {}
        try:
            params = dict(self.router.url.query_parameters or {})
        except (AttributeError, TypeError, ValueError):
            params = {}
        error = params.get("error")
        self.error_code = error if error in ("invalid", "throttled") else ""
        minutes = params.get("minutes")
        self.lock_minutes = whole_number(minutes, high=MAX_LOCK_MINUTES + 1) or 0
        if self.error_code == "throttled" and self.lock_minutes == 0:
            self.lock_minutes = 15
        self.next_path = _safe_next(params.get("next"))
        if not self.error_code and resolve_cookie_header(self._cookie_header(), touch=False) is not None:
            return rx.redirect(self.next_path, replace=True)
        # Nobody is signed in here: the next user of this browser must not see the last one's name or menu.
        self.user_name, self.permissions = "", []
        return None
