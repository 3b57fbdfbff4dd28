"""Security headers on every HTTP response of the app: its pages, its downloads, its API.

- Content-Security-Policy. Scripts only from our origin, plus the inline scripts of our own build
  (React Router's prerendered pages carry a few; their SHA-256 hashes are read from the built pages
  once, so nothing else inline can run, event-handler attributes included). `'unsafe-eval'` is needed
  because Reflex runs the code of server-sent events such as toasts with `eval`; styles may be inline
  (Radix and emotion insert them at run time). `frame-ancestors 'none'` (and X-Frame-Options for old
  browsers) forbids framing, so no other site can overlay our pages (clickjacking).
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and an empty `server` header
  (the ASGI server would otherwise name itself and its version).
A response that sets one of these itself (a download's sandboxing CSP) keeps its own.

The CSP goes on every response a browser could run as a document or a worker, and is left off the few
kinds it can only use as a subresource (scripts, style sheets, raster images, fonts): there a policy is
never applied (a script's CSP is its page's), and with one hash per inline script of the build it was
1.9 kB of the 2.6 kB of headers on each of a page's ~40 static files. The service worker's script is
the exception: a worker is governed by its own script's policy, so /sw.js keeps it. SVG, HTML, JSON,
PDF and anything unnamed keep it too (an SVG opened by its address can run script).
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

# Content types a browser only ever uses as a subresource of a page (see above).
_SUBRESOURCE_ONLY = (b"text/javascript", b"application/javascript", b"text/css", b"image/png", b"image/jpeg",
                     b"image/webp", b"image/gif", b"image/x-icon", b"image/vnd.microsoft.icon", b"font/",
                     b"application/manifest+json")
_WORKER_SCRIPTS = frozenset({"sw.js"})  # by file name: the app may be served under a path prefix

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(build_dir: Path | None) -> list[str]:
    """CSP source expressions ('sha256-...') for every inline script in the built pages."""
    if build_dir is None or not build_dir.is_dir():
        return []
    hashes: set[str] = set()
    for page in build_dir.rglob("*.html"):
        try:
            html = page.read_bytes()
        except OSError:
            continue
        for body in _INLINE_SCRIPT.findall(html):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def content_security_policy(script_hashes: list[str]) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        # The websocket goes to our own origin; 'self' covers ws(s) of the same host in CSP level 3.
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def needs_policy(path: str, content_type: bytes) -> bool:
    """Whether a response at this path with this content type gets the CSP (see the module's note)."""
    if path.rsplit("/", 1)[-1] in _WORKER_SCRIPTS:
        return True
    kind = content_type.split(b";", 1)[0].strip().lower()
    return not (kind and kind.startswith(_SUBRESOURCE_ONLY))


def _frontend_build_dir() -> Path | None:
    """Where Reflex's production build serves pages from (None when it cannot be told)."""
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants
        from reflex_base.config import get_config

        return (prerequisites.get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")).resolve()
    except Exception:  # a missing or differently laid out build: no hashes, inline scripts blocked
        log.warning("frontend build directory unknown; inline scripts get no CSP hashes", exc_info=True)
        return None


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: Callable, build_dir: Callable[[], Path | None] = _frontend_build_dir):
        self.app = app
        self._build_dir = build_dir
        self._lock = threading.Lock()
        self._policy: tuple[float, bytes] | None = None  # (build directory's mtime, header value)

    def _csp(self) -> bytes:
        directory = self._build_dir()
        try:
            stamp = directory.stat().st_mtime if directory is not None else 0.0
        except OSError:
            stamp = 0.0
        with self._lock:
            if self._policy is None or self._policy[0] != stamp:
                self._policy = (stamp, content_security_policy(inline_script_hashes(directory)).encode("ascii"))
            return self._policy[1]

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> Any:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = self._csp()

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower(): v for k, v in headers}
                policy = needs_policy(scope.get("path", ""), present.get(b"content-type", b""))
                for name, value in ((b"content-security-policy", csp), (b"x-frame-options", b"DENY"),
                                    (b"x-content-type-options", b"nosniff"),
                                    (b"referrer-policy", b"same-origin")):
                    if name not in present and (policy or name != b"content-security-policy"):
                        headers.append((name, value))
                headers.append((b"server", b""))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
