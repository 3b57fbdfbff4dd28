"""Shared by the AML tests: where the real lists are, and a small internal list."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "watchlists"
SHIPPED = ROOT / "services" / "demo" / "watchlists"
OFAC = "ofac_sdn_2024-05-03.csv"
UN = "un_consolidated_2018-08-24.xml"


def real_list(name: str) -> bytes:
    """A published list: ../shared/data/watchlists first, else the copy the demo ships; skip when neither."""
    for folder in (SHARED, SHIPPED):
        if (folder / name).exists():
            return (folder / name).read_bytes()
    pytest.skip(f"the real watchlist {name} is absent (../shared/data/watchlists and services/demo/watchlists)")


INTERNAL = ("entry_id,name,aliases,kind,birth_date,nationality,program,remarks\n"
            "I-1,Ivan Petrovich Sidorov,Ivan Sidorov;I. P. Sidorov,person,1970-03-02,ru,internal,fraud ring\n"
            "I-2,王建国,Wang Jianguo,person,1985-06-15,cn,internal,\n"
            "I-3,Golden Lotus Trading Co. Ltd,,entity,,,internal,shell company\n").encode()
