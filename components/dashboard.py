"""The dashboard page's body (/dashboard): filter bar, key figures, chart cards, drill-down list."""
from __future__ import annotations

import reflex as rx

from components.chart_image import chart_image
from components.i18n import t
from components.links import link
from state.dashboard import CHARTS, PRODUCT_TYPES, DashboardState as S

# The mode bar holds one button: the chart as a PNG image. Below each chart, buttons a phone reaches as well save it
# as PNG or SVG (Plotly's downloadImage, components/chart_image.py), beside its table as CSV / XLSX.
_PLOTLY_CONFIG = {"displayModeBar": "hover", "modeBarButtons": [["toImage"]], "responsive": True, "displaylogo": False,
                  "scrollZoom": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def _control(label_key: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.el.span(t(label_key), class_name="field-label"), control, class_name="cl-control dash-control")


def _select(label_key: str, id_: str, value: rx.Var, options: rx.Var, on_change) -> rx.Component:
    return _control(label_key, rx.el.select(
        rx.el.option(t("dash.filter.all"), value=""),
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["id"])),
        value=value, on_change=on_change, id=id_, class_name="cl-select"))


def filter_bar() -> rx.Component:
    return rx.el.section(
        rx.el.form(
            _control("dash.filter.from", rx.el.input(type="date", name="date_from", id="dash-from", value=S.date_from,
                                                     on_change=S.set_date_from, class_name="cl-select")),
            _control("dash.filter.to", rx.el.input(type="date", name="date_to", id="dash-to", value=S.date_to,
                                                   on_change=S.set_date_to, class_name="cl-select")),
            rx.el.button(t("dash.filter.apply"), type="submit", id="dash-apply", class_name="btn"),
            on_submit=S.apply_dates, class_name="dash-dates", id="dash-dates-form",
        ),
        rx.cond(S.branch_options.length() > 1,
                _select("dash.filter.branch", "dash-branch", S.branch_id, S.branch_options, S.set_branch)),
        rx.cond(S.team_options.length() > 1,
                _select("dash.filter.team", "dash-team", S.team_id, S.team_options, S.set_team)),
        rx.cond(S.rm_options.length() > 1,
                _select("dash.filter.rm", "dash-rm", S.rm_id, S.rm_options, S.set_rm)),
        _control("dash.filter.product_type", rx.el.select(
            rx.el.option(t("dash.filter.all"), value=""),
            *[rx.el.option(t(f"product.{p}"), value=p) for p in PRODUCT_TYPES],
            value=S.product_type, on_change=S.set_product_type, id="dash-product-type", class_name="cl-select")),
        rx.el.button(t("dash.filter.reset"), type="button", on_click=S.reset_filters, id="dash-reset",
                     class_name="btn"),
        class_name="card dash-filters cl-toolbar", id="dash-filters",
    )


def _kpi(k: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.div(k["label"], class_name="stat-label"),
        rx.el.div(k["value"], class_name="stat-value", title=k["full"]),
        rx.el.div(k["sub"], class_name=rx.cond(k["tone"] == "down", "stat-sub danger", "stat-sub")),
        class_name="card dash-kpi", id="dash-kpi-" + k["key"].to(str),
    )


def _chart(name: str) -> rx.Component:
    figure = getattr(S, f"fig_{name}")
    title = (S.unit_title if name == "aum_by_unit" else S.unit_trend_title if name == "aum_unit_trend"
             else t(f"dash.chart.{name}"))
    clickable = name != "sales_forecast"
    plot = rx.plotly.basic(
        data=figure, config=_PLOTLY_CONFIG, use_resize_handler=True, style={"width": "100%", "height": "100%"},
        **({"on_click": lambda points: S.drill(name, points)} if clickable else {}))
    return rx.el.section(
        rx.el.h2(title, class_name="section-title"),
        rx.cond(S.has[name],
                rx.el.div(plot, class_name="chart-frame dash-frame" + (" dash-tall" if name in (
                    "aum_by_unit", "rm_leaderboard") else "")),
                rx.el.p(t("dash.chart_empty"), class_name="muted chart-empty")),
        rx.cond(S.notes[name] != "", rx.el.p(S.notes[name], class_name="muted small dash-note")),
        rx.cond(S.has[name], rx.el.div(
            # React Router's Link: reload_document and download leave it to the browser, as a download (the page
            # and its connection stay: components/filters.py _export_link says why).
            rx.el.a("CSV", href=f"/exports/metrics/{name}.csv?" + S.export_query, class_name="link small",
                    reload_document=True, download="", id=f"export-{name.replace('_', '-')}-csv"),
            rx.el.a("XLSX", href=f"/exports/metrics/{name}.xlsx?" + S.export_query, class_name="link small",
                    reload_document=True, download="", id=f"export-{name.replace('_', '-')}-xlsx"),
            *[chart_image(target=f"chart-{name.replace('_', '-')}", format=fmt, filename=name,
                          label=t(f"dash.export.{fmt}"), title=t(f"dash.export.{fmt}_title"), class_name="btn small",
                          id=f"export-{name.replace('_', '-')}-{fmt}") for fmt in ("png", "svg")],
            class_name="dash-exports")),
        class_name="card chart-card dash-card", id=f"chart-{name.replace('_', '-')}",
    )


