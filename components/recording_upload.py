"""The recording uploader of a sale (dual recording): chunked and resumable, in the browser, against the routes
of fincrm_app/api/recordings.py (the page's session cookie). A React component of our own
(components/recording_upload.jsx), bundled with the app (strict CSP: no inline script).

    recording_upload(sale_id=..., max_bytes=..., labels={...}, on_done=State.refresh, id="rec")
"""
from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventHandler, no_args_event_spec


class RecordingUpload(rx.Component):
    library = rx.asset("recording_upload.jsx", shared=True).importable_path
    tag = "FincrmRecordingUpload"

    sale_id: rx.Var[int]
    max_bytes: rx.Var[int]
    labels: rx.Var[dict[str, str]]

    on_done: EventHandler[no_args_event_spec]


def recording_upload(**props: Any) -> rx.Component:
    return RecordingUpload.create(**props)
