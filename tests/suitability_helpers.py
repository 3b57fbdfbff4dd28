"""Shared pieces of the suitability tests: products under both regimes, a customer's level set through the
sanctioned writer, and a finger signature as the signature pad sends it."""
from __future__ import annotations

import base64
import struct
import zlib
from datetime import date
from typing import Any

from sqlalchemy import insert, select

# code -> (product type, risk level): funds fall under the securities and funds rules, wealth products under the
# bank wealth-management rules (services/suitability/defaults.py)
PRODUCTS: dict[str, tuple[str, str]] = {
    **{f"SF-R{i}": ("fund", f"R{i}") for i in range(1, 6)},
    **{f"BW-R{i}": ("wealth", f"R{i}") for i in range(1, 6)},
    "LN-1": ("loan", "R1"),
}


def add_products(connection) -> dict[str, int]:
    from services.portfolio.models import Product

    rows = [{"code": code, "name": f"产品{code}", "name_en": f"Product {code}", "product_type": t, "risk_level": r,
             "currency": "CNY", "is_active": True, "is_premium": False, "issuer": "演示基金管理有限公司"}
            for code, (t, r) in PRODUCTS.items()]
    connection.execute(insert(Product), rows)
    return dict(connection.execute(select(Product.code, Product.id).where(Product.code.in_(list(PRODUCTS)))).all())


def set_level(uow_factory, customer_id: int, level: str | None, valid_until: date | None) -> None:
    """The customer's level as an assessment would leave it (through the sanctioned writer)."""
    from services.customers import changes
    from services.suitability.access import ASSESSOR

    with uow_factory() as uow:
        changes.set_risk_level(uow=uow, actor=ASSESSOR, customer_id=customer_id,
                               data={"risk_level": level, "valid_until": valid_until}, source="test")
        uow.commit()


def png(width: int = 40, height: int = 20) -> bytes:
    """A real (tiny) PNG: white with a black line."""
    raw = b"".join(b"\x00" + bytes([0 if y == height // 2 else 255] * width) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def signature(points: int = 12) -> dict[str, Any]:
    """What the signature pad sends: toData() strokes and the PNG it drew."""
    return {"strokes": [{"penColor": "black", "points": [
        {"x": 10 + i * 5, "y": 20 + (i % 3), "time": 1_700_000_000_000 + i * 16, "pressure": 0.5}
        for i in range(points)]}],
        "image": "data:image/png;base64," + base64.b64encode(png()).decode("ascii")}


def audit_rows(connection, action: str) -> list:
    from services.security.models import AuditEvent

    return connection.execute(select(AuditEvent.__table__).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).all()


_SEQ = iter(range(500, 999))


def born(birth: date) -> dict[str, Any]:
    """Fields for new_customer(): an ID number carrying this birth date (a resident ID states it)."""
    from services.validation.identity import make_id_number

    return {"id_number": make_id_number("110105", birth, next(_SEQ)), "birth_date": birth}


def rows(connection, model, *where) -> list:
    """ORM rows of `model` as the test's transaction sees them."""
    from sqlmodel import Session

    with Session(connection) as s:
        found = s.execute(select(model).where(*where).order_by(model.id)).scalars().all()
        s.expunge_all()
        return found
