"""Who is signed in, for the Reflex UI.

Security model (see /work/shared/DESIGN.md, "Security model"):
- The only proof of identity is the HttpOnly `fincrm_session` cookie, set by our
  own FastAPI route (fincrm_app/api/auth.py). The websocket carries it in its
  handshake headers; Reflex exposes them as `self.router.headers.cookie`.
- Every event resolves that cookie to an Actor in a fresh unit of work
  (`_require_actor`), so sign-out, expiry and idle timeout act at once. Nothing
  about the actor is kept in state and trusted across events.
- Reflex's client token only says which state to attach to. A socket that
  replays a token without a valid session gets nothing: `SessionGuard` (a Reflex
  middleware) empties every `DataState` whose data was loaded under another
  session before any event - including the hydrate that sends the whole state -
  is processed.
- Any socket client can call any public handler with any arguments: handlers
  validate what they receive and never take an identity from it.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlalchemy.exc import OperationalError
from reflex.middleware import Middleware

from services.db import unit_of_work
from services.errors import SessionInvalid
from services.i18n import LOCALES
from services.security.actor import Actor
from services.security.auth import SESSION_COOKIE, check_session, touch_session
from services.security.policy import permissions_of
from state.i18n import LOCALE_COOKIE, locale_or_default, ui_default_locale

log = logging.getLogger(__name__)

_DEFAULT_LOCALE = ui_default_locale()
_MAX_COOKIE_HEADER = 8192


def session_token_from_cookie_header(header: Any) -> str | None:
    """The session token in a Cookie header, or None. Malformed headers give None."""
    if not isinstance(header, str) or not header or len(header) > _MAX_COOKIE_HEADER:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        # One bad cookie from another app on the host must not hide ours: parse piecewise.
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return value.strip('"') or None
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def resolve_cookie_header(header: Any, *, touch: bool = True) -> Actor | None:
    """The actor behind the session cookie in `header`, or None.

    This runs on every event of every page, so it only reads (a read-only unit of work never queues
    behind a writer, e.g. a long import on SQLite); the once-a-minute idle-deadline touch is a separate,
    best-effort write that gives up quickly rather than hold the page up.
    """
    token = session_token_from_cookie_header(header)
    if token is None:
        return None
    with unit_of_work(readonly=True) as uow:
        try:
            check = check_session(uow=uow, token=token)
        except SessionInvalid:
            return None
    if touch and check.touch_due:
        try:
            with unit_of_work(lock_timeout_ms=500) as uow:
                touch_session(uow=uow, token=token)
                uow.commit()
        except OperationalError:
            # The database is busy with a long write: the deadline slides on a later event instead.
            log.info("session touch skipped: database busy")
    return check.actor


def login_redirect(path: str | None = None) -> rx.event.EventSpec:
    """Send the browser to the login page, coming back to `path` afterwards."""
    target = "/login"
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//") and len(path) < 300:
        if not path.startswith("/login"):
            target += "?next=" + quote(path, safe="/")
    return rx.redirect(target, replace=True)


def _off_the_loop(fn: Any) -> Any:
    """The handler `fn`, run in a worker thread. Reflex runs a plain (sync) handler on the event loop, so a
    handler waiting for the database (a SQLite write lock held by an import, a slow query) would stall every
    page, sign-in and /ping of the process. The state stays locked for this event meanwhile, so the thread
    is the only one touching it."""
    @functools.wraps(fn)
    async def handler(self, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, self, *args, **kwargs)

    return handler


class _HandlersOffTheLoop:
    """Base of every FinCRM state: its plain handlers run off the event loop (`_off_the_loop`). Async
    handlers, generators and background tasks already cooperate with the loop and stay as written."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for name, value in list(cls.__dict__.items()):
            if (not name.startswith("_") and inspect.isfunction(value)
                    and not inspect.iscoroutinefunction(value) and not inspect.isgeneratorfunction(value)
                    and not inspect.isasyncgenfunction(value)):
                setattr(cls, name, _off_the_loop(value))
        super().__init_subclass__(**kwargs)


