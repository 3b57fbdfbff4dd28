"""The 90-day sales forecast: weekly sales amounts read from the rollup, forecast 13 weeks ahead by exponential
smoothing with a damped trend (Holt) or, where sales are sparse and noisy, the mean of recent weeks (whichever
forecast the 13 weeks before the back-test's better), with a band of plus or minus 1.28 standard deviations of the one-step errors
(about 80 %), and its error measured by a back-test: the same model fitted without the last 13 weeks forecasts
them, and the weighted absolute percentage error (WAPE) of that forecast against what was sold is shown.

Small and dependency-free on purpose: a few dozen weekly points need no more, and the figure is cached with the
others. (statsforecast was the plan; it is not installed here and compiles with numba on first use.)

The model's output is a pure function of the weekly history, and that history holds finished weeks only: a sale
landing today changes nothing the model sees until the week ends (or a past week's sale is cancelled or back-dated,
which changes the series and so the key). So `model_output` is memoised on the series itself: a dashboard redrawn
after each sale re-reads the rollup but does not fit the same 104 points again (about 4 ms of the grid search).
"""
from __future__ import annotations

import math
from functools import lru_cache
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

HORIZON_WEEKS = 13  # about 90 days
HISTORY_WEEKS = 104
MIN_WEEKS = 8  # fewer weeks of history: no forecast, a note says why
Z80 = 1.2816


def _holt(ys: list[float], alpha: float, beta: float, phi: float) -> tuple[list[float], float, float]:
    """One-step-ahead fits, and the final level and trend."""
    level, trend = ys[0], (ys[1] - ys[0]) if len(ys) > 1 else 0.0
    fits = [ys[0]]
    for y in ys[1:]:
        fit = level + phi * trend
        fits.append(fit)
        new_level = alpha * y + (1 - alpha) * fit
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return fits, level, trend


def fit(ys: list[float]) -> tuple[float, float, float]:
    """The smoothing parameters with the least squared one-step error (a small grid: the series is short)."""
    best, best_err = (0.3, 0.1, 0.9), math.inf
    for alpha in (0.1, 0.2, 0.3, 0.5, 0.7):
        for beta in (0.0, 0.05, 0.1, 0.2):
            for phi in (0.8, 0.9, 0.98):
                fits, _l, _t = _holt(ys, alpha, beta, phi)
                err = sum((y - f) ** 2 for y, f in zip(ys[1:], fits[1:]))
                if err < best_err:
                    best, best_err = (alpha, beta, phi), err
    return best


def _mean_model(ys: list[float], horizon: int, window: int) -> tuple[list[float], float]:
    """The mean of the last `window` points, flat; the spread of the points around it."""
    tail = ys[-window:]
    mean = sum(tail) / len(tail)
    sd = math.sqrt(sum((y - mean) ** 2 for y in tail) / max(1, len(tail) - 1))
    return [max(0.0, mean)] * horizon, sd


MODELS = ("holt", "mean8", "mean13")


def _run(model: str, ys: list[float], horizon: int) -> tuple[list[float], float]:
    if model == "mean8":
        return _mean_model(ys, horizon, 8)
    if model == "mean13":
        return _mean_model(ys, horizon, 13)
    return _holt_predict(ys, horizon)


def _wape(pred: list[float], actual: list[float]) -> float | None:
    total = sum(abs(y) for y in actual)
    return None if not total else 100 * sum(abs(y - p) for y, p in zip(actual, pred)) / total


def choose(ys: list[float], horizon: int = HORIZON_WEEKS) -> str:
    """The model to use, chosen on the weeks before the back-test's (so the back-test's error stays honest):
    damped Holt follows a trend; a recent mean is better for sparse, noisy weekly sales."""
    if len(ys) < MIN_WEEKS + 2 * horizon:
        return "holt"
    train, valid = ys[:-2 * horizon], ys[-2 * horizon:-horizon]
    scores = {m: _wape(_run(m, train, horizon)[0], valid) for m in MODELS}
    scored = {m: v for m, v in scores.items() if v is not None}
    if not scored:
        return "holt"
    mean = min((m for m in scored if m != "holt"), key=lambda m: scored[m])
    # A trend is extrapolated only when it clearly forecast better: spiky weekly sales fool it.
    return "holt" if "holt" in scored and scored["holt"] < 0.85 * scored[mean] else mean


def predict(ys: list[float], horizon: int, model: str | None = None) -> tuple[list[float], float]:
    """Forecast `horizon` steps (never below zero) and the standard deviation of the one-step errors."""
    return _run(model or choose(ys, horizon), ys, horizon)


