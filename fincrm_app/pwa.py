"""The installed app (issue 14): web app manifest, icons, offline page and the service worker's build step.

Two kinds of files:
- committed under assets/ (served at /), written by `python -m fincrm_app.pwa` from the labels and the drawing
  below: `manifest.webmanifest` (Chinese, the default) and `manifest.en.webmanifest`, `offline.html`, and the PNG
  icons in `assets/icons/` (192 and 512 px, maskable 192 and 512 px, the shortcuts' 96 px icons, the 180 px
  apple-touch-icon). A unit test checks that the manifests and the offline page are up to date.
- made at build time: `PwaPlugin.post_build` runs Workbox's `generateSW` (npm `workbox-cli`, installed into .tools
  by `make tools`) over Reflex's production build, with `workbox-config.cjs`, which writes `sw.js` (precaching the
  hashed JavaScript and CSS of that very build, the icons, the manifests and the offline page) and copies
  `workbox-window` beside it for assets/pwa.js, the registration script (external file: the CSP allows it).
Without workbox-cli the build still succeeds, with a warning and no service worker; pwa.js then registers nothing.
"""
from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from reflex_base.plugins.base import Plugin

from fincrm_app.icon_sprite import write_sprite

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
ICONS = ASSETS / "icons"
WORKBOX_CONFIG = ROOT / "workbox-config.cjs"

THEME_COLOR = "#3e63dd"  # Radix indigo 9, the app's accent (rxconfig.py)
BACKGROUND_COLOR = "#ffffff"
START_URL = "/agenda"  # the RM's phone home

# (file, size, purpose)
ICON_FILES: list[tuple[str, int, str]] = [
    ("icon-192.png", 192, "any"),
    ("icon-512.png", 512, "any"),
    ("maskable-192.png", 192, "maskable"),
    ("maskable-512.png", 512, "maskable"),
]
SHORTCUTS: list[tuple[str, str, str]] = [  # (label key, url, icon file)
    ("pwa.shortcut.agenda", "/agenda", "shortcut-agenda.png"),
    ("pwa.shortcut.customers", "/customers", "shortcut-customers.png"),
    ("pwa.shortcut.approvals", "/approvals", "shortcut-approvals.png"),
]
APPLE_TOUCH_ICON = "apple-touch-icon.png"
MANIFESTS = {"zh_CN": "manifest.webmanifest", "en": "manifest.en.webmanifest"}
_LANG_TAG = {"zh_CN": "zh-CN", "en": "en"}


def _labels() -> dict[str, tuple[str, str]]:
    from state.i18n import LABELS

    return LABELS


def _t(key: str, locale: str) -> str:
    zh, en = _labels()[key]
    return en if locale == "en" else zh


# ---------------------------------------------------------------- manifest


