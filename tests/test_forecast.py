"""Zabbix-style fits (pure): each recovers the curve it is named after, with R² = 1."""

from __future__ import annotations

import math

import pytest

from lanpulse.reports.forecast import DAY_S, FitError, fit, forecast, time_left

DAYS = range(30)


@pytest.mark.parametrize(
    ("kind", "curve"),
    [
        ("linear", lambda x: 100 + 2 * x),
        ("polynomial2", lambda x: 5 + 0.5 * x + 0.25 * x * x),
        ("polynomial3", lambda x: 1 - x + 0.1 * x**3),
        ("exponential", lambda x: 10 * math.exp(0.05 * x)),
        ("logarithmic", lambda x: 3 + 4 * math.log(x + 1)),  # x counted from day 1
        ("power", lambda x: 2 * (x + 1) ** 1.5),
    ],
)
def test_each_fit_recovers_its_curve(kind: str, curve) -> None:  # type: ignore[no-untyped-def]
    model = fit([(d * DAY_S, curve(d)) for d in DAYS], kind)
    assert model.r2 == pytest.approx(1.0, abs=1e-9)
    assert forecast(model, 60 * DAY_S) == pytest.approx(curve(60), rel=1e-6)
    # Where the curve reaches its value at day 45, seen from day 29.
    left = time_left(model, 29 * DAY_S, curve(29), curve(45), rising=curve(45) > curve(29))
    assert left is not None and left / DAY_S == pytest.approx(16, abs=1e-4)


def test_not_growing_is_none_and_reached_is_zero() -> None:
    flat = fit([(d * DAY_S, 50.0) for d in DAYS])
    assert time_left(flat, 29 * DAY_S, 50.0, 100.0) is None
    assert time_left(flat, 29 * DAY_S, 50.0, 40.0) == 0.0  # already past the limit
    shrinking = fit([(d * DAY_S, 80.0 - d) for d in DAYS])
    assert time_left(shrinking, 29 * DAY_S, 51.0, 100.0) is None
    assert time_left(shrinking, 29 * DAY_S, 51.0, 41.0, rising=False) == pytest.approx(10 * DAY_S)


def test_fits_that_cannot_be_made() -> None:
    with pytest.raises(FitError):
        fit([(0.0, 1.0)])
    with pytest.raises(FitError):
        fit([(0.0, 1.0), (DAY_S, -1.0)], "exponential")
    with pytest.raises(ValueError, match="unknown fit 'cubic'"):
        fit([(0.0, 1.0), (DAY_S, 2.0)], "cubic")
