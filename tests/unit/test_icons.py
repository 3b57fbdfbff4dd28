"""Icons drawn from one sprite (components/icons.py) and the sprite written from lucide's modules
(fincrm_app/icon_sprite.py)."""
from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import reflex as rx

from components.icons import icon
from fincrm_app.icon_sprite import UnknownIcon, drawing, sprite, used_icons, write_sprite

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def test_an_icon_is_an_svg_using_the_sprite() -> None:
    tree = icon("calendar_check", size=20, class_name="hs-icon").render()
    assert tree["name"] == '"svg"'
    assert set(tree["props"]) == {'"aria-hidden":"true"', 'className:"lucide lucide-calendar-check hs-icon"',
                                  "height:20", "width:20", 'viewBox:"0 0 24 24"'}
    assert [(c["name"], c["props"]) for c in tree["children"]] == [('"use"', ['href:"/icons.svg#calendar-check"'])]


@pytest.mark.parametrize("name", [rx.Var.create("phone"), "Phone", "phone call", "", "../x", None])
def test_an_icon_name_is_a_literal_lucide_name(name) -> None:
    with pytest.raises(TypeError):
        icon(name)


def test_no_page_draws_lucide_components() -> None:
    """Every icon goes through components/icons.py (rx.icon would bring lucide's React components back)."""
    found = subprocess.run(["grep", "-rnE", r"rx\.icon\(", "components", "fincrm_app", "state"],
                           cwd=ROOT, capture_output=True, text=True).stdout
    code = [line for line in found.splitlines() if "#" not in line.split("rx.icon(", 1)[0]]
    assert code == [], code


LUCIDE = {
    # the multi-line layout
    "phone": 'const __iconNode = [\n  [\n    "path",\n    {\n      d: "M1 2h3",\n      key: "9njp5v"\n    }\n  ]\n];\n'
             'const Phone = createLucideIcon("phone", __iconNode);\n',
    # one line, two elements, an attribute in camelCase and one quoted
    "check": 'const __iconNode = [["path", { d: "M20 6 9 17l-5-5", key: "1gmf2c" }], '
             '["circle", { cx: "12", cy: "12", r: "1", fill: "currentColor", strokeWidth: "3", "data-x": "a&b", '
             'key: "k" }]];\nconst Check = createLucideIcon("check", __iconNode);\n',
    # an old name of a renamed icon
    "file-edit": "export { default } from './phone.mjs';\n",
}


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    icons = tmp_path / "node_modules" / "lucide-react" / "dist" / "esm" / "icons"
    icons.mkdir(parents=True)
    for name, body in LUCIDE.items():
        (icons / f"{name}.mjs").write_text(f"/**\n * @license lucide-react v1.26.0 - ISC\n */\n{body}")
    routes = tmp_path / "app" / "routes"
    routes.mkdir(parents=True)
    (routes / "[agenda]._index.jsx").write_text('jsx("use",{href:"/icons.svg#phone"}),jsx("use",{href:"/icons.svg#check"})')
    (tmp_path / "app_components").mkdir()
    (tmp_path / "app_components" / "shell.jsx").write_text('jsx("use",{href:"/icons.svg#file-edit"})')
    return tmp_path


def test_the_sprite_holds_exactly_the_icons_the_pages_name(web_dir: Path, tmp_path: Path) -> None:
    assert used_icons(web_dir) == {"phone", "check", "file-edit"}
    static = tmp_path / "build"
    static.mkdir()
    root = ET.parse(write_sprite(web_dir, static)).getroot()
    symbols = {s.get("id"): s for s in root.iter(f"{SVG}symbol")}
    assert set(symbols) == {"phone", "check", "file-edit"}
    assert [(c.tag, c.get("d")) for c in symbols["file-edit"]] == [(f"{SVG}path", "M1 2h3")]  # drawn as its new name
    circle = symbols["check"][1]
    assert circle.get("fill") == "currentColor" and circle.get("stroke-width") == "3" and circle.get("data-x") == "a&b"
    assert circle.get("key") is None
    assert "lucide-react v1.26.0 - ISC" in (static / "icons.svg").read_text()


def test_an_icon_lucide_does_not_have_stops_the_build(web_dir: Path) -> None:
    icons = web_dir / "node_modules" / "lucide-react" / "dist" / "esm" / "icons"
    with pytest.raises(UnknownIcon):
        sprite(icons, {"phone", "no-such-icon"})
    (icons / "broken.mjs").write_text("export const nothing = 1;\n")
    with pytest.raises(UnknownIcon):
        drawing(icons, "broken")
