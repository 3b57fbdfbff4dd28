"""/icons.svg: the sprite of the icons the app draws (components/icons.py), written into each production build.

The names are read from the compiled pages themselves (every `/icons.svg#name` in the web directory's app code), so
the sprite holds exactly what is drawn; the drawings from lucide-react's own icon modules in the web directory's
node_modules, the release Reflex installs (ISC licence, kept in the file). An icon lucide does not have stops the
build: it would be an empty square on every page that shows it. Written after Vite's build (PwaPlugin.post_build,
before the service worker, which precaches it); Reflex compresses the build's files after that, this one included.
"""
from __future__ import annotations

import html
import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

_USE = re.compile(r"/icons\.svg#([a-z0-9-]+)")
_NODE = re.compile(r"const __iconNode = (\[.*?\]);$", re.S | re.M)
_ELEMENT = re.compile(r'\[\s*"([a-z]+)",\s*\{(.*?)\}\s*\]', re.S)
_ATTR = re.compile(r'"?([A-Za-z][\w-]*)"?\s*:\s*"([^"]*)"')
_ALIAS = re.compile(r"export \{ default \} from '\./([a-z0-9-]+)\.mjs'")  # an old name of a renamed icon
_VERSION = re.compile(r"lucide-react v([\w.-]+)")
_CODE_DIRS = ("app", "app_components", "components", "utils")


class UnknownIcon(RuntimeError):
    pass


def used_icons(web_dir: Path) -> set[str]:
    """Every icon name the compiled app code refers to."""
    names: set[str] = set()
    for sub in _CODE_DIRS:
        base = web_dir / sub
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.suffix in (".js", ".jsx") and path.is_file():
                names.update(_USE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def _kebab(attr: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", lambda m: "-" + m.group(1).lower(), attr)


def drawing(icons_dir: Path, name: str) -> tuple[list[tuple[str, dict[str, str]]], str]:
    """The elements of one lucide icon (tag, attributes without React's key) and the release it came from."""
    module = icons_dir / f"{name}.mjs"
    if not module.is_file():
        raise UnknownIcon(f"lucide has no icon {name!r} (looked for {module})")
    text = module.read_text(encoding="utf-8")
    node = _NODE.search(text)
    alias = _ALIAS.search(text)
    if node is None and alias is not None and alias.group(1) != name:
        return drawing(icons_dir, alias.group(1))
    if node is None:
        raise UnknownIcon(f"{module}: no __iconNode (lucide-react's module layout changed)")
    elements = []
    for tag, body in _ELEMENT.findall(node.group(1)):
        attrs = {_kebab(k): v for k, v in _ATTR.findall(body) if k != "key"}
        elements.append((tag, attrs))
    if not elements:
        raise UnknownIcon(f"{module}: an icon without a drawing")
    version = _VERSION.search(text)
    return elements, version.group(1) if version else "?"


def sprite(icons_dir: Path, names: set[str]) -> str:
    symbols, versions = [], set()
    for name in sorted(names):
        elements, version = drawing(icons_dir, name)
        versions.add(version)
        inner = "".join(f"<{tag} " + " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items()) + "/>"
                        for tag, attrs in elements)
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{inner}</symbol>')
    notice = f"lucide-react v{', '.join(sorted(versions))} - ISC licence, https://lucide.dev/license"
    return ('<svg xmlns="http://www.w3.org/2000/svg">'
            f"<!-- {notice} -->\n" + "\n".join(symbols) + "\n</svg>\n")


def write_sprite(web_dir: Path, static_dir: Path) -> Path:
    """Write icons.svg into the build directory; its path."""
    names = used_icons(web_dir)
    text = sprite(web_dir / "node_modules" / "lucide-react" / "dist" / "esm" / "icons", names)
    target = static_dir / "icons.svg"
    target.write_text(text, encoding="utf-8")
    log.info("icons: %d in %s", len(names), target)
    return target
