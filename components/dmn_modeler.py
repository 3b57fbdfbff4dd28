"""The DMN decision table editor in the browser: npm `dmn-js` wrapped as a Reflex component (the React wrapper is
components/dmn_modeler.jsx, bundled with the app).

    dmn_modeler(xml=State.table_xml, on_changed=State.table_changed, on_failed=State.table_failed, id=...)

`xml` (one DMN document) is loaded whenever it changes; `on_changed` receives the edited document after each change.
"""
from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventHandler, passthrough_event_spec

DMN_JS_VERSION = "17.8.1"


class DmnModeler(rx.Component):
    library = rx.asset("dmn_modeler.jsx", shared=True).importable_path
    lib_dependencies: list[str] = [f"dmn-js@{DMN_JS_VERSION}"]
    tag = "FincrmDmnModeler"

    xml: rx.Var[str]
    aria_label: rx.Var[str]

    on_changed: EventHandler[passthrough_event_spec(str)]
    on_failed: EventHandler[passthrough_event_spec(str)]


def dmn_modeler(**props: Any) -> rx.Component:
    return DmnModeler.create(**props)
