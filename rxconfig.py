"""Reflex configuration for FinCRM.

Everything here comes from FINCRM_* environment variables so that `make run`,
the browser tests and production share one file.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from fincrm_app.pwa import PwaPlugin


def _origins(public_url: str) -> list[str]:
    """The app's own origin; for a loopback host also its 127.0.0.1/localhost twin."""
    parts = urlsplit(public_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    origins = [origin]
    host, port = parts.hostname or "", parts.port
    suffix = f":{port}" if port else ""
    if host in ("localhost", "127.0.0.1"):
        for twin in ("localhost", "127.0.0.1"):
            candidate = f"{parts.scheme}://{twin}{suffix}"
            if candidate not in origins:
                origins.append(candidate)
    return origins


_public_url_env = os.environ.get("FINCRM_PUBLIC_URL", "").strip().rstrip("/")
_public_url = _public_url_env or "http://localhost:3000"

_kwargs: dict = {}
if _public_url_env:
    # Behind a proxy / custom host: the browser must reach the websocket on the
    # public origin. (For localhost Reflex derives api_url from the port itself.)
    _kwargs["api_url"] = _public_url_env
    _kwargs["deploy_url"] = _public_url_env

_redis_url = os.environ.get("FINCRM_REDIS_URL", "").strip()
if _redis_url:
    _kwargs["redis_url"] = _redis_url

config = rx.Config(
    app_name="fincrm_app",
    app_module_import="fincrm_app.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=_origins(_public_url),
    # We own the database engine (services/db.py); Reflex's db_url stays unset.
    # No Radix Themes: its stylesheet (745 kB) was most of what a phone downloaded before the first paint. Pages
    # use plain elements styled by assets/*.css, React Router links (components/links.py) and Radix's unstyled
    # dialog (components/modal.py); tests/unit/test_no_radix_themes.py keeps Themes components out.
    # Brotli beside gzip: the build writes both sidecars and the server sends .br to browsers that take it (every
    # current one); the agenda's JavaScript is about a sixth smaller than gzip's.
    frontend_compression_formats=["brotli", "gzip"],
    plugins=[PwaPlugin()],  # the service worker of every production build (Workbox, fincrm_app/pwa.py)
    disable_plugins=[SitemapPlugin],
    **_kwargs,
)
