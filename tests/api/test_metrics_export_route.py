"""GET /exports/metrics/<figure>.{csv,xlsx}: a dashboard figure's table as the dashboard's download links fetch it,
with the UI's session cookie: the reader's scope and filters (the same refusals), column names in the reader's
language, formulas in names neutralised, audited."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from services.analytics import figures
from services.security.auth import SESSION_COOKIE, sign_in
from services.security.models import AuditEvent, User

PASSWORD = "correct horse 1"


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


def _cookie(uow_factory, username: str) -> str:
    with uow_factory() as uow:
        signed = sign_in(uow=uow, username=username, password=PASSWORD)
        uow.commit()
    return f"{SESSION_COOKIE}={signed.token}"


def _get(http, cookie, figure, fmt="csv", locale="en", **params):
    headers = {"Cookie": f"{cookie}; fincrm_locale={locale}"} if cookie else {}
    return http.get(f"/exports/metrics/{figure}.{fmt}?{urlencode(params)}", headers=headers)


@pytest.fixture
def book(new_customer, connection, org, uow_factory, actors):
    # An RM whose display name a spreadsheet would evaluate.
    connection.execute(User.__table__.update().where(User.__table__.c.id == org.users["rm_a1"])
                       .values(display_name="=HYPERLINK(\"http://x\")"))
    first = new_customer(name="甲", segment="affluent")
    from services.activities import service as activities

    with uow_factory() as uow:  # an activity puts rm_a1 on the leaderboard
        activities.log_interaction(uow=uow, actor=actors["rm_a1"], customer_id=first.id,
                                   data={"kind": "call", "subject": "回访"})
        uow.commit()
    new_customer(name="乙", segment="hnw")
    new_customer(owner="rm_b1", name="丙", segment="mass")


def test_a_figures_table_downloads_in_the_readers_scope(http, uow_factory, book, connection, org):
    cookie = _cookie(uow_factory, "bm_a")
    r = _get(http, cookie, "customers_new_lost")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment") and r.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Period", "New customers", "Lost customers"]
    assert sum(int(x[1]) for x in rows[1:]) == 2  # his branch's two, not Shanghai's
    # Chinese column names, XLSX, a name that would be a formula neutralised.
    r = _get(http, cookie, "rm_leaderboard", fmt="xlsx", locale="zh_CN")
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["排名", "客户经理", "销售额"]
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in values for v in row)
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for row in values for v in row), values
    audited = connection.execute(select(AuditEvent.action, AuditEvent.entity_id).where(
        AuditEvent.action == "metrics.export").order_by(AuditEvent.seq)).all()
    assert [a.entity_id for a in audited] == ["customers_new_lost", "rm_leaderboard"]


def test_the_export_refuses_what_the_dashboard_refuses(http, uow_factory, book, org):
    cookie = _cookie(uow_factory, "rm_a1")
    r = _get(http, cookie, "aum_by_segment", branch_id=org.branch_b)
    assert r.status_code == 422 and "lies outside what you may see" in r.text
    assert _get(http, cookie, "aum_by_segment", fmt="pdf").status_code == 422
    assert _get(http, cookie, "nope").status_code == 422
    assert _get(http, None, "aum_by_segment").status_code == 401
    assert _get(http, _cookie(uow_factory, "ops_a"), "aum_by_segment").status_code == 403
