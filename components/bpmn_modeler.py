"""The BPMN 2.0 modeler in the browser: npm `bpmn-js` (with `camunda-bpmn-moddle`, so Camunda's attributes survive
an edit) wrapped as a Reflex component; the React wrapper is components/bpmn_modeler.jsx, bundled with the app.

    bpmn_modeler(xml=State.diagram_xml, on_changed=State.diagram_changed, on_failed=State.diagram_failed, id=...)

`xml` is loaded whenever it changes; `on_changed` receives the edited diagram (BPMN XML) after each change.
"""
from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventHandler, passthrough_event_spec

BPMN_JS_VERSION = "18.31.1"
CAMUNDA_MODDLE_VERSION = "8.0.1"


class BpmnModeler(rx.Component):
    library = rx.asset("bpmn_modeler.jsx", shared=True).importable_path
    lib_dependencies: list[str] = [f"bpmn-js@{BPMN_JS_VERSION}", f"camunda-bpmn-moddle@{CAMUNDA_MODDLE_VERSION}"]
    tag = "FincrmBpmnModeler"

    xml: rx.Var[str]
    aria_label: rx.Var[str]

    on_changed: EventHandler[passthrough_event_spec(str)]
    on_failed: EventHandler[passthrough_event_spec(str)]


def bpmn_modeler(**props: Any) -> rx.Component:
    return BpmnModeler.create(**props)
