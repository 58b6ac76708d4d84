"""The evaluator of predictive alert rules (`timeleft:` / `forecast:`) over the rollups.

At `rollups.predict_interval` (not every poll) it reads each rule's window of hourly
rollups, fits the rule's curve per series (reports/forecast.py) and returns one
`prediction` sample per series: `time_left_days` or `forecast_value`, tagged with the rule,
the fit and its R². The daemon hands them to the alert engine's ordinary entry point, where
the rule is a plain threshold on that field (alerts/predictive_rules.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from lanpulse.alerts.predictive_rules import (
    FORECAST_FIELD,
    PREDICTION,
    TIME_LEFT_FIELD,
    Prediction,
)
from lanpulse.config.settings import Settings
from lanpulse.core.model import Sample
from lanpulse.parsers.rollups import NS
from lanpulse.reports.forecast import DAY_S, FitError, fit, time_left
from lanpulse.reports.source import InfluxQLSource, RollupSource, Series, SourceError

log = logging.getLogger(__name__)
HORIZON_DAYS = 3650.0  # "not within ten years": what a series that does not grow reports
HOUR_S = 3600.0


class PredictiveRule(Protocol):
    """The part of an alert rule the evaluator needs."""

    @property
    def name(self) -> str:
        """The rule's name (its `prediction` samples carry it as the `rule` tag)."""
        ...

    @property
    def prediction(self) -> Prediction | None:
        """What to fit; None for ordinary rules."""
        ...


def _days(seconds: float) -> str:
    return f"{seconds / DAY_S:g}d"


class PredictiveEvaluator:
    """Fits every predictive rule over its window of rollups; returns `prediction` samples."""

    def __init__(self, source: RollupSource) -> None:
        self.source = source

    def evaluate(self, rules: Iterable[PredictiveRule], now_ns: int) -> list[Sample]:
        """One evaluation of every predictive rule at `now_ns`; a rule whose query fails is
        logged and skipped (the others still count)."""
        out: list[Sample] = []
        for rule in rules:
            p = rule.prediction
            if p is None:
                continue
            fields = [f"{p.field}_mean"] + ([f"{p.limit_field}_max"] if p.limit_field else [])
            start = now_ns - int(p.window_s * NS)
            try:
                found = self.source.series(f"{p.measurement}_1h", fields, start, now_ns)
            except SourceError as exc:
                log.warning("predictive rule %s: %s", rule.name, exc)
                continue
            for series in found:
                sample = self._predict(rule.name, p, series, now_ns)
                if sample is not None:
                    out.append(sample)
        return out

    def _predict(self, name: str, p: Prediction, series: Series, now_ns: int) -> Sample | None:
        key = f"{p.field}_mean"
        # An hourly mean stands for the middle of its hour.
        points = [(t / NS + HOUR_S / 2, v[key]) for t, v in series.points if key in v]
        if len(points) < 3:
            return None
        try:
            model = fit(points, p.fit)
        except FitError:
            return None
        now_s = now_ns / NS
        if p.kind == "timeleft":
            limit = p.limit
            if p.limit_field is not None:
                limits = [
                    v[f"{p.limit_field}_max"]
                    for _, v in series.points
                    if f"{p.limit_field}_max" in v
                ]
                limit = limits[-1] if limits else None
            if limit is None:
                return None
            last_s, current = points[-1]
            left = time_left(model, last_s, current, limit, rising=limit >= current)
            days = HORIZON_DAYS if left is None else max(left - (now_s - last_s), 0.0) / DAY_S
            fields = {TIME_LEFT_FIELD: min(days, HORIZON_DAYS)}
            extra = {}
        else:
            fields = {FORECAST_FIELD: model.value_at(now_s + p.horizon_s)}
            extra = {"horizon": _days(p.horizon_s)}
        tags = {
            **series.tags,
            **extra,
            "rule": name,
            "source_field": p.field,
            "window": _days(p.window_s),
            "fit": p.fit,
            "fit_r2": f"{model.r2:.3f}",
        }
        return Sample(PREDICTION, tags, fields, now_ns)


async def predictive_loop(
    settings: Callable[[], Settings],
    rules: Callable[[], Iterable[PredictiveRule]],
    submit: Callable[[Sequence[Sample]], object],
    stop: asyncio.Event,
    clock_ns: Callable[[], int],
) -> None:
    """The daemon's loop: every `rollups.predict_interval`, evaluate the predictive rules in
    force (in a worker thread: it queries InfluxDB) and submit their samples to the engine."""
    first = settings()
    if first.influxdb is None:
        return
    try:
        evaluator = PredictiveEvaluator(InfluxQLSource(first.influxdb, first.rollups))
    except ValueError as exc:  # an unreadable password file: polling goes on without it
        log.error("predictive alert rules are not evaluated: %s", exc)
        return
    while not stop.is_set():
        predictive = [r for r in rules() if r.prediction is not None]
        if predictive:
            submit(await asyncio.to_thread(evaluator.evaluate, predictive, clock_ns()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings().rollups.predict_interval)
