"""Icons: lucide's drawings, each drawn as `<svg><use href="/icons.svg#name"/></svg>` from one sprite.

Why not rx.icon: every rx.icon is a lucide React component that draws its paths element by element. The agenda
shows 112 icons; they were 380 of its 920 elements and most of the work of its first render on a phone
(Lighthouse mobile, /agenda: 82-87 with them, 92-94 with the icons left out). Here an icon is two elements and no
component, and the drawings arrive once, in /icons.svg, which the build writes from the lucide-react release that
Reflex installs, holding exactly the icons the compiled pages name (fincrm_app/icon_sprite.py). Presentation (no
fill, the stroke in the text's colour) is in assets/fincrm.css, `.lucide`.

The name must be a literal: a name computed at run time would need every drawing on hand (with rx.icon it made
lucide's DynamicIcon, an import map of all 1,750 icons).
"""
from __future__ import annotations

import re

import reflex as rx

SPRITE = "/icons.svg"
_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def icon(name: str, size: int = 16, class_name: str = "") -> rx.Component:
    """A lucide icon by its name ("calendar-check"; Reflex's "calendar_check" too), size in px, hidden from
    assistive technology (the control it sits in carries the words)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TypeError(f"icon name must be a literal lucide name, not {name!r}")
    name = name.replace("_", "-")
    classes = f"lucide lucide-{name}" + (f" {class_name}" if class_name else "")
    return rx.el.svg(
        rx.el.svg.use(href=f"{SPRITE}#{name}"),
        class_name=classes, width=size, height=size, view_box="0 0 24 24", aria_hidden="true",
    )
