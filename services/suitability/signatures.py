"""Finger signatures: checking what the signature pad sent, and keeping it.

The pad (npm signature_pad, wrapped in components/signature_pad.py) sends its stroke data (`toData()`: groups
of points with x, y, time and pressure) and the image it drew (a PNG data URL). Both are kept: the strokes as
data (how the signature was written, for a later dispute) and the image in the document store by SHA-256
(what the disclosure PDF shows). Anything else, or a blank pad, is refused.
"""
from __future__ import annotations

import base64
import binascii
import math
import struct
from typing import Any

from sqlmodel import Session

from services import clock, documents
from services.errors import FieldError, ValidationFailed
from services.suitability.models import Signature

MAX_IMAGE_BYTES = 400 * 1024
MAX_SIDE = 4096
MAX_GROUPS = 200
MAX_POINTS = 20_000
MIN_POINTS = 4  # a tap is no signature
_PNG = b"\x89PNG\r\n\x1a\n"
_DATA_URL = "data:image/png;base64,"


def _number(v: Any, low: float, high: float) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) and low <= f <= high else None


def check_strokes(value: Any) -> list[dict[str, Any]]:
    """signature_pad's toData(), reduced to what it means: per stroke its pen colour and its points
    [x, y, time, pressure]. Raises ValidationFailed for anything else or for a blank pad."""
    bad = ValidationFailed([FieldError("signature", "signature.invalid")])
    if not isinstance(value, list) or len(value) > MAX_GROUPS:
        raise bad
    out, total = [], 0
    for group in value:
        if not isinstance(group, dict) or not isinstance(group.get("points"), list):
            raise bad
        points = []
        for p in group["points"]:
            if not isinstance(p, dict):
                raise bad
            x, y = _number(p.get("x"), -10, 10_000), _number(p.get("y"), -10, 10_000)
            t = _number(p.get("time", 0), 0, 1e14)
            pressure = _number(p.get("pressure", 0.5), 0, 1)
            if x is None or y is None or t is None or pressure is None:
                raise bad
            points.append([round(x, 1), round(y, 1), int(t), round(pressure, 3)])
        total += len(points)
        if total > MAX_POINTS:
            raise bad
        colour = group.get("penColor", "black")
        out.append({"pen": colour[:32] if isinstance(colour, str) and colour.isprintable() else "black",
                    "points": points})
    if total < MIN_POINTS:
        raise ValidationFailed([FieldError("signature", "signature.missing")])
    return out


def check_image(value: Any) -> bytes:
    """The PNG the pad drew, from its data URL: a real PNG of sane size."""
    bad = ValidationFailed([FieldError("signature", "signature.invalid")])
    if not isinstance(value, str) or not value.startswith(_DATA_URL) \
            or len(value) > len(_DATA_URL) + (MAX_IMAGE_BYTES * 4) // 3 + 8:
        raise bad
    try:
        data = base64.b64decode(value[len(_DATA_URL):], validate=True)
    except (binascii.Error, ValueError):
        raise bad from None
    if not data.startswith(_PNG) or len(data) < 33 or data[12:16] != b"IHDR":
        raise bad
    width, height = struct.unpack(">II", data[16:24])
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise bad
    return data


def check_signature(value: Any) -> tuple[list[dict[str, Any]], bytes]:
    """{"strokes": toData(), "image": "data:image/png;base64,..."} -> (strokes, PNG bytes)."""
    if value is None or value == {} or value == "":
        raise ValidationFailed([FieldError("signature", "signature.missing")])
    if not isinstance(value, dict) or set(value) - {"strokes", "image"}:
        raise ValidationFailed([FieldError("signature", "signature.invalid")])
    strokes = check_strokes(value.get("strokes"))
    return strokes, check_image(value.get("image"))


def keep(s: Session, *, customer_id: int, purpose: str, strokes: list, image: bytes,
         ip: str | None = None) -> Signature:
    """Store a checked signature (the image in the document store) and return its row."""
    digest = documents.write_blob(image)
    row = Signature(customer_id=customer_id, purpose=purpose, strokes=strokes, image_sha256=digest,
                    image_size=len(image), signed_at=clock.now(), source_ip=(ip or None) and ip[:64])
    s.add(row)
    s.flush()
    return row


def image_of(row: Signature) -> bytes:
    return documents.read_blob(row.image_sha256)
