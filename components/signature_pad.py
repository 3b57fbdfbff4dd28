"""A finger signature pad: npm `signature_pad` wrapped as a Reflex component (the React wrapper is
components/signature_pad.jsx, bundled with the app, so it runs under the strict CSP: scripts only from our
origin).

    signature_pad(on_signed=State.set_signature, on_cleared=State.clear_signature, clear_label=..., id=...)

`on_signed` receives {"strokes": <toData()>, "image": "data:image/png;base64,..."} after every stroke: the
whole signature so far. The services check and keep both (services/suitability/signatures.py).
"""
from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventHandler, no_args_event_spec, passthrough_event_spec

SIGNATURE_PAD_VERSION = "5.1.4"


class SignaturePad(rx.Component):
    library = rx.asset("signature_pad.jsx", shared=True).importable_path
    lib_dependencies: list[str] = [f"signature_pad@{SIGNATURE_PAD_VERSION}"]
    tag = "FincrmSignaturePad"

    clear_label: rx.Var[str]
    aria_label: rx.Var[str]

    on_signed: EventHandler[passthrough_event_spec(dict[str, Any])]
    on_cleared: EventHandler[no_args_event_spec]


def signature_pad(**props: Any) -> rx.Component:
    return SignaturePad.create(**props)