def manifest(locale: str) -> dict[str, Any]:
    """The web app manifest in one language (the other language's names ride along as `*_localized`)."""
    other = "zh_CN" if locale == "en" else "en"
    return {
        "id": "/",
        "lang": _LANG_TAG[locale],
        "dir": "ltr",
        "name": _t("pwa.name", locale),
        "short_name": _t("pwa.short_name", locale),
        "name_localized": {_LANG_TAG[other]: _t("pwa.name", other)},
        "short_name_localized": {_LANG_TAG[other]: _t("pwa.short_name", other)},
        "description": _t("pwa.description", locale),
        "start_url": START_URL,
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["business", "finance", "productivity"],
        "icons": [{"src": f"/icons/{name}", "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
                  for name, size, purpose in ICON_FILES],
        "shortcuts": [{"name": _t(key, locale), "short_name": _t(key, locale), "url": url,
                       "icons": [{"src": f"/icons/{icon}", "sizes": "96x96", "type": "image/png"}]}
                      for key, url, icon in SHORTCUTS],
    }


def manifest_text(locale: str) -> str:
    return json.dumps(manifest(locale), ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------- offline page


def offline_html() -> str:
    """The page the service worker serves for a navigation that cannot reach the server: static, both languages,
    a plain link to try again, and the form to write a note about a recently opened customer, kept on the device
    until the signal returns (assets/offline-notes.js: external scripts only, the CSP allows none inline)."""
    def both(key: str) -> tuple[str, str]:
        zh, en = _labels()[key]
        return html.escape(zh), html.escape(en)

    title_zh, title_en = both("pwa.offline.title")
    body_zh, body_en = both("pwa.offline.body")
    retry_zh, retry_en = both("pwa.offline.retry")
    note = {k: both(f"pwa.note.{k}") for k in ("title", "customer", "kind", "notes", "save", "checkin")}
    note.update({f"task.{k}": both(f"pwa.task.{k}") for k in ("title", "what", "due", "save")})
    note.update({"tasks": both("pwa.tasks.title"), "recent": both("pwa.recent.title")})
    kinds = "".join(f'<option value="{k}">{zh} · {en}</option>'
                    for k, (zh, en) in ((k, both(f"pwa.note.kind.{k}")) for k in ("visit", "call", "meeting", "note")))

    def pair(key: str) -> str:
        zh, en = note[key]
        return f'{zh} · <span lang="en">{en}</span>'

    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="{THEME_COLOR}">
<title>{title_zh} · FinCRM</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="manifest" href="/manifest.webmanifest">
<style>
  body {{ margin: 0; font-family: system-ui, -apple-system, "Noto Sans CJK SC", sans-serif; color: #1c2024;
         background: {BACKGROUND_COLOR}; }}
  main {{ max-width: 30rem; margin: 0 auto; padding: 3rem 1.25rem; box-sizing: border-box; }}
  img {{ width: 72px; height: 72px; border-radius: 16px; }}
  h1 {{ font-size: 1.375rem; margin: 1.5rem 0 .25rem; }}
  .en-title {{ font-size: 1.0625rem; font-weight: 500; color: #60646c; margin: 0 0 1rem; }}
  h2 {{ font-size: 1.125rem; margin: 2rem 0 .5rem; }}
  label {{ display: block; margin: .75rem 0 .25rem; font-weight: 500; }}
  select, textarea, input {{ width: 100%; box-sizing: border-box; min-height: 44px; font: inherit; font-size: 16px;
                     padding: 8px; border: 1px solid #cdced6; border-radius: 8px; }}
  label.check {{ display: flex; align-items: center; gap: .5rem; min-height: 44px; font-weight: 400; }}
  label.check input {{ width: 24px; min-height: 24px; height: 24px; margin: 0; }}
  ul {{ list-style: none; padding: 0; margin: 0; }}
  #offline-customers li {{ display: inline-block; margin: 0 .5rem .5rem 0; }}
  #offline-customers button {{ margin-top: 0; background: #edf2fe; color: #1f2d5c; }}
  #offline-tasks li {{ border-top: 1px solid #e0e1e6; padding: .5rem 0; }}
  #offline-tasks button {{ margin-top: .5rem; }}
  #offline-interactions li {{ border-top: 1px solid #e0e1e6; padding: .5rem 0; }}
  #offline-interactions button {{ margin-top: .5rem; }}
  .offline-note-text {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
  .offline-note-pending {{ color: #1f2d5c; overflow-wrap: anywhere; }}
  #offline-customer-view {{ border: 1px solid #cdced6; border-radius: 12px; padding: .25rem 1rem 1rem; margin-top: 1.5rem; }}
  dl {{ display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: .5rem 0; align-items: baseline; }}
  dt {{ color: #60646c; }}
  dd {{ margin: 0; overflow-wrap: anywhere; }}
  h3 {{ font-size: 1rem; margin: 1rem 0 .25rem; }}
  summary {{ display: flex; align-items: center; min-height: 48px; margin-top: 2rem; font-size: 1.125rem;
            font-weight: 700; cursor: pointer; }}
  .error {{ color: #a1121a; }}
  .visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
                      white-space: nowrap; }}
  button {{ min-height: 48px; margin-top: 1rem; padding: 0 1.25rem; border: 0; border-radius: 8px;
           background: {THEME_COLOR}; color: #fff; font: inherit; font-weight: 600; }}
  .muted {{ color: #60646c; }}
  p {{ line-height: 1.6; margin: .5rem 0; }}
  p[lang=en] {{ color: #60646c; }}
  a.retry {{ display: inline-flex; align-items: center; justify-content: center; min-height: 48px;
            min-width: 48px; padding: 0 1.5rem; margin-top: 1.5rem; border-radius: 8px; background: {THEME_COLOR};
            color: #fff; text-decoration: none; font-weight: 600; }}
</style>
</head>
<body>
<main id="fincrm-offline">
<img src="/icons/icon-192.png" alt="FinCRM">
<h1 id="offline-title">{title_zh}</h1>
<p lang="en" id="offline-title-en" class="en-title">{title_en}</p>
<p>{body_zh}</p>
<p lang="en">{body_en}</p>
<a class="retry" href="/agenda">{retry_zh} · <span lang="en">{retry_en}</span></a>
<section id="offline-customer-view" aria-live="polite" hidden></section>
<section id="offline-recent" hidden>
<h2>{pair("recent")}</h2>
<ul id="offline-customers"></ul>
</section>
<section id="offline-note" hidden>
<h2>{pair("title")}</h2>
<form id="offline-form">
<label for="offline-customer">{pair("customer")}</label>
<select id="offline-customer" name="customer"></select>
<label for="offline-kind">{pair("kind")}</label>
<select id="offline-kind" name="kind">{kinds}</select>
<label for="offline-notes">{pair("notes")}</label>
<textarea id="offline-notes" name="notes" rows="5" maxlength="4000" required></textarea>
<label class="check" for="offline-checkin"><input type="checkbox" id="offline-checkin" name="checkin">
<span>{pair("checkin")}</span></label>
<button type="submit" id="offline-save">{pair("save")}</button>
</form>
<p id="offline-checkin-status" role="status"></p>
<p id="offline-error" class="error" role="alert"></p>
<p id="offline-waiting" role="status"></p>
</section>
<section id="offline-task" hidden>
<h2>{pair("task.title")}</h2>
<form id="offline-task-form">
<label for="offline-task-customer">{pair("customer")}</label>
<select id="offline-task-customer" name="customer"></select>
<label for="offline-task-title">{pair("task.what")}</label>
<input id="offline-task-title" name="title" maxlength="200" required>
<label for="offline-task-due">{pair("task.due")}</label>
<input id="offline-task-due" name="due_at" type="datetime-local" required>
<button type="submit" id="offline-task-save">{pair("task.save")}</button>
</form>
</section>
<details id="offline-tasks-section" hidden>
<summary>{pair("tasks")}</summary>
<p id="offline-task-status" role="status"></p>
<ul id="offline-tasks"></ul>
</details>
<p id="offline-none" class="muted"></p>
</main>
<script src="/idb.umd.js"></script>
<script src="/offline-notes.js"></script>
</body>
</html>
"""


# ---------------------------------------------------------------- icons (Pillow, at commit time)


def _draw_icon(size: int, *, maskable: bool, glyph: str = "bank") -> Any:
    """The FinCRM mark (the bank building of assets/favicon.svg) in white on the accent colour. Drawn at 4x and
    scaled down for smooth edges. Maskable: full bleed, the mark inside the 80 % safe circle."""
    from PIL import Image, ImageDraw

    scale = 4
    n = size * scale
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, n, n), fill=THEME_COLOR)
        inner, off = n * 0.5, n * 0.25  # the glyph's 32-unit box inside the safe zone
    else:
        d.rounded_rectangle((0, 0, n - 1, n - 1), radius=n * 7 / 32, fill=THEME_COLOR)
        inner, off = n * 0.72, n * 0.14

    def p(x: float, y: float) -> tuple[float, float]:  # the favicon's 32-unit coordinates, centred on 16,16
        return off + (x - 4) * inner / 24, off + (y - 4) * inner / 24

    white = (255, 255, 255, 255)
    if glyph == "bank":
        d.polygon([p(7, 13), p(16, 7), p(25, 13)], fill=white)
        d.rectangle((*p(7, 13), *p(25, 15)), fill=white)
        for x in (9, 14.5, 20):
            d.rectangle((*p(x, 16), *p(x + 3, 23)), fill=white)
        d.rectangle((*p(7, 24), *p(25, 26)), fill=white)
    elif glyph == "calendar":
        d.rounded_rectangle((*p(7, 9), *p(25, 26)), radius=inner / 24 * 2, outline=white, width=int(inner / 24 * 2))
        d.rectangle((*p(7, 9), *p(25, 14)), fill=white)
        for x in (11, 21):
            d.rectangle((*p(x - 1, 6), *p(x + 1, 10)), fill=white)
        d.rectangle((*p(11, 17), *p(15, 21)), fill=white)
    elif glyph == "people":
        d.ellipse((*p(12, 7), *p(20, 15)), fill=white)
        d.chord((*p(8, 17), *p(24, 33)), start=180, end=360, fill=white)
    elif glyph == "check":
        w = int(inner / 24 * 2.5)
        d.ellipse((*p(6, 6), *p(26, 26)), outline=white, width=w)
        d.line([p(11, 16.5), p(14.5, 20), p(21, 12.5)], fill=white, width=w, joint="curve")
    return img.resize((size, size), Image.LANCZOS)


def write_icons(directory: Path = ICONS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, purpose in ICON_FILES:
        _draw_icon(size, maskable=purpose == "maskable").save(directory / name, optimize=True)
        written.append(directory / name)
    for _key, _url, icon in SHORTCUTS:
        glyph = {"shortcut-agenda.png": "calendar", "shortcut-customers.png": "people",
                 "shortcut-approvals.png": "check"}[icon]
        _draw_icon(96, maskable=False, glyph=glyph).save(directory / icon, optimize=True)
        written.append(directory / icon)
    # iOS ignores transparency and rounds the corners itself: the full-bleed drawing.
    _draw_icon(180, maskable=True).convert("RGB").save(directory / APPLE_TOUCH_ICON, optimize=True)
    written.append(directory / APPLE_TOUCH_ICON)
    return written


def write_static(assets: Path = ASSETS) -> list[Path]:
    """The manifests and the offline page (text, from the labels)."""
    written = []
    for locale, name in MANIFESTS.items():
        (assets / name).write_text(manifest_text(locale), encoding="utf-8")
        written.append(assets / name)
    (assets / "offline.html").write_text(offline_html(), encoding="utf-8")
    written.append(assets / "offline.html")
    return written


# ---------------------------------------------------------------- service worker (build time)


def _tool(name: str) -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / name
    return str(local) if local.exists() else shutil.which(name)


def _workbox_window() -> Path | None:
    candidate = ROOT / ".tools" / "node_modules" / "workbox-window" / "build" / "workbox-window.prod.umd.js"
    return candidate if candidate.exists() else None


def _idb() -> Path | None:
    candidate = ROOT / ".tools" / "node_modules" / "idb" / "build" / "umd.js"
    return candidate if candidate.exists() else None


_GLOB_SPECIAL = str.maketrans({c: f"[{c}]" for c in "[]{}()*?!+@"})


def app_shell(static_dir: Path) -> list[str]:
    """The build's app shell: the JavaScript and CSS every page loads before it can run (React Router's manifest:
    the entry and each route's module with its static imports and CSS), the manifest itself and the global styles
    the pages link. Not the chunks loaded on demand (the 1,700 icon chunks, Plotly): those are cached when used.
    Paths relative to `static_dir`."""
    files: set[str] = set()
    for manifest_js in static_dir.glob("assets/manifest-*.js"):
        text = manifest_js.read_text(encoding="utf-8")
        try:
            data = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
        except ValueError:
            log.warning("PWA: cannot read React Router's manifest %s", manifest_js.name)
            continue
        files.add(f"assets/{manifest_js.name}")
        for part in [data.get("entry", {}), *data.get("routes", {}).values()]:
            for path in [part.get("module"), *(part.get("imports") or []), *(part.get("css") or [])]:
                if path:
                    files.add(path.lstrip("/"))
    files.update(p.relative_to(static_dir).as_posix() for p in static_dir.glob("assets/__reflex_global_styles-*.css"))
    return sorted(f for f in files if (static_dir / f).is_file())


def build_service_worker(static_dir: Path) -> bool:
    """Write sw.js (Workbox generateSW) and workbox-window into a production build. False when the tools are
    missing or Workbox fails (the build is still served, without offline support)."""
    workbox = _tool("workbox")
    window = _workbox_window()
    idb = _idb()
    if workbox is None or window is None or idb is None:
        log.warning("PWA: workbox-cli / workbox-window / idb not found in .tools (run `make tools`); no service worker")
        return False
    shutil.copyfile(window, static_dir / "workbox-window.prod.umd.js")
    shutil.copyfile(idb, static_dir / "idb.umd.js")
    shell = [f.translate(_GLOB_SPECIAL) for f in app_shell(static_dir)]
    env = dict(os.environ, FINCRM_PWA_STATIC_DIR=str(static_dir), FINCRM_PWA_SHELL=json.dumps(shell))
    proc = subprocess.run([workbox, "generateSW", str(WORKBOX_CONFIG)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not (static_dir / "sw.js").exists():
        log.error("PWA: workbox generateSW failed (%s)\n%s\n%s", proc.returncode, proc.stdout, proc.stderr)
        (static_dir / "sw.js").unlink(missing_ok=True)
        return False
    log.info("PWA: %s", proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "sw.js written")
    return True


_MODULEPRELOAD = re.compile(r'<link rel="modulepreload" href="([^"<>]*)"/>')
# The page's modules asked for after its first frame (requestAnimationFrame runs just before a frame is painted, a
# timeout set there runs after it; the plain timeout serves a page that paints no frame, a background tab). The same
# script on every page, its list in a meta element: the Content-Security-Policy, sent with every response, names
# each distinct inline script's hash.
_PRELOAD_LATER = ('<script>(function(){var done=0;function go(){if(done)return;done=1;'
                  'var m=document.querySelector(\'meta[name="fincrm-modules"]\');if(!m)return;'
                  'm.content.split(" ").forEach(function(h){var l=document.createElement("link");'
                  'l.rel="modulepreload";l.href=h;document.head.appendChild(l);});}'
                  'requestAnimationFrame(function(){setTimeout(go,0);});setTimeout(go,500);})();</script>')


def paint_before_bundle(static_dir: Path) -> int:
    """Let each prerendered page paint before its modules are fetched; the number of pages changed.

    Each page's HTML is prerendered (the shell, the title, the labels), and a phone could show it as soon as it and
    the stylesheet arrive. React Router lists the page's ~35 modules (300 kB) as `modulepreload` links in the head:
    fetched at once beside the HTML, they were in before the first frame on a fast network and React's hydration, a
    long task on a phone, ran ahead of it (Lighthouse saw nothing painted until it had: first paint 3.4 s on its
    mobile profile, which counts every request started before the first paint as needed for it). The links leave
    the head; a small inline script adds them right after the first frame, so the modules still load together
    rather than one import after another (the page's own module script starts its three direct imports at once).
    The inline script's hash in the Content-Security-Policy is taken from the built page
    (fincrm_app/security_headers.py)."""
    changed = 0
    for page in static_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        hrefs = _MODULEPRELOAD.findall(text)
        if not hrefs or "</body>" not in text:
            continue
        meta = f'<meta name="fincrm-modules" content="{html.escape(" ".join(hrefs))}"/>'
        lean = _MODULEPRELOAD.sub("", text)
        head, _sep, tail = lean.rpartition("</body>")
        head = head.replace("</head>", meta + "</head>", 1)
        page.write_text(f"{head}{_PRELOAD_LATER}</body>{tail}", encoding="utf-8")
        changed += 1
    return changed


class PwaPlugin(Plugin):
    """Reflex build plugin (rxconfig.py): the pages' first paint and the service worker of each production build."""

    def get_frontend_dependencies(self, **context: Any) -> list[str]:
        """lucide-react at the release rx.icon uses: the icon sprite is drawn from its modules (fincrm_app/icon_sprite.py)
        whether or not some component still imports one of its icons (Reflex's connection banner does today)."""
        from reflex_components_lucide.icon import LUCIDE_LIBRARY

        return [LUCIDE_LIBRARY]

    def post_build(self, **context: Any) -> None:
        static_dir = Path(context["static_dir"])
        write_sprite(static_dir.parents[1], static_dir)  # before the service worker, which precaches it
        log.info("PWA: %d prerendered pages preload their modules after the first frame", paint_before_bundle(static_dir))
        if not build_service_worker(static_dir):
            print("WARNING: no service worker in this build (run `make tools` for workbox-cli)")

    def __repr__(self) -> str:
        return "PwaPlugin()"


def main() -> None:
    for path in write_static() + write_icons():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
