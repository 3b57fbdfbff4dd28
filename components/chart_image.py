"""A button that saves a dashboard chart as a PNG or SVG file, drawn by Plotly's own `downloadImage` (the React
component is components/chart_image.jsx). Used only on chart pages, so Plotly stays off the others.

    chart_image(target="chart-aum-trend", format="svg", filename="aum_trend", label="SVG", title="...", id=...)
"""
from __future__ import annotations

from typing import Any

import reflex as rx

PLOTLY_BASIC = "plotly.js-basic-dist-min@3.7.0"  # the build rx.plotly.basic draws with (reflex_components_plotly)


class ChartImage(rx.Component):
    library = rx.asset("chart_image.jsx", shared=True).importable_path
    lib_dependencies: list[str] = [PLOTLY_BASIC]
    tag = "FincrmChartImage"

    target: rx.Var[str]
    format: rx.Var[str]
    filename: rx.Var[str]
    label: rx.Var[str]
    title: rx.Var[str]


def chart_image(**props: Any) -> rx.Component:
    return ChartImage.create(**props)
