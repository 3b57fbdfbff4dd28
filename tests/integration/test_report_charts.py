"""The weekly report's charts (services/analytics/report_charts.py): the AUM trend, the pipeline funnel and the week's
sales by product type, drawn from the dashboards' rollup figures by Plotly's own exporter (Kaleido, with the system
Chromium, offline) and put in the PDF as vector drawings, in the reader's language. Read back with pypdf and
pdftotext: the charts' titles, axis titles and legend words are text in the PDF, and each chart is a drawing
(a form XObject), not a picture of pixels."""
from __future__ import annotations

import io
import subprocess
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from services import clock
from services.analytics import figures, report, report_charts
from services.analytics.filters import resolve
from services.portfolio.models import Product
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings
from metrics_helpers import _sale, make_world

pytestmark = pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="no system Chromium")


@pytest.fixture(autouse=True)
def _no_cached_figures():
    figures._CACHE.clear()
    yield
    figures._CACHE.clear()


@pytest.fixture
def world(uow_factory, actors, org, connection, make_client):
    made = make_world(uow_factory, actors, org, connection, make_client)
    # A sale of a branch-A customer on last week's Wednesday, so the week's sales chart has a bar.
    week = report.week_of(clock.today()) - timedelta(days=7)
    product = connection.execute(select(Product.id).where(Product.product_type == "fund")).scalars().first()
    cid = made["ids"][1]
    signed = clock.start_of_day(week + timedelta(days=2)) + timedelta(hours=10)
    _sale(uow_factory, cid, product, Decimal("250000"), signed, "effective")
    return made


def _pdf(uow_factory, username: str, locale: str) -> bytes:
    week = report.week_of(clock.today()) - timedelta(days=7)
    with uow_factory() as uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one()
        _subject, _body, pdf = report.build(uow.session, user, week, locale)
    return pdf


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _form_xobjects(pdf: bytes) -> int:
    """Form XObjects (vector drawings placed on a page, as WeasyPrint places an SVG image) on the report's pages."""
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            continue
        for ref in xobjects.get_object().values():
            if ref.get_object().get("/Subtype") == "/Form":
                count += 1
    return count


def _flat(text: str) -> str:
    return "".join(text.split())


def test_the_chinese_report_holds_the_three_charts_as_vector_drawings(uow_factory, world):
    pdf = _pdf(uow_factory, "bm_a", "zh_CN")
    text = _flat(_text(pdf))
    for words in ("近90天AUM走势（按客户分层）", "近90天商机漏斗", "本周产品销售（按类型）",  # titles
                  "AUM（万元）", "销售额（万元）", "日期",  # axis titles
                  "线索", "已确认需求", "已提交方案", "赢单",  # the funnel's stages
                  "基金"):  # the week's sale, in the sales chart's legend
        assert words in text, words
    assert "Pipeline" not in text and "Sales" not in text  # no English word in a Chinese reader's charts
    assert _form_xobjects(pdf) >= 3


def test_the_english_report_draws_the_same_charts_in_english(uow_factory, world):
    pdf = _pdf(uow_factory, "lead_a1", "en")
    text = _text(pdf)
    flat = _flat(text)
    for words in ("AUM by segment, last 90 days", "Pipeline funnel, last 90 days", "Sales this week by product type",
                  "AUM (CNY thousand)", "Date", "Lead", "Qualified", "Proposal"):
        assert _flat(words) in flat, words
    assert "万元" not in text and "线索" not in text
    assert _form_xobjects(pdf) >= 2  # a team lead's week may hold no sale: that chart then says so in words


def test_the_charts_come_from_the_dashboards_figures(uow_factory, world):
    """The funnel drawn is the rollup's funnel: its bars' values are the figure's counts, and the SVG is a real SVG
    document holding them."""
    with uow_factory() as uow:
        user = uow.session.execute(select(User).where(User.username == "bm_a")).scalar_one()
        end = report.week_of(clock.today()) - timedelta(days=1)
        q = resolve(uow.session, actor_for_user(user), {"date_from": (end - timedelta(days=89)).isoformat(),
                                                         "date_to": end.isoformat()})
        funnel = figures.compute(uow.session, q, "pipeline_funnel")
    fig = report_charts.pipeline_funnel(funnel, "en")
    counts = [r["count"] for r in funnel.rows if r["stage"] != "lost"]
    assert list(fig.data[0].x) == counts and sum(counts) > 0
    [svg] = report_charts.to_svg([fig])
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Pipeline funnel, last 90 days" in texts and f"{counts[0]:,}" in " ".join(texts)


def test_without_chromium_the_weekly_job_queues_nothing_and_says_why(uow_factory, world, connection, monkeypatch,
                                                                     caplog):
    from services.analytics.models import EmailMessage
    from services.security.actor import SYSTEM

    with uow_factory() as uow:
        report.subscribe(uow=uow, actor=SYSTEM, username="bm_a", email="bm.a@bank.example")
        uow.commit()
    monkeypatch.setenv("FINCRM_CHROMIUM_PATH", "/nonexistent/chromium")
    reset_settings()
    try:
        with uow_factory() as uow:
            assert report.weekly(uow.session, SYSTEM) == 0
            uow.commit()
    finally:
        monkeypatch.delenv("FINCRM_CHROMIUM_PATH")
        reset_settings()
    assert connection.execute(select(EmailMessage.id)).all() == []  # no report without its charts
    assert "/nonexistent/chromium" in caplog.text
    with uow_factory() as uow:  # with Chromium back, the week's report goes out
        assert report.weekly(uow.session, SYSTEM) == 1
        uow.commit()


def test_without_chromium_the_report_is_refused_in_words(uow_factory, world, monkeypatch):
    monkeypatch.setenv("FINCRM_CHROMIUM_PATH", "/nonexistent/chromium")
    reset_settings()
    try:
        with pytest.raises(report_charts.ChartsUnavailable) as caught:
            _pdf(uow_factory, "bm_a", "en")
        assert "/nonexistent/chromium" in caught.value.message("en")
        assert "无头 Chromium" in caught.value.message("zh_CN")
    finally:
        monkeypatch.delenv("FINCRM_CHROMIUM_PATH")
        reset_settings()


def test_the_cli_writes_a_managers_report_to_a_file(uow_factory, world, connection, monkeypatch, tmp_path, capsys):
    """`fincrm metrics report USER OUT.pdf`: the report as it is mailed, to look at without an SMTP server."""
    import argparse

    import services.db as db
    from services import cli
    from services.security.models import AuditEvent

    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    out = tmp_path / "weekly.pdf"
    args = argparse.Namespace(username="bm_a", out=str(out), locale="en", week=None)
    assert cli._cmd_metrics_report(args) == 0
    text = _text(out.read_bytes())
    assert "Weekly report" in text and "Pipeline funnel, last 90 days" in text
    assert connection.execute(select(AuditEvent.action).where(AuditEvent.action == "report.preview")).scalars().all()
    assert cli._cmd_metrics_report(argparse.Namespace(username="nobody", out=str(out), locale="en", week=None)) == 1
    assert cli._cmd_metrics_report(argparse.Namespace(username="bm_a", out=str(out), locale="en", week="soon")) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
