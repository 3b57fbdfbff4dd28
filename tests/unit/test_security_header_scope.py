"""Which responses carry the Content-Security-Policy (fincrm_app/security_headers.py): everything a browser could
run as a document or a worker; not scripts, style sheets, raster images, fonts or manifests, used only by a page."""
from __future__ import annotations

import pytest

from fincrm_app.security_headers import needs_policy


@pytest.mark.parametrize("path,ctype", [
    ("/agenda/", b"text/html; charset=utf-8"), ("/sw.js", b"text/javascript; charset=utf-8"),
    ("/crm/sw.js", b"text/javascript"),
    ("/favicon.svg", b"image/svg+xml"), ("/api/v1/openapi.json", b"application/json"),
    ("/documents/1", b"application/pdf"), ("/x", b""), ("/x", b"text/plain"),
    ("/x", b"application/octet-stream"),
])
def test_documents_and_the_worker_keep_it(path: str, ctype: bytes) -> None:
    assert needs_policy(path, ctype)


@pytest.mark.parametrize("ctype", [b"text/javascript; charset=utf-8", b"application/javascript", b"text/css",
                                   b"TEXT/CSS; charset=utf-8", b"image/png", b"image/jpeg", b"font/woff2",
                                   b"application/manifest+json"])
def test_subresources_go_without_it(ctype: bytes) -> None:
    assert not needs_policy("/assets/root-abc.js", ctype)