def _holt_predict(ys: list[float], horizon: int) -> tuple[list[float], float]:
    alpha, beta, phi = fit(ys)
    fits, level, trend = _holt(ys, alpha, beta, phi)
    out, damp = [], 0.0
    for h in range(1, horizon + 1):
        damp += phi ** h
        out.append(max(0.0, level + damp * trend))
    resid = [y - f for y, f in zip(ys[1:], fits[1:])]
    sd = math.sqrt(sum(r * r for r in resid) / max(1, len(resid) - 1)) if resid else 0.0
    return out, sd


def backtest_wape(ys: list[float], horizon: int = HORIZON_WEEKS) -> float | None:
    """WAPE (%) of a forecast made without the last `horizon` points (the model chosen without them too),
    against them."""
    if len(ys) < MIN_WEEKS + horizon:
        return None
    train, test = ys[:-horizon], ys[-horizon:]
    pred, _sd = predict(train, horizon)
    wape = _wape(pred, test)
    return None if wape is None else round(wape, 1)


@lru_cache(maxsize=1024)  # a key per scope and product filter; a new week or a changed past week is a new key
def model_output(ys: tuple[float, ...], horizon: int = HORIZON_WEEKS) -> tuple[tuple[float, ...], float, float | None]:
    """The forecast, the spread of its one-step errors and its back-tested WAPE for one weekly history."""
    pred, sd = predict(list(ys), horizon)
    return tuple(pred), sd, backtest_wape(list(ys), horizon)


def sales_forecast(s: Session, q):
    from services.analytics.figures import FigureData, Series, _product_equal, read_spans

    # Whole weeks (Monday to Sunday) up to the last finished one, over the two years before the range's end: the
    # rollup's week rows (period 'w', day = the Monday).
    last_monday = q.end - timedelta(days=q.end.weekday())
    first = last_monday - timedelta(weeks=HISTORY_WEEKS)
    weekly: dict[date, Decimal] = {monday: amount for monday, _n, amount in read_spans(
        s, q, "sales", [("w", first, last_monday - timedelta(days=1))], (), True, None, _product_equal(q, "dim1"), ())}
    weeks = [first + timedelta(weeks=i) for i in range(HISTORY_WEEKS)]
    # History starts at the first week that sold anything.
    start = next((i for i, w in enumerate(weeks) if weekly.get(w)), len(weeks))
    weeks = weeks[start:]
    ys = [float(weekly.get(w, 0)) for w in weeks]
    notes = ["metrics.note.forecast_band"]
    extra: dict = {"horizon_days": HORIZON_WEEKS * 7, "backtest_wape_pct": None, "weeks_of_history": len(ys)}
    series = [Series(key="actual", x=[w.isoformat() for w in weeks], y=ys, bars=[f"week:{w.isoformat()}"
                                                                                   for w in weeks])]
    rows = [{"week": w.isoformat(), "actual": y, "forecast": None, "low": None, "high": None}
            for w, y in zip(weeks, ys)]
    if len(ys) >= MIN_WEEKS:
        pred, sd, wape = model_output(tuple(ys), HORIZON_WEEKS)
        ahead = [last_monday + timedelta(weeks=i) for i in range(HORIZON_WEEKS)]
        xs = [w.isoformat() for w in ahead]
        band = [Z80 * sd * math.sqrt(h) for h in range(1, HORIZON_WEEKS + 1)]
        series += [Series(key="forecast", x=xs, y=[round(p, 2) for p in pred], bars=[""] * len(xs)),
                   Series(key="low", x=xs, y=[round(max(0.0, p - b), 2) for p, b in zip(pred, band)],
                          bars=[""] * len(xs)),
                   Series(key="high", x=xs, y=[round(p + b, 2) for p, b in zip(pred, band)], bars=[""] * len(xs))]
        rows += [{"week": x, "actual": None, "forecast": round(p, 2), "low": round(max(0.0, p - b), 2),
                  "high": round(p + b, 2)} for x, p, b in zip(xs, pred, band)]
        extra["backtest_wape_pct"] = wape
        extra["forecast_total"] = round(sum(pred), 2)
        if extra["backtest_wape_pct"] is None:
            notes.append("metrics.note.forecast_no_backtest")
    else:
        notes = ["metrics.note.forecast_short"]
    return FigureData(figure="sales_forecast", unit="money", chart="forecast", x_kind="date", series=series,
                      columns=["week", "actual", "forecast", "low", "high"], rows=rows, notes=notes,
                      filters=q.as_dict(), extra=extra)
