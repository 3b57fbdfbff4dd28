"""FinCRM: the Reflex app, our FastAPI routes (same process, same origin) and the pages."""
from __future__ import annotations

import logging
import re

import reflex as rx
from fastapi import FastAPI

from services import bootstrap
from services.settings import configure_logging, get_settings

# Refuse to start without keys outside demo mode (raises ConfigurationError with a how-to).
get_settings().check_startable()
configure_logging()
bootstrap.configure()  # domain event subscriptions and platform hooks, before anything is served

from fincrm_app.api.auth import router as auth_router  # noqa: E402
from fincrm_app.api.v1 import install as install_api_v1  # noqa: E402
from fincrm_app.pages import registry as pages  # noqa: E402
from state.session import SessionGuard  # noqa: E402

_SECRET_COOKIE = re.compile(r"((?:fincrm_session|fincrm_q|fincrm_qc)=)[^;'\"\s,}]+")  # staff, questionnaire


def _install_log_redaction() -> None:
    """Reflex logs a failing event with its router data, request headers and so the session
    cookie included; redact the cookie value from every log record before any handler sees it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "_fincrm_redacts", False):
        return

    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        if isinstance(record.msg, str) and "fincrm_" in record.msg:
            record.msg = _SECRET_COOKIE.sub(r"\1[redacted]", record.msg)
        if record.args and any("fincrm_" in str(a) for a in (
                record.args.values() if isinstance(record.args, dict) else record.args)):
            record.msg, record.args = _SECRET_COOKIE.sub(r"\1[redacted]", record.getMessage()), None
        return record

    factory._fincrm_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_log_redaction()

api = FastAPI(title="FinCRM", docs_url=None, redoc_url=None, openapi_url=None)
api.include_router(auth_router)
from fincrm_app.api.imports import router as imports_router  # noqa: E402
api.include_router(imports_router)  # /imports/upload, /imports/{id}/error-report (session cookie)
from fincrm_app.api.exports import router as exports_router  # noqa: E402
api.include_router(exports_router)  # /exports/customers.{csv,xlsx} (session cookie)
from fincrm_app.api.documents import router as documents_router  # noqa: E402
api.include_router(documents_router)  # GET /documents/{id}: download (session cookie, scope, audited)
install_api_v1(api)  # REST API v1 (routes, OpenAPI at /api/v1/openapi.json, error format)
from fincrm_app.api.questionnaire import router as questionnaire_router  # noqa: E402
api.include_router(questionnaire_router)  # /q/{token}/identify, /verify, /in-branch: the customer's cookies
from fincrm_app.api.recordings import router as recordings_router  # noqa: E402
api.include_router(recordings_router)  # /recordings/... (chunked upload, playback), /disclosures/... (preview, print)
from fincrm_app.api.call import router as call_router  # noqa: E402
api.include_router(call_router)  # /call/{customer}: the agenda's call button, a redirect to tel: (session cookie)
from fincrm_app.api.sync import router as sync_router  # noqa: E402
from fincrm_app.api.push import router as push_router  # noqa: E402
api.include_router(push_router)  # /push/subscriptions: a device's Web Push subscription (session cookie)
api.include_router(sync_router)  # /sync/notes: notes written offline, sent when the signal returns (session cookie)


def _guarded(asgi):
    """Around everything the backend serves (our routes, Reflex's endpoints, the built pages): the client's
    real address behind trusted proxies, security headers on every response, and uploads authenticated by
    the request's own session cookie."""
    from fincrm_app.proxies import behind_trusted_proxies
    from fincrm_app.security_headers import SecurityHeaders
    from fincrm_app.upload_guard import UploadGuard

    return behind_trusted_proxies(SecurityHeaders(UploadGuard(asgi, reflex_app=lambda: app)),
                                  get_settings().trusted_proxies)


app = rx.App(
    api_transformer=[api, _guarded],
    stylesheets=["/fincrm.css", "/suitability.css", "/work.css", "/pwa.css", "/agenda.css"],
    html_lang="zh-CN",
    head_components=[
        rx.el.meta(name="theme-color", content="#3e63dd"),
        rx.el.meta(name="format-detection", content="telephone=no"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        # The installed app (issue 14, fincrm_app/pwa.py): manifest, home-screen icon, service worker registration.
        rx.el.link(rel="manifest", href="/manifest.webmanifest"),
        rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
        rx.el.script(src="/pwa.js", defer=True),
        rx.el.script(src="/push.js", defer=True),  # Web Push of reminders (the agenda's button)
        # "/" or Ctrl+K: the header's search. A plain head script: rx.script would bring react-helmet (25 kB) into
        # every page to place it.
        rx.el.script(src="/hotkeys.js", defer=True),
    ],
)
# Before every event (the hydrate included): purge data loaded under another session.
app.add_middleware(SessionGuard(), index=0)
# The same for the customer's questionnaire: purged for a socket that does not present its session.
from state.questionnaire import QuestionnaireGuard  # noqa: E402
app.add_middleware(QuestionnaireGuard(), index=1)

def _start_scheduler() -> None:
    """Every worker offers; one wins the election lock and runs the jobs (services/scheduler.py)."""
    from services import scheduler

    scheduler.start()


app.register_lifespan_task(_start_scheduler)

# Every page declared in fincrm_app/pages (@page: route, title, permission, menu entry, loader); the menu
# shows each actor the entries his permissions allow.
pages.install(app)
