"""The weekly report: a PDF of a manager's figures for the week just ended, e-mailed every Monday morning.

Subscriptions (report_subscription) are made by an administrator (`fincrm metrics subscribe USER EMAIL`): people
have no e-mail address elsewhere in FinCRM. `weekly(session)` (the Monday job) builds each subscriber's report in his
own scope (the figures' use cases with his actor: a team lead his team, a branch manager his branch) and language,
keeps the PDF in the document store and queues the e-mail in the outbox (services/analytics/mail.py delivers it over
SMTP), once per subscriber and week.

What the report holds: key figures (AUM at the week's end and its change over the week, customers won and lost,
sales and their count, the win rate of the quarter's opportunities, the 90-day forecast and its back-tested error),
sales by product type, the funnel of the quarter and the ten best RMs of the week; and three charts drawn from the
same figures as the dashboards (AUM by segment over 90 days, the funnel, the week's sales by product type), as
vector SVG exported by Plotly's Kaleido (services/analytics/report_charts.py), in the reader's language.
"""
from __future__ import annotations

import base64
import html
import logging
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services import clock, documents
from services.analytics import figures, report_charts
from services.analytics.filters import resolve
from services.analytics.models import EmailMessage, ReportSubscription
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.i18n import format_date, format_money, format_number, normalize_locale, translate
from services.security import audit
from services.security.actor import Actor
from services.security.auth import actor_for_user
from services.security.models import User
from services.security.policy import Permission as P, permissions_of, requires

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$|^[^@\s<>\"',;]{1,64}@localhost$")


@requires(P.USER_MANAGE)
def subscribe(*, uow: UnitOfWork, actor: Actor, username: Any, email: Any, locale: Any = "zh_CN",
              active: bool = True) -> ReportSubscription:
    """Send this manager the weekly report at this address (or stop it: active=False)."""
    s = uow.session
    user = s.execute(select(User).where(User.username == str(username))).scalar_one_or_none()
    if user is None or not user.is_active:
        raise ValidationFailed([FieldError("username", "value.invalid")])
    if P.METRICS_VIEW not in permissions_of(actor_for_user(user)):
        raise ValidationFailed([FieldError("username", "report.no_figures")])
    if not isinstance(email, str) or not _EMAIL.match(email):
        raise ValidationFailed([FieldError("email", "value.invalid")])
    row = s.get(ReportSubscription, user.id) or ReportSubscription(user_id=user.id, email=email,
                                                                   created_at=clock.now())
    row.email, row.locale, row.active = email, normalize_locale(locale), bool(active)
    s.add(row)
    s.flush()
    audit.record(s, actor, "report.subscribe", entity_type="user", entity_id=user.id,
                 changes={"active": row.active, "locale": row.locale})
    return row


def week_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def _e(value: Any) -> str:
    return html.escape(str(value))


def _money(value: Any, loc: str) -> str:
    return format_money(Decimal(str(value or 0)), "CNY", loc)


def _charts(loc: str, made: list[tuple[str, Any]]) -> str:
    """The charts as <figure>s holding SVG images (a chart without data says so in words)."""
    svgs = iter(report_charts.to_svg([fig for _name, fig in made if fig is not None]))
    out = []
    for name, fig in made:
        if fig is None:
            out.append(f'<figure class="chart" id="chart-{name}"><p class="no-chart">'
                       f'{_e(translate("report.chart." + name, loc))}: {_e(translate("report.no_chart", loc))}</p></figure>')
            continue
        data = base64.b64encode(next(svgs).encode("utf-8")).decode("ascii")
        out.append(f'<figure class="chart" id="chart-{name}"><img alt="{_e(translate("report.chart." + name, loc))}" '
                   f'src="data:image/svg+xml;base64,{data}"></figure>')
    return "".join(out)


