"""A dashboard figure's table as CSV or XLSX (the dashboard's download links, GET /exports/metrics/<figure>.<fmt>).

The same figure as the chart (same use case, same filters, same scope check), its rows with their column names in
the reader's language, text that a spreadsheet would evaluate as a formula neutralised (RM and unit names come from
people), amounts as numbers. Audited as `metrics.export` with the filters.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from services import clock
from services.analytics import figures
from services.analytics.filters import resolve
from services.customers.export import FORMATS, ExportFile, neutralise
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.i18n import normalize_locale, translate
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission as P, requires


@requires(P.METRICS_VIEW)
def export_figure(*, uow: UnitOfWork, actor: Actor, figure: Any, filters: Any, fmt: Any,
                  locale: str | None = None) -> ExportFile:
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed([FieldError("format", "export.bad_format")])
    name = figures._figure_name(figure)
    loc = normalize_locale(locale)
    q = resolve(uow.session, actor, filters)
    data = figures.compute(uow.session, q, name)
    headers = [translate(f"metrics.col.{c}", loc) for c in data.columns]
    rows = []
    for r in data.rows:
        row = dict(r)
        if loc == "en" and "unit_en" in row:
            row["unit"] = row["unit_en"]
        rows.append([neutralise("" if row.get(c) is None else row.get(c)) for c in data.columns])
    stamp = clock.local_now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([neutralise(h) for h in headers])
        writer.writerows(rows)
        payload = ("\ufeff" + buf.getvalue()).encode("utf-8")
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(name[:31])
        ws.append([neutralise(h) for h in headers])
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        payload = out.getvalue()
    audit.record(uow.session, actor, "metrics.export", entity_type="metrics", entity_id=name,
                 changes={"format": fmt, "rows": len(rows), **q.as_dict()})
    return ExportFile(filename=f"{name}-{stamp}.{fmt}", content_type=FORMATS[fmt], data=payload, rows=len(rows))
