"""Forecasts in the style of Zabbix's `forecast()` and `timeleft()` (pure functions).

A fit is made over (time, value) points: `linear` (y = a + b·x), `polynomialN` (N = 1..6),
`exponential` (y = a·e^(b·x)), `logarithmic` (y = a + b·ln x) and `power` (y = a·x^b). Time
is counted in days from the first point (plus one day for the fits that take a logarithm of
it). Its quality is R², the share of the variance the fit explains (1 = perfect, on the
original values). `time_left` answers "when does it reach the limit": None when the fitted
curve does not reach it within the horizon (not growing), 0 when the last value already has.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lanpulse.config.capacity import check_fit_name

DAY_S = 86400.0
FITS: tuple[str, ...] = ("linear", "polynomial2", "exponential", "logarithmic", "power")
_POLY = re.compile(r"^polynomial([1-6])$")


class FitError(ValueError):
    """A fit that cannot be made over these points (too few, or values it cannot take)."""


@dataclass(frozen=True, slots=True)
class Fit:
    """A fitted curve: its kind, coefficients, R² and where its time axis starts."""

    kind: str
    coefficients: tuple[float, ...]
    r2: float
    origin_s: float  # time (s) of day 0
    shift_days: float  # added to x before the curve (1 for logarithmic and power)
    slope_per_day: float  # the derivative at the last point

    def value_at(self, time_s: float) -> float:
        """The fitted value at `time_s` (seconds, same clock as the points)."""
        return _curve(self.kind, self.coefficients)(self._x(time_s))

    def _x(self, time_s: float) -> float:
        return (time_s - self.origin_s) / DAY_S + self.shift_days


def _curve(kind: str, c: tuple[float, ...]) -> Callable[[float], float]:
    if kind == "exponential":
        return lambda x: c[0] * math.exp(min(c[1] * x, 700.0))
    if kind == "logarithmic":
        return lambda x: c[0] + c[1] * math.log(max(x, 1e-12))
    if kind == "power":
        return lambda x: c[0] * max(x, 1e-12) ** c[1]
    return lambda x: sum(coef * x**i for i, coef in enumerate(c))


def _least_squares(xs: Sequence[float], ys: Sequence[float], degree: int) -> tuple[float, ...]:
    """Polynomial least squares by the normal equations (Gaussian elimination, pivoting)."""
    n = degree + 1
    # Scaled x keeps the normal equations well conditioned for a year of days.
    scale = max(abs(x) for x in xs) or 1.0
    us = [x / scale for x in xs]
    matrix = [[sum(u ** (i + j) for u in us) for j in range(n)] for i in range(n)]
    rhs = [sum(y * u**i for u, y in zip(us, ys, strict=True)) for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(matrix[r][col]))
        if abs(matrix[pivot][col]) < 1e-300:
            raise FitError("the points do not determine the fit (all at one time?)")
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        for row in range(col + 1, n):
            factor = matrix[row][col] / matrix[col][col]
            for k in range(col, n):
                matrix[row][k] -= factor * matrix[col][k]
            rhs[row] -= factor * rhs[col]
    coef = [0.0] * n
    for row in reversed(range(n)):
        acc = rhs[row] - sum(matrix[row][k] * coef[k] for k in range(row + 1, n))
        coef[row] = acc / matrix[row][row]
    return tuple(c / scale**i for i, c in enumerate(coef))


def fit(points: Sequence[tuple[float, float]], kind: str = "linear") -> Fit:
    """Fit `kind` over (time_s, value) points; FitError when it cannot be made."""
    kind = check_fit_name(kind)
    if len(points) < 2:
        raise FitError("at least two points are needed")
    origin = points[0][0]
    shift = 1.0 if kind in ("logarithmic", "power") else 0.0
    xs = [(t - origin) / DAY_S + shift for t, _ in points]
    ys = [float(v) for _, v in points]
    if kind == "linear" or (m := _POLY.match(kind)):
        degree = 1 if kind == "linear" else int(m.group(1))  # type: ignore[union-attr]
        coefficients = _least_squares(xs, ys, min(degree, len(points) - 1))
    elif kind == "exponential":
        if min(ys) <= 0:
            raise FitError("an exponential fit needs values above 0")
        a, b = _least_squares(xs, [math.log(y) for y in ys], 1)
        coefficients = (math.exp(a), b)
    elif kind == "logarithmic":
        coefficients = _least_squares([math.log(x) for x in xs], ys, 1)
    else:  # power
        if min(ys) <= 0:
            raise FitError("a power fit needs values above 0")
        a, b = _least_squares([math.log(x) for x in xs], [math.log(y) for y in ys], 1)
        coefficients = (math.exp(a), b)
    curve = _curve(kind, coefficients)
    mean = sum(ys) / len(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - curve(x)) ** 2 for x, y in zip(xs, ys, strict=True))
    r2 = 1.0 - residual / total if total > 0 else (1.0 if residual < 1e-9 else 0.0)
    last = xs[-1]
    step = 1e-3
    slope = (curve(last + step) - curve(last - step)) / (2 * step)
    return Fit(kind, coefficients, r2, origin, shift, slope)


def forecast(model: Fit, at_s: float) -> float:
    """The fitted value at time `at_s` (Zabbix `forecast(..., time)`)."""
    return model.value_at(at_s)


def time_left(
    model: Fit,
    now_s: float,
    current: float,
    limit: float,
    *,
    rising: bool = True,
    horizon_s: float = 10 * 365 * DAY_S,
    min_slope_per_day: float = 0.0,
) -> float | None:
    """Seconds from `now_s` until the fit reaches `limit` from below (`rising`) or from
    above: 0 when `current` is already there, None when the fit does not get there within
    `horizon_s` or moves towards it slower than `min_slope_per_day` ("not growing")."""
    if (rising and current >= limit) or (not rising and current <= limit):
        return 0.0
    slope = model.slope_per_day if rising else -model.slope_per_day
    if slope <= min_slope_per_day:
        return None
    reached = (lambda v: v >= limit) if rising else (lambda v: v <= limit)
    # March forward a day at a time (a year is 365 evaluations), then bisect the crossing.
    lo = now_s
    step = DAY_S
    t = now_s
    while t - now_s < horizon_s:
        t = min(t + step, now_s + horizon_s)
        if reached(model.value_at(t)):
            hi = t
            for _ in range(50):
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if reached(model.value_at(mid)) else (mid, hi)
            return hi - now_s
        lo = t
        step = min(step * 1.05, 30 * DAY_S)
    return None