class AppState(_HandlersOffTheLoop, rx.State):
    """Display data about the signed-in user, the locale, and the login guard."""

    user_name: str = ""
    # The permission codes the signed-in actor holds (services.security.policy): not sensitive, and display
    # only: menus and buttons follow them, the services enforce every one of them on every call.
    permissions: list[str] = []
    # Harmless preference, readable by page JavaScript; validated wherever it is used.
    locale: str = rx.Cookie(_DEFAULT_LOCALE, name=LOCALE_COOKIE, path="/", max_age=365 * 24 * 3600,
                            same_site="strict")

    @rx.var
    def lang(self) -> str:
        """The UI language: always one of the supported locales, whatever the cookie says."""
        return locale_or_default(self.locale, _DEFAULT_LOCALE)

    # ---------------------------------------------------------------- helpers (not handlers)

    def _locale(self) -> str:
        return locale_or_default(self.locale, _DEFAULT_LOCALE)

    def _apply_locale(self, locale: Any) -> bool:
        if isinstance(locale, str) and locale in LOCALES:
            self.locale = locale
            return True
        return False

    def _cookie_header(self) -> str:
        try:
            return self.router.headers.cookie or ""
        except AttributeError:
            return ""

    def _require_actor(self) -> Actor:
        """The actor for this event, from the session cookie the socket presented. Raises SessionInvalid."""
        actor = resolve_cookie_header(self._cookie_header())
        if actor is None:
            raise SessionInvalid()
        name = actor.display_name or actor.name  # the person's name in the top bar, not the login
        if name != self.user_name:  # assigned, it would be in every answer and redraw every part that shows it
            self.user_name = name
        held = sorted(p.value for p in permissions_of(actor))
        if held != self.permissions:  # a changed list is sent to the browser whole: only when it changes
            self.permissions = held
        return actor

    def _current_path(self) -> str:
        try:
            return str(self.router.url.path or "/")
        except AttributeError:
            return "/"

    def _signed_out(self) -> rx.event.EventSpec:
        """Forget the display data and go to the login page."""
        self.user_name = ""
        self.permissions = []
        return login_redirect(self._current_path())

    # ---------------------------------------------------------------- handlers

    @rx.event
    def require_login(self):
        """on_load guard for pages without their own loader."""
        try:
            self._require_actor()
        except SessionInvalid:
            return self._signed_out()
        return None

    @rx.event
    def set_locale(self, locale: Any):
        """Switch the UI language. Accepts only the supported locales."""
        self._apply_locale(locale)
        return None


class DataState(AppState):
    """Base for page states that hold customer data in public vars.

    `_data_session` remembers under which server-side session the data was
    loaded; `SessionGuard` purges the state when the socket's session differs.
    Subclasses implement `_purge()` to empty every data var.
    """

    _data_session: str = ""

    def _mark_loaded(self, actor: Actor) -> None:
        self._data_session = actor.session_id or ""

    def _purge(self) -> None:
        raise NotImplementedError

    def _purge_all(self) -> None:
        self._purge()
        self._data_session = ""

    def _actor_or_redirect(self) -> tuple[Actor | None, rx.event.EventSpec | None]:
        """(actor, None) for this event, or (None, the redirect to the login page) after forgetting the
        page's data: the one session check every data page's handlers start with."""
        try:
            return self._require_actor(), None
        except SessionInvalid:
            self._purge_all()
            return None, self._signed_out()


def _data_state_classes() -> list[type[DataState]]:
    out: list[type[DataState]] = []
    todo = list(DataState.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


@dataclasses.dataclass(init=True)
class SessionGuard(Middleware):
    """Before any event (the hydrate too), drop data loaded under a session this socket does not hold."""

    async def preprocess(self, app, state, event):  # noqa: ANN001 - Reflex's signature
        root = state._get_root_state() if hasattr(state, "_get_root_state") else state
        loaded: list[DataState] = []
        for cls in _data_state_classes():
            try:
                sub = await root.get_state(cls)
            except Exception:  # a state not in this app's tree
                log.debug("state %s not available", cls.__name__, exc_info=True)
                continue
            if sub._data_session:
                loaded.append(sub)
        if not loaded:
            return None
        try:
            header = root.router.headers.cookie or ""
        except AttributeError:
            header = ""
        actor = await asyncio.to_thread(resolve_cookie_header, header, touch=False)  # never on the loop
        current = actor.session_id if actor is not None else None
        for sub in loaded:
            if sub._data_session != current:
                sub._purge_all()
        return None