def build(s: Session, user: User, week: date, locale: str) -> tuple[str, str, bytes]:
    """(subject, plain-text body, PDF) of the report of the week starting `week` (a Monday) for this user."""
    loc = normalize_locale(locale)
    actor = actor_for_user(user)
    end = week + timedelta(days=6)
    w = lambda key, **kw: translate(f"report.{key}", loc, **kw)  # noqa: E731
    q_week = resolve(s, actor, {"date_from": week.isoformat(), "date_to": end.isoformat()})
    q_year = resolve(s, actor, {"date_to": end.isoformat()})
    q_quarter = resolve(s, actor, {"date_from": (end - timedelta(days=89)).isoformat(), "date_to": end.isoformat()})
    units = figures.compute(s, q_week, "aum_by_unit")
    new_lost = figures.compute(s, q_week, "customers_new_lost")
    by_type = figures.compute(s, q_week, "sales_by_type")
    leaders = figures.compute(s, q_week, "rm_leaderboard")
    funnel = figures.compute(s, q_quarter, "pipeline_funnel")
    forecast = figures.compute(s, q_year, "sales_forecast")
    aum_trend = figures.compute(s, q_quarter, "aum_trend")
    aum = sum(Decimal(str(r["aum"])) for r in units.rows)
    growth = sum(Decimal(str(r["growth"])) for r in units.rows)
    new = sum(r["new"] for r in new_lost.rows)
    lost = sum(r["lost"] for r in new_lost.rows)
    sales_amount = sum(Decimal(str(r["amount"])) for r in by_type.rows)
    sales_count = sum(r["count"] for r in by_type.rows)
    win = funnel.extra.get("win_rate_pct")
    wape = forecast.extra.get("backtest_wape_pct")
    scope = w(f"scope.{q_week.scope}")
    title = w("title", week=format_date(week, loc), end=format_date(end, loc))
    kpis = [(w("aum"), _money(aum, loc)), (w("aum_change"), ("+" if growth >= 0 else "") + _money(growth, loc)),
            (w("new_customers"), format_number(new, loc)), (w("lost_customers"), format_number(lost, loc)),
            (w("sales"), _money(sales_amount, loc)), (w("sales_count"), format_number(sales_count, loc)),
            (w("win_rate"), "—" if win is None else f"{win}%"),
            (w("forecast"), "—" if forecast.extra.get("forecast_total") is None
             else _money(forecast.extra["forecast_total"], loc)),
            (w("backtest"), "—" if wape is None else f"{wape}%")]
    types: dict[str, list] = {}
    for r in by_type.rows:
        t = types.setdefault(r["type"], [0, Decimal(0)])
        t[0] += r["count"]
        t[1] += Decimal(str(r["amount"]))
    type_rows = "".join(f"<tr><td>{_e(translate('report.type.' + k, loc))}</td><td class=n>{format_number(v[0], loc)}</td>"
                        f"<td class=n>{_e(_money(v[1], loc))}</td></tr>" for k, v in sorted(types.items()))
    stage_rows = "".join(f"<tr><td>{_e(translate('report.stage.' + r['stage'], loc))}</td>"
                         f"<td class=n>{format_number(r['count'], loc)}</td>"
                         f"<td class=n>{'' if r['conversion_pct'] is None else _e(str(r['conversion_pct']) + '%')}</td></tr>"
                         for r in funnel.rows)
    leader_rows = "".join(f"<tr><td>{r['rank']}</td><td>{_e(r['rm'])}</td><td class=n>{_e(_money(r['sales'], loc))}</td>"
                          f"<td class=n>{_e(_money(r['aum_growth'], loc))}</td><td class=n>{r['activities']}</td></tr>"
                          for r in leaders.rows[:10])
    empty = f"<tr><td colspan=5>{_e(w('none'))}</td></tr>"
    charts = _charts(loc, [("aum_trend", report_charts.aum_trend(aum_trend, loc)),
                           ("funnel", report_charts.pipeline_funnel(funnel, loc)),
                           ("sales_by_type", report_charts.sales_by_type(by_type, loc))])
    page = f"""<!doctype html><html lang="{'en' if loc == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<style>
@page {{ size: A4; margin: 18mm 16mm; @bottom-right {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif; font-size: 10pt; color: #1c2024; }}
h1 {{ font-size: 16pt; margin: 0 0 2mm; }} h2 {{ font-size: 11.5pt; margin: 7mm 0 2mm; }}
.meta {{ color: #60646c; margin: 0 0 5mm; }}
table {{ width: 100%; border-collapse: collapse; }} td, th {{ padding: 1.6mm 2mm; border-bottom: 0.3pt solid #d9d9e0; text-align: left; }}
th {{ color: #60646c; font-weight: 600; font-size: 9pt; }} .n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.kpis td:first-child {{ color: #60646c; width: 45%; }} .kpis td:last-child {{ font-weight: 700; text-align: right; }}
figure.chart {{ margin: 4mm 0 0; break-inside: avoid; }} figure.chart img {{ width: 100%; }}
.no-chart {{ color: #60646c; border: 0.3pt solid #d9d9e0; padding: 3mm; }}
</style></head><body>
<h1>{_e(title)}</h1><p class="meta">{_e(scope)} · {_e(user.display_name)}</p>
<h2>{_e(w("key_figures"))}</h2><table class="kpis">{"".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in kpis)}</table>
<h2>{_e(w("charts"))}</h2>{charts}
<h2>{_e(w("sales_by_type"))}</h2><table><tr><th>{_e(w("type"))}</th><th class=n>{_e(w("count"))}</th><th class=n>{_e(w("amount"))}</th></tr>{type_rows or empty}</table>
<h2>{_e(w("funnel"))}</h2><table><tr><th>{_e(w("stage"))}</th><th class=n>{_e(w("count"))}</th><th class=n>{_e(w("conversion"))}</th></tr>{stage_rows}</table>
<h2>{_e(w("leaders"))}</h2><table><tr><th>#</th><th>{_e(w("rm"))}</th><th class=n>{_e(w("sales"))}</th><th class=n>{_e(w("aum_change"))}</th><th class=n>{_e(w("activities"))}</th></tr>{leader_rows or empty}</table>
<p class="meta" style="margin-top:8mm">{_e(w("footer"))}</p>
</body></html>"""
    from weasyprint import HTML

    pdf = HTML(string=page).write_pdf()
    body = "\n".join([title, scope, ""] + [f"{k}: {v}" for k, v in kpis] + ["", w("attached")])
    return title, body, pdf


