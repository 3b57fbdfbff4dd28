"""The installed app's static files (issue 14): the committed manifests and offline page are what
`python -m fincrm_app.pwa` writes from the labels, the icons have the sizes the manifest states, and the service
worker's build step finds the app shell in a React Router build."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from fincrm_app import pwa

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_manifest_is_up_to_date(locale: str) -> None:
    committed = (ASSETS / pwa.MANIFESTS[locale]).read_text(encoding="utf-8")
    assert committed == pwa.manifest_text(locale), "run `python -m fincrm_app.pwa` and commit assets/"


def test_offline_page_is_up_to_date() -> None:
    assert (ASSETS / "offline.html").read_text(encoding="utf-8") == pwa.offline_html()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", pwa.offline_html(), re.S)
    assert scripts and all(body == "" for body in scripts)  # external scripts only: the CSP allows none inline


def test_manifest_contents() -> None:
    zh, en = (json.loads((ASSETS / pwa.MANIFESTS[loc]).read_text(encoding="utf-8")) for loc in ("zh_CN", "en"))
    assert zh["name"] == "FinCRM 客户经理" and en["name"] == "FinCRM Relationship Manager"
    assert zh["name_localized"]["en"] == en["name"] and en["name_localized"]["zh-CN"] == zh["name"]
    for m in (zh, en):
        assert m["display"] == "standalone" and m["theme_color"] == pwa.THEME_COLOR
        assert m["start_url"] == "/agenda" and m["scope"] == "/"
        assert [s["url"] for s in m["shortcuts"]] == ["/agenda", "/customers", "/approvals"]
        kinds = {(i["sizes"], i["purpose"]) for i in m["icons"]}
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= kinds
    assert [s["name"] for s in en["shortcuts"]] == ["Agenda", "Customers", "Approvals"]
    assert [s["name"] for s in zh["shortcuts"]] == ["今日日程", "客户", "审批"]


def test_icons_have_their_stated_sizes() -> None:
    manifest = json.loads((ASSETS / "manifest.webmanifest").read_text(encoding="utf-8"))
    icons = manifest["icons"] + [i for s in manifest["shortcuts"] for i in s["icons"]]
    for icon in icons:
        with Image.open(ASSETS / icon["src"].lstrip("/")) as img:
            assert img.format == "PNG"
            assert f"{img.width}x{img.height}" == icon["sizes"], icon["src"]
            if icon.get("purpose") == "maskable":  # full bleed: no transparent corner for the mask to show
                assert img.convert("RGBA").getpixel((0, 0))[3] == 255


def test_app_shell_from_react_router_manifest(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("entry.client-AAAAAAAA.js", "root-BBBBBBBB.js", "chunk-CCCCCCCC.js", "page-DDDDDDDD.js",
                 "page-DDDDDDDD.css", "__reflex_global_styles-EEEEEEEE.css", "icon-zoom-FFFFFFFF.js"):
        (assets / name).write_text("x")
    data = {"entry": {"module": "/assets/entry.client-AAAAAAAA.js", "imports": ["/assets/chunk-CCCCCCCC.js"],
                      "css": []},
            "routes": {"root": {"module": "/assets/root-BBBBBBBB.js", "imports": ["/assets/chunk-CCCCCCCC.js"]},
                       "routes/page": {"module": "/assets/page-DDDDDDDD.js", "css": ["/assets/page-DDDDDDDD.css"],
                                       "imports": ["/assets/gone-00000000.js"]}}}
    (assets / "manifest-12345678.js").write_text("window.__reactRouterManifest=" + json.dumps(data) + ";")
    assert pwa.app_shell(tmp_path) == [
        "assets/__reflex_global_styles-EEEEEEEE.css", "assets/chunk-CCCCCCCC.js", "assets/entry.client-AAAAAAAA.js",
        "assets/manifest-12345678.js", "assets/page-DDDDDDDD.css", "assets/page-DDDDDDDD.js",
        "assets/root-BBBBBBBB.js"]  # not the chunks loaded on demand, nor a file the build does not have


def test_build_without_workbox_serves_without_worker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pwa, "_tool", lambda name: None)
    assert pwa.build_service_worker(tmp_path) is False
    assert not (tmp_path / "sw.js").exists()