def _drill_row(r: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(link(r["name"], href=r["href"], class_name="link"), rx.el.div(r["no"], class_name="c-sub")),
        rx.el.td(r["segment"], class_name="dash-hide-phone"),
        rx.el.td(r["owner"], class_name="dash-hide-phone"),
        rx.el.td(r["aum"], class_name="amount"),
        rx.el.td(r["phone"], class_name="mono"),
    )


def drill_panel() -> rx.Component:
    return rx.cond(S.drill_open, rx.el.section(
        rx.el.div(
            rx.el.h2(S.drill_title, class_name="section-title", id="drill-title"),
            rx.el.button(t("dash.drill.close"), type="button", on_click=S.close_drill, class_name="btn",
                         id="drill-close"),
            class_name="dash-drill-head"),
        rx.cond(S.drill_error != "", rx.el.div(S.drill_error, class_name="alert", id="drill-error", role="alert")),
        rx.cond(S.drill_rows.length() > 0,
                rx.el.div(rx.el.table(
                    rx.el.thead(rx.el.tr(rx.el.th(t("dash.drill.name")),
                                         rx.el.th(t("dash.drill.segment"), class_name="dash-hide-phone"),
                                         rx.el.th(t("dash.drill.owner"), class_name="dash-hide-phone"),
                                         rx.el.th(t("dash.drill.aum")), rx.el.th(t("dash.drill.phone")))),
                    rx.el.tbody(rx.foreach(S.drill_rows, _drill_row)),
                    class_name="dash-table", id="drill-table"), class_name="dash-table-wrap"),
                rx.cond(S.drill_error == "", rx.el.p(t("dash.drill.empty"), class_name="empty"))),
        rx.el.div(
            rx.el.button(t("dash.drill.prev"), type="button", on_click=S.drill_prev, disabled=~S.drill_has_prev,
                         class_name="btn", id="drill-prev"),
            rx.el.span(S.drill_info, class_name="page-info"),
            rx.el.button(t("dash.drill.next"), type="button", on_click=S.drill_next, disabled=~S.drill_has_next,
                         class_name="btn", id="drill-next"),
            class_name="pager"),
        class_name="card dash-drill", id="drilldown",
    ))


def _action(a: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.div(rx.el.span(a["kind"], class_name="badge"), link(a["customer"], href=a["href"], class_name="link"),
                      class_name="dash-action-head"),
            rx.el.div(a["reason"], class_name="small"),
            rx.cond(a["due"] != "", rx.el.div(a["due"], class_name="muted small")),
            class_name="item-main"),
        rx.el.div(
            rx.el.button(t("dash.nba_mark_done"), type="button", on_click=S.action_done(a["id"]), class_name="btn",
                         id="nba-done-" + a["id"].to(str)),
            rx.el.button(t("dash.nba_dismiss"), type="button", on_click=S.action_dismiss(a["id"]), class_name="btn",
                         id="nba-dismiss-" + a["id"].to(str)),
            class_name="dash-action-buttons"),
        class_name="item dash-action", id="nba-" + a["id"].to(str),
    )


def actions_card() -> rx.Component:
    return rx.cond(S.actions_shown, rx.el.section(
        rx.el.h2(t("dash.nba_title"), class_name="section-title"),
        rx.cond(S.actions.length() > 0, rx.el.ul(rx.foreach(S.actions, _action), class_name="item-list"),
                rx.el.p(t("dash.nba_empty"), class_name="muted")),
        class_name="card dash-actions", id="dash-actions"))


def dashboard_page_body() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h1(rx.cond(S.scope == "own", t("dash.title.own"), t("dash.title")), class_name="page-title",
                     id="dash-title"),
            rx.el.div(
                rx.match(S.scope, ("own", t("dash.scope.own")), ("team", t("dash.scope.team")),
                         ("branch", t("dash.scope.branch")), ("all", t("dash.scope.all")), ""),
                rx.cond(S.period != "", rx.el.span(" · ", S.period, id="dash-period")),
                class_name="muted small", id="dash-scope"),
            rx.cond(S.updated_at != "", rx.el.div(rx.el.span(class_name="dash-live-dot"), S.updated_at,
                                                  class_name="muted small dash-live", id="dash-updated")),
            class_name="page-head dash-head",
        ),
        filter_bar(),
        rx.cond(S.error != "", rx.el.div(S.error, class_name="alert", id="dash-error", role="alert")),
        rx.cond(S.loaded, rx.fragment(), rx.el.p(t("dash.loading"), class_name="muted")),
        rx.el.div(rx.foreach(S.kpis, _kpi), class_name="dash-kpis", id="dash-kpis"),
        actions_card(),
        rx.el.p(t("dash.drill_hint"), class_name="muted small"),
        drill_panel(),
        rx.el.div(*[_chart(name) for name in CHARTS if name not in ("rm_leaderboard", "nba_conversion")],
                  rx.cond(S.scope != "own", _chart("rm_leaderboard")),
                  rx.cond(S.has["nba_conversion"], _chart("nba_conversion")),
                  class_name="chart-grid dash-grid", id="dash-charts"),
        class_name="page dash-page",
    )