def weekly(s: Session, actor: Actor) -> int:
    """Queue the report of the week just ended for every active subscriber who has not had it; returns how many."""
    this_week = week_of(clock.today())
    week = this_week - timedelta(days=7)
    made = 0
    subs = s.execute(select(ReportSubscription).where(ReportSubscription.active.is_(True))
                     .order_by(ReportSubscription.user_id)).scalars().all()
    for sub in subs:
        if sub.last_sent_week is not None and sub.last_sent_week >= week:
            continue
        user = s.get(User, sub.user_id)
        if user is None or not user.is_active:
            continue
        try:
            subject, body, pdf = build(s, user, week, sub.locale)
        except report_charts.ChartsUnavailable as exc:  # one report fails: logged, the others still go out
            log.error("weekly report for user %s not made: %s", sub.user_id, exc.message("en"))
            continue
        sha = documents.write_blob(pdf)
        now = clock.now()
        s.add(EmailMessage(to_addr=sub.email, subject=subject[:200], body=body[:4000], attachment_sha256=sha,
                           attachment_name=f"weekly-report-{week.isoformat()}.pdf",
                           attachment_type="application/pdf", purpose="weekly_report", status="pending",
                           created_at=now, next_attempt_at=now))
        sub.last_sent_week = week
        made += 1
    if made:
        s.flush()
        audit.record(s, actor, "report.queued", entity_type="job", entity_id="analytics.weekly_report",
                     changes={"reports": made, "week": week.isoformat()})
    return made
